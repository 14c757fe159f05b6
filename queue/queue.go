package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/queue/internal/keys"
	"cloudbroker/queue/internal/rediserr"
)

// Config tunes submission. Zero fields take the documented defaults.
type Config struct {
	// Retention is how long a task stays readable after submission. Default 24h.
	Retention time.Duration
	// Timeout bounds one attempt on a worker. Default 2m.
	Timeout time.Duration
	// MaxRetry is the number of retries after a transient failure. Default 3; negative means 0.
	MaxRetry int
	// FallbackPoll is how often Wait re-reads a task in case a completion message was missed
	// (a pub/sub reconnect). Default 1s.
	FallbackPoll time.Duration
	// WriteWithin bounds how late (by Redis's clock) a submission's writes may reach Redis
	// and still apply: a write that arrives after its caller gave up (a stalled Redis, the
	// call answered unavailable) must not create a task. Default 1s; set it to the Redis
	// command timeout, and a worker's RecordWait above it.
	WriteWithin time.Duration
	// Epoch, if set, tells tasks lost with Redis's data from expired ones (lost.go) and
	// gives Redis's clock to WriteWithin.
	Epoch  *Epoch
	Logger *slog.Logger
}

// Queue submits tasks to asynq and reads them back. It implements broker.TaskQueue.
type Queue struct {
	rdb    redis.UniversalClient
	client *asynq.Client
	insp   *asynq.Inspector
	cfg    Config
	hub    *hub
	// finished holds finished tasks Get read, until their records expire (finished.go).
	finished *finishedCache
	// noJobs remembers targets without a job for Jobs (nojobs.go).
	noJobs *noJobs
	queues sync.Map // names of the queues this process submitted to (Reregister)
	// inline, if set, runs waited-for tasks in this process (inline.go); runs are those it
	// holds for tasks submitted here (localruns.go).
	inline *Worker
	runs   localRuns
}

var _ broker.TaskQueue = (*Queue)(nil)

