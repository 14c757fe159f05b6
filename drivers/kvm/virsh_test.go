package kvm_test

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// virsh runs virsh against the system daemon: the independent client the real-QEMU suite
// cross-checks the driver with, and uses for setup and cleanup.
func virsh(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("virsh", append([]string{"-c", "qemu:///system"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("virsh %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// virshQuiet is virsh for cleanup: failures (already gone) are ignored.
func virshQuiet(args ...string) {
	_ = exec.Command("virsh", append([]string{"-c", "qemu:///system"}, args...)...).Run()
}

// blkRow is one disk as virsh sees it: what the cross-check compares.
type blkRow struct {
	Target, Source string
	CapacityBytes  int64
}

// virshDisks reads `virsh domblklist --details` (disks only, no cdroms) and each source's
// capacity from `virsh vol-info --bytes`.
func virshDisks(t *testing.T, dom, pool string) []blkRow {
	t.Helper()
	var rows []blkRow
	lines := strings.Split(virsh(t, "domblklist", "--details", dom), "\n")
	for _, line := range lines[min(2, len(lines)):] { // header and rule
		f := strings.Fields(line)
		if len(f) != 4 || f[1] != "disk" {
			continue
		}
		r := blkRow{Target: f[2], Source: f[3]}
		if f[0] == "volume" {
			r.CapacityBytes = volCapacity(t, "--pool", pool, f[3])
		} else {
			r.CapacityBytes = volCapacity(t, f[3])
		}
		rows = append(rows, r)
	}
	return rows
}

func volCapacity(t *testing.T, vol ...string) int64 {
	t.Helper()
	for _, line := range strings.Split(virsh(t, append([]string{"vol-info", "--bytes"}, vol...)...), "\n") {
		if v, ok := strings.CutPrefix(line, "Capacity:"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " bytes"), 10, 64)
			if err != nil {
				t.Fatalf("vol-info %v: %q: %v", vol, line, err)
			}
			return n
		}
	}
	t.Fatalf("vol-info %v: no Capacity line", vol)
	return 0
}
