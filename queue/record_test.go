package queue_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/queue"
)

// A recorded task reads like one a worker ran: done at once, its result or error kept; the
// same id runs the operation once however many calls race; a refused operation leaves nothing.
func TestRecord(t *testing.T) {
	r := setup(t, &scripted{}, queue.Config{}, false)
	ctx := context.Background()
	spec := broker.TaskSpec{Type: "zstack:CreateUserTag", Owner: "tenant-a", Args: json.RawMessage(`{"tag":"web"}`)}

	var runs atomic.Int32
	op := func(context.Context) (json.RawMessage, error) {
		runs.Add(1)
		return json.RawMessage(`{"inventory":{"tag":"web"}}`), nil
	}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { _, errs[i] = r.q.Record(ctx, chosenID, spec, op) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if n := runs.Load(); n != 1 {
		t.Errorf("operation ran %d times for one id, want 1", n)
	}
	got, err := r.q.Wait(ctx, chosenID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(`{"inventory":{"tag":"web"}}`, string(got.Result)); diff != "" || got.State != broker.TaskSucceeded || got.Spec.Owner != "tenant-a" {
		t.Errorf("recorded task %+v (-want +got result):\n%s", got, diff)
	}

	other := spec
	other.Args = json.RawMessage(`{"tag":"db"}`)
	if _, err := r.q.Record(ctx, chosenID, other, op); !errors.Is(err, model.ErrInvalid) {
		t.Errorf("same id, other request: %v, want an invalid-request error", err)
	}

	failed, err := r.q.Record(ctx, "", spec, func(context.Context) (json.RawMessage, error) {
		return nil, model.Errorf(model.ErrNotFound, "no VM 42")
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err = r.q.Get(ctx, failed.ID)
	if err != nil || got.State != broker.TaskFailed || !errors.Is(got.Err, model.ErrNotFound) {
		t.Errorf("failed operation: %+v, %v; want failed with a not-found error", got, err)
	}

	const refusedID = "0123456789abcdef0123456789abcdef"
	_, err = r.q.Record(ctx, refusedID, spec, func(context.Context) (json.RawMessage, error) {
		return nil, model.Errorf(model.ErrInvalid, "tag is empty")
	})
	if !errors.Is(err, model.ErrInvalid) {
		t.Fatalf("refused operation: %v", err)
	}
	if _, err := r.q.Get(ctx, refusedID); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("a refused operation left a task: %v", err)
	}
	if _, err := r.q.Record(ctx, refusedID, spec, op); err != nil {
		t.Errorf("the id of a refused call cannot be used again: %v", err)
	}
}
