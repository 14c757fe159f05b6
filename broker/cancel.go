package broker

import (
	"context"

	"cloudbroker/broker/model"
)

// Canceler is the TaskQueue's part that cancels a task: a queued one is removed, a
// running one has its context canceled on its worker. by names who canceled, for the record.
type Canceler interface {
	Cancel(ctx context.Context, id, by string) error
}

// Cancel cancels a task the caller may see. A finished task cannot be canceled (conflict).
func (b *Broker) Cancel(ctx context.Context, c model.Caller, id string) (Task, error) {
	t, err := b.Task(ctx, c, id)
	if err != nil {
		return Task{}, err
	}
	if t.State.Done() {
		return t, model.Errorf(model.ErrConflict, "task %s already %s", id, t.State)
	}
	if err := b.tasks.Cancel(ctx, id, c.Name); err != nil {
		return t, err
	}
	return b.tasks.Get(ctx, id)
}
