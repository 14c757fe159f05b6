package queue

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/queue/internal/keys"
)

// A sync request's task (broker.Waited) starts at once in the process that accepted it when
// that process's worker consumes the task's queue and serves its provider: the caller waits
// for the work, not for a worker's next poll of Redis. It is the same task: its record is
// written before it runs (with an "inline" lease instead of an asynq entry), it is read,
// waited on, indexed as a job (jobs.go), listed (Recent, from keys.Unqueued) and canceled like
// any other, and its outcome goes into the record as a worker's does. What an inline run
// cannot finish goes to the queue under the same id: a provider at its concurrency cap, a
// transient error that has retries left, a worker stopping.

// inlineLease is how long an inline run's record says it runs without being renewed (every
// third of it): a reader finds the run of a process that died lost once it has passed.
const inlineLease = 30 * time.Second

// errWorkerStopping ends an inline run its worker's shutdown did not wait for: the task goes
// to the queue and runs again elsewhere, as asynq does with a task it took back.
var errWorkerStopping = errors.New("worker stopping")

// ServeInline makes q start waited-for tasks (broker.Waited) on w when w serves them. Call it
// before q serves requests. w's queues are registered with asynq now (registerRunQueues).
func (q *Queue) ServeInline(w *Worker) {
	q.inline = w
	q.registerRunQueues(w.queues...)
}

// registerRunQueues adds the queues whose tasks this process runs inline to asynq's set of
// queues (and again after a data loss: Reregister), as an enqueue would have: tasks run inline
// never enqueue, and a queue asynq does not know is missing from its inspector (the queue UI
// and the queue-depth metric).
func (q *Queue) registerRunQueues(names ...string) {
	members := make([]any, 0, len(names))
	for _, n := range names {
		q.register(n)
		members = append(members, n)
	}
	if err := q.rdb.SAdd(context.Background(), keys.AsynqAllQueues, members...).Err(); err != nil {
		q.cfg.Logger.Warn("could not register the worker's queues; the first queued task registers them", "err", err)
	}
}

// servesInline reports whether w runs spec's task when it is queued on qname.
func (w *Worker) servesInline(qname string, spec broker.TaskSpec) bool {
	if spec.Type == broker.TypeInventoryWatch || !slices.Contains(w.queues, qname) {
		return false
	}
	if s, ok := w.exec.(interface{ Serves(provider string) bool }); ok {
		return s.Serves(spec.Provider)
	}
	return true
}

// submitInline writes the task's record, leased to this process, and starts it. own is the
// claim this call took on a chosen id, or the zero claim for a fresh id (commit claims it).
func (q *Queue) submitInline(ctx context.Context, id string, spec broker.TaskSpec, own claim) (broker.Task, error) {
	lease := strconv.FormatInt(time.Now().Add(inlineLease).UnixMilli(), 10)
	t, payload, qname, err := q.commitLeased(ctx, id, spec, own, broker.TaskRunning, lease)
	if err != nil {
		return broker.Task{}, err
	}
	q.inline.startInline(q, id, spec, payload, qname, q.runs.start(t, payload))
	// Listed among the recent tasks while it runs; off the caller's path, which waits for the
	// work, not for a view.
	go noteUnqueued(context.WithoutCancel(ctx), q.rdb, q.cfg.Logger, id, t.InsertTime.UnixMilli())
	return t, nil
}

// commitLeased writes the record of a task that is not (yet) in asynq, its "inline" field
// set to inline (a lease, or an offer: bell.go), and indexes it as a job.
func (q *Queue) commitLeased(ctx context.Context, id string, spec broker.TaskSpec, own claim, state broker.TaskState, inline string) (broker.Task, []byte, string, error) {
	payload, err := json.Marshal(spec)
	if err != nil {
		q.releaseOwn(ctx, id, own)
		return broker.Task{}, nil, "", err
	}
	now := time.Now()
	t := broker.Task{
		ID: id, Spec: spec, Describe: broker.Describe(spec.Type), State: state,
		InsertTime: now, UpdateTime: now, ExpireTime: now.Add(q.cfg.Retention),
	}
	qname := QueueFor(spec.ClientID)
	submitted := own
	if own.state == "" {
		submitted = newClaim(spec)
	}
	submitted.state = claimSubmitted
	if err := q.commit(ctx, id, own, submitted, now, t.ExpireTime, "queue", qname, "spec", payload, "insertMs", now.UnixMilli(),
		"inline", inline); err != nil {
		q.releaseOwn(ctx, id, own)
		return broker.Task{}, nil, "", err
	}
	if err := q.trackJob(ctx, t); err != nil { // as submitAs
		q.cfg.Logger.Warn("task not indexed as a job on its target", "task", id, "err", err)
	}
	return t, payload, qname, nil
}

