package config

import (
	"os"
	"strings"
	"testing"
)

// The configuration example in the README must be a valid configuration: docs match behaviour.
func TestREADMEExampleParses(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "## Configuration")
	if !ok {
		t.Fatal("README has no Configuration section")
	}
	_, rest, ok = strings.Cut(rest, "```yaml\n")
	if !ok {
		t.Fatal("README's Configuration section has no yaml block")
	}
	example, _, _ := strings.Cut(rest, "```")
	c, err := Parse([]byte(example), func(string) string { return "" })
	if err != nil {
		t.Fatalf("README example does not parse:\n%v", err)
	}
	if len(c.Providers) == 0 || len(c.Auth.Tokens) == 0 {
		t.Errorf("README example parsed to %d providers, %d tokens", len(c.Providers), len(c.Auth.Tokens))
	}
}
