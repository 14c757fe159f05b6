package queue

import (
	"context"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
)

// SubmitWithID is Submit under a caller-chosen id (broker.WithID): the first call with an id submits the task under
// it; a later call with the same spec returns that task; any other use of an id that names a
// task (any caller's, any queue, any state) is refused without touching it (taskclaim.go). Ids
// must be 32 lowercase hex characters, like the ids Submit makes.
func (q *Queue) SubmitWithID(ctx context.Context, id string, spec broker.TaskSpec, opts ...broker.SubmitOption) (broker.Task, error) {
	if !broker.IsUUID(id) {
		return broker.Task{}, model.Errorf(model.ErrInvalid, "task id %q must be 32 lowercase hex characters", id)
	}
	cl, err := q.claimID(ctx, id, spec, true)
	if err != nil {
		return broker.Task{}, err
	}
	if cl.existing != nil {
		return *cl.existing, nil
	}
	return q.submitOwned(ctx, id, spec, cl.c, broker.ApplySubmitOptions(opts).Waited)
}
