package kvm_test

import (
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"cloudbroker/drivers/kvm"
	"cloudbroker/drivers/kvm/kvmtest"
)

// TestResourcesSystemDaemon: on the system daemon, a network and a pool defined with virsh
// (another client) are listed as virsh lists them, and the host reports its real architecture.
func TestResourcesSystemDaemon(t *testing.T) {
	requireDaemon(t, "virsh")
	c := openURI(t, kvmtest.URI)
	name := "cb-res-" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
	netXML := filepath.Join(t.TempDir(), "net.xml")
	if err := os.WriteFile(netXML, []byte("<network><name>"+name+"</name><ip address='10.77.0.1' prefix='24'/></network>"), 0o644); err != nil {
		t.Fatal(err)
	}
	kvmtest.Virsh(t, "net-define", netXML)
	t.Cleanup(func() { kvmtest.VirshQuiet("net-undefine", name) })
	dir := t.TempDir()
	kvmtest.Virsh(t, "pool-define-as", name, "dir", "--target", dir)
	t.Cleanup(func() { kvmtest.VirshQuiet("pool-destroy", name); kvmtest.VirshQuiet("pool-undefine", name) })
	kvmtest.Virsh(t, "pool-start", name)

	nets, err := c.ListNetworks(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, n := range nets {
		listed = append(listed, n.Name)
		if n.Name == name && (n.Active || n.Type != "isolated" || n.CIDR != "10.77.0.0/24" || n.Gateway != "10.77.0.1") {
			t.Errorf("network %+v, want an inactive isolated 10.77.0.0/24", n)
		}
	}
	if want := strings.Fields(kvmtest.Virsh(t, "net-list", "--all", "--name")); !sameSet(want, listed) {
		t.Errorf("ListNetworks names %v, virsh net-list --all %v", listed, want)
	}

	pools, err := c.ListStorage(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	listed = nil
	for _, p := range pools {
		listed = append(listed, p.Name)
		if p.Name != name {
			continue
		}
		info := virshInfo(kvmtest.Virsh(t, "pool-info", "--bytes", name))
		if !p.Active || p.Type != "dir" || p.URL != dir || p.CapacityBytes <= 0 || info["Capacity"] != strconv.FormatInt(p.CapacityBytes, 10) {
			t.Errorf("pool %+v, virsh pool-info %v", p, info)
		}
	}
	if want := strings.Fields(kvmtest.Virsh(t, "pool-list", "--all", "--name")); !sameSet(want, listed) {
		t.Errorf("ListStorage names %v, virsh pool-list --all %v", listed, want)
	}

	hosts, err := c.ListHosts(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	arch, err := exec.Command("uname", "-m").Output()
	if err != nil {
		t.Fatal(err)
	}
	if h := hosts[0]; h.Architecture != strings.TrimSpace(string(arch)) || h.ManagementIP != "127.0.0.1" || h.Status != "Connected" {
		t.Errorf("host %+v, want architecture %s at 127.0.0.1, connected", h, arch)
	}
}

// TestManagementIPOfTCPURI: a host reached over tcp is managed at the URI's host.
func TestManagementIPOfTCPURI(t *testing.T) {
	requireDaemon(t)
	l, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go forwardToDaemon(l)
	c := openURI(t, "test+tcp://"+l.Addr().String()+"/default")
	hosts, err := c.ListHosts(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := hosts[0].ManagementIP; got != "127.0.0.2" {
		t.Errorf("ManagementIP = %q, want the URI's host 127.0.0.2", got)
	}
}

// forwardToDaemon pipes every connection l accepts to the system daemon's socket (a libvirtd
// listening on tcp, without setting one up).
func forwardToDaemon(l net.Listener) {
	for {
		in, err := l.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("unix", kvm.DefaultSocket)
		if err != nil {
			in.Close()
			continue
		}
		go func() { io.Copy(out, in); out.Close() }()
		go func() { io.Copy(in, out); in.Close() }()
	}
}

func sameSet(a, b []string) bool {
	set := map[string]bool{}
	for _, s := range a {
		set[s] = true
	}
	for _, s := range b {
		if !set[s] {
			return false
		}
		delete(set, s)
	}
	return len(set) == 0
}