// New returns a Queue on rdb. Close it to stop its completion subscriber.
func New(rdb redis.UniversalClient, cfg Config) *Queue {
	if cfg.Retention == 0 {
		cfg.Retention = 24 * time.Hour
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 2 * time.Minute
	}
	if cfg.MaxRetry < 0 {
		cfg.MaxRetry = 0
	}
	if cfg.FallbackPoll == 0 {
		cfg.FallbackPoll = time.Second
	}
	if cfg.WriteWithin == 0 {
		cfg.WriteWithin = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	q := &Queue{
		rdb:    rdb,
		client: asynq.NewClientFromRedisClient(enqueueClientFor(rdb)),
		insp:   asynq.NewInspectorFromRedisClient(rdb),
		cfg:    cfg,
		hub:    newHub(rdb, cfg.Logger),

		finished: newFinishedCache(finishedCacheSize),
		noJobs:   newNoJobs(),
	}
	if err := q.hub.onBell(keys.JobsAdded, q.noJobs.added); err != nil {
		cfg.Logger.Warn("no subscription to new jobs: targets without a job are read every time", "err", err)
		q.noJobs = nil
	}
	return q
}

// Close stops the subscriber. The Redis client belongs to the caller.
func (q *Queue) Close() error {
	q.hub.close()
	return nil
}

// Ping checks Redis.
func (q *Queue) Ping(ctx context.Context) error {
	return rediserr.Wrap("ping", q.rdb.Ping(ctx).Err())
}

// NewTaskID returns a fresh dated id (broker.NewDatedID): 32 hex characters, the shape of the
// vcproxy sample's TaskID, that says when it was made.
func NewTaskID() string { return broker.NewDatedID(time.Now()) }

// Submit enqueues the task and writes its record under a fresh id, or under the id opts
// choose (broker.WithID: SubmitWithID). A fresh id is claimed by the record's own write
// (commit.go): nobody can name it before Submit returns, so it needs no claim of its own first.
func (q *Queue) Submit(ctx context.Context, spec broker.TaskSpec, opts ...broker.SubmitOption) (broker.Task, error) {
	o := broker.ApplySubmitOptions(opts)
	if o.ID != "" {
		return q.SubmitWithID(ctx, o.ID, spec, opts...)
	}
	for range 3 { // another task under the same ms and 64 random bits: only if someone chose them
		t, err := q.submitOwned(ctx, NewTaskID(), spec, claim{}, o.Waited)
		if _, taken := err.(errIDTaken); taken || errors.Is(err, asynq.ErrTaskIDConflict) {
			continue
		}
		return t, err
	}
	return broker.Task{}, model.Errorf(model.ErrUnavailable, "no free task id found; retry")
}

// submitOwned submits the task under id: when the caller waits, inline if this process serves
// it (inline.go) or offered to its agent (bell.go); else through its queue.
func (q *Queue) submitOwned(ctx context.Context, id string, spec broker.TaskSpec, own claim, waited bool) (broker.Task, error) {
	switch {
	case !waited || spec.Type == broker.TypeInventoryWatch:
	case q.inline != nil && q.inline.servesInline(QueueFor(spec.ClientID), spec):
		return q.submitInline(ctx, id, spec, own)
	case spec.ClientID != "": // an agent's: offered to it (bell.go)
		return q.submitOffered(ctx, id, spec, own)
	}
	return q.submitAs(ctx, id, spec, own)
}

// submitAs enqueues the task, then writes its record. own is the claim this call took on a
// chosen id, or the zero claim for a fresh id (commit claims it). The record is the commit:
// it is written only while Redis's clock is within RecordWindow of the enqueue's start
// (commitScript), and a worker runs a task only once its record exists, waiting longer than
// that for it (worker.go). So a call that answered "unavailable" (Redis stalled or failed)
// leaves no task anyone can read or that runs, even if Redis runs its commands late.
func (q *Queue) submitAs(ctx context.Context, id string, spec broker.TaskSpec, own claim) (broker.Task, error) {
	payload, err := json.Marshal(spec)
	if err != nil {
		q.releaseOwn(ctx, id, own)
		return broker.Task{}, err
	}
	now := time.Now()
	t := broker.Task{
		ID: id, Spec: spec, Describe: broker.Describe(spec.Type), State: broker.TaskPending,
		InsertTime: now, UpdateTime: now, ExpireTime: now.Add(q.cfg.Retention),
	}
	qname := QueueFor(spec.ClientID)
	submitted := own
	if own.state == "" {
		submitted = newClaim(spec)
	}
	submitted.state = claimSubmitted
	enqueued := time.Now()
	fields := []any{"queue", qname, "spec", payload, "insertMs", now.UnixMilli()}
	rec := q.commitOf(id, own, submitted, enqueued, q.cfg.WriteWithin, t.ExpireTime, fields...)
	ectx := ctx
	if own.state == "" { // a fresh id: its record goes with the enqueue (enqueuecommit.go)
		ectx = withCommit(ctx, rec)
	}
	_, err = q.client.EnqueueContext(ectx, asynq.NewTask(spec.Type, payload),
		asynq.TaskID(t.ID), asynq.Queue(qname), asynq.MaxRetry(q.cfg.MaxRetry),
		asynq.Timeout(q.cfg.Timeout), asynq.Retention(q.cfg.Retention))
	if err != nil {
		q.dropPipelinedRecord(ctx, id, rec)
		q.releaseOwn(ctx, id, own)
		if errors.Is(err, asynq.ErrTaskIDConflict) { // asynq kept an older task under the id
			if own.state == "" {
				return broker.Task{}, err // a fresh id: Submit picks another
			}
			return broker.Task{}, errIDInUse(id)
		}
		return broker.Task{}, rediserr.Wrap("enqueue", err)
	}
	q.register(qname)
	var cerr error
	if rec.cmd != nil && !redis.HasErrorPrefix(rec.cmd.Err(), "NOSCRIPT") {
		cerr = commitResult(rec.cmd.Int())
	} else { // not sent with the enqueue (a chosen id, a Cluster), or its script was not loaded yet
		cerr = q.commit(ctx, id, own, submitted, enqueued, t.ExpireTime, fields...)
	}
	if cerr != nil {
		// The enqueued task finds no record, so no worker runs it; removing it frees the id
		// for a retry under the same caller-chosen id (best effort: Redis may be away).
		if derr := q.insp.DeleteTask(qname, id); derr != nil && !errors.Is(derr, asynq.ErrTaskNotFound) {
			q.cfg.Logger.Warn("a task whose submission failed stays in its queue; no worker runs it", "task", id, "err", derr)
		}
		q.releaseOwn(ctx, id, own)
		return broker.Task{}, cerr
	}
	// The task is a job on its target from now on (jobs.go). Its index is in another slot, so
	// it is written after the record: a reader drops an entry whose record is gone.
	if err := q.trackJob(ctx, t); err != nil { // the index only lists jobs: the task itself stands
		q.cfg.Logger.Warn("task not indexed as a job on its target", "task", id, "err", err)
	}
	return t, nil
}

// releaseOwn releases the claim this call took, if it took one.
func (q *Queue) releaseOwn(ctx context.Context, id string, own claim) {
	if own.state != "" {
		q.releaseClaim(ctx, id, own)
	}
}

// Forget drops this process's memory of task id's finished answer, so its next read goes to
// Redis. A record only expires (the memory ends with it) or goes with Redis's data (the Epoch
// empties the memory); Forget is for a record removed by hand: an operator's DEL, or a test
// standing in for the retention.
func (q *Queue) Forget(id string) { q.finished.forget(id) }

// Get reads a task: its record for what and when, asynq's task info for where it stands.
func (q *Queue) Get(ctx context.Context, id string) (broker.Task, error) {
	lost := q.lostMs()
	if t, ok := q.finished.get(id, time.Now(), lost); ok {
		return t, nil
	}
	rec, err := q.rdb.HGetAll(ctx, keys.Record(id)).Result()
	if err == nil && len(rec) == 0 { // written before records had hash tags (internal/keys)
		rec, err = q.rdb.HGetAll(ctx, keys.LegacyRecord(id)).Result()
	}
	if err != nil {
		return broker.Task{}, rediserr.Wrap("read task record", err)
	}
	if len(rec) == 0 {
		return broker.Task{}, q.missing(id)
	}
	var spec broker.TaskSpec
	if err := json.Unmarshal([]byte(rec["spec"]), &spec); err != nil {
		return broker.Task{}, fmt.Errorf("task %s: corrupt record: %w", id, err)
	}
	insertMs, _ := strconv.ParseInt(rec["insertMs"], 10, 64)
	insert := time.UnixMilli(insertMs)
	t := broker.Task{
		ID: id, Spec: spec, Describe: broker.Describe(spec.Type), InsertTime: insert,
		UpdateTime: insert, ExpireTime: insert.Add(q.cfg.Retention),
	}
	t.Progress = progressOf(rec)
	if raw, ok := rec["outcome"]; ok { // finished (a worker's, inline or recorded: record.go)
		var out outcome
		if err := json.Unmarshal([]byte(raw), &out); err != nil {
			return broker.Task{}, fmt.Errorf("task %s: corrupt outcome: %w", id, err)
		}
		applyOutcome(&t, out)
		q.finished.put(t, lost) // a finished task never changes: later reads need no Redis
		return t, nil
	}
	if _, ok := rec["inline"]; ok { // running in the process that accepted it, or offered (inline.go)
		if err := inlineState(&t, rec); err != nil {
			return broker.Task{}, err
		}
		return t, nil
	}
	info, err := q.insp.GetTaskInfo(rec["queue"], id)
	if errors.Is(err, asynq.ErrQueueNotFound) && rec["queue"] != "" {
		// asynq forgot the queue (Redis lost its data since this process first submitted
		// to it, and the check has not noticed yet): register it and look again.
		q.register(rec["queue"])
		if rerr := q.rdb.SAdd(ctx, keys.AsynqAllQueues, rec["queue"]).Err(); rerr == nil {
			info, err = q.insp.GetTaskInfo(rec["queue"], id)
		}
	}
	if isCanceled, cerr, at := canceled(rec); isCanceled && (err != nil || len(info.Result) == 0) {
		// Canceled before it finished: removed from its queue, or its worker is stopping it.
		t.State, t.Err, t.UpdateTime = broker.TaskCanceled, cerr, at
		return t, nil
	}
	if err != nil && !errors.Is(err, asynq.ErrTaskNotFound) && !errors.Is(err, asynq.ErrQueueNotFound) {
		if out, stray := q.strayOutcome(ctx, rec["queue"], id); stray {
			if out == nil {
				err = asynq.ErrTaskNotFound // a hash with neither task nor result: the task is gone
			} else {
				applyOutcome(&t, *out)
				return t, nil
			}
		}
	}
	switch {
	case errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound):
		// The record outlived asynq's copy: Redis lost part of its data, or someone deleted the
		// task by hand. Whether it ran is unknown: never report it failed.
		return broker.Task{}, model.Errorf(model.ErrLost, "task %s was accepted but its queue entry is gone (Redis lost data, or it was deleted by hand): "+
			"whether it ran is unknown; check its target before submitting it again", id)
	case err != nil:
		return broker.Task{}, rediserr.Wrap("read task", err)
	}
	if (info.State == asynq.TaskStateCompleted || info.State == asynq.TaskStateArchived) && len(info.Result) == 0 {
		// The worker wrote the outcome into the record after it was read above (it writes
		// there, not into asynq's result, finish): read it again.
		if raw, err := q.rdb.HGet(ctx, keys.Record(id), "outcome").Result(); err == nil {
			info.Result = []byte(raw)
		}
	}
	applyInfo(&t, info)
	return t, nil
}

