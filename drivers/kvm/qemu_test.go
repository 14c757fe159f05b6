package kvm_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
	"cloudbroker/drivers/kvm"
)

// imagesRoot is where the guests' images go: QEMU runs as libvirt-qemu, which cannot enter a
// t.TempDir (0700, root's).
const imagesRoot = "/var/lib/libvirt/images"

// TestQEMUGuest runs a real TCG guest (no OS: it sits in the BIOS) on the system daemon: start
// it, read its disks through the driver and cross-check them with virsh and qemu-img, clone it,
// start the clone. Everything it makes is named cloudbroker-test-* and removed at cleanup.
func TestQEMUGuest(t *testing.T) {
	requireDaemon(t, "virsh", "qemu-img")
	if err := os.MkdirAll(imagesRoot, 0o755); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp(imagesRoot, "cloudbroker-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	name := filepath.Base(dir) // pool and guest share the unique name
	clone := name + "-clone"

	virsh(t, "pool-create-as", name, "dir", "--target", dir) // transient: gone once destroyed
	t.Cleanup(func() { virshQuiet("pool-destroy", name) })
	run(t, "qemu-img", "create", "-q", "-f", "qcow2", filepath.Join(dir, "root.qcow2"), "64M")
	run(t, "qemu-img", "create", "-q", "-f", "raw", filepath.Join(dir, "data.img"), "16M")
	virsh(t, "pool-refresh", name)

	domXML := filepath.Join(t.TempDir(), "domain.xml")
	if err := os.WriteFile(domXML, []byte(guestXML(name, dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{name, clone} {
		t.Cleanup(func() { virshQuiet("destroy", d); virshQuiet("undefine", d) })
	}
	virsh(t, "define", domXML)
	id := virsh(t, "domuuid", name)

	c, err := drivers.Open(ctx(t), "kvm", drivers.Config{
		Name: "qemu-lab", URL: "qemu:///system", Options: map[string]string{kvm.OptImagesPool: name},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	k := c.(*kvm.Conn)

	if err := k.SetPower(ctx(t), id, drivers.PowerOn); err != nil {
		t.Fatalf("start guest: %v", err)
	}
	vm := vmByID(t, k, id)
	if vm.PowerState != model.PoweredOn || vm.CPUs != 1 || vm.MemoryMB != 64 || vm.Name != name {
		t.Errorf("guest = %+v, want %s running with 1 vcpu and 64 MB", vm, name)
	}
	if got := virsh(t, "domstate", name); got != "running" {
		t.Errorf("virsh domstate %s = %q, want running", name, got)
	}
	src := crossCheckDisks(t, k, id, name)

	// QEMU holds a write lock on a running guest's images: the clone must say to stop it first.
	if _, err := k.Clone(ctx(t), id, drivers.CloneSpec{Name: clone, Full: true}); !errors.Is(err, model.ErrConflict) {
		t.Fatalf("Clone of a running guest error = %v, want ErrConflict", err)
	}
	if err := k.SetPower(ctx(t), id, drivers.PowerOff); err != nil {
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
	if got := virsh(t, "domstate", clone); got != "running" {
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
	var got []blkRow
	for i, d := range disks {
		got = append(got, blkRow{Target: d.Target, Source: strings.TrimPrefix(d.FileName, pool+"/"), CapacityBytes: d.CapacityBytes})
		if want := fmt.Sprintf("Hard disk %d", i+1); d.Label != want || d.Key != int32(i) {
			t.Errorf("disk %d label %q key %d, want %q key %d", i, d.Label, d.Key, want, i)
		}
		path := d.FileName
		if !filepath.IsAbs(path) {
			path = virsh(t, "vol-path", "--pool", pool, filepath.Base(path))
		}
		if f := qemuImgFormat(t, path); d.Format != f {
			t.Errorf("disk %s format %q, qemu-img says %q", d.Target, d.Format, f)
		}
	}
	if diff := cmp.Diff(virshDisks(t, id, pool), got); diff != "" {
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
	if name := virsh(t, "hostname"); h.NativeID != name {
		t.Errorf("host id %q, virsh hostname %q", h.NativeID, name)
	}
	info := virsh(t, "nodeinfo")
	if !strings.Contains(info, fmt.Sprintf("CPU(s):              %d\n", h.CPUs)) ||
		!strings.Contains(info, fmt.Sprintf("Memory size:         %d KiB", h.MemoryBytes/1024)) {
		t.Errorf("host %+v disagrees with virsh nodeinfo:\n%s", h, info)
	}
	if h.FreeMemoryBytes <= 0 || h.FreeMemoryBytes > h.MemoryBytes {
		t.Errorf("host free memory %d of %d", h.FreeMemoryBytes, h.MemoryBytes)
	}
}

// guestXML is a BIOS-only TCG guest: a qcow2 volume on virtio and a raw file on virtio-scsi.
func guestXML(name, dir string) string {
	return `<domain type='qemu'>
  <name>` + name + `</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <disk type='volume' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source pool='` + name + `' volume='root.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='` + filepath.Join(dir, "data.img") + `'/>
      <target dev='sdb' bus='scsi'/>
    </disk>
    <controller type='scsi' model='virtio-scsi'/>
    <interface type='user'><model type='virtio'/></interface>
  </devices>
</domain>
`
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// qemuImgFormat asks qemu-img (-U: the guest may hold the image's lock).
func qemuImgFormat(t *testing.T, path string) string {
	t.Helper()
	var info struct {
		Format string `json:"format"`
	}
	out := run(t, "qemu-img", "info", "-U", "--output=json", path)
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("qemu-img info %s: %v", path, err)
	}
	return info.Format
}
