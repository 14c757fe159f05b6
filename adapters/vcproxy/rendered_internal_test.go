package vcproxy

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
)

// The memo answers what rendering the task it is given would, whichever outcome it holds.
func TestRenderedTasksFollowTheOutcome(t *testing.T) {
	at := time.UnixMilli(1_700_000_000_000)
	ok := broker.Task{ID: "t1", Spec: broker.TaskSpec{Type: broker.TypeVMDiskInfo, VMID: "vm1"}, State: broker.TaskSucceeded,
		Result: json.RawMessage(`{"disks":[{"label":"Hard disk 1"}]}`), InsertTime: at, UpdateTime: at}
	failed := ok
	failed.State, failed.Result, failed.Err = broker.TaskFailed, nil, &model.TaskError{Kind: "not_found", Message: "vm vm1: not found"}
	later := ok
	later.UpdateTime = at.Add(time.Second)
	later.Result = json.RawMessage(`{"disks":[]}`)
	other := ok
	other.ID = "t2"

	var memo renderedTasks
	for _, tc := range []struct {
		name string
		t    broker.Task
	}{
		{"first read", ok},
		{"read again", ok},
		{"another outcome under the same id", failed},
		{"another finish time under the same id", later},
		{"another task", other},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := json.Marshal(toEnvelope(tc.t))
			if err != nil {
				t.Fatal(err)
			}
			got, err := memo.of(tc.t)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}
