package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/queue/internal/keys"
)

// Executor runs one task; broker.Executor is the real one.
type Executor interface {
	Execute(ctx context.Context, spec broker.TaskSpec) (json.RawMessage, error)
}

// FinishObserver is an optional Executor capability: it is told each task's final outcome once
// the outcome is recorded (err nil on success), e.g. to notify failures (broker.Executor).
type FinishObserver interface {
	TaskFinished(ctx context.Context, id string, spec broker.TaskSpec, res json.RawMessage, err error)
}

// WorkerConfig tunes a Worker. Zero fields take the documented defaults.
type WorkerConfig struct {
	// Queues to consume. Default ["default"]. An agent consumes only QueueFor(its clientid).
	Queues []string
	// Concurrency is the number of tasks run at once. Default 10.
	Concurrency int
	// PollInterval is how often an idle worker checks for work. Default 20ms; asynq's own
	// default of 1s would add up to a second to every sync request. With several DequeueLoops,
	// each loop checks every DequeueLoops × PollInterval: together, as often as one.
	PollInterval time.Duration
	// DequeueLoops is how many asynq servers share Concurrency on the worker's queues. asynq
	// takes a task from Redis one round trip at a time per server, and under a backlog that
	// serial take, not the running tasks, bounds a worker's rate (bench/RESULTS.md). Default
	// 2; never more than Concurrency.
	DequeueLoops int
	// RetryDelay is the first retry's delay, doubled each retry, capped at 30s. Default 1s.
	RetryDelay time.Duration
	// ShutdownTimeout lets running tasks finish on Shutdown. Default 30s.
	ShutdownTimeout time.Duration
	// WatchConcurrency is how many inventory watches run at once (one per provider served).
	// Default 64.
	WatchConcurrency int
	// RecordWait is how long a worker waits for the record of a task it took: the submitting
	// call writes it just after the enqueue, never later than RecordWindow of the queue's
	// WriteWithin (deadline.go), so set it above that. Default 3s.
	RecordWait time.Duration
	// Observe, if set, is told each attempt's task type, outcome (ok, failed, retry) and time.
	Observe func(taskType, outcome string, d time.Duration)
	Logger  *slog.Logger
}

// Worker consumes tasks and runs them with an Executor.
type Worker struct {
	// srvs take the worker's tasks, each with its share of Concurrency (DequeueLoops).
	srvs     []*asynq.Server
	watchSrv *asynq.Server
	rdb      redis.UniversalClient
	exec     Executor
	observe  func(taskType, outcome string, d time.Duration)
	log      *slog.Logger
	// recordWait bounds the wait for a task's record (awaitRecord).
	recordWait time.Duration
	// queues are those the worker consumes; inline runs (inline.go) are counted in inlineRuns
	// and told to stop by stopInline; retryDelay and shutdownTimeout are the config's.
	queues          []string
	inlineRuns      sync.WaitGroup
	stopInline      chan struct{}
	stopOnce        sync.Once
	retryDelay      time.Duration
	shutdownTimeout time.Duration
	// finishes are outcomes waiting for asynq's completion, on a client that sends them
	// together (pipelinesFinish: finishpipeline.go).
	finishes        finishes
	pipelinesFinish bool
}

