package zstack_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/terraform-zstack-modules/zstack-sdk-go/pkg/view"

	"cloudbroker/broker"
	"cloudbroker/drivers/vcenter/vcsim"
	"cloudbroker/test/govctest"
)

// l3UUID is the L3 network uuid of a provider's network, as L3 network queries list it.
func l3UUID(provider, network string) string {
	return broker.DerivedUUID("l3", provider, network)
}

// nicL3s are a VM inventory's vmNics' l3NetworkUuids, in order.
func nicL3s(vm *view.VmInstanceInventoryView) []string {
	var out []string
	for _, n := range vm.VMNics {
		out = append(out, n.L3NetworkUUID)
	}
	return out
}

// CreateVmInstance with l3NetworkUuids and defaultL3NetworkUuid through the ZStack SDK v1.0.1
// on vCenter: the VM gets one NIC per L3 network, the default first (the template's E1000 is
// reused, a vmxnet3 added), in the answer, the listing and govc's device.info.
func TestSDKCreateWithL3NetworksVCenter(t *testing.T) {
	b := startBroker(t, brokerOpts{templates: map[int][]vcsim.Template{0: {{Source: "DC0_H0_VM1", Name: "tpl-nets"}}}})
	image := broker.ImageUUID("vc1", b.TemplateIDs[0]["tpl-nets"])
	cli := sdkClient(t, b, "admin", adminPass)
	std, pg := l3UUID("vc1", "VM Network"), l3UUID("vc1", "DC0_DVPG0")

	p := createParams("made-nets", image)
	p.Params.L3NetworkUuids = []string{std, pg}
	p.Params.DefaultL3NetworkUuid = pg
	vm, err := cli.CreateVmInstance(p)
	if err != nil {
		t.Fatalf("CreateVmInstance: %v", err)
	}
	want := []string{pg, std}
	if diff := cmp.Diff(want, nicL3s(vm)); diff != "" || vm.DefaultL3NetworkUUID != pg {
		t.Errorf("the answer's vmNics' l3NetworkUuids (-want +got):\n%s\ndefaultL3NetworkUuid %s, want %s", diff, vm.DefaultL3NetworkUUID, pg)
	}
	wantNICs := []govctest.NIC{{Type: "VirtualE1000", Network: "DC0_DVPG0"}, {Type: "VirtualVmxnet3", Network: "VM Network"}}
	if diff := cmp.Diff(wantNICs, govctest.NICs(t, b.Sims[0].URL().String(), "made-nets")); diff != "" {
		t.Errorf("govc device.info's NICs (-want +got):\n%s", diff)
	}
	queryUntil(t, cli, vm.UUID, "the created VM listed with its L3 networks", func(got *view.VmInstanceInventoryView) bool {
		return got != nil && cmp.Equal(want, nicL3s(got)) && got.DefaultL3NetworkUUID == pg
	})
}
