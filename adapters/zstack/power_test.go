package zstack_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/terraform-zstack-modules/zstack-sdk-go/pkg/param"
	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/event"
	"github.com/vmware/govmomi/vim25/types"

	"cloudbroker/drivers/vcenter/vcsim"
)

// TestPowerSemantics drives stopVmInstance (grace, the default, and cold) and rebootVmInstance
// through the dialect, as actions and as long jobs, on a simulated VM with VMware Tools
// running or not: the job's answer says what happened and the simulator's event log agrees
// (a guest shutdown is VmGuestShutdownEvent, a forced power-off VmStoppingEvent, a reset a
// power-off and power-on; the simulator logs nothing for a guest reboot).
func TestPowerSemantics(t *testing.T) {
	b := startBroker(t, brokerOpts{})
	s := login(t, b, "admin", adminPass)
	sim := b.Sims[0]
	vm := uuidOf(t, b, 0, "DC0_H0_VM0")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	native, err := sim.VMID(ctx, "DC0_H0_VM0")
	if err != nil {
		t.Fatal(err)
	}
	events := simEvents(t, ctx, sim, native)
	cli := sdkClient(t, b, "admin", adminPass)

	steps := []struct {
		name       string
		tools      bool
		action     string            // an actions body, or a long job's name
		jobData    map[string]string // a long job's jobData, besides the VM's uuid
		wantHow    string
		wantState  string
		wantEvents []string
	}{
		{"grace stop by default, tools running", true, `{"stopVmInstance":{}}`, nil, "shut down by the guest", "Stopped",
			[]string{"VmGuestShutdownEvent", "VmPoweredOffEvent"}},
		{"start", false, `{"startVmInstance":{}}`, nil, "powered on", "Running", []string{"VmStartingEvent", "VmPoweredOnEvent"}},
		{"grace stop without tools is forced", false, `{"stopVmInstance":{"type":"grace"}}`, nil, "forced off: VMware Tools not running", "Stopped",
			[]string{"VmStoppingEvent", "VmPoweredOffEvent"}},
		{"start again", true, `{"startVmInstance":{}}`, nil, "powered on", "Running", []string{"VmStartingEvent", "VmPoweredOnEvent"}},
		{"guest reboot", true, `{"rebootVmInstance":{}}`, nil, "rebooted by the guest", "Running", nil},
		{"reboot without tools resets", false, `{"rebootVmInstance":{}}`, nil, "reset: VMware Tools not running", "Running",
			[]string{"VmStoppingEvent", "VmPoweredOffEvent", "VmStartingEvent", "VmPoweredOnEvent"}},
		{"long job reboot", true, "APIRebootVmInstanceMsg", nil, "rebooted by the guest", "Running", nil},
		{"long job grace stop", true, "APIStopVmInstanceMsg", map[string]string{"type": "grace"}, "shut down by the guest", "Stopped",
			[]string{"VmGuestShutdownEvent", "VmPoweredOffEvent"}},
		{"long job start", true, "APIStartVmInstanceMsg", nil, "powered on", "Running", []string{"VmStartingEvent", "VmPoweredOnEvent"}},
		{"cold stop with tools forces at once", true, `{"stopVmInstance":{"type":"cold"}}`, nil, "forced off", "Stopped",
			[]string{"VmStoppingEvent", "VmPoweredOffEvent"}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			setTools(t, sim, native, st.tools)
			var answer []byte
			if st.action[0] != '{' {
				params := map[string]string{"uuid": vm}
				maps.Copy(params, st.jobData)
				data, _ := json.Marshal(params)
				name := st.action
				inv := submitLongJob(t, cli, st.name, name, string(data))
				done := waitLongJob(t, cli, inv.UUID, param.Succeeded, param.Failed)
				if done.State != param.Succeeded {
					t.Fatalf("long job %s: %s %s", name, done.State, done.JobResult)
				}
				answer = []byte(done.JobResult)
			} else {
				res := call(t, b, http.MethodPut, "/zstack/v1/vm-instances/"+vm+"/actions", s, json.RawMessage(st.action))
				if res.Code != http.StatusAccepted {
					t.Fatalf("%s: %d %s", st.action, res.Code, res.Body)
				}
				var loc struct{ Location string }
				res.json(t, &loc)
				done := pollJob(t, b, s, loc.Location)
				if done.Code != http.StatusOK {
					t.Fatalf("job: %d %s", done.Code, done.Body)
				}
				answer = done.Body
			}
			var got struct {
				Inventory    struct{ State string }
				PowerOutcome string
			}
			if err := json.Unmarshal(answer, &got); err != nil {
				t.Fatalf("answer %s: %v", answer, err)
			}
			if got.PowerOutcome != st.wantHow || got.Inventory.State != st.wantState {
				t.Errorf("answer says %q, state %s; want %q, %s (%s)", got.PowerOutcome, got.Inventory.State, st.wantHow, st.wantState, answer)
			}
			if diff := cmp.Diff(st.wantEvents, events()); diff != "" {
				t.Errorf("simulator events (-want +got):\n%s", diff)
			}
		})
	}
}

// setTools sets whether VMware Tools run in a simulated VM's guest.
func setTools(t *testing.T, sim *vcsim.Sim, id string, running bool) {
	t.Helper()
	if err := sim.SetToolsRunning(id, running); err != nil {
		t.Fatal(err)
	}
}

// simEvents returns a function giving the kinds of the events the simulator logged for the VM
// since the last call, oldest first.
func simEvents(t *testing.T, ctx context.Context, sim *vcsim.Sim, id string) func() []string {
	c, err := govmomi.NewClient(ctx, sim.URL(), true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Logout(context.Background()) })
	m := event.NewManager(c.Client)
	filter := types.EventFilterSpec{Entity: &types.EventFilterSpecByEntity{
		Entity: types.ManagedObjectReference{Type: "VirtualMachine", Value: id}, Recursion: types.EventFilterSpecRecursionOptionSelf}}
	seen := int32(-1)
	read := func() []string {
		t.Helper()
		evs, err := m.QueryEvents(ctx, filter)
		if err != nil {
			t.Fatalf("QueryEvents: %v", err)
		}
		var kinds []string
		last := seen
		for i := len(evs) - 1; i >= 0; i-- { // newest first
			if k := evs[i].GetEvent().Key; k > seen {
				last = max(last, k)
				kinds = append(kinds, reflect.TypeOf(evs[i]).Elem().Name())
			}
		}
		seen = last
		return kinds
	}
	read()
	return read
}
