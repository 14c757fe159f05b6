package broker

import (
	"context"
	"encoding/json"
	"errors"

	"cloudbroker/broker/model"
)

// Some APIs a dialect must answer as jobs do their work within the request: ZStack makes every
// non-GET API asynchronous (202 and an api-jobs location), tag and licence APIs included. Such
// an operation runs at once and its outcome is recorded as a finished task, so it is read,
// polled, called back and expired exactly like a task a worker ran.

// Recorder is the TaskQueue's part that records a task that finished where it was submitted.
type Recorder interface {
	// Record runs op and stores its outcome as task id's (a fresh id when id is empty). An id
	// used before with the same spec returns that task without running op again; with another
	// spec it is an error wrapping model.ErrInvalid. An op error wrapping model.ErrInvalid is
	// returned as is and nothing is recorded: the request was refused, nothing changed.
	Record(ctx context.Context, id string, spec TaskSpec, op func(context.Context) (json.RawMessage, error)) (Task, error)
}

// RunNow runs op as a finished task of spec's type: its result (JSON-encoded) or its error is
// the task's outcome. A caller-chosen id (WithID) makes the call idempotent. A task on no
// provider is owned by the caller.
func (b *Broker) RunNow(ctx context.Context, c model.Caller, spec TaskSpec, op func(context.Context) (any, error), opts ...SubmitOption) (Task, error) {
	if spec.Provider == "" {
		spec.Owner = c.Name
	} else if !c.Sees(spec.Provider) {
		return Task{}, model.Errorf(model.ErrNotFound, "provider %q not found", spec.Provider)
	}
	return b.tasks.Record(ctx, ApplySubmitOptions(opts).ID, spec, func(ctx context.Context) (json.RawMessage, error) {
		v, err := op(ctx)
		if err != nil {
			return nil, err
		}
		out, err := json.Marshal(v)
		if err != nil {
			return nil, errors.Join(model.ErrInvalid, err) // cannot happen for the dialects' plain structs
		}
		return out, nil
	})
}
