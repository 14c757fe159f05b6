package kvmtest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// ImagesRoot is where guests' images go: QEMU runs as libvirt-qemu, which cannot enter a
// t.TempDir (0700, root's).
const ImagesRoot = "/var/lib/libvirt/images"

// Guest is a tiny QEMU guest on the system daemon, defined but not started: a 64 MiB qcow2 root
// volume on virtio (vda) and a 16 MiB raw data file on virtio-scsi (sdb), both in a transient
// dir pool of the guest's own. Pool and guest share one unique name, cloudbroker-test-*.
//
// At cleanup every domain the guest tracks (itself and the clones named with Track) is
// destroyed and undefined, every volume of its pool deleted, the pool destroyed and its
// directory removed. Gone checks afterwards that nothing is left.
type Guest struct {
	Name string // domain and pool name
	UUID string // domain UUID: the driver's native id
	Dir  string // the pool's directory
	// RootVolume and DataPath are the two disks' sources.
	RootVolume, DataPath string

	mu      sync.Mutex
	domains []string
}

// NewGuest defines a guest (see Guest). It needs libvirtd, virsh and qemu-img: see RequireDaemon.
func NewGuest(t testing.TB) *Guest {
	t.Helper()
	RequireDaemon(t, "virsh", "qemu-img")
	if err := os.MkdirAll(ImagesRoot, 0o755); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp(ImagesRoot, "cloudbroker-test-")
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last-in first-out: domains, then volumes, then the pool, then the directory.
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	g := &Guest{Name: filepath.Base(dir), Dir: dir, RootVolume: "root.qcow2", DataPath: filepath.Join(dir, "data.img")}

	Virsh(t, "pool-create-as", g.Name, "dir", "--target", dir) // transient: gone once destroyed
	t.Cleanup(func() { VirshQuiet("pool-destroy", g.Name) })
	t.Cleanup(func() { g.deleteVolumes(t) })
	Run(t, "qemu-img", "create", "-q", "-f", "qcow2", filepath.Join(dir, g.RootVolume), "64M")
	Run(t, "qemu-img", "create", "-q", "-f", "raw", g.DataPath, "16M")
	Virsh(t, "pool-refresh", g.Name)

	t.Cleanup(g.removeDomains)
	g.Track(g.Name)
	domXML := filepath.Join(t.TempDir(), "domain.xml")
	if err := os.WriteFile(domXML, []byte(GuestXML(g.Name, dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	Virsh(t, "define", domXML)
	g.UUID = Virsh(t, "domuuid", g.Name)
	return g
}

// Track adds a domain (a clone) to what cleanup destroys and undefines. Track it before
// making it, so a test that fails half-way leaves nothing behind.
func (g *Guest) Track(domain string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !slices.Contains(g.domains, domain) {
		g.domains = append(g.domains, domain)
	}
}

// Domains lists the tracked domains, the guest first.
func (g *Guest) Domains() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.domains)
}

func (g *Guest) removeDomains() {
	for _, d := range g.Domains() {
		VirshQuiet("destroy", d)
		VirshQuiet("undefine", d)
	}
}

// deleteVolumes deletes every volume of the pool (the guest's images and the clones' copies),
// so the pool is empty before it goes.
func (g *Guest) deleteVolumes(t testing.TB) {
	VirshQuiet("pool-refresh", g.Name)
	out, err := VirshOutput("vol-list", "--pool", g.Name)
	if err != nil {
		t.Logf("cleanup: listing volumes of pool %s: %v", g.Name, err)
		return
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for _, line := range lines[min(2, len(lines)):] { // header and rule; then "name path"
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		v := f[0]
		if !VirshQuiet("vol-delete", "--pool", g.Name, v) {
			t.Logf("cleanup: could not delete volume %s of pool %s", v, g.Name)
		}
	}
}

// Gone checks, after the test that made the guest has ended (its cleanups ran), that none of
// its domains, its pool or its directory is left.
func (g *Guest) Gone(t testing.TB) {
	t.Helper()
	for _, d := range g.Domains() {
		if VirshQuiet("domstate", d) {
			t.Errorf("domain %s still defined after cleanup", d)
		}
	}
	if VirshQuiet("pool-info", g.Name) {
		t.Errorf("pool %s still exists after cleanup", g.Name)
	}
	if _, err := os.Stat(g.Dir); !os.IsNotExist(err) {
		t.Errorf("directory %s still exists after cleanup (stat: %v)", g.Dir, err)
	}
}

// GuestXML is a BIOS-only TCG guest: a qcow2 volume root.qcow2 of pool name on virtio and the
// raw file dir/data.img on virtio-scsi, one user-mode NIC.
func GuestXML(name, dir string) string {
	return `<domain type='qemu'>
  <name>` + name + `</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <disk type='volume' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source pool='` + name + `' volume='root.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='` + filepath.Join(dir, "data.img") + `'/>
      <target dev='sdb' bus='scsi'/>
    </disk>
    <controller type='scsi' model='virtio-scsi'/>
    <interface type='user'><model type='virtio'/></interface>
  </devices>
</domain>
`
}
