// Package kvmtest holds what tests against a real libvirtd share: the daemon check (a failure in
// CI, a skip elsewhere), virsh as the independent client that cross-checks the driver, and a
// tiny QEMU guest (TCG, no OS: it sits in the BIOS) with everything it makes removed at cleanup.
//
// It is imported by tests only (drivers/kvm's and test/'s); nothing in the product uses it.
package kvmtest

import (
	"encoding/json"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"cloudbroker/drivers/kvm"
	"cloudbroker/test/ci"
)

// URI is the system daemon every helper here talks to.
const URI = "qemu:///system"

// RequireDaemon skips the test when no libvirtd answers on the system socket (or a tool the
// test runs is missing), and fails it in CI (CI=true), where a skip would hide the KVM tests
// for good.
func RequireDaemon(t testing.TB, tools ...string) {
	t.Helper()
	msg := ""
	if c, err := net.DialTimeout("unix", kvm.DefaultSocket, 2*time.Second); err != nil {
		msg = "no libvirtd on " + kvm.DefaultSocket + " (" + err.Error() + ")"
	} else {
		c.Close()
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil && msg == "" {
			msg = tool + " not installed"
		}
	}
	if msg == "" {
		return
	}
	ci.Missing(t, msg+": run test/scripts/libvirtd.sh as root to install and start libvirtd")
}

// Virsh runs virsh against the system daemon and returns its trimmed output; a failure fails
// the test.
func Virsh(t testing.TB, args ...string) string {
	t.Helper()
	out, err := execVirsh(args...).CombinedOutput()
	if err != nil {
		t.Fatalf("virsh %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// VirshQuiet is Virsh for cleanup: it reports whether virsh succeeded and never fails the test
// (the thing may be gone already).
func VirshQuiet(args ...string) bool {
	return execVirsh(args...).Run() == nil
}

// VirshOutput runs virsh against the system daemon and returns its standard output and error,
// for a check that expects virsh to fail (a domain that must be gone, a missing metadata
// element).
func VirshOutput(args ...string) (string, error) {
	out, err := execVirsh(args...).Output()
	return string(out), err
}

func execVirsh(args ...string) *exec.Cmd {
	return exec.Command("virsh", append([]string{"-c", URI}, args...)...)
}

// BlkRow is one disk as virsh sees it: what cross-checks compare.
type BlkRow struct {
	Target string
	// Source is the file path, or the volume name for a disk of type volume.
	Source        string
	CapacityBytes int64
}

// VirshDisks reads `virsh domblklist --details` (disks only, no cdroms) and each source's
// capacity from `virsh vol-info --bytes`; volume disks are looked up in pool.
func VirshDisks(t testing.TB, dom, pool string) []BlkRow {
	t.Helper()
	rows := DomBlkList(t, URI, dom)
	for i, r := range rows {
		if filepath.IsAbs(r.Source) {
			rows[i].CapacityBytes = VolCapacity(t, r.Source)
		} else { // a volume disk: domblklist shows the volume's name
			rows[i].CapacityBytes = VolCapacity(t, "--pool", pool, r.Source)
		}
	}
	return rows
}

// DomBlkList reads `virsh -c uri domblklist --details dom`: targets and sources of the disks
// (no cdroms), capacity left 0. uri may be any daemon's (a test:/// node file's too).
func DomBlkList(t testing.TB, uri, dom string) []BlkRow {
	t.Helper()
	var rows []BlkRow
	lines := strings.Split(strings.TrimSpace(Run(t, "virsh", "-c", uri, "domblklist", "--details", dom)), "\n")
	for _, line := range lines[min(2, len(lines)):] { // header and rule
		f := strings.Fields(line)
		if len(f) != 4 || f[1] != "disk" {
			continue
		}
		rows = append(rows, BlkRow{Target: f[2], Source: f[3]})
	}
	return rows
}

// VolCapacity is the Capacity line of `virsh vol-info --bytes <vol...>`.
func VolCapacity(t testing.TB, vol ...string) int64 {
	t.Helper()
	for _, line := range strings.Split(Virsh(t, append([]string{"vol-info", "--bytes"}, vol...)...), "\n") {
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

// DomState is `virsh domstate` ("running", "shut off", ...).
func DomState(t testing.TB, dom string) string {
	t.Helper()
	return Virsh(t, "domstate", dom)
}

// Run runs a command and returns its combined output; a failure fails the test.
func Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// QemuImgFormat asks qemu-img for an image's format (-U: a running guest may hold its lock).
func QemuImgFormat(t testing.TB, path string) string {
	t.Helper()
	var info struct {
		Format string `json:"format"`
	}
	out := Run(t, "qemu-img", "info", "-U", "--output=json", path)
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("qemu-img info %s: %v", path, err)
	}
	return info.Format
}
