package queue

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"cloudbroker/broker/model"
	"cloudbroker/queue/internal/keys"
	"cloudbroker/queue/internal/rediserr"
)

// Webhooks POST a finished job's result to the URL its caller gave (ZStack's X-Web-Hook).
//
// Register records the hook before the job is submitted. When the job finishes, a broker
// replica renders the dialect's body and enqueues a delivery task on the "webhooks" queue; its
// fixed id ("webhook:<job id>") keeps it to one delivery however many replicas notice. The
// delivery worker POSTs it, and asynq retries a failed POST with backoff. Completions are
// noticed on the completion channel every worker publishes to, at once, for the jobs a replica
// knows to have a hook (webhook_hooked.go), and by a periodic sweep of the pending hooks, for
// completions no replica heard (pub/sub delivers at most once).
//
// Deliveries have their own queue, consumed by every broker process, rather than the "default"
// task queue: a broker that runs no worker (all its providers served by agents) still delivers.

const (
	// WebhookQueue is the asynq queue of deliveries.
	WebhookQueue = "webhooks"
	// TypeWebhookDelivery is the asynq type of a delivery task.
	TypeWebhookDelivery = "webhook:deliver"
)

// Rendered is what a finished job's callback carries: the body and whether the job succeeded.
type Rendered struct {
	Body    []byte
	Success bool
}

// RenderFunc renders a job for its callback; done is false while the job runs. An error wrapping
// model.ErrNotFound means the job is gone (expired): its hook is dropped.
type RenderFunc func(ctx context.Context, jobID string) (r Rendered, done bool, err error)

// WebhookConfig tunes Webhooks. Zero fields take the documented defaults.
type WebhookConfig struct {
	// Retention is how long a pending hook, and a delivery's record, are kept: the tasks'
	// retention, since a job no one can read any more has nothing to deliver. Default 24h.
	Retention time.Duration
	// MaxRetry is how often a failed POST is retried; negative means 0.
	MaxRetry int
	// RetryDelay is the first retry's delay, doubled each retry up to MaxDelay. Defaults 2s, 1m.
	RetryDelay, MaxDelay time.Duration
	// Timeout bounds one POST. Default 10s.
	Timeout time.Duration
	// SweepInterval is how often pending hooks are checked. Default 10s.
	SweepInterval time.Duration
	// PollInterval is how often the idle delivery worker looks for work. Default 100ms.
	PollInterval time.Duration
	// Concurrency is the number of POSTs at once. Default 10.
	Concurrency int
	// Allowed vets a URL just before each POST, as the dialect did at registration: a hook
	// registered before the allow-list shrank is not called.
	Allowed func(*url.URL) error
	// Failed, if set, is called for each failed POST attempt (a metrics counter).
	Failed func()
	Logger *slog.Logger
}

// Webhooks registers, dispatches and delivers job callbacks.
type Webhooks struct {
	rdb    redis.UniversalClient
	client *asynq.Client
	srv    *asynq.Server
	http   *http.Client
	render RenderFunc
	cfg    WebhookConfig

	stop   func() // ends the dispatch loops
	hooked *hooked
	wg     sync.WaitGroup
	checks sync.WaitGroup // dispatches started by Register
}

// NewWebhooks returns the webhook service on rdb; Start it.
func NewWebhooks(rdb redis.UniversalClient, render RenderFunc, cfg WebhookConfig) *Webhooks {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&cfg.Retention, 24*time.Hour)
	def(&cfg.RetryDelay, 2*time.Second)
	def(&cfg.MaxDelay, time.Minute)
	def(&cfg.Timeout, 10*time.Second)
	def(&cfg.SweepInterval, 10*time.Second)
	def(&cfg.PollInterval, 100*time.Millisecond)
	cfg.MaxRetry = max(cfg.MaxRetry, 0)
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 10
	}
	if cfg.Allowed == nil {
		cfg.Allowed = func(*url.URL) error { return nil }
	}
	if cfg.Failed == nil {
		cfg.Failed = func() {}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	w := &Webhooks{rdb: rdb, client: asynq.NewClientFromRedisClient(rdb), render: render, cfg: cfg, hooked: newHooked()}
	w.http = &http.Client{
		Timeout: cfg.Timeout,
		// A receiver on the allow-list must not be able to send the POST somewhere else.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	w.srv = asynq.NewServerFromRedisClient(rdb, asynq.Config{
		Concurrency:              cfg.Concurrency,
		Queues:                   map[string]int{WebhookQueue: 1},
		TaskCheckInterval:        cfg.PollInterval,
		DelayedTaskCheckInterval: max(cfg.PollInterval, 100*time.Millisecond),
		ShutdownTimeout:          cfg.Timeout + time.Second,
		RetryDelayFunc: func(n int, _ error, _ *asynq.Task) time.Duration {
			return min(cfg.RetryDelay<<min(n, 20), cfg.MaxDelay)
		},
		Logger:   asynqLogger{cfg.Logger},
		LogLevel: asynq.ErrorLevel, // each failed POST is logged below, with its reason
	})
	return w
}

