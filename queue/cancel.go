package queue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/queue/internal/keys"
	"cloudbroker/queue/internal/rediserr"
)

var _ broker.Canceler = (*Queue)(nil)

// Cancel marks the task canceled in its record, then removes it from its queue if it waits,
// or cancels its context on the worker if it runs (the worker then records the cancellation
// as its outcome). A task that finished first keeps its result.
func (q *Queue) Cancel(ctx context.Context, id, by string) error {
	key := keys.Record(id)
	v, err := q.rdb.HMGet(ctx, key, "queue", "inline", "outcome").Result()
	if err != nil {
		return rediserr.Wrap("cancel", err)
	}
	qname, ok := v[0].(string)
	if !ok {
		return q.missing(id)
	}
	if v[2] != nil {
		return errFinishedFirst(id)
	}
	if v[1] != nil { // running inline (inline.go): its run watches for this
		n, err := cancelInlineScript.Run(ctx, q.rdb, []string{key}, time.Now().UnixMilli(), by, keys.TaskDone, id).Int()
		switch {
		case err != nil:
			return rediserr.Wrap("cancel", err)
		case n == 1:
			return nil
		case n == 2:
			return errFinishedFirst(id)
		}
		// handed to the queue meanwhile: cancel it there
	}
	if err := q.rdb.HSet(ctx, key, "canceledMs", time.Now().UnixMilli(), "canceledBy", by).Err(); err != nil {
		return rediserr.Wrap("cancel", err)
	}
	info, err := q.insp.GetTaskInfo(qname, id)
	if err != nil {
		return rediserr.Wrap("cancel", err)
	}
	switch info.State {
	case asynq.TaskStateActive:
		err = q.insp.CancelProcessing(id)
		q.rdb.Publish(ctx, keys.TaskDone, id) // it reads as canceled from now on
	case asynq.TaskStateCompleted, asynq.TaskStateArchived:
		q.rdb.HDel(ctx, key, "canceledMs", "canceledBy")
		return errFinishedFirst(id)
	default: // pending, scheduled, retry: it never runs again
		err = q.insp.DeleteTask(qname, id)
		if errors.Is(err, asynq.ErrTaskNotFound) {
			err = nil
		}
		q.rdb.Publish(ctx, keys.TaskDone, id)
	}
	return rediserr.Wrap("cancel", err)
}

func errFinishedFirst(id string) error {
	return model.Errorf(model.ErrConflict, "task %s finished before it could be canceled", id)
}

// canceled reads whether, when and by whom a task was canceled.
func canceled(rec map[string]string) (bool, *model.TaskError, time.Time) {
	ms, err := strconv.ParseInt(rec["canceledMs"], 10, 64)
	if err != nil {
		return false, nil, time.Time{}
	}
	return true, &model.TaskError{Kind: "canceled", Message: fmt.Sprintf("task canceled by %s", rec["canceledBy"])}, time.UnixMilli(ms)
}

// cancellation tells a worker whether its task's record says the task was canceled, and why:
// before an attempt runs (asynq retries a canceled run) and when its context ended.
func (w *Worker) cancellation(ctx context.Context, id string) (*model.TaskError, bool) {
	_, why, isCanceled, _ := w.recordState(ctx, id)
	return why, isCanceled
}

// recordState reads, in one command, whether the task's record exists (true when Redis cannot
// say), whether it says the task was canceled, and whether it holds the task's outcome.
func (w *Worker) recordState(ctx context.Context, id string) (exists bool, why *model.TaskError, isCanceled, finished bool) {
	v, err := w.rdb.HMGet(context.WithoutCancel(ctx), keys.Record(id), "canceledMs", "canceledBy", "spec", "outcome").Result()
	if err == nil && v[2] == nil { // written before records had hash tags (internal/keys)
		v, err = w.rdb.HMGet(context.WithoutCancel(ctx), keys.LegacyRecord(id), "canceledMs", "canceledBy", "spec", "outcome").Result()
	}
	if err != nil {
		return true, nil, false, false
	}
	finished = v[3] != nil
	if v[0] == nil {
		return v[2] != nil, nil, false, finished
	}
	isCanceled, why, _ = canceled(map[string]string{"canceledMs": fmt.Sprint(v[0]), "canceledBy": fmt.Sprint(v[1])})
	return true, why, isCanceled, finished
}