// startInline runs the task in a goroutine. local is its run when this process submitted it
// (localruns.go), nil for an offer taken from another process (bell.go).
func (w *Worker) startInline(q *Queue, id string, spec broker.TaskSpec, payload []byte, qname string, local *localRun) {
	w.inlineRuns.Add(1)
	go func() {
		defer w.inlineRuns.Done()
		if local != nil {
			defer q.runs.end(local)
		}
		w.runInline(q, id, spec, payload, qname, local)
	}()
}

// runInline runs one inline task to its outcome, or hands it to the queue.
func (w *Worker) runInline(q *Queue, id string, spec broker.TaskSpec, payload []byte, qname string, local *localRun) {
	base, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	ctx, stop := context.WithTimeout(base, q.cfg.Timeout)
	defer stop()
	w.watchInline(ctx, q, id, cancel)

	start := time.Now()
	pctx, progress := w.withProgress(ctx, id)
	res, err := w.exec.Execute(broker.WithRunningTask(pctx, id), spec)
	stop() // the work is done: the watch ends before the outcome's own bell could wake it
	cause := context.Cause(base)
	var why canceledBy
	switch {
	case errors.As(cause, &why):
		err = why.err
	case errors.Is(cause, errWorkerStopping) || errors.Is(err, broker.ErrProviderBusy):
		q.handOff(id, spec, payload, qname, q.cfg.MaxRetry, 0)
		return
	case err != nil && broker.Retryable(err) && q.cfg.MaxRetry > 0:
		w.observe(spec.Type, "retry", time.Since(start))
		w.log.Warn("task attempt failed, will retry", "task", id, "type", spec.Type, "provider", spec.Provider, "attempt", 1,
			"of", q.cfg.MaxRetry+1, "err", err)
		q.handOff(id, spec, payload, qname, q.cfg.MaxRetry-1, w.retryDelay)
		return
	}
	result := "ok"
	if err != nil {
		result = "failed"
	}
	w.observe(spec.Type, result, time.Since(start))
	w.log.Info("task done", "task", id, "type", spec.Type, "provider", spec.Provider, "ok", err == nil, "inline", true,
		"ms", time.Since(start).Milliseconds(), "err", err)
	out := outcome{OK: err == nil, Data: res, Error: model.NewTaskError(err), FinishedMs: time.Now().UnixMilli()}
	b, _ := json.Marshal(out)
	wctx := context.Background() // the work is done: its outcome is written whatever ended ctx
	if local != nil {
		local.recording.Store(true)
	}
	written := false
	if werr := retryWrite(wctx, w.log, id, func() (err error) { written, err = writeOutcome(wctx, w.rdb, id, b); return err }); werr != nil {
		w.log.Error("an inline task's outcome could not be recorded; it reads as lost once its lease ends", "task", id, "err", werr)
		return
	}
	if local != nil && written && !progress.reported() {
		// Get would read exactly this from the record (a progress report is read there).
		if t, ok := local.finishedTask(b); ok {
			q.finished.put(t, q.lostMs())
		}
	}
	noteUnqueued(wctx, w.rdb, w.log, id, out.FinishedMs)
	if obs, ok := w.exec.(FinishObserver); ok {
		obs.TaskFinished(wctx, id, spec, res, err)
	}
}

// canceledBy is the cause of an inline run Queue.Cancel ended.
type canceledBy struct{ err *model.TaskError }

func (c canceledBy) Error() string { return c.err.Error() }

