package kvm_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
	"cloudbroker/drivers/kvm"
	"cloudbroker/drivers/kvm/kvmtest"
)

// TestQEMUGuest runs a real TCG guest (no OS: it sits in the BIOS) on the system daemon: start
// it, read its disks through the driver and cross-check them with virsh and qemu-img, clone it,
// start the clone. Everything it makes is named cloudbroker-test-* and removed at cleanup.
func TestQEMUGuest(t *testing.T) {
	g := kvmtest.NewGuest(t)
	name, dir, id := g.Name, g.Dir, g.UUID // pool and guest share the unique name
	clone := name + "-clone"
	g.Track(clone)

	c, err := drivers.Open(ctx(t), "kvm", drivers.Config{
		Name: "qemu-lab", URL: "qemu:///system", Options: map[string]string{kvm.OptImagesPool: name},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	k := c.(*kvm.Conn)

	if err := k.SetPower(ctx(t), id, model.PowerOn); err != nil {
		t.Fatalf("start guest: %v", err)
	}
	vm := vmByID(t, k, id)
	if vm.PowerState != model.PoweredOn || vm.CPUs != 1 || vm.MemoryMB != 64 || vm.Name != name {
		t.Errorf("guest = %+v, want %s running with 1 vcpu and 64 MB", vm, name)
	}
	if got := kvmtest.Virsh(t, "domstate", name); got != "running" {
		t.Errorf("virsh domstate %s = %q, want running", name, got)
	}
	src := crossCheckDisks(t, k, id, name)

	// QEMU holds a write lock on a running guest's images: the clone must say to stop it first.
	if _, err := k.Clone(ctx(t), id, drivers.CloneSpec{Name: clone, Full: true}); !errors.Is(err, model.ErrConflict) {
		t.Fatalf("Clone of a running guest error = %v, want ErrConflict", err)
	}
	if err := k.SetPower(ctx(t), id, model.PowerOff); err != nil {
		t.Fatalf("stop guest: %v", err)
	}
	var progress []int
	cl, err := k.Clone(ctx(t), id, drivers.CloneSpec{
		Name: clone, Full: true, PowerOn: true, Progress: func(p int) { progress = append(progress, p) },
	})
	if err != nil {
		t.Fatalf("Clone: %v", err)
	}
	if len(progress) < 2 || progress[0] != 0 || progress[len(progress)-1] != 100 {
		t.Errorf("progress = %v, want 0 ... 100", progress)
	}
	if cl.Name != clone || cl.NativeID == id || cl.PowerState != model.PoweredOn {
		t.Errorf("clone = %+v, want a running VM %s", cl, clone)
	}
	if got := kvmtest.Virsh(t, "domstate", clone); got != "running" {
		t.Errorf("virsh domstate %s = %q, want running", clone, got)
	}
	if len(cl.NICs) != 1 || cl.NICs[0].MAC == vm.NICs[0].MAC || !strings.HasPrefix(cl.NICs[0].MAC, "52:54:00:") {
		t.Errorf("clone NICs %+v, want one with a new 52:54:00 MAC (source %+v)", cl.NICs, vm.NICs)
	}
	got := crossCheckDisks(t, k, cl.NativeID, name)
	want := []string{name + "/" + clone + "-vda.qcow2", filepath.Join(dir, clone+"-sdb.img")}
	var files []string
	for i, d := range got {
		files = append(files, d.FileName)
		if d.CapacityBytes != src[i].CapacityBytes || d.Format != src[i].Format {
			t.Errorf("clone disk %s = %+v, want the size and format of %+v", d.Target, d, src[i])
		}
	}
	if diff := cmp.Diff(want, files); diff != "" {
		t.Errorf("clone disk files mismatch (-want +got):\n%s", diff)
	}

	checkQEMUImages(t, k, dir)
	checkQEMUHost(t, k)
}

// crossCheckDisks compares the driver's disks with virsh domblklist / vol-info and qemu-img.
func crossCheckDisks(t *testing.T, k *kvm.Conn, id, pool string) []model.Disk {
	t.Helper()
	disks, err := k.ListDisks(ctx(t), id)
	if err != nil {
		t.Fatalf("ListDisks(%s): %v", id, err)
	}
	if diff := cmp.Diff(disks, vmByID(t, k, id).Disks); diff != "" {
		t.Errorf("ListVMs disks of %s differ from ListDisks (-ListDisks +ListVMs):\n%s", id, diff)
	}
	var got []kvmtest.BlkRow
	for i, d := range disks {
		got = append(got, kvmtest.BlkRow{Target: d.Target, Source: strings.TrimPrefix(d.FileName, pool+"/"), CapacityBytes: d.CapacityBytes})
		if want := fmt.Sprintf("Hard disk %d", i+1); d.Label != want || d.Key != int32(i) {
			t.Errorf("disk %d label %q key %d, want %q key %d", i, d.Label, d.Key, want, i)
		}
		path := d.FileName
		if !filepath.IsAbs(path) {
			path = kvmtest.Virsh(t, "vol-path", "--pool", pool, filepath.Base(path))
		}
		if f := kvmtest.QemuImgFormat(t, path); d.Format != f {
			t.Errorf("disk %s format %q, qemu-img says %q", d.Target, d.Format, f)
		}
	}
	if diff := cmp.Diff(kvmtest.VirshDisks(t, id, pool), got); diff != "" {
		t.Errorf("ListDisks(%s) vs virsh domblklist/vol-info (-virsh +driver):\n%s", id, diff)
	}
	return disks
}

func checkQEMUImages(t *testing.T, k *kvm.Conn, dir string) {
	t.Helper()
	imgs, err := k.ListImages(ctx(t))
	if err != nil {
		t.Fatalf("ListImages: %v", err)
	}
	i := slices.IndexFunc(imgs, func(im model.Image) bool { return im.Name == "root.qcow2" })
	if i < 0 {
		t.Fatalf("root.qcow2 not in ListImages %+v", imgs)
	}
	root := imgs[i]
	want := model.Image{
		Provider: "qemu-lab", NativeID: filepath.Join(dir, "root.qcow2"), Name: "root.qcow2",
		MediaType: "RootVolumeTemplate", Format: "qcow2", SizeBytes: 64 << 20,
		ActualBytes: root.ActualBytes, URL: filepath.Join(dir, "root.qcow2"), Status: "Ready",
	}
	if diff := cmp.Diff(want, root); diff != "" || root.ActualBytes <= 0 {
		t.Errorf("ListImages root.qcow2 mismatch (-want +got):\n%s", diff)
	}
}

func checkQEMUHost(t *testing.T, k *kvm.Conn) {
	t.Helper()
	hosts, err := k.ListHosts(ctx(t))
	if err != nil || len(hosts) != 1 {
		t.Fatalf("ListHosts = %+v, %v", hosts, err)
	}
	h := hosts[0]
	if name := kvmtest.Virsh(t, "hostname"); h.NativeID != name {
		t.Errorf("host id %q, virsh hostname %q", h.NativeID, name)
	}
	info := kvmtest.Virsh(t, "nodeinfo")
	if !strings.Contains(info, fmt.Sprintf("CPU(s):              %d\n", h.CPUs)) ||
		!strings.Contains(info, fmt.Sprintf("Memory size:         %d KiB", h.MemoryBytes/1024)) {
		t.Errorf("host %+v disagrees with virsh nodeinfo:\n%s", h, info)
	}
	if h.FreeMemoryBytes <= 0 || h.FreeMemoryBytes > h.MemoryBytes {
		t.Errorf("host free memory %d of %d", h.FreeMemoryBytes, h.MemoryBytes)
	}
}
