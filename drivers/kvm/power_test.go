package kvm_test

import (
	"errors"
	"testing"

	"cloudbroker/broker/model"
	"cloudbroker/drivers/kvm"
)

// TestSetPower walks one private fixture host through a sequence of power operations. The test
// driver's guests obey a guest shutdown at once but send no event on a guest reboot, so a reboot
// here is confirmed only by the reset after the (short) bound.
func TestSetPower(t *testing.T) {
	steps := []struct {
		name      string
		vm        string
		op        model.PowerOp
		wantErr   error
		wantState model.PowerState // of vm afterwards; "" skips the check
		wantHow   string           // the outcome; "" skips the check
	}{
		{"start stopped", db1UUID, model.PowerOn, nil, model.PoweredOn, "powered on"},
		{"start running is a no-op", db1UUID, model.PowerOn, nil, model.PoweredOn, "already on"},
		{"stop running", web1UUID, model.PowerOff, nil, model.PoweredOff, "forced off"},
		{"stop stopped is a no-op", web1UUID, model.PowerOff, nil, model.PoweredOff, "already off"},
		{"reboot stopped conflicts", web1UUID, model.Reboot, model.ErrConflict, model.PoweredOff, ""},
		{"reset stopped conflicts", web1UUID, model.Reset, model.ErrConflict, model.PoweredOff, ""},
		{"start again", web1UUID, model.PowerOn, nil, model.PoweredOn, "powered on"},
		{"reset running", web1UUID, model.Reset, nil, model.PoweredOn, "reset"},
		{"reboot running", web1UUID, model.Reboot, nil, model.PoweredOn, "reset after 1s: the guest did not reboot"},
		{"grace stop", web1UUID, model.Shutdown, nil, model.PoweredOff, "shut down by the guest"},
		{"grace stop stopped is a no-op", web1UUID, model.Shutdown, nil, model.PoweredOff, "already off"},
		{"by name", "db-1", model.PowerOff, nil, model.PoweredOff, "forced off"},
		{"unknown vm", "no-such-vm", model.PowerOn, model.ErrNotFound, "", ""},
		{"unknown op", web1UUID, "hibernate", model.ErrInvalid, "", ""},
		{"empty id", "", model.PowerOn, model.ErrInvalid, "", ""},
	}
	c := openNode(t, map[string]string{kvm.OptShutdownTimeout: "1s"})
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			out, err := c.Power(ctx(t), s.vm, s.op)
			if !errors.Is(err, s.wantErr) {
				t.Fatalf("Power(%q, %s) error = %v, want %v", s.vm, s.op, err, s.wantErr)
			}
			if s.wantHow != "" && out.How != s.wantHow {
				t.Errorf("Power(%q, %s) = %q, want %q", s.vm, s.op, out.How, s.wantHow)
			}
			if s.wantState != "" {
				if got := powerOf(t, c, s.vm); got != s.wantState {
					t.Errorf("after %s power = %s, want %s", s.op, got, s.wantState)
				}
			}
		})
	}
}

// TestGracefulStop: shutdown_timeout 0 makes grace stop and reboot force at once.
func TestGracefulStop(t *testing.T) {
	c := openNode(t, map[string]string{kvm.OptShutdownTimeout: "0"})
	for _, op := range []model.PowerOp{model.Reboot, model.Shutdown} {
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
