package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// ${NAME} in a value takes the environment's NAME, whatever its characters; comments and keys
// are left alone; an unset name is an error with its line.
func TestPlaceholders(t *testing.T) {
	getenv := env(map[string]string{
		"TOKEN":    "12345678901234567890", // digits only: must stay a string
		"PASSWORD": `p@ss: "word" #1`,      // YAML's special characters
		"HOST":     "redis.internal",
	})
	c, err := Parse([]byte(`# ${IN_A_COMMENT} is not read
redis:
  addr: "${HOST}:6379"
  password: ${PASSWORD}
auth:
  tokens:
    - {name: ops, token: "${TOKEN}", all_providers: true}
`), getenv)
	if err != nil {
		t.Fatal(err)
	}
	got := []string{c.Redis.Addr, c.Redis.Password, c.Auth.Tokens[0].Token}
	if diff := cmp.Diff([]string{"redis.internal:6379", `p@ss: "word" #1`, "12345678901234567890"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	_, err = Parse([]byte("redis: {addr: \"a:1\"}\nauth:\n  tokens:\n    - {name: a, token: \"${UNSET_ONE}\", all_providers: true}\n    - {name: b, token: \"${UNSET_TWO}\", all_providers: true}\n"), getenv)
	want := "config: line 4: ${UNSET_ONE} is not set in the environment\nconfig: line 5: ${UNSET_TWO} is not set in the environment\n" +
		`config: auth.tokens[0].token: token "a" must be at least 16 characters` + "\n" + // the file's other problems too
		`config: auth.tokens[1].token: token "b" must be at least 16 characters`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
	// Later errors keep the file's line numbers; quoting of every kind is understood.
	_, err = Parse([]byte("redis:\n\n  addr: '${HOST}:6379'\n\n  password: \"${PASSWORD}\"\n\n  tsl: true\n"), getenv)
	if err == nil || !strings.Contains(err.Error(), "line 7: field tsl not found") {
		t.Errorf("typo after placeholders: %v, want it on line 7", err)
	}
	_, err = Parse([]byte("redis: {addr: \"a:1\"}\nzstack:\n  accounts:\n    - name: a\n      password: |\n        ${PASSWORD}\n      all_providers: true\n"), getenv)
	if err == nil || !strings.Contains(err.Error(), "config: line 5: write the value with ${...} on one line") {
		t.Errorf("multi-line value: %v", err)
	}
	names, err := Placeholders([]byte("a: ${X}\nb: [\"${Y}-${X}\"]\n"))
	if diff := cmp.Diff([]string{"X", "Y", "X"}, names); diff != "" || err != nil {
		t.Errorf("Placeholders: %v (-want +got):\n%s", err, diff)
	}
	if _, err := Parse([]byte("redis: {addr: [\n"), getenv); err == nil || !strings.Contains(err.Error(), "yaml") {
		t.Errorf("broken YAML: %v", err)
	}
}
