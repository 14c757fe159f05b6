package kvm_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
	"cloudbroker/drivers/kvm"
	"cloudbroker/drivers/kvm/kvmtest"
)

// TestCreateNetworksQEMU: on the system libvirtd, CreateSpec.Networks give the new domain one
// virtio interface per libvirt network, in order (the listing and virsh domiflist agree), and
// it starts; an unknown network fails with model.ErrNotFound, leaving no domain and no disk.
func TestCreateNetworksQEMU(t *testing.T) {
	g := kvmtest.NewGuest(t)
	nets := []string{kvmtest.NewNetwork(t), kvmtest.NewNetwork(t)}
	name := g.Name + "-nets"
	g.Track(name)
	c, err := drivers.Open(ctx(t), "kvm", drivers.Config{Name: "qemu-lab", URL: kvmtest.URI,
		Options: map[string]string{kvm.OptImagesPool: g.Name, kvm.OptDisksPool: g.Name}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	cr := c.(drivers.Creator)
	spec := drivers.CreateSpec{Name: name, Image: filepath.Join(g.Dir, g.RootVolume), CPUs: 1, MemoryMB: 64, Networks: []string{nets[1], nets[0]}, PowerOn: true}
	vm, err := cr.Create(ctx(t), spec)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	var listed []string
	for _, n := range vm.NICs {
		listed = append(listed, n.Network)
	}
	if diff := cmp.Diff(spec.Networks, listed); diff != "" {
		t.Errorf("the created VM's NICs' networks (-want +got):\n%s", diff)
	}
	want := []kvmtest.Iface{{Type: "network", Source: nets[1], Model: "virtio"}, {Type: "network", Source: nets[0], Model: "virtio"}}
	if diff := cmp.Diff(want, kvmtest.VirshIfaces(t, name)); diff != "" {
		t.Errorf("virsh domiflist %s (-want +got):\n%s", name, diff)
	}
	if st := kvmtest.DomState(t, name); st != "running" {
		t.Errorf("virsh domstate %s = %q, want running", name, st)
	}

	bad := spec
	bad.Name, bad.Networks = g.Name+"-nets-2", []string{nets[0], "no-such-network"}
	g.Track(bad.Name)
	if _, err := cr.Create(ctx(t), bad); !errors.Is(err, model.ErrNotFound) || !strings.Contains(err.Error(), "no-such-network") {
		t.Errorf("Create on an unknown network: %v, want model.ErrNotFound naming it", err)
	}
	if kvmtest.VirshQuiet("dominfo", bad.Name) {
		t.Error("virsh finds the refused VM's domain")
	}
	if vols := kvmtest.Virsh(t, "vol-list", "--pool", g.Name); strings.Contains(vols, bad.Name) {
		t.Errorf("the refused VM left a disk in pool %s:\n%s", g.Name, vols)
	}
}
