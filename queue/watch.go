package queue

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"cloudbroker/broker"
	"cloudbroker/queue/internal/keys"
	"cloudbroker/queue/internal/rediserr"
)

// EnsureWatch makes sure a provider's watch task exists: a fixed task id per provider makes
// asynq refuse a second one, so every broker replica may call this without creating
// duplicates. A watch archived after a permanent failure is replaced once it is older than
// retryAfter.
func (q *Queue) EnsureWatch(ctx context.Context, spec broker.TaskSpec, period, retryAfter time.Duration) (bool, error) {
	payload, err := json.Marshal(spec)
	if err != nil {
		return false, err
	}
	id, qname := "inventory-watch-"+spec.Provider, WatchQueue(QueueFor(spec.ClientID))
	// After Redis lost its data the old watch's task is gone, but the watch may still run
	// until its process notices the loss (EndWatches): wait that long before a new one.
	if settling, err := q.settling(ctx); err != nil || settling {
		return false, err
	}
	enqueue := func() error {
		_, err := q.client.EnqueueContext(ctx, asynq.NewTask(spec.Type, payload), asynq.TaskID(id), asynq.Queue(qname),
			asynq.MaxRetry(1_000_000), asynq.Timeout(period+time.Minute), asynq.Retention(0))
		return err
	}
	err = enqueue()
	if errors.Is(err, asynq.ErrTaskIDConflict) && q.dropStray(ctx, qname, id) {
		err = enqueue()
	}
	if !errors.Is(err, asynq.ErrTaskIDConflict) {
		if err == nil {
			q.register(qname)
		}
		return err == nil, rediserr.Wrap("enqueue watch", err)
	}
	info, ierr := q.insp.GetTaskInfo(qname, id)
	if ierr != nil || (info.State != asynq.TaskStateArchived && info.State != asynq.TaskStateCompleted) {
		return false, nil // running, pending or retrying: nothing to do
	}
	if info.State == asynq.TaskStateArchived && time.Since(info.LastFailedAt) < retryAfter {
		return false, nil
	}
	if err := q.insp.DeleteTask(qname, id); err != nil && !errors.Is(err, asynq.ErrTaskNotFound) {
		return false, rediserr.Wrap("replace watch", err)
	}
	err = enqueue()
	return err == nil, rediserr.Wrap("enqueue watch", err)
}

// dropStrayScript deletes a task hash that holds no task (no "msg"), only a result. KEYS: the
// task's hash.
var dropStrayScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 and redis.call('HEXISTS', KEYS[1], 'msg') == 0 then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

// dropStray removes what a watch that ran when Redis lost its data left under its task's id:
// its worker wrote its result (asynq's ResultWriter) into a hash the loss had removed, which
// recreated it without a task, and asynq refuses the id while it exists.
func (q *Queue) dropStray(ctx context.Context, qname, id string) bool {
	n, err := dropStrayScript.Run(ctx, q.rdb, []string{keys.AsynqTask(qname, id)}).Int()
	return err == nil && n == 1
}
