package kvm_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
	"cloudbroker/drivers/kvm"
)

func TestClone(t *testing.T) {
	requireDaemon(t)
	tests := []struct {
		name      string
		src       string
		spec      drivers.CloneSpec
		wantFiles []string // the clone's disks
		wantPower model.PowerState
		wantErr   error
	}{
		{"full", web1UUID, drivers.CloneSpec{Name: "full", Full: true},
			[]string{"data/full-vda.qcow2", "/data/full-sdb.img"}, model.PoweredOff, nil},
		{"root disk only", web1UUID, drivers.CloneSpec{Name: "root"},
			[]string{"data/root-vda.qcow2"}, model.PoweredOff, nil},
		{"power on", db1UUID, drivers.CloneSpec{Name: "db-2", Full: true, PowerOn: true},
			[]string{"data/db-2-vda.qcow2"}, model.PoweredOn, nil},
		{"name taken", web1UUID, drivers.CloneSpec{Name: "db-1"}, nil, "", model.ErrConflict},
		{"no name", web1UUID, drivers.CloneSpec{}, nil, "", model.ErrInvalid},
		{"unknown source", "no-such-vm", drivers.CloneSpec{Name: "x"}, nil, "", model.ErrNotFound},
		{"disk outside every pool", orphanUUID, drivers.CloneSpec{Name: "x"}, nil, "", model.ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := openNode(t)
			var progress []int
			tt.spec.Progress = func(p int) { progress = append(progress, p) }
			vm, err := c.Clone(ctx(t), tt.src, tt.spec)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Clone error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if vm.Name != tt.spec.Name || len(vm.NativeID) != 36 || vm.NativeID == tt.src || vm.PowerState != tt.wantPower {
				t.Errorf("clone = %+v, want a new %s VM named %q", vm, tt.wantPower, tt.spec.Name)
			}
			if len(progress) < 2 || progress[0] != 0 || progress[len(progress)-1] != 100 || !slices.IsSorted(progress) {
				t.Errorf("progress = %v, want rising from 0 to 100", progress)
			}
			disks, err := c.ListDisks(ctx(t), vm.NativeID)
			if err != nil {
				t.Fatal(err)
			}
			var files []string
			for _, d := range disks {
				files = append(files, d.FileName)
			}
			if diff := cmp.Diff(tt.wantFiles, files); diff != "" {
				t.Errorf("clone disks mismatch (-want +got):\n%s", diff)
			}
			src := vmByID(t, c, tt.src)
			for i, n := range vm.NICs {
				if !strings.HasPrefix(n.MAC, "52:54:00:") || n.MAC == src.NICs[i].MAC {
					t.Errorf("clone NIC %d MAC %s, want a new 52:54:00 address", i, n.MAC)
				}
			}
			// The domain XML round trip keeps what the driver does not model (libosinfo metadata).
			if vm.GuestOS != src.GuestOS || vm.CPUs != src.CPUs || vm.MemoryMB != src.MemoryMB {
				t.Errorf("clone %+v lost settings of source %+v", vm, src)
			}
		})
	}
}

func vmByID(t *testing.T, c *kvm.Conn, id string) model.VM {
	t.Helper()
	vms, err := c.ListVMs(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, vm := range vms {
		if vm.NativeID == id || vm.Name == id {
			return vm
		}
	}
	t.Fatalf("vm %s not listed", id)
	return model.VM{}
}

// TestCloneRollback: the second disk's target volume already exists, so the clone fails after
// copying the first; that copy must be deleted again.
func TestCloneRollback(t *testing.T) {
	c := openNode(t, map[string]string{kvm.OptImagesPool: "data"})
	_, err := c.Clone(ctx(t), web1UUID, drivers.CloneSpec{Name: "stale", Full: true})
	if !errors.Is(err, model.ErrConflict) {
		t.Fatalf("Clone onto an existing volume error = %v, want ErrConflict", err)
	}
	vols, err := c.ListImages(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, v := range vols {
		names = append(names, v.Name)
	}
	want := []string{"db-1-root.qcow2", "debian-12.iso", "stale-sdb.img", "web-1-data.img", "web-1-root.qcow2"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("volumes after the failed clone (-want +got):\n%s", diff)
	}
	if _, err := c.ListDisks(ctx(t), "stale"); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("failed clone left a domain behind: %v", err)
	}
}
