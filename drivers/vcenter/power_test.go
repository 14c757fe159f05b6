package vcenter_test

import (
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vmware/govmomi/event"
	"github.com/vmware/govmomi/vim25/types"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
	"cloudbroker/drivers/vcenter"
	"cloudbroker/drivers/vcenter/vcsim"
)

// TestGuestPower walks one simulated VM through grace and cold stops and guest reboots with
// VMware Tools running and not, and checks both the driver's outcome and what the simulator
// logged as events: a guest shutdown is VmGuestShutdownEvent ("Guest OS shut down"), a forced
// power-off VmStoppingEvent ("is stopping"), a reset a power-off and power-on; the simulator
// logs nothing for a guest reboot (vCenter would log VmGuestRebootEvent), and answers
// RebootGuest with ToolsUnavailable when the tools are not running.
func TestGuestPower(t *testing.T) {
	sim := startSim(t)
	cfg := sim.Config("test")
	cfg.Options = map[string]string{vcenter.OptShutdownTimeout: "5s"}
	c, err := vcenter.Open(testContext(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	id := vmID(t, sim, fixtureVM)
	events := eventLog(t, sim, id)

	steps := []struct {
		name       string
		tools      bool // VMware Tools running before the step
		op         model.PowerOp
		want       drivers.PowerOutcome
		wantEvents []string
	}{
		{"grace stop with tools", true, model.Shutdown,
			drivers.PowerOutcome{How: "shut down by the guest"},
			[]string{"VmGuestShutdownEvent", "VmPoweredOffEvent"}},
		{"grace stop when off", false, model.Shutdown, drivers.PowerOutcome{How: "already off"}, nil},
		{"start", false, model.PowerOn, drivers.PowerOutcome{How: "powered on"},
			[]string{"VmStartingEvent", "VmPoweredOnEvent"}},
		{"grace stop without tools falls back", false, model.Shutdown,
			drivers.PowerOutcome{How: "forced off: VMware Tools not running", Forced: true},
			[]string{"VmStoppingEvent", "VmPoweredOffEvent"}},
		{"start again", false, model.PowerOn, drivers.PowerOutcome{How: "powered on"},
			[]string{"VmStartingEvent", "VmPoweredOnEvent"}},
		{"reboot with tools", true, model.Reboot, drivers.PowerOutcome{How: "rebooted by the guest"}, nil},
		{"reboot without tools resets", false, model.Reboot,
			drivers.PowerOutcome{How: "reset: VMware Tools not running", Forced: true},
			[]string{"VmStoppingEvent", "VmPoweredOffEvent", "VmStartingEvent", "VmPoweredOnEvent"}},
		{"reset", true, model.Reset, drivers.PowerOutcome{How: "reset"},
			[]string{"VmStoppingEvent", "VmPoweredOffEvent", "VmStartingEvent", "VmPoweredOnEvent"}},
		{"cold stop with tools forces at once", true, model.PowerOff,
			drivers.PowerOutcome{How: "forced off"},
			[]string{"VmStoppingEvent", "VmPoweredOffEvent"}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			setTools(t, sim, id, s.tools)
			got, err := c.Power(testContext(t), id, s.op)
			if err != nil {
				t.Fatalf("Power(%s): %v", s.op, err)
			}
			if diff := cmp.Diff(s.want, got); diff != "" {
				t.Errorf("Power(%s) outcome (-want +got):\n%s", s.op, diff)
			}
			if diff := cmp.Diff(s.wantEvents, events()); diff != "" {
				t.Errorf("events logged by %s (-want +got):\n%s", s.op, diff)
			}
		})
	}
}

// TestGuestRebootWhenOff: a guest reboot needs a running VM, as a reset does.
func TestGuestRebootWhenOff(t *testing.T) {
	sim := startSim(t)
	c := openConn(t, sim)
	id := vmID(t, sim, fixtureVM)
	if _, err := c.Power(testContext(t), id, model.PowerOff); err != nil {
		t.Fatal(err)
	}
	setTools(t, sim, id, true)
	if _, err := c.Power(testContext(t), id, model.Reboot); err == nil {
		t.Fatal("Reboot of a powered-off VM succeeded, want ErrConflict")
	}
}

// TestShutdownTimeoutOption: "0" forces at once without asking the guest; a bad value is refused.
func TestShutdownTimeoutOption(t *testing.T) {
	sim := startSim(t)
	cfg := sim.Config("test")
	cfg.Options = map[string]string{vcenter.OptShutdownTimeout: "soon"}
	if _, err := vcenter.Open(testContext(t), cfg); err == nil {
		t.Error("Open with shutdown_timeout=soon succeeded, want ErrInvalid")
	}
	cfg.Options[vcenter.OptShutdownTimeout] = "0"
	c, err := vcenter.Open(testContext(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	id := vmID(t, sim, fixtureVM)
	setTools(t, sim, id, true)
	got, err := c.Power(testContext(t), id, model.Shutdown)
	want := drivers.PowerOutcome{How: "forced off: shutdown_timeout is 0", Forced: true}
	if err != nil || got != want {
		t.Errorf("Power(shutdown) = %+v, %v; want %+v", got, err, want)
	}
}

// setTools sets whether VMware Tools run in a simulated VM's guest.
func setTools(t *testing.T, sim *vcsim.Sim, id string, running bool) {
	t.Helper()
	if err := sim.SetToolsRunning(id, running); err != nil {
		t.Fatal(err)
	}
}

// eventLog returns a function giving the kinds of the events the simulator logged for the VM
// since the last call, oldest first.
func eventLog(t *testing.T, sim *vcsim.Sim, id string) func() []string {
	m := event.NewManager(govmomiClient(t, sim).Client)
	ref := types.ManagedObjectReference{Type: "VirtualMachine", Value: id}
	seen := int32(-1)
	read := func() []string {
		t.Helper()
		evs, err := m.QueryEvents(testContext(t), types.EventFilterSpec{Entity: &types.EventFilterSpecByEntity{Entity: ref, Recursion: types.EventFilterSpecRecursionOptionSelf}})
		if err != nil {
			t.Fatalf("QueryEvents: %v", err)
		}
		var kinds []string
		last := seen
		for i := len(evs) - 1; i >= 0; i-- { // newest first
			e := evs[i].GetEvent()
			if e.Key <= seen {
				continue
			}
			last = max(last, e.Key)
			kinds = append(kinds, reflect.TypeOf(evs[i]).Elem().Name())
		}
		seen = last
		return kinds
	}
	read()
	return read
}
