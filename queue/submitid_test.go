package queue_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/queue"
)

const chosenID = "d825b1a26f4e474b8c59306081920ff2"

// Concurrent and repeated submissions under one id make one task; another spec is refused.
func TestSubmitWithIDIsIdempotent(t *testing.T) {
	exec := &scripted{answer: func(int32, broker.TaskSpec) (json.RawMessage, error) { return json.RawMessage(`{}`), nil }}
	r := setup(t, exec, queue.Config{}, true)
	ctx := context.Background()
	spec := broker.TaskSpec{Type: broker.TypeVMPower, Provider: "vc1", VMID: "v", NativeID: "vm-1", Args: json.RawMessage(`{"op":"stop"}`)}

	var wg sync.WaitGroup
	ids := make([]string, 10)
	errs := make([]error, 10)
	for i := range ids {
		wg.Go(func() {
			t, err := r.q.SubmitWithID(ctx, chosenID, spec)
			ids[i], errs[i] = t.ID, err
		})
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil || ids[i] != chosenID {
			t.Fatalf("submission %d: %q, %v", i, ids[i], errs[i])
		}
	}
	done, err := r.q.Wait(ctx, chosenID)
	if err != nil || done.State != broker.TaskSucceeded {
		t.Fatalf("task: %+v, %v", done, err)
	}
	again, err := r.q.SubmitWithID(ctx, chosenID, spec)
	if err != nil || again.ID != chosenID || again.State != broker.TaskSucceeded {
		t.Errorf("after the end: %+v, %v", again, err)
	}
	time.Sleep(100 * time.Millisecond)
	if n := exec.calls.Load(); n != 1 {
		t.Errorf("%d executions for one id, want 1", n)
	}

	other := spec
	other.Args = json.RawMessage(`{"op":"start"}`)
	if _, err := r.q.SubmitWithID(ctx, chosenID, other); !errors.Is(err, model.ErrInvalid) {
		t.Errorf("same id, other spec: %v, want an invalid-request error", err)
	}
	if _, err := r.q.SubmitWithID(ctx, "NOT-HEX", spec); !errors.Is(err, model.ErrInvalid) {
		t.Errorf("malformed id: %v", err)
	}
}