// applyInfo sets the state from asynq's view of the task.
func applyInfo(t *broker.Task, info *asynq.TaskInfo) {
	t.Retried = info.Retried
	t.LastError = info.LastErr
	if !info.LastFailedAt.IsZero() {
		t.UpdateTime = info.LastFailedAt
	}
	if len(info.Result) > 0 {
		var out outcome
		if err := json.Unmarshal(info.Result, &out); err == nil {
			applyOutcome(t, out)
			return
		}
	}
	switch info.State {
	case asynq.TaskStateActive:
		t.State = broker.TaskRunning
	case asynq.TaskStateRetry:
		t.State = broker.TaskRetrying
	case asynq.TaskStateArchived, asynq.TaskStateCompleted:
		// Ended without an outcome: the handler panicked or was killed past its retries.
		t.State = broker.TaskFailed
		t.Err = &model.TaskError{Kind: "internal", Message: "task ended without a result: " + info.LastErr}
	default:
		t.State = broker.TaskPending
	}
}

// Depths counts tasks per queue and state (pending, active, scheduled, retry, archived), for
// the queue-depth metric.
func (q *Queue) Depths(ctx context.Context) (map[string]map[string]int, error) {
	names, err := q.insp.Queues()
	if err != nil {
		return nil, rediserr.Wrap("list queues", err)
	}
	out := map[string]map[string]int{}
	for _, n := range names {
		qi, err := q.insp.GetQueueInfo(n)
		if err != nil {
			continue // removed meanwhile
		}
		out[n] = map[string]int{"pending": qi.Pending, "active": qi.Active, "scheduled": qi.Scheduled, "retry": qi.Retry, "archived": qi.Archived}
	}
	return out, nil
}
