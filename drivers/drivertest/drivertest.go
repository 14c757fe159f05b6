// Package drivertest is the conformance suite every driver passes, as containerd runs one suite
// over every snapshotter. A driver's test calls Run with a Fixture describing a live endpoint.
package drivertest

import (
	"context"
	"errors"
	"testing"
	"time"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

// Fixture describes a freshly prepared endpoint. Open is called once per subtest so subtests
// that change state (power, clone) do not leak into each other when the driver can isolate them.
type Fixture struct {
	// Open returns a connection to a fresh copy of the endpoint where possible.
	Open func(t *testing.T) drivers.Conn
	// VM is the native id of a VM with at least one disk that the suite may power-cycle and clone.
	VM string
	// Capabilities names the capabilities the driver must have: "VMLister", "DiskLister",
	// "PowerController", "Cloner", "ISOLister", "ImageCatalog", "CapacityReporter".
	// A listed capability the driver lacks fails the suite; an unlisted one is not exercised.
	Capabilities []string
}

// Run runs the conformance suite.
func Run(t *testing.T, f Fixture) {
	t.Helper()
	want := map[string]bool{}
	for _, c := range f.Capabilities {
		want[c] = true
	}
	ctx := func(t *testing.T) context.Context {
		c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		t.Cleanup(cancel)
		return c
	}

	t.Run("Ping", func(t *testing.T) {
		c := f.Open(t)
		if err := c.Ping(ctx(t)); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})

	t.Run("Capabilities", func(t *testing.T) {
		c := f.Open(t)
		for name := range want {
			if !has(c, name) {
				t.Errorf("driver %T lacks capability %s the fixture requires", c, name)
			}
		}
	})

	if want["VMLister"] {
		t.Run("ListVMs", func(t *testing.T) { testListVMs(ctx(t), t, f) })
	}
	if want["DiskLister"] {
		t.Run("ListDisks", func(t *testing.T) { testListDisks(ctx(t), t, f) })
		t.Run("ListDisksUnknownVM", func(t *testing.T) {
			c := f.Open(t).(drivers.DiskLister)
			_, err := c.ListDisks(ctx(t), "no-such-vm-0000")
			if !errors.Is(err, model.ErrNotFound) {
				t.Fatalf("ListDisks(unknown) error = %v, want one wrapping model.ErrNotFound", err)
			}
		})
	}
	if want["PowerController"] {
		t.Run("Power", func(t *testing.T) { testPower(ctx(t), t, f) })
	}
	if want["Cloner"] {
		t.Run("Clone", func(t *testing.T) { testClone(ctx(t), t, f) })
	}
	if want["ISOLister"] {
		t.Run("ListISOs", func(t *testing.T) {
			c := f.Open(t).(drivers.ISOLister)
			isos, err := c.ListISOs(ctx(t), f.VM)
			if err != nil {
				t.Fatalf("ListISOs: %v", err)
			}
			for _, iso := range isos {
				if iso.Name == "" || iso.NativeID == "" {
					t.Errorf("ISO without name or id: %+v", iso)
				}
			}
		})
	}
	if want["CapacityReporter"] {
		t.Run("ListHosts", func(t *testing.T) {
			c := f.Open(t).(drivers.CapacityReporter)
			hosts, err := c.ListHosts(ctx(t))
			if err != nil {
				t.Fatalf("ListHosts: %v", err)
			}
			if len(hosts) == 0 {
				t.Fatal("ListHosts returned no host")
			}
			for _, h := range hosts {
				if h.CPUs <= 0 || h.MemoryBytes <= 0 || h.NativeID == "" {
					t.Errorf("host without capacity or id: %+v", h)
				}
			}
		})
	}
	if want["ImageCatalog"] {
		t.Run("ListImages", func(t *testing.T) {
			c := f.Open(t).(drivers.ImageCatalog)
			imgs, err := c.ListImages(ctx(t))
			if err != nil {
				t.Fatalf("ListImages: %v", err)
			}
			for _, im := range imgs {
				if im.Name == "" || im.NativeID == "" {
					t.Errorf("image without name or id: %+v", im)
				}
			}
		})
	}
	t.Run("CloseIsFinal", func(t *testing.T) {
		c := f.Open(t)
		if err := c.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := c.Ping(ctx(t)); err == nil {
			t.Fatal("Ping after Close succeeded; want an error")
		}
	})
}

func has(c drivers.Conn, capability string) bool {
	var ok bool
	switch capability {
	case "VMLister":
		_, ok = c.(drivers.VMLister)
	case "DiskLister":
		_, ok = c.(drivers.DiskLister)
	case "PowerController":
		_, ok = c.(drivers.PowerController)
	case "Cloner":
		_, ok = c.(drivers.Cloner)
	case "ISOLister":
		_, ok = c.(drivers.ISOLister)
	case "ImageCatalog":
		_, ok = c.(drivers.ImageCatalog)
	case "CapacityReporter":
		_, ok = c.(drivers.CapacityReporter)
	}
	return ok
}

func testListVMs(ctx context.Context, t *testing.T, f Fixture) {
	c := f.Open(t).(drivers.VMLister)
	vms, err := c.ListVMs(ctx)
	if err != nil {
		t.Fatalf("ListVMs: %v", err)
	}
	seen := map[string]bool{}
	found := false
	for _, vm := range vms {
		if vm.NativeID == "" || vm.Name == "" {
			t.Errorf("VM without id or name: %+v", vm)
		}
		if seen[vm.NativeID] {
			t.Errorf("native id %q listed twice", vm.NativeID)
		}
		seen[vm.NativeID] = true
		if vm.ID != "" {
			t.Errorf("driver filled broker ID %q; the broker owns IDs", vm.ID)
		}
		switch vm.PowerState {
		case model.PoweredOn, model.PoweredOff, model.Suspended, model.PowerUnknown:
		default:
			t.Errorf("VM %s has power state %q outside the model's vocabulary", vm.NativeID, vm.PowerState)
		}
		found = found || vm.NativeID == f.VM
	}
	if !found {
		t.Errorf("fixture VM %q not in ListVMs (%d VMs)", f.VM, len(vms))
	}
}

func testListDisks(ctx context.Context, t *testing.T, f Fixture) {
	c := f.Open(t).(drivers.DiskLister)
	disks, err := c.ListDisks(ctx, f.VM)
	if err != nil {
		t.Fatalf("ListDisks(%s): %v", f.VM, err)
	}
	if len(disks) == 0 {
		t.Fatalf("ListDisks(%s) returned no disk; the fixture VM must have one", f.VM)
	}
	labels := map[string]bool{}
	for _, d := range disks {
		if d.Label == "" || d.FileName == "" {
			t.Errorf("disk without label or file: %+v", d)
		}
		if d.CapacityBytes <= 0 {
			t.Errorf("disk %q capacity %d, want > 0", d.Label, d.CapacityBytes)
		}
		if labels[d.Label] {
			t.Errorf("label %q repeated", d.Label)
		}
		labels[d.Label] = true
	}
}

func powerOf(ctx context.Context, t *testing.T, c drivers.Conn, id string) model.PowerState {
	t.Helper()
	l, ok := c.(drivers.VMLister)
	if !ok {
		return model.PowerUnknown
	}
	vms, err := l.ListVMs(ctx)
	if err != nil {
		t.Fatalf("ListVMs: %v", err)
	}
	for _, vm := range vms {
		if vm.NativeID == id {
			return vm.PowerState
		}
	}
	t.Fatalf("VM %s vanished", id)
	return ""
}

func testPower(ctx context.Context, t *testing.T, f Fixture) {
	c := f.Open(t)
	p := c.(drivers.PowerController)
	if err := p.SetPower(ctx, f.VM, drivers.PowerOff); err != nil && !errors.Is(err, model.ErrConflict) {
		t.Fatalf("stop: %v", err)
	}
	if got := powerOf(ctx, t, c, f.VM); got != model.PoweredOff && got != model.PowerUnknown {
		t.Errorf("after stop power = %s, want %s", got, model.PoweredOff)
	}
	if err := p.SetPower(ctx, f.VM, drivers.PowerOn); err != nil {
		t.Fatalf("start: %v", err)
	}
	if got := powerOf(ctx, t, c, f.VM); got != model.PoweredOn && got != model.PowerUnknown {
		t.Errorf("after start power = %s, want %s", got, model.PoweredOn)
	}
	if err := p.SetPower(ctx, "no-such-vm-0000", drivers.PowerOn); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("start(unknown) error = %v, want model.ErrNotFound", err)
	}
}

