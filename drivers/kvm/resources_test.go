package kvm_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
	"cloudbroker/drivers/kvm"
	"cloudbroker/drivers/kvm/kvmtest"
)

// Networks the test defines beside the fixture's: an isolated one with a prefix, never started,
// and a routed one, started.
const (
	isolatedNet = `<network><name>lab-isolated</name><uuid>11111111-2222-4333-8444-555555555555</uuid>
  <bridge name='virbr9'/><ip address='10.9.0.1' prefix='24'/></network>`
	routedNet = `<network><name>lab-routed</name><uuid>11111111-2222-4333-8444-666666666666</uuid>
  <forward mode='route'/><bridge name='virbr8'/>
  <ip address='10.8.0.254' netmask='255.255.0.0'><dhcp><range start='10.8.1.1' end='10.8.1.9'/><range start='10.8.2.1' end='10.8.2.9'/></dhcp></ip></network>`
	// bridgedVM is plugged into the default network's bridge directly.
	bridgedVM = `<domain type='test'><name>bridged-1</name><memory unit='MiB'>64</memory>
  <os><type arch='x86_64'>hvm</type></os>
  <devices><interface type='bridge'><mac address='52:54:00:aa:bb:cc'/><source bridge='virbr0'/></interface></devices></domain>`
)

// TestListNetworks: libvirt networks, active or not, with forward mode and IPv4 addressing; a
// NIC on a network's bridge names the network. The fixture's part is cross-checked with virsh.
func TestListNetworks(t *testing.T) {
	requireDaemon(t, "virsh")
	uri := nodeURI(t)
	c := openURI(t, uri)
	fixture := listNetworks(t, c)
	var virsh []model.Network
	for _, name := range strings.Fields(kvmtest.Run(t, "virsh", "-c", uri, "net-list", "--all", "--name")) {
		info := virshInfo(kvmtest.Run(t, "virsh", "-c", uri, "net-info", name))
		virsh = append(virsh, model.Network{Name: name, NativeID: info["UUID"], Active: info["Active"] == "yes"})
	}
	names := cmp.Transformer("identity", func(n model.Network) model.Network {
		return model.Network{Name: n.Name, NativeID: n.NativeID, Active: n.Active}
	})
	if diff := cmp.Diff(virsh, fixture, names); diff != "" {
		t.Errorf("ListNetworks vs virsh net-list/net-info (-want +got):\n%s", diff)
	}

	lv, err := kvm.Libvirt(ctx(t), c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lv.NetworkDefineXML(isolatedNet); err != nil {
		t.Fatal(err)
	}
	if _, err := lv.NetworkCreateXML(routedNet); err != nil {
		t.Fatal(err)
	}
	if _, err := lv.DomainDefineXML(bridgedVM); err != nil {
		t.Fatal(err)
	}
	want := []model.Network{
		{Provider: "lab", NativeID: "004b96e1-2d78-c30f-5aa5-f03c87d21e69", Name: "default", Type: "nat",
			CIDR: "192.168.122.0/24", Gateway: "192.168.122.1", RangeFrom: "192.168.122.2", RangeTo: "192.168.122.254", Active: true},
		{Provider: "lab", NativeID: "11111111-2222-4333-8444-555555555555", Name: "lab-isolated", Type: "isolated",
			CIDR: "10.9.0.0/24", Gateway: "10.9.0.1"},
		{Provider: "lab", NativeID: "11111111-2222-4333-8444-666666666666", Name: "lab-routed", Type: "route",
			CIDR: "10.8.0.0/16", Gateway: "10.8.0.254", RangeFrom: "10.8.1.1", RangeTo: "10.8.1.9", Active: true},
	}
	if diff := cmp.Diff(want, listNetworks(t, c)); diff != "" {
		t.Errorf("ListNetworks (-want +got):\n%s", diff)
	}
	vms, err := c.ListVMs(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	nets := map[string][]string{}
	for _, vm := range vms {
		for _, n := range vm.NICs {
			nets[vm.Name] = append(nets[vm.Name], n.Network)
		}
	}
	if diff := cmp.Diff(map[string][]string{"web-1": {"default"}, "db-1": {""}, "bridged-1": {"default"}}, nets); diff != "" {
		t.Errorf("networks of VM NICs (-want +got):\n%s", diff)
	}
}

// TestListStorage: every pool, its type, target path and sizes, cross-checked with virsh
// pool-info, an inactive pool included.
func TestListStorage(t *testing.T) {
	requireDaemon(t, "virsh")
	uri := nodeURI(t)
	c := openURI(t, uri)
	var want []model.Storage
	for _, name := range strings.Fields(kvmtest.Run(t, "virsh", "-c", uri, "pool-list", "--all", "--name")) {
		info := virshInfo(kvmtest.Run(t, "virsh", "-c", uri, "pool-info", "--bytes", name))
		path := strings.TrimSpace(kvmtest.Run(t, "virsh", "-c", uri, "pool-dumpxml", "--xpath", "/pool/target/path/text()", name))
		typ := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(kvmtest.Run(t, "virsh", "-c", uri, "pool-dumpxml", "--xpath", "/pool/@type", name)), `type="`), `"`)
		capacity, _ := strconv.ParseInt(info["Capacity"], 10, 64)
		free, _ := strconv.ParseInt(info["Available"], 10, 64)
		want = append(want, model.Storage{Provider: "lab", NativeID: info["UUID"], Name: name, Type: typ, URL: path,
			CapacityBytes: capacity, FreeBytes: free, Active: info["State"] == "running"})
	}
	if len(want) != 2 || want[0].CapacityBytes == 0 {
		t.Fatalf("virsh lists %+v, want the fixture's two pools with sizes", want)
	}
	got, err := c.ListStorage(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListStorage vs virsh pool-info (-want +got):\n%s", diff)
	}

	lv, err := kvm.Libvirt(ctx(t), c)
	if err != nil {
		t.Fatal(err)
	}
	p, err := lv.StoragePoolLookupByName("images")
	if err != nil {
		t.Fatal(err)
	}
	if err := lv.StoragePoolDestroy(p); err != nil {
		t.Fatal(err)
	}
	got, err = c.ListStorage(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].Name != "images" || got[1].Active || got[1].URL != "/images" {
		t.Errorf("after stopping pool images, ListStorage = %+v, want it listed inactive", got)
	}
}

// openURI opens a connection to uri, closed at cleanup.
func openURI(t *testing.T, uri string) *kvm.Conn {
	t.Helper()
	c, err := drivers.Open(ctx(t), "kvm", drivers.Config{Name: "lab", URL: uri, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatalf("open %s: %v", uri, err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*kvm.Conn)
}

func listNetworks(t *testing.T, c *kvm.Conn) []model.Network {
	t.Helper()
	nets, err := c.ListNetworks(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	return nets
}

// virshInfo reads virsh's "Key:   value" lines.
func virshInfo(out string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok {
			if f := strings.Fields(v); len(f) > 0 {
				m[strings.TrimSpace(k)] = f[0]
			}
		}
	}
	return m
}
