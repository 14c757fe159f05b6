package e2e

import (
	"fmt"
	"os"
	"testing"

	"cloudbroker/test/procs"
)

// binDir holds the broker and agent binaries built once for the package (with -race, so the
// processes under test are race-checked too).
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cloudbroker-e2e-")
	if err != nil {
		panic(err)
	}
	if err := procs.Build(dir, true); err != nil {
		fmt.Fprintln(os.Stderr, "building binaries:", err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
