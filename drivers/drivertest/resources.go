package drivertest

import (
	"context"
	"testing"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

// testListNetworks: every network is named and has an id, names are unique (NIC.Network
// names a network by it), and every NIC of every VM (when the driver lists VMs) is on a
// listed network or on none.
func testListNetworks(ctx context.Context, t *testing.T, f Fixture) {
	c := f.Open(t)
	nets, err := c.(drivers.NetworkLister).ListNetworks(ctx)
	names := uniqueNames(t, "ListNetworks", nets, err, func(n model.Network) (string, string) { return n.Name, n.NativeID })
	eachVM(ctx, t, c, func(vm model.VM) {
		for _, nic := range vm.NICs {
			if nic.Network != "" && !names[nic.Network] {
				t.Errorf("VM %s NIC %s is on network %q, which ListNetworks does not list", vm.Name, nic.MAC, nic.Network)
			}
		}
	})
}

// testListStorage: every storage is named and has an id, names are unique, and every disk of
// every VM that says where it is kept names a listed storage.
func testListStorage(ctx context.Context, t *testing.T, f Fixture) {
	c := f.Open(t)
	stores, err := c.(drivers.StorageLister).ListStorage(ctx)
	names := uniqueNames(t, "ListStorage", stores, err, func(s model.Storage) (string, string) { return s.Name, s.NativeID })
	for _, s := range stores {
		if s.CapacityBytes < 0 || s.FreeBytes < 0 || s.FreeBytes > s.CapacityBytes {
			t.Errorf("storage %s: capacity %d, free %d", s.Name, s.CapacityBytes, s.FreeBytes)
		}
	}
	checkDisks := func(vm string, disks []model.Disk) {
		for _, d := range disks {
			if d.Storage != "" && !names[d.Storage] {
				t.Errorf("VM %s disk %q is on storage %q, which ListStorage does not list", vm, d.Label, d.Storage)
			}
		}
	}
	eachVM(ctx, t, c, func(vm model.VM) { checkDisks(vm.Name, vm.Disks) })
	if dl, ok := c.(drivers.DiskLister); ok {
		disks, err := dl.ListDisks(ctx, f.VM)
		if err != nil {
			t.Fatalf("ListDisks(%s): %v", f.VM, err)
		}
		checkDisks(f.VM, disks)
	}
}

// uniqueNames is checkNamed plus: no name twice. It returns the set of names.
func uniqueNames[T any](t *testing.T, call string, items []T, err error, named func(T) (name, id string)) map[string]bool {
	t.Helper()
	checkNamed(t, call, items, err, named)
	names := map[string]bool{}
	for _, it := range items {
		name, _ := named(it)
		if names[name] {
			t.Errorf("%s: name %q listed twice", call, name)
		}
		names[name] = true
	}
	return names
}

// eachVM calls fn with every VM when the connection lists VMs.
func eachVM(ctx context.Context, t *testing.T, c drivers.Conn, fn func(model.VM)) {
	t.Helper()
	l, ok := c.(drivers.VMLister)
	if !ok {
		return
	}
	vms, err := l.ListVMs(ctx)
	if err != nil {
		t.Fatalf("ListVMs: %v", err)
	}
	for _, vm := range vms {
		fn(vm)
	}
}