// NewWorker returns a Worker on rdb; call Start.
func NewWorker(rdb redis.UniversalClient, exec Executor, cfg WorkerConfig) *Worker {
	if len(cfg.Queues) == 0 {
		cfg.Queues = []string{DefaultQueue}
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 10
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 20 * time.Millisecond
	}
	if cfg.DequeueLoops == 0 {
		cfg.DequeueLoops = 2
	}
	cfg.DequeueLoops = max(1, min(cfg.DequeueLoops, cfg.Concurrency))
	if cfg.RetryDelay == 0 {
		cfg.RetryDelay = time.Second
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.RecordWait == 0 {
		cfg.RecordWait = 3 * time.Second
	}
	queues := map[string]int{}
	for _, q := range cfg.Queues {
		queues[q] = 1
	}
	if cfg.Observe == nil {
		cfg.Observe = func(string, string, time.Duration) {}
	}
	if cfg.WatchConcurrency == 0 {
		cfg.WatchConcurrency = 64
	}
	w := &Worker{rdb: rdb, exec: exec, observe: cfg.Observe, log: cfg.Logger, recordWait: cfg.RecordWait, queues: cfg.Queues,
		stopInline: make(chan struct{}), retryDelay: cfg.RetryDelay, shutdownTimeout: cfg.ShutdownTimeout}
	srvClient := completionClientFor(rdb, w)
	_, w.pipelinesFinish = srvClient.(completionClient)
	// Retried and scheduled tasks move to their queue at its own pace: a provider-busy retry
	// comes back within 50-150ms on the task servers, while the watch server, polled every
	// 500ms, need not sweep its sets faster than that (an idle worker's Redis load).
	// The first server sweeps for all (janitor 0: asynq's default).
	sweep, janitor := max(cfg.PollInterval, 100*time.Millisecond), time.Duration(0)
	for i := range cfg.DequeueLoops {
		w.srvs = append(w.srvs, newServer(srvClient, cfg, queues, share(cfg.Concurrency, cfg.DequeueLoops, i),
			cfg.PollInterval*time.Duration(cfg.DequeueLoops), sweep, janitor))
		sweep, janitor = sweepsElsewhere, sweepsElsewhere
	}
	// Inventory watches run for minutes each: they get their own server and slots, on their
	// own queues, so they never hold a slot an ordinary task needs. Watches start rarely, so
	// their queues are polled slowly.
	watchQueues := map[string]int{}
	for q := range queues {
		watchQueues[WatchQueue(q)] = 1
	}
	watchPoll := max(cfg.PollInterval, 500*time.Millisecond)
	w.watchSrv = newServer(rdb, cfg, watchQueues, cfg.WatchConcurrency, watchPoll, watchPoll, 0)
	return w
}

// share is loop i's part of concurrency split among loops, the first ones taking the rest.
func share(concurrency, loops, i int) int {
	n := concurrency / loops
	if i < concurrency%loops {
		n++
	}
	return n
}

// sweepsElsewhere is how seldom a worker's second and later task servers do what its first does
// for the same queues: move retried and scheduled tasks to their queue, and delete expired
// finished tasks. So only their dequeue polling adds up, at DequeueLoops × PollInterval each.
const sweepsElsewhere = time.Hour

// newServer is an asynq server on queues that looks for tasks every poll, moves retried and
// scheduled tasks to their queue every sweep, and deletes expired finished ones every janitor
// (0: asynq's default).
func newServer(rdb redis.UniversalClient, cfg WorkerConfig, queues map[string]int, concurrency int, poll, sweep, janitor time.Duration) *asynq.Server {
	return asynq.NewServerFromRedisClient(rdb, asynq.Config{
		Concurrency:              concurrency,
		Queues:                   queues,
		TaskCheckInterval:        poll,
		DelayedTaskCheckInterval: sweep,
		JanitorInterval:          janitor,
		ShutdownTimeout:          cfg.ShutdownTimeout,
		RetryDelayFunc: func(n int, err error, _ *asynq.Task) time.Duration {
			if errors.Is(err, broker.ErrProviderBusy) {
				return time.Duration(50+rand.IntN(100)) * time.Millisecond
			}
			return min(cfg.RetryDelay<<min(n, 10), 30*time.Second)
		},
		IsFailure: func(err error) bool { return !errors.Is(err, broker.ErrProviderBusy) },
		Logger:    asynqLogger{cfg.Logger},
		LogLevel:  asynq.WarnLevel,
	})
}

// Start starts consuming in the background.
func (w *Worker) Start() error {
	for _, srv := range w.srvs {
		if err := srv.Start(asynq.HandlerFunc(w.handle)); err != nil {
			return err
		}
	}
	return w.watchSrv.Start(asynq.HandlerFunc(w.handle))
}

// Shutdown stops taking tasks and waits up to ShutdownTimeout for running ones; a task still
// running after that goes back to its queue and is run again.
// Inline runs get the same time; one still running then goes to the queue (inline.go).
func (w *Worker) Shutdown() {
	var servers sync.WaitGroup
	for _, srv := range append([]*asynq.Server{w.watchSrv}, w.srvs...) {
		servers.Go(srv.Shutdown) // at once, so the wait is one ShutdownTimeout, not one per server
	}
	servers.Wait()
	done := make(chan struct{})
	go func() {
		w.inlineRuns.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(w.shutdownTimeout):
		w.stopOnce.Do(func() { close(w.stopInline) })
		<-done
	}
}

func (w *Worker) handle(ctx context.Context, t *asynq.Task) error {
	id := t.ResultWriter().TaskID()
	var spec broker.TaskSpec
	if err := json.Unmarshal(t.Payload(), &spec); err != nil {
		return w.finishNow(ctx, t, spec, nil, model.Errorf(model.ErrInvalid, "corrupt task payload: %v", err))
	}
	exists, why, isCanceled, finished := w.recordState(ctx, id)
	if !exists && broker.IsUUID(id) {
		exists, why, isCanceled = w.awaitRecord(ctx, id)
	}
	if finished {
		// An earlier run recorded its outcome, and asynq did not hear it had ended (Redis was
		// away): the work is done, only asynq's completion is missing.
		return nil
	}
	if !exists && broker.IsUUID(id) {
		// Every submitted task gets its record just after its enqueue. None: its submission
		// failed (Redis stalled or failed, the caller was told "unavailable"), or Redis lost
		// the record. Nobody can read this task: never run it.
		w.log.Warn("task has no record (its submission failed, or Redis lost it): not run", "task", id, "type", spec.Type)
		return fmt.Errorf("task %s has no record: %w", id, asynq.SkipRetry)
	}
	// asynq takes a task whose run was canceled (Queue.Cancel) back as a failed attempt and
	// retries it: the retry must record the cancellation, not run the task again.
	if isCanceled {
		return w.finish(ctx, t, spec, nil, why)
	}
	start := time.Now()
	pctx, _ := w.withProgress(ctx, id)
	res, err := w.exec.Execute(broker.WithRunningTask(pctx, id), spec)
	if errors.Is(ctx.Err(), context.Canceled) {
		if _, ok := w.cancellation(ctx, id); ok {
			// The result cannot be written with this attempt's context, and asynq has already
			// taken the task back: its retry records the cancellation (above); the record reads
			// canceled meanwhile.
			w.log.Info("task canceled", "task", id, "type", spec.Type, "err", err)
			return ctx.Err()
		}
	}
	if errors.Is(err, broker.ErrProviderBusy) {
		return err // back to the queue shortly, not counted as an attempt (see IsFailure)
	}
	if err != nil && broker.Retryable(err) {
		retried, _ := asynq.GetRetryCount(ctx)
		maxRetry, _ := asynq.GetMaxRetry(ctx)
		if retried < maxRetry {
			w.observe(spec.Type, "retry", time.Since(start))
			w.log.Warn("task attempt failed, will retry", "task", id, "type", spec.Type, "provider", spec.Provider,
				"attempt", retried+1, "of", maxRetry+1, "err", err)
			return err
		}
	}
	outcome := "ok"
	if err != nil {
		outcome = "failed"
	}
	w.observe(spec.Type, outcome, time.Since(start))
	w.log.Info("task done", "task", id, "type", spec.Type, "provider", spec.Provider, "ok", err == nil,
		"ms", time.Since(start).Milliseconds(), "err", err)
	return w.finish(ctx, t, spec, res, err)
}

// awaitRecord waits for the record of a task its submitting call may still be writing, until
// recordWait from now. The record lands within RecordWindow of the enqueue's start, which
// came before this worker took the task, so a wait from now (never from the id's date: a
// caller may choose an id that reads as dated) outlasts it.
func (w *Worker) awaitRecord(ctx context.Context, id string) (exists bool, why *model.TaskError, isCanceled bool) {
	until := time.Now().Add(w.recordWait)
	for time.Now().Before(until) && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
		if exists, why, isCanceled, _ = w.recordState(ctx, id); exists {
			return exists, why, isCanceled
		}
	}
	return false, nil, false
}

