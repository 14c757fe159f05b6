package drivertest

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

// testCreateNetworks: a VM made with CreateSpec.Networks has one NIC per network, in order,
// as the listing names them; an unknown network fails with model.ErrNotFound and makes nothing.
func testCreateNetworks(ctx context.Context, t *testing.T, f Fixture) {
	c := f.Open(t)
	nl, ok := c.(drivers.NetworkLister)
	if !ok {
		t.Skip("the driver lists no networks: a create cannot name one")
	}
	nets, err := nl.ListNetworks(ctx)
	if err != nil || len(nets) == 0 {
		t.Fatalf("ListNetworks = %v, %v: the fixture needs a network", nets, err)
	}
	// The last network first, so the order is not the listing's.
	want := []string{nets[len(nets)-1].Name}
	if len(nets) > 1 {
		want = append(want, nets[0].Name)
	}
	cr := c.(drivers.Creator)
	spec := drivers.CreateSpec{Name: "drivertest-nets", Image: f.Image, CPUs: 1, MemoryMB: 256, Networks: want}
	vm, err := cr.Create(ctx, spec)
	if err != nil {
		t.Fatalf("Create with networks %q: %v", want, err)
	}
	got, _ := listed(ctx, t, c, vm.NativeID)
	var names []string
	for _, n := range got.NICs {
		names = append(names, n.Network)
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("the listed VM's NICs' networks (-want +got):\n%s", diff)
	}
	bad := spec
	bad.Name, bad.Networks = "drivertest-nets-2", []string{want[0], "no-such-network-0000"}
	if _, err := cr.Create(ctx, bad); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("Create on an unknown network: %v, want model.ErrNotFound", err)
	}
	vms, _ := c.(drivers.VMLister).ListVMs(ctx)
	for _, v := range vms {
		if v.Name == bad.Name {
			t.Errorf("a refused Create left VM %+v", v)
		}
	}
}
