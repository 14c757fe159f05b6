package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"cloudbroker/broker/model"
)

// The sync wait: a sync request (vcproxy mode 0, a ZStack call without X-Job-UUID's async
// answer) submits its task and waits here, up to the sync timeout, for it to finish.

// ErrWaitTimeout is returned by Wait with the task as it stood; it wraps model.ErrTimeout.
var ErrWaitTimeout = fmt.Errorf("task did not finish in time: %w", model.ErrTimeout)

// Wait waits up to the sync timeout for a task and returns it finished, or returns the task as
// it stands with an error wrapping ErrWaitTimeout. The task goes on running either way.
func (b *Broker) Wait(ctx context.Context, c model.Caller, id string) (Task, error) {
	if _, err := b.Task(ctx, c, id); err != nil {
		return Task{}, err
	}
	wctx, cancel := context.WithTimeout(ctx, b.syncTimeout)
	defer cancel()
	t, err := b.tasks.Wait(wctx, id)
	if err != nil && errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		return t, fmt.Errorf("task %s still %s after %s; poll it by taskid: %w", id, t.State, b.syncTimeout, ErrWaitTimeout)
	}
	if err == nil {
		err = b.settle(ctx, t)
	}
	return t, err
}

// runAndDecode submits a task, waits for it and decodes its result: the sync path every
// per-provider listing shares. A task that did not succeed (failed or canceled) returns why.
func runAndDecode[T any](ctx context.Context, b *Broker, c model.Caller, spec TaskSpec) (T, error) {
	var res T
	t, err := b.submit(ctx, spec, Waited())
	if err != nil {
		return res, err
	}
	if t, err = b.Wait(ctx, c, t.ID); err != nil {
		return res, err
	}
	if t.State != TaskSucceeded {
		if t.Err != nil {
			return res, t.Err
		}
		return res, fmt.Errorf("task %s ended %s", t.ID, t.State)
	}
	if err := json.Unmarshal(t.Result, &res); err != nil {
		return res, fmt.Errorf("task %s: decoding its %s result: %w", t.ID, spec.Type, err)
	}
	return res, nil
}