// finish records the outcome of a task whose record was read before its run: with asynq's
// completion where it can (finishpipeline.go), else now (finishNow).
func (w *Worker) finish(ctx context.Context, t *asynq.Task, spec broker.TaskSpec, res json.RawMessage, taskErr error) error {
	if ok, r := w.finishLater(ctx, t.ResultWriter().TaskID(), spec, res, taskErr); ok {
		return r
	}
	return w.finishNow(ctx, t, spec, res, taskErr)
}

// finishNow writes the task's outcome and announces it.
func (w *Worker) finishNow(ctx context.Context, t *asynq.Task, spec broker.TaskSpec, res json.RawMessage, taskErr error) error {
	id := t.ResultWriter().TaskID()
	b := outcomeOf(res, taskErr)
	if err := retryWrite(ctx, w.log, id, func() error { return w.recordOutcome(ctx, t, b) }); err != nil {
		// Returning the error makes asynq retry the task: a result must not be lost.
		return fmt.Errorf("writing result: %w", err)
	}
	if obs, ok := w.exec.(FinishObserver); ok {
		obs.TaskFinished(context.WithoutCancel(ctx), id, spec, res, taskErr)
	}
	return handlerResult(taskErr)
}

// outcomeOf is the recorded form of a task's result or error.
func outcomeOf(res json.RawMessage, taskErr error) []byte {
	b, _ := json.Marshal(outcome{OK: taskErr == nil, Data: res, Error: model.NewTaskError(taskErr), FinishedMs: time.Now().UnixMilli()})
	return b
}

