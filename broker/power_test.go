package broker

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

// reportingConn is a driver that says how it changed power, as vcenter and kvm do.
type reportingConn struct {
	fakeConn
	out drivers.PowerOutcome
}

func (r *reportingConn) Power(context.Context, string, model.PowerOp) (drivers.PowerOutcome, error) {
	return r.out, nil
}

// TestRunPowerSaysHow: a driver's outcome (guest or forced) reaches the task's result.
func TestRunPowerSaysHow(t *testing.T) {
	tests := []struct {
		op   model.PowerOp
		out  drivers.PowerOutcome
		want PowerResult
	}{
		{model.Shutdown, drivers.PowerOutcome{How: "shut down by the guest"},
			PowerResult{VMID: "id-1", Op: model.Shutdown, How: "shut down by the guest", PowerState: model.PoweredOff}},
		{model.Shutdown, drivers.PowerOutcome{How: "forced off after 60s: the guest did not shut down", Forced: true},
			PowerResult{VMID: "id-1", Op: model.Shutdown, How: "forced off after 60s: the guest did not shut down", Forced: true, PowerState: model.PoweredOff}},
		{model.Reboot, drivers.PowerOutcome{How: "reset: VMware Tools not running", Forced: true},
			PowerResult{VMID: "id-1", Op: model.Reboot, How: "reset: VMware Tools not running", Forced: true, PowerState: model.PoweredOn}},
		{model.Reset, drivers.PowerOutcome{How: "reset"},
			PowerResult{VMID: "id-1", Op: model.Reset, How: "reset", PowerState: model.PoweredOn}},
	}
	for _, tt := range tests {
		spec := TaskSpec{Type: TypeVMPower, Provider: testProvider, VMID: "id-1", NativeID: "vm-1", Args: json.RawMessage(`{"op":"` + string(tt.op) + `"}`)}
		got, err := runPower(t.Context(), &reportingConn{out: tt.out}, spec)
		if err != nil {
			t.Fatalf("%s: %v", tt.op, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s result (-want +got):\n%s", tt.op, diff)
		}
	}
}
