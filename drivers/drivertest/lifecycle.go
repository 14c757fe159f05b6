package drivertest

import (
	"context"
	"errors"
	"testing"
	"time"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

// listed returns the VM with native id from a listing, and whether it is there.
func listed(ctx context.Context, t *testing.T, c drivers.Conn, id string) (model.VM, bool) {
	t.Helper()
	l, ok := c.(drivers.VMLister)
	if !ok {
		t.Skip("the driver lists no VMs: the lifecycle cannot be checked")
	}
	vms, err := l.ListVMs(ctx)
	if err != nil {
		t.Fatalf("ListVMs: %v", err)
	}
	for _, v := range vms {
		if v.NativeID == id {
			return v, true
		}
	}
	return model.VM{}, false
}

// testCreate: the VM is made as asked (name, size, description, mark, image) and listed; a
// name in use, an unknown image or host fail with the documented kinds and make nothing.
func testCreate(ctx context.Context, t *testing.T, f Fixture) {
	if f.Image == "" {
		t.Fatal("the driver is a Creator but the fixture names no Image")
	}
	c := f.Open(t)
	cr := c.(drivers.Creator)
	const mark = "0123456789abcdef0123456789abcdef"
	spec := drivers.CreateSpec{Name: "drivertest-create", Description: "made by drivertest", Image: f.Image, CPUs: 1, MemoryMB: 256, Mark: mark}
	vm, err := cr.Create(ctx, spec)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if vm.NativeID == "" || vm.Name != spec.Name || vm.CPUs != 1 || vm.MemoryMB != 256 || vm.Description != spec.Description || vm.Image != f.Image || vm.CloneMark != mark || vm.Template {
		t.Errorf("Create = %+v, want %q with 1 CPU, 256 MB, its description, image %q and mark %q", vm, spec.Name, f.Image, mark)
	}
	if got, ok := listed(ctx, t, c, vm.NativeID); !ok || got.Image != f.Image || got.Description != spec.Description {
		t.Errorf("ListVMs after Create: %+v (listed %v), want the VM with its image and description", got, ok)
	}
	if _, err := cr.Create(ctx, spec); !errors.Is(err, model.ErrConflict) {
		t.Errorf("Create to a name in use: %v, want model.ErrConflict", err)
	}
	bad := spec
	bad.Name, bad.Image = "drivertest-create-2", "no-such-image-0000"
	if _, err := cr.Create(ctx, bad); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("Create from an unknown image: %v, want model.ErrNotFound", err)
	}
	bad.Image, bad.Host = f.Image, "no-such-host-0000"
	if _, err := cr.Create(ctx, bad); !errors.Is(err, model.ErrNotFound) && !errors.Is(err, model.ErrInvalid) {
		t.Errorf("Create on an unknown host: %v, want model.ErrNotFound", err)
	}
	if l, ok := c.(drivers.VMLister); ok {
		vms, _ := l.ListVMs(ctx)
		for _, v := range vms {
			if v.Name == bad.Name {
				t.Errorf("a refused Create left VM %+v", v)
			}
		}
	}
}

// testDestroy: the VM is off and marked destroyed in listings; destroying again keeps the mark.
func testDestroy(ctx context.Context, t *testing.T, f Fixture) {
	c := f.Open(t)
	d := c.(drivers.Destroyer)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := d.Destroy(ctx, f.VM, at); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	vm, ok := listed(ctx, t, c, f.VM)
	if !ok || !vm.DestroyedAt.Equal(at) || vm.PowerState != model.PoweredOff {
		t.Errorf("after Destroy: %+v (listed %v), want it kept, off, destroyed at %v", vm, ok, at)
	}
	if err := d.Destroy(ctx, f.VM, at.Add(time.Hour)); err != nil {
		t.Fatalf("Destroy again: %v", err)
	}
	if vm, _ := listed(ctx, t, c, f.VM); !vm.DestroyedAt.Equal(at) {
		t.Errorf("a second Destroy changed the mark to %v, want %v", vm.DestroyedAt, at)
	}
	if err := d.Destroy(ctx, "no-such-vm-0000", at); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("Destroy(unknown): %v, want model.ErrNotFound", err)
	}
}

// testRecover: a VM that is not destroyed is refused; a destroyed one comes back, off.
func testRecover(ctx context.Context, t *testing.T, f Fixture) {
	c := f.Open(t)
	r := c.(drivers.Recoverer)
	if err := r.Recover(ctx, f.VM); !errors.Is(err, model.ErrConflict) {
		t.Errorf("Recover of a VM not destroyed: %v, want model.ErrConflict", err)
	}
	d, ok := c.(drivers.Destroyer)
	if !ok {
		t.Fatal("a Recoverer must be a Destroyer")
	}
	if err := d.Destroy(ctx, f.VM, time.Now()); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	if err := r.Recover(ctx, f.VM); err != nil {
		t.Fatalf("Recover: %v", err)
	}
	if vm, ok := listed(ctx, t, c, f.VM); !ok || !vm.DestroyedAt.IsZero() || vm.PowerState != model.PoweredOff {
		t.Errorf("after Recover: %+v (listed %v), want it off and not destroyed", vm, ok)
	}
}

// testExpunge: a VM that is not destroyed is refused and kept; a destroyed one is gone, disks
// and all.
func testExpunge(ctx context.Context, t *testing.T, f Fixture) {
	c := f.Open(t)
	x := c.(drivers.Expunger)
	if err := x.Expunge(ctx, f.VM); !errors.Is(err, model.ErrConflict) {
		t.Errorf("Expunge of a VM not destroyed: %v, want model.ErrConflict", err)
	}
	if _, ok := listed(ctx, t, c, f.VM); !ok {
		t.Fatal("a refused Expunge removed the VM")
	}
	d, ok := c.(drivers.Destroyer)
	if !ok {
		t.Fatal("an Expunger must be a Destroyer")
	}
	if err := d.Destroy(ctx, f.VM, time.Now()); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	if err := x.Expunge(ctx, f.VM); err != nil {
		t.Fatalf("Expunge: %v", err)
	}
	if vm, ok := listed(ctx, t, c, f.VM); ok {
		t.Errorf("after Expunge the VM is still listed: %+v", vm)
	}
	if dl, ok := c.(drivers.DiskLister); ok {
		if _, err := dl.ListDisks(ctx, f.VM); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("ListDisks after Expunge: %v, want model.ErrNotFound", err)
		}
	}
}