// watchInline renews the run's lease and ends the run when Cancel marks it canceled (Cancel
// announces on the completion channel, which the hub fans out) or the worker stops.
func (w *Worker) watchInline(ctx context.Context, q *Queue, id string, cancel context.CancelCauseFunc) {
	bell, unregister := q.hub.register(id)
	go func() {
		defer unregister()
		renew := time.NewTicker(inlineLease / 3)
		defer renew.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-w.stopInline:
				cancel(errWorkerStopping)
				return
			case <-bell:
				if ctx.Err() != nil {
					return // the run ended: the bell is its own outcome's
				}
				if why, ok := w.cancellation(ctx, id); ok {
					cancel(canceledBy{why})
					return
				}
			case <-renew.C:
				renewLeaseScript.Run(ctx, w.rdb, []string{keys.Record(id)}, time.Now().Add(inlineLease).UnixMilli())
			}
		}
	}()
}

// renewLeaseScript moves an inline run's lease on while the record is still leased (not
// handed to the queue, not finished). KEYS: record. ARGV: the lease's end, unix ms.
var renewLeaseScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], 'inline') == 0 then return 0 end
redis.call('HSET', KEYS[1], 'inline', ARGV[1])
return 1
`)

// handOff puts an inline or offered task into its queue under its id (its record is already
// written, so a worker runs it), then drops the lease: from then on it reads as any queued
// task. An accepted task is never dropped: the enqueue is retried while Redis is away, and if
// it never lands the task fails with a reason a caller can act on.
func (q *Queue) handOff(id string, spec broker.TaskSpec, payload []byte, qname string, maxRetry int, delay time.Duration) {
	ctx := context.Background()
	err := retryWrite(ctx, q.cfg.Logger, id, func() error {
		_, err := q.client.EnqueueContext(ctx, asynq.NewTask(spec.Type, payload), asynq.TaskID(id), asynq.Queue(qname),
			asynq.MaxRetry(max(maxRetry, 0)), asynq.Timeout(q.cfg.Timeout), asynq.Retention(q.cfg.Retention), asynq.ProcessIn(delay))
		if errors.Is(err, asynq.ErrTaskIDConflict) {
			return nil // an earlier try landed
		}
		return err
	})
	if err != nil {
		out, _ := json.Marshal(outcome{Error: model.NewTaskError(model.Errorf(model.ErrUnavailable,
			"the task could not be queued (Redis unavailable: %v); submit it again", err)), FinishedMs: time.Now().UnixMilli()})
		_, _ = writeOutcome(ctx, q.rdb, id, out)
		return
	}
	q.register(qname)
	if err := q.rdb.HDel(ctx, keys.Record(id), "inline").Err(); err != nil {
		q.cfg.Logger.Warn("queued task still reads as running here until its lease ends", "task", id, "err", err)
	}
}

// cancelInlineScript marks a leased (inline) task canceled and announces it, so its run ends.
// It answers 1 when marked, 2 when the task already finished, 0 when it is no longer inline
// (handed to the queue: cancel it there). KEYS: record. ARGV: ms, by, channel, id.
var cancelInlineScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], 'outcome') == 1 then return 2 end
if redis.call('HEXISTS', KEYS[1], 'inline') == 0 then return 0 end
redis.call('HSET', KEYS[1], 'canceledMs', ARGV[1], 'canceledBy', ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`)

// inlineState is how Get reads a leased record without an outcome: running (pending while
// offered: bell.go), canceled (its run is stopping), or lost when the lease or offer ended
// without an outcome (the process that held it died).
func inlineState(t *broker.Task, rec map[string]string) error {
	if isCanceled, cerr, at := canceled(rec); isCanceled {
		t.State, t.Err, t.UpdateTime = broker.TaskCanceled, cerr, at
		return nil
	}
	leaseEnd, isOffer := offered(rec["inline"])
	if !isOffer {
		ms, _ := strconv.ParseInt(rec["inline"], 10, 64)
		leaseEnd = time.UnixMilli(ms)
	}
	if time.Now().After(leaseEnd.Add(lostMargin)) {
		return model.Errorf(model.ErrLost, "task %s was accepted but the process running it stopped before it finished: "+
			"whether it ran is unknown; check its target before submitting it again", t.ID)
	}
	t.State = broker.TaskRunning
	if isOffer {
		t.State = broker.TaskPending
	}
	return nil
}
