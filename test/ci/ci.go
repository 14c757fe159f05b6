// Package ci decides what a test does when a service or tool it needs is missing: in CI
// (CI=true), where `make test` installs every one, that is a failure, because a skip would
// hide the test for good; elsewhere it is a skip.
package ci

import (
	"os"
	"testing"
)

// Missing fails the test in CI and skips it elsewhere, with msg saying what is missing and how
// to get it.
func Missing(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}
