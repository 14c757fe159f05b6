package app_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/cmd/app"
)

// --check-config reports every problem of a file, one a line, and whether it is usable.
func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yaml", "redis: {addr: \"127.0.0.1:6379\"}\nproviders: [{name: vc-1, driver: vcenter, url: \"https://vc/sdk\", clientid: site-1}]\n")
	bad := write("bad.yaml", `redis: {addr: "a:1", tls_ca_file: /nonexistent/ca.pem}
tasks: {retention: 1m}
auth: {tokens: [{name: a, token: short, all_providers: true}]}
providers: [{name: vc-1, url: "https://vc/sdk"}]
`)
	for _, tc := range []struct {
		name, path, clientid string
		ok                   bool
		want                 []string // the output's lines, each cut to its start
	}{
		{"broker, usable", good, "", true, []string{good + ": ok: Redis at 127.0.0.1:6379, 1 providers, 0 tokens, 0 ZStack accounts"}},
		{"its agent", good, "site-1", true, []string{good + ": ok"}},
		{"another agent", good, "site-2", false, []string{`agent site-2: provider "vc-1" is bound to clientid "site-1" in this config`}},
		{"every problem", bad, "", false, []string{
			"config: redis.tls: tls_ca_file, tls_cert_file or tls_key_file is set but tls is false",
			"config: tasks.retention: 1m0s is shorter than a task's possible lifetime",
			"config: auth.tokens[0].token: token \"a\" must be at least 16 characters",
			"config: providers[0].driver: required",
		}},
		{"missing file", filepath.Join(dir, "none.yaml"), "", false, []string{"config: open " + filepath.Join(dir, "none.yaml")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			ok := app.CheckConfig(tc.path, tc.clientid, &out)
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			for i := range lines {
				if i < len(tc.want) && strings.HasPrefix(lines[i], tc.want[i]) {
					lines[i] = tc.want[i]
				}
			}
			if diff := cmp.Diff(tc.want, lines); diff != "" || ok != tc.ok {
				t.Errorf("ok = %v, want %v; output (-want +got):\n%s", ok, tc.ok, diff)
			}
		})
	}
}
