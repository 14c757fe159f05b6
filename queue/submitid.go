package queue

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
)

var _ broker.IDSubmitter = (*Queue)(nil)

// A caller-chosen id is claimed before its task is submitted: the claim says whether the first
// submission is still under way ("submitting") or done ("submitted"), so a retried call that
// arrives meanwhile waits for the record instead of reading a task asynq does not hold yet.
const (
	claimSubmitting = "submitting"
	claimSubmitted  = "submitted"
	// claimWait bounds how long a duplicate waits for the first submission to finish.
	claimWait = 2 * time.Second
)

func claimKey(id string) string { return "cb:taskclaim:" + id }

// SubmitWithID implements broker.IDSubmitter: the first call with an id submits the task under
// it; a later call with the same spec returns that task, with another spec it is refused. Ids
// must be 32 lowercase hex characters, like the ids Submit makes.
func (q *Queue) SubmitWithID(ctx context.Context, id string, spec broker.TaskSpec) (broker.Task, error) {
	if !broker.IsUUID(id) {
		return broker.Task{}, model.Errorf(model.ErrInvalid, "task id %q must be 32 lowercase hex characters", id)
	}
	claimed, err := q.rdb.SetNX(ctx, claimKey(id), claimSubmitting, q.cfg.Retention).Result()
	if err != nil {
		return broker.Task{}, redisErr("claim task id", err)
	}
	if !claimed {
		return q.existing(ctx, id, spec)
	}
	t, err := q.submitAs(ctx, id, spec)
	if err != nil {
		q.rdb.Del(context.WithoutCancel(ctx), claimKey(id))
		if errors.Is(err, asynq.ErrTaskIDConflict) {
			// The record expired but asynq still keeps the finished task: the id was used.
			return broker.Task{}, model.Errorf(model.ErrInvalid, "task id %s was already used by a task that has expired; choose a new one", id)
		}
		return broker.Task{}, err
	}
	if err := q.rdb.SetArgs(ctx, claimKey(id), claimSubmitted, redis.SetArgs{KeepTTL: true, Mode: "XX"}).Err(); err != nil && !errors.Is(err, redis.Nil) {
		q.cfg.Logger.Warn("task id claim not marked submitted; duplicates wait for it", "task", id, "err", err)
	}
	return t, nil
}

// existing returns the task another call submitted under id, once that submission is done.
func (q *Queue) existing(ctx context.Context, id string, spec broker.TaskSpec) (broker.Task, error) {
	deadline := time.Now().Add(claimWait)
	for {
		state, err := q.rdb.Get(ctx, claimKey(id)).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return broker.Task{}, redisErr("read task id claim", err)
		}
		if state != claimSubmitting { // submitted, or the claim expired with the task
			break
		}
		if time.Now().After(deadline) {
			return broker.Task{}, model.Errorf(model.ErrUnavailable, "task id %s is being submitted by another request; retry", id)
		}
		select {
		case <-ctx.Done():
			return broker.Task{}, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	t, err := q.Get(ctx, id)
	if err != nil {
		return broker.Task{}, err
	}
	if !sameSpec(t.Spec, spec) {
		return broker.Task{}, model.Errorf(model.ErrInvalid, "task id %s already names another task (%s on %s)", id, t.Spec.Type, t.Spec.VMID+t.Spec.Provider)
	}
	return t, nil
}

// sameSpec reports whether two specs ask for the same work.
func sameSpec(a, b broker.TaskSpec) bool {
	return a.Type == b.Type && a.Provider == b.Provider && a.ClientID == b.ClientID &&
		a.VMID == b.VMID && a.NativeID == b.NativeID && a.Owner == b.Owner && sameJSON(a.Args, b.Args)
}

func sameJSON(a, b json.RawMessage) bool {
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return bytes.Equal(a, b)
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}
