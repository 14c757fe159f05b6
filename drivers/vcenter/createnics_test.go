package vcenter_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
	"cloudbroker/drivers/vcenter/vcsim"
	"cloudbroker/test/govctest"
)

// TestCreateNetworks: CreateSpec.Networks leave the clone exactly one NIC per network, in
// order, reusing the template's cards (DC0_H0_VM1 has one E1000 on the port group DC0_DVPG0),
// adding vmxnet3 cards and removing surplus ones; govc reads the same backings.
func TestCreateNetworks(t *testing.T) {
	tests := []struct {
		name     string
		extraNIC bool // the template gets a second card, on "VM Network"
		networks []string
		want     []govctest.NIC
	}{
		{"template's own", false, nil, []govctest.NIC{{Type: "VirtualE1000", Network: "DC0_DVPG0"}}},
		{"port group to standard", false, []string{"VM Network"}, []govctest.NIC{{Type: "VirtualE1000", Network: "VM Network"}}},
		{"one added", false, []string{"VM Network", "DC0_DVPG0"}, []govctest.NIC{{Type: "VirtualE1000", Network: "VM Network"}, {Type: "VirtualVmxnet3", Network: "DC0_DVPG0"}}},
		{"surplus removed", true, []string{"DC0_DVPG0"}, []govctest.NIC{{Type: "VirtualE1000", Network: "DC0_DVPG0"}}},
		{"both reused", true, []string{"VM Network", "DC0_DVPG0"}, []govctest.NIC{{Type: "VirtualE1000", Network: "VM Network"}, {Type: "VirtualVmxnet3", Network: "DC0_DVPG0"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := startSim(t)
			url := sim.URL().String()
			if tt.extraNIC {
				govc(t, govctest.Path(t), sim, "vm.network.add", "-vm", "DC0_H0_VM1", "-net", "VM Network", "-net.adapter", "vmxnet3")
			}
			tpl, err := sim.MakeTemplate(testContext(t), vcsim.Template{Source: "DC0_H0_VM1", Name: "nics-tpl"})
			if err != nil {
				t.Fatal(err)
			}
			c := openConn(t, sim)
			vm, err := c.Create(testContext(t), drivers.CreateSpec{Name: "nics", Image: tpl, CPUs: 1, MemoryMB: 128, Networks: tt.networks})
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			got := govctest.NICs(t, url, "nics")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("govc device.info's NICs (-want +got):\n%s", diff)
			}
			var want, listed []string
			for _, n := range tt.want {
				want = append(want, n.Network)
			}
			for _, n := range vm.NICs {
				listed = append(listed, n.Network)
			}
			if diff := cmp.Diff(want, listed); diff != "" {
				t.Errorf("the created VM's NICs' networks (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCreateUnknownNetwork: a network the vCenter does not have fails with model.ErrNotFound,
// naming it, and clones nothing.
func TestCreateUnknownNetwork(t *testing.T) {
	sim := startSim(t)
	tpl := makeImage(t, sim)
	c := openConn(t, sim)
	_, err := c.Create(testContext(t), drivers.CreateSpec{Name: "nics", Image: tpl, CPUs: 1, MemoryMB: 128, Networks: []string{"VM Network", "no-such-net"}})
	if !errors.Is(err, model.ErrNotFound) || !strings.Contains(fmt.Sprint(err), "no-such-net") {
		t.Errorf("Create: %v, want model.ErrNotFound naming no-such-net", err)
	}
	if info := govctest.VMInfo(t, sim.URL().String(), "nics"); info != nil {
		t.Errorf("govc vm.info finds the refused VM: %+v", info)
	}
}