// Register records that jobID's result goes to hookURL. Call it before the job is submitted,
// so that a job finishing at once finds its hook.
func (w *Webhooks) Register(ctx context.Context, jobID, hookURL string) error {
	expire := time.Now().Add(w.cfg.Retention)
	// The hook, then the index (two slots on a Cluster): a sweep drops an entry without a hook.
	err := w.rdb.Set(ctx, keys.Hook(jobID), hookURL, w.cfg.Retention).Err()
	if err == nil {
		err = w.rdb.ZAdd(ctx, keys.Webhooks, redis.Z{Score: float64(expire.UnixMilli()), Member: jobID}).Err()
	}
	if err != nil {
		return rediserr.Wrap("register webhook", err)
	}
	w.hooked.add(jobID, expire)
	if err := w.rdb.Publish(ctx, keys.HookAdded, jobID).Err(); err != nil {
		// Recorded all the same: replicas that missed the announcement deliver at a sweep.
		w.cfg.Logger.Warn("webhook registered but not announced; other replicas deliver it at a sweep", "job", jobID, "err", err)
	}
	// The job may have finished before its hook was recorded, its completion message already
	// gone: look once now rather than leave it to the next sweep.
	w.checks.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), w.cfg.Timeout)
		defer cancel()
		w.dispatch(ctx, jobID)
	})
	return nil
}

// Forget drops a pending hook (its job was not submitted after all, or it was dispatched).
func (w *Webhooks) Forget(ctx context.Context, jobID string) error {
	w.hooked.drop(jobID)
	// The hook first: an index entry left by a failure in between is dropped by the next sweep.
	err := w.rdb.Del(ctx, keys.Hook(jobID)).Err()
	if err == nil {
		err = w.rdb.ZRem(ctx, keys.Webhooks, jobID).Err()
	}
	return rediserr.Wrap("forget webhook", err)
}

// Start starts the delivery worker and the dispatch loops.
func (w *Webhooks) Start() error {
	if err := w.srv.Start(asynq.HandlerFunc(w.deliver)); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.stop = cancel
	ps := w.rdb.Subscribe(ctx, keys.TaskDone, keys.HookAdded)
	msgs := ps.Channel() // closed once ps is
	w.wg.Add(2)
	go func() {
		defer w.wg.Done()
		for msg := range msgs {
			if ctx.Err() != nil {
				return
			}
			switch {
			case msg.Channel == keys.HookAdded:
				w.hooked.add(msg.Payload, time.Now().Add(w.cfg.Retention))
			case w.hooked.has(msg.Payload):
				w.dispatch(ctx, msg.Payload)
			}
		}
	}()
	go func() {
		defer w.wg.Done()
		t := time.NewTicker(w.cfg.SweepInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				ps.Close() // ends the subscriber loop too
				return
			case <-t.C:
				w.sweep(ctx)
			}
		}
	}()
	return nil
}

// Stop ends the dispatch loops and lets running deliveries finish.
func (w *Webhooks) Stop() {
	if w.stop != nil {
		w.stop()
		w.wg.Wait()
	}
	w.checks.Wait()
	w.srv.Shutdown()
	w.client.Close()
}

// sweep dispatches every pending hook whose job may have finished unheard, and drops expired ones.
func (w *Webhooks) sweep(ctx context.Context) {
	w.hooked.prune(time.Now())
	now := strconv.FormatInt(time.Now().UnixMilli(), 10)
	w.rdb.ZRemRangeByScore(ctx, keys.Webhooks, "-inf", "("+now)
	ids, err := w.rdb.ZRangeByScoreWithScores(ctx, keys.Webhooks, &redis.ZRangeBy{Min: now, Max: "+inf", Count: 1000}).Result()
	if err != nil {
		if ctx.Err() == nil {
			w.cfg.Logger.Warn("webhook sweep failed", "err", err)
		}
		return
	}
	for _, z := range ids {
		if ctx.Err() != nil {
			return
		}
		id, _ := z.Member.(string)
		w.hooked.add(id, time.UnixMilli(int64(z.Score)))
		w.dispatch(ctx, id)
	}
}

// dispatch enqueues the delivery of a finished job that has a hook; anything else is a no-op.
func (w *Webhooks) dispatch(ctx context.Context, jobID string) {
	hookURL, err := w.rdb.Get(ctx, keys.Hook(jobID)).Result()
	if errors.Is(err, redis.Nil) { // expired with its TTL, or another replica dispatched it
		w.hooked.drop(jobID)
		w.rdb.ZRem(ctx, keys.Webhooks, jobID)
		return
	}
	if err != nil {
		return // Redis trouble: the next sweep tries again
	}
	r, done, err := w.render(ctx, jobID)
	switch {
	case errors.Is(err, model.ErrNotFound):
		w.Forget(ctx, jobID)
		return
	case err != nil:
		w.cfg.Logger.Warn("webhook: cannot render job; will retry at the next sweep", "job", jobID, "err", err)
		return
	case !done:
		return
	}
	payload, _ := json.Marshal(delivery{URL: hookURL, JobID: jobID, Success: r.Success, Body: r.Body})
	_, err = w.client.EnqueueContext(ctx, asynq.NewTask(TypeWebhookDelivery, payload),
		asynq.TaskID("webhook:"+jobID), asynq.Queue(WebhookQueue), asynq.MaxRetry(w.cfg.MaxRetry),
		asynq.Timeout(w.cfg.Timeout+time.Second), asynq.Retention(w.cfg.Retention))
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) { // a conflict: another replica did it
		w.cfg.Logger.Warn("webhook: cannot enqueue delivery; will retry at the next sweep", "job", jobID, "err", err)
		return
	}
	w.Forget(ctx, jobID)
}
