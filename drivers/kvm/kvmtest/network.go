package kvmtest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// NewNetwork makes a libvirt network for guests' NICs on the system daemon and returns its
// name (cloudbroker-test-net-*): a Linux bridge of its own and a transient network forwarding
// onto it (mode bridge, so libvirt applies no firewall rules, which need iptables). Both are
// removed at cleanup. It needs root (ip link), libvirtd and virsh.
func NewNetwork(t testing.TB) string {
	t.Helper()
	RequireDaemon(t, "virsh", "ip")
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	name, bridge := "cloudbroker-test-net-"+id, "cbt"+id // a bridge name has at most 15 bytes
	Run(t, "ip", "link", "add", "name", bridge, "type", "bridge")
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", bridge).Run() })
	Run(t, "ip", "link", "set", bridge, "up")
	netXML := filepath.Join(t.TempDir(), "network.xml")
	x := "<network><name>" + name + "</name><forward mode='bridge'/><bridge name='" + bridge + "'/></network>"
	if err := os.WriteFile(netXML, []byte(x), 0o644); err != nil {
		t.Fatal(err)
	}
	Virsh(t, "net-create", netXML) // transient: gone once destroyed
	t.Cleanup(func() { VirshQuiet("net-destroy", name) })
	return name
}

// Iface is one interface of a domain as `virsh domiflist` lists it.
type Iface struct{ Type, Source, Model string }

// VirshIfaces reads `virsh domiflist --inactive` of a domain, in its interfaces' order: the
// definition (a running domain's live XML shows a NIC on a bridge-mode network as type bridge).
func VirshIfaces(t testing.TB, dom string) []Iface {
	t.Helper()
	out := []Iface{}
	rows := false
	for _, l := range strings.Split(Virsh(t, "domiflist", "--inactive", dom), "\n") {
		f := strings.Fields(l)
		switch {
		case strings.HasPrefix(strings.TrimSpace(l), "---"):
			rows = true
		case rows && len(f) >= 4:
			out = append(out, Iface{Type: f[1], Source: f[2], Model: f[3]})
		}
	}
	return out
}
