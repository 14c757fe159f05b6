package zstack_test

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/terraform-zstack-modules/zstack-sdk-go/pkg/view"

	"cloudbroker/broker"
	"cloudbroker/drivers/kvm/kvmtest"
	"cloudbroker/test/harness"
)

// CreateVmInstance with l3NetworkUuids and defaultL3NetworkUuid through the ZStack SDK v1.0.1
// on a real libvirtd: the domain gets one virtio interface per libvirt network, the default
// first (virsh domiflist agrees), and starts; a default outside the list or an unknown L3
// network defines nothing.
func TestSDKCreateWithL3NetworksKVM(t *testing.T) {
	g := kvmtest.NewGuest(t)
	nets := []string{kvmtest.NewNetwork(t), kvmtest.NewNetwork(t)}
	const name, refused = "cloudbroker-test-made-nets", "cloudbroker-test-refused-nets"
	g.Track(name)
	g.Track(refused)
	b := startBroker(t, brokerOpts{kvm: []harness.KVMProvider{{Name: "kvm1", URI: kvmtest.URI,
		Options: map[string]string{"images_pool": g.Name, "disks_pool": g.Name}}}})
	cli := sdkClient(t, b, "admin", adminPass)
	image := broker.ImageUUID("kvm1", filepath.Join(g.Dir, g.RootVolume))
	l3 := []string{l3UUID("kvm1", nets[0]), l3UUID("kvm1", nets[1])}

	p := createParams(name, image)
	p.Params.Strategy = "InstantStart"
	p.Params.L3NetworkUuids, p.Params.DefaultL3NetworkUuid = l3, l3[1]
	vm, err := cli.CreateVmInstance(p)
	if err != nil {
		t.Fatalf("CreateVmInstance: %v", err)
	}
	want := []string{l3[1], l3[0]}
	if diff := cmp.Diff(want, nicL3s(vm)); diff != "" || vm.DefaultL3NetworkUUID != l3[1] || vm.State != "Running" {
		t.Errorf("the answer's vmNics' l3NetworkUuids (-want +got):\n%s\ndefaultL3NetworkUuid %s (want %s), state %s", diff, vm.DefaultL3NetworkUUID, l3[1], vm.State)
	}
	wantIfaces := []kvmtest.Iface{{Type: "network", Source: nets[1], Model: "virtio"}, {Type: "network", Source: nets[0], Model: "virtio"}}
	if diff := cmp.Diff(wantIfaces, kvmtest.VirshIfaces(t, name)); diff != "" {
		t.Errorf("virsh domiflist %s (-want +got):\n%s", name, diff)
	}
	queryUntil(t, cli, vm.UUID, "the created VM listed with its L3 networks", func(got *view.VmInstanceInventoryView) bool {
		return got != nil && cmp.Equal(want, nicL3s(got)) && got.DefaultL3NetworkUUID == l3[1]
	})

	admin := login(t, b, "admin", adminPass)
	for _, tc := range []struct {
		why      string
		nets     []string
		def      string
		mentions string
	}{
		{"a default outside l3NetworkUuids", l3[:1], l3[1], "defaultL3NetworkUuid"},
		{"an unknown L3 network", []string{l3[0], l3UUID("kvm1", "no-such-net")}, "", l3UUID("kvm1", "no-such-net")},
	} {
		body := map[string]any{"params": map[string]any{"name": refused, "imageUuid": image, "cpuNum": 1, "memorySize": 64 << 20,
			"l3NetworkUuids": tc.nets, "defaultL3NetworkUuid": tc.def}}
		if res := call(t, b, http.MethodPost, "/zstack/v1/vm-instances", admin, body); res.Code != http.StatusBadRequest || !strings.Contains(string(res.Body), tc.mentions) {
			t.Errorf("%s: %d %s, want 400 naming %s", tc.why, res.Code, res.Body, tc.mentions)
		}
	}
	if kvmtest.VirshQuiet("dominfo", refused) {
		t.Error("virsh finds a domain made by the refused create")
	}
}