func testClone(ctx context.Context, t *testing.T, f Fixture) {
	c := f.Open(t)
	cl := c.(drivers.Cloner)
	name := "drivertest-clone-" + time.Now().Format("150405.000")
	vm, err := cl.Clone(ctx, f.VM, drivers.CloneSpec{Name: name, Full: true})
	if err != nil {
		t.Fatalf("Clone: %v", err)
	}
	if vm.Name != name || vm.NativeID == "" || vm.NativeID == f.VM {
		t.Errorf("clone = %+v, want a new VM named %q", vm, name)
	}
	if dl, ok := c.(drivers.DiskLister); ok {
		src, err := dl.ListDisks(ctx, f.VM)
		if err != nil {
			t.Fatal(err)
		}
		got, err := dl.ListDisks(ctx, vm.NativeID)
		if err != nil {
			t.Fatalf("ListDisks(clone): %v", err)
		}
		if len(got) != len(src) {
			t.Errorf("clone has %d disks, source %d", len(got), len(src))
		}
		for i := range got {
			if i < len(src) && got[i].FileName == src[i].FileName {
				t.Errorf("clone disk %d shares file %q with its source", i, got[i].FileName)
			}
		}
	}
	if _, err := cl.Clone(ctx, "no-such-vm-0000", drivers.CloneSpec{Name: name + "-x"}); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("Clone(unknown) error = %v, want model.ErrNotFound", err)
	}
}
