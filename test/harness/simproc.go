package harness

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"cloudbroker/drivers/vcenter/vcsim"
)

// StartSim starts a simulator in a process of its own (vcsim.StartProcess): govmomi's simulator
// has data races of its own (a clone's new VM is written while a property collector reads it),
// which -race would report in the test binary that hosts it.
func StartSim(t testing.TB) *vcsim.Sim {
	t.Helper()
	bin, err := simBin()
	if err != nil {
		t.Fatal(err)
	}
	sim, err := vcsim.StartProcess(bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	return sim
}

// simBin is the vcsimd program: $CB_VCSIMD (make test builds it once for every package), else
// built here once per test binary. Concurrent test binaries build it side by side and rename
// into place, which replaces the file atomically.
var simBin = sync.OnceValues(func() (string, error) {
	if p := os.Getenv("CB_VCSIMD"); p != "" {
		return p, nil
	}
	dir := filepath.Join(os.TempDir(), "cloudbroker-vcsimd")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp := filepath.Join(dir, fmt.Sprintf("vcsimd-%d", os.Getpid()))
	out, err := exec.Command("go", "build", "-o", tmp, "cloudbroker/test/vcsimd").CombinedOutput()
	if err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("building the simulator's program: %v\n%s", err, out)
	}
	bin := filepath.Join(dir, "vcsimd")
	return bin, os.Rename(tmp, bin)
})
