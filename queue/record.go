package queue

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/queue/internal/keys"
	"cloudbroker/queue/internal/rediserr"
)

var _ broker.Recorder = (*Queue)(nil)

// Record implements broker.Recorder. The task's record holds its outcome itself ("outcome"
// field), as asynq holds a worker's: Get reads either. The id (chosen or fresh) is claimed
// first, as SubmitWithID does, so a retried call finds the first call's task and op runs once,
// and an id naming any other task is refused before op runs.
func (q *Queue) Record(ctx context.Context, id string, spec broker.TaskSpec, op func(context.Context) (json.RawMessage, error)) (broker.Task, error) {
	chosen := id != ""
	if !chosen {
		id = NewTaskID()
	} else if !broker.IsUUID(id) {
		return broker.Task{}, model.Errorf(model.ErrInvalid, "task id %q must be 32 lowercase hex characters", id)
	}
	cl, err := q.claimID(ctx, id, spec, chosen)
	if err != nil {
		return broker.Task{}, err
	}
	if cl.existing != nil {
		return *cl.existing, nil
	}
	data, opErr := op(ctx)
	if errors.Is(opErr, model.ErrInvalid) {
		q.releaseClaim(ctx, id, cl.c)
		return broker.Task{}, opErr
	}
	now := time.Now()
	out := outcome{OK: opErr == nil, Data: data, FinishedMs: now.UnixMilli()}
	if opErr != nil {
		out.Error = model.NewTaskError(opErr)
	}
	t := broker.Task{
		ID: id, Spec: spec, Describe: broker.Describe(spec.Type), InsertTime: now, UpdateTime: now,
		ExpireTime: now.Add(q.cfg.Retention),
	}
	applyOutcome(&t, out)
	payload, _ := json.Marshal(spec)
	rawOut, _ := json.Marshal(out)
	// The work is done: from here on the record must be written even if the caller went away.
	wctx := context.WithoutCancel(ctx)
	key := keys.Record(id)
	done := cl.c
	done.state = claimSubmitted
	_, err = q.rdb.TxPipelined(wctx, func(p redis.Pipeliner) error {
		p.HSet(wctx, key, "queue", "", "spec", payload, "insertMs", now.UnixMilli(), "outcome", rawOut)
		p.PExpireAt(wctx, key, t.ExpireTime)
		p.Eval(wctx, casClaimSrc, []string{keys.Claim(id)}, cl.c.String(), done.String())
		p.Publish(wctx, keys.TaskDone, id)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return broker.Task{}, rediserr.Wrap("write finished task", err)
	}
	noteUnqueued(wctx, q.rdb, q.cfg.Logger, id, out.FinishedMs)
	return t, nil
}

// applyOutcome sets a finished task's state from its outcome.
func applyOutcome(t *broker.Task, out outcome) {
	t.UpdateTime = time.UnixMilli(out.FinishedMs)
	switch {
	case out.OK:
		t.State, t.Result = broker.TaskSucceeded, out.Data
	case out.Error != nil && out.Error.Kind == "canceled":
		t.State, t.Err = broker.TaskCanceled, out.Error
	default:
		t.State, t.Err = broker.TaskFailed, out.Error
	}
}
