package zstack_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/terraform-zstack-modules/zstack-sdk-go/pkg/param"
	"github.com/terraform-zstack-modules/zstack-sdk-go/pkg/view"

	"cloudbroker/broker"
	"cloudbroker/drivers/kvm/kvmtest"
	"cloudbroker/test/harness"
)

// The VM lifecycle through the ZStack SDK v1.0.1 on a real libvirtd (a QEMU/TCG guest's pool
// holds the image), cross-checked with virsh: create from an image volume (a copy of it and a
// domain defined on it, started), destroy (kept, off, marked in its metadata), recover,
// destroy again, expunge (domain and disk gone).
func TestSDKCreateDestroyRecoverExpungeKVM(t *testing.T) {
	g := kvmtest.NewGuest(t)
	const name = "cloudbroker-test-made"
	g.Track(name)
	b := startBroker(t, brokerOpts{kvm: []harness.KVMProvider{{Name: "kvm1", URI: kvmtest.URI,
		Options: map[string]string{"images_pool": g.Name, "disks_pool": g.Name}}}})
	cli := sdkClient(t, b, "admin", adminPass)
	image := broker.ImageUUID("kvm1", filepath.Join(g.Dir, g.RootVolume))

	p := createParams(name, image)
	p.Params.Strategy = "InstantStart"
	vm, err := cli.CreateVmInstance(p)
	if err != nil {
		t.Fatalf("CreateVmInstance: %v", err)
	}
	if vm.State != "Running" || vm.HypervisorType != "KVM" || vm.ImageUUID != image || vm.Description != "made through the SDK" || vm.CPUNum != 2 || vm.MemorySize != 256<<20 {
		t.Errorf("CreateVmInstance answer: %+v", vm)
	}
	info := kvmtest.Virsh(t, "dominfo", name)
	for _, want := range []string{"State:          running", "CPU(s):         2", "Max memory:     262144 KiB"} {
		if !strings.Contains(info, want) {
			t.Errorf("virsh dominfo %s lacks %q:\n%s", name, want, info)
		}
	}
	if got := kvmtest.Virsh(t, "desc", name); got != "made through the SDK" {
		t.Errorf("virsh desc = %q", got)
	}
	if vols := kvmtest.Virsh(t, "vol-list", "--pool", g.Name); !strings.Contains(vols, name+"-vda.qcow2") {
		t.Errorf("the root disk copy is not in pool %s:\n%s", g.Name, vols)
	}

	destroyedMark := func() string {
		out, _ := virshMetadata(name)
		return out
	}
	if err := cli.DestroyVmInstance(vm.UUID, param.DeleteModePermissive); err != nil {
		t.Fatalf("DestroyVmInstance: %v", err)
	}
	if st := kvmtest.Virsh(t, "domstate", name); st != "shut off" || !strings.Contains(destroyedMark(), "destroyed") {
		t.Errorf("after destroy virsh says %q, metadata %q; want it kept, shut off and marked", st, destroyedMark())
	}
	queryUntil(t, cli, vm.UUID, "the VM kept as Destroyed", func(got *view.VmInstanceInventoryView) bool {
		return got != nil && got.State == "Destroyed"
	})
	var recovered view.VmInstanceInventoryView
	if err := cli.Put("v1/vm-instances", vm.UUID, map[string]struct{}{"recoverVmInstance": {}}, &recovered); err != nil || recovered.State != "Stopped" {
		t.Fatalf("RecoverVmInstance: %+v, %v", recovered, err)
	}
	if strings.Contains(destroyedMark(), "destroyed") {
		t.Errorf("after recover the destroyed mark is still there: %q", destroyedMark())
	}
	// startVmInstance's hostUuid: the one host of the connection is honoured.
	if vm.HostUUID == "" {
		t.Fatal("the KVM VM has no hostUuid")
	}
	started, err := cli.StartVmInstance(vm.UUID, &param.StartVmInstanceParam{StartVmInstance: param.StartVmInstanceDetailParam{HostUuid: vm.HostUUID}})
	if err != nil || started.State != "Running" || started.HostUUID != vm.HostUUID {
		t.Fatalf("StartVmInstance(hostUuid): %+v, %v", started, err)
	}
	if st := kvmtest.Virsh(t, "domstate", name); st != "running" {
		t.Errorf("virsh domstate after start = %q, want running", st)
	}
	if err := cli.DestroyVmInstance(vm.UUID, param.DeleteModePermissive); err != nil {
		t.Fatalf("DestroyVmInstance: %v", err)
	}
	if err := cli.ExpungeVmInstance(vm.UUID); err != nil {
		t.Fatalf("ExpungeVmInstance: %v", err)
	}
	if kvmtest.VirshQuiet("dominfo", name) {
		t.Error("virsh still finds the expunged domain")
	}
	if vols := kvmtest.Virsh(t, "vol-list", "--pool", g.Name); strings.Contains(vols, name+"-vda") {
		t.Errorf("the expunged VM's disk is still in pool %s:\n%s", g.Name, vols)
	}
	queryUntil(t, cli, vm.UUID, "the expunged VM gone from the listing", func(got *view.VmInstanceInventoryView) bool { return got == nil })
}

// virshMetadata reads the broker's destroyed mark with virsh metadata ("" when there is none).
func virshMetadata(dom string) (string, error) {
	out, err := kvmtest.VirshOutput("metadata", dom, "--uri", "https://cloudbroker.dev/xmlns/libvirt/destroyed/1", "--config")
	return strings.TrimSpace(out), err
}
