package vcproxy

import (
	"encoding/json"
	"testing"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
)

// TestEnvelopeSaysPowerOutcome: task/info of a succeeded power task says how the change was
// done (by the guest, or forced), as the driver reported it; other tasks do not carry it.
func TestEnvelopeSaysPowerOutcome(t *testing.T) {
	res, _ := json.Marshal(broker.PowerResult{VMID: "v", Op: model.Shutdown, How: "forced off: VMware Tools not running", Forced: true, PowerState: model.PoweredOff})
	tests := []struct {
		name string
		task broker.Task
		want string
	}{
		{"grace stop forced", broker.Task{Spec: broker.TaskSpec{Type: broker.TypeVMPower, VMID: "v"}, State: broker.TaskSucceeded, Result: res},
			"forced off: VMware Tools not running"},
		{"running power task", broker.Task{Spec: broker.TaskSpec{Type: broker.TypeVMPower, VMID: "v"}, State: broker.TaskRunning}, ""},
		{"older result without outcome", broker.Task{Spec: broker.TaskSpec{Type: broker.TypeVMPower, VMID: "v"}, State: broker.TaskSucceeded,
			Result: json.RawMessage(`{"vmid":"v","op":"stop","powerState":"poweredOff"}`)}, ""},
	}
	for _, tt := range tests {
		if got := toEnvelope(tt.task).Content.Task.PowerOutcome; got != tt.want {
			t.Errorf("%s: power_outcome = %q, want %q", tt.name, got, tt.want)
		}
	}
}
