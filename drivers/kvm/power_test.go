package kvm_test

import (
	"errors"
	"testing"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
	"cloudbroker/drivers/kvm"
)

// TestSetPower walks one private fixture host through a sequence of power operations.
func TestSetPower(t *testing.T) {
	steps := []struct {
		name      string
		vm        string
		op        drivers.PowerOp
		wantErr   error
		wantState model.PowerState // of vm afterwards; "" skips the check
	}{
		{"start stopped", db1UUID, drivers.PowerOn, nil, model.PoweredOn},
		{"start running is a no-op", db1UUID, drivers.PowerOn, nil, model.PoweredOn},
		{"stop running", web1UUID, drivers.PowerOff, nil, model.PoweredOff},
		{"stop stopped is a no-op", web1UUID, drivers.PowerOff, nil, model.PoweredOff},
		{"reboot stopped conflicts", web1UUID, drivers.Reboot, model.ErrConflict, model.PoweredOff},
		{"start again", web1UUID, drivers.PowerOn, nil, model.PoweredOn},
		{"reboot running", web1UUID, drivers.Reboot, nil, model.PoweredOn},
		{"by name", "db-1", drivers.PowerOff, nil, model.PoweredOff},
		{"unknown vm", "no-such-vm", drivers.PowerOn, model.ErrNotFound, ""},
		{"unknown op", web1UUID, "hibernate", model.ErrInvalid, ""},
		{"empty id", "", drivers.PowerOn, model.ErrInvalid, ""},
	}
	c := openNode(t)
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			err := c.SetPower(ctx(t), s.vm, s.op)
			if !errors.Is(err, s.wantErr) {
				t.Fatalf("SetPower(%q, %s) error = %v, want %v", s.vm, s.op, err, s.wantErr)
			}
			if s.wantState != "" {
				if got := powerOf(t, c, s.vm); got != s.wantState {
					t.Errorf("after %s power = %s, want %s", s.op, got, s.wantState)
				}
			}
		})
	}
}

// TestGracefulStop: with shutdown_timeout the stop asks the guest first; the test driver's
// guests obey at once, so the forced power-off is not needed.
func TestGracefulStop(t *testing.T) {
	c := openNode(t, map[string]string{kvm.OptShutdownTimeout: "5s"})
	for _, op := range []drivers.PowerOp{drivers.Reboot, drivers.PowerOff} {
		if err := c.SetPower(ctx(t), web1UUID, op); err != nil {
			t.Fatalf("%s: %v", op, err)
		}
	}
	if got := powerOf(t, c, web1UUID); got != model.PoweredOff {
		t.Errorf("after graceful stop power = %s, want %s", got, model.PoweredOff)
	}
}

func powerOf(t *testing.T, c *kvm.Conn, id string) model.PowerState {
	t.Helper()
	vms, err := c.ListVMs(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, vm := range vms {
		if vm.NativeID == id || vm.Name == id {
			return vm.PowerState
		}
	}
	t.Fatalf("vm %s not listed", id)
	return ""
}