// handlerResult is what the handler returns to asynq for a task that ended with taskErr: a
// failed task is handed back as SkipRetry, so it is archived (visible as failed in asynq's
// tools) rather than retried.
func handlerResult(taskErr error) error {
	if taskErr != nil {
		return fmt.Errorf("%v: %w", taskErr, asynq.SkipRetry)
	}
	return nil
}

// finishScript writes a finished task's outcome into its record and announces it, in one
// round trip: Get then answers from the record alone, without asking asynq. It writes nothing
// when the record is missing (Redis lost it, or it is a legacy record without a hash tag):
// a record without its spec would be corrupt. An inline run's lease (inline.go) ends with it.
// KEYS: record. ARGV: outcome, task id, channel.
var finishScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], 'spec') == 0 then return 0 end
redis.call('HSET', KEYS[1], 'outcome', ARGV[1])
redis.call('HDEL', KEYS[1], 'inline')
redis.call('PUBLISH', ARGV[3], ARGV[2])
return 1
`)

// recordOutcome writes outcome b where Get reads it: the task's record (finishScript), or, for
// a task without one (a watch, a legacy or lost record), asynq's result, as before records
// held outcomes; then announces it.
func (w *Worker) recordOutcome(ctx context.Context, t *asynq.Task, b []byte) error {
	id := t.ResultWriter().TaskID()
	wctx := context.WithoutCancel(ctx)
	if broker.IsUUID(id) {
		if written, err := writeOutcome(wctx, w.rdb, id, b); err != nil || written {
			return err
		}
	}
	if _, err := t.ResultWriter().Write(b); err != nil {
		return err
	}
	if err := w.rdb.Publish(wctx, keys.TaskDone, id).Err(); err != nil {
		w.log.Warn("completion not announced; waiters fall back to polling", "err", err)
	}
	return nil
}

// writeOutcome writes outcome b into task id's record and announces it (finishScript);
// written is false when the record is missing.
func writeOutcome(ctx context.Context, rdb redis.UniversalClient, id string, b []byte) (written bool, err error) {
	n, err := finishScript.Run(ctx, rdb, []string{keys.Record(id)}, b, id, keys.TaskDone).Int()
	return n == 1, err
}

// resultWriteFor bounds how long a finished task keeps trying to record its result.
const resultWriteFor = 2 * time.Minute

// retryWrite runs write (an outcome, a hand-off to the queue), retrying while Redis is
// unreachable: the work is done, and giving up would leave the task active until asynq's lease
// recovery (a minute or more) runs it again. Once the outcome is in the record, a run again
// finds it and only completes the task (handle).
// A task whose context ended (shutdown, cancellation) does not retry: asynq runs it again.
func retryWrite(ctx context.Context, log *slog.Logger, id string, write func() error) error {
	deadline := time.Now().Add(resultWriteFor)
	for delay := 100 * time.Millisecond; ; delay = min(2*delay, 2*time.Second) {
		err := write()
		if err == nil || ctx.Err() != nil || time.Now().After(deadline) {
			return err
		}
		log.Warn("could not record a finished task's result; retrying", "task", id, "in", delay, "err", err)
		time.Sleep(delay)
	}
}

// asynqLogger routes asynq's logs into slog.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Error(args ...any) {
	msg := fmt.Sprint(args...)
	if msg == sharedClientNotClosed {
		// Every clean shutdown: the process shares one Redis client among asynq's parts and
		// closes it itself, after them. Not an error.
		a.l.Debug(msg, "component", "asynq")
		return
	}
	a.l.Error(msg, "component", "asynq")
}

// sharedClientNotClosed is what asynq (v0.26) logs when it is asked to close a Redis client it
// was given rather than made.
const sharedClientNotClosed = "Failed to close redis client connection: redis connection is shared so the Client can't be closed through asynq"

// Fatal exits, as asynq's Logger contract requires.
func (a asynqLogger) Fatal(args ...any) {
	a.l.Error(fmt.Sprint(args...), "component", "asynq", "fatal", true)
	os.Exit(1)
}
