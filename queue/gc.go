package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"cloudbroker/broker/gc"
	"cloudbroker/broker/model"
	"cloudbroker/queue/internal/keys"
	"cloudbroker/queue/internal/rediserr"
)

// GC runs the broker's periodic clean-up jobs (ZStack's GC jobs) as asynq scheduled entries.
//
// Every broker process runs an asynq.Scheduler with one "@every <interval>" entry per enabled
// job, and a small asynq server on the "gc" queue (as webhooks have theirs), so a broker with
// no worker still runs them. Every replica's scheduler enqueues a run each interval; a
// scheduled run first claims the interval's wall-clock period in Redis (SET NX on
// cb:gc:period:<name>:<unix time / interval>, kept an interval), and a run that finds the
// period claimed does nothing: however many replicas fire within one period, the job runs
// once. A trigger (TriggerGCJob) enqueues an extra run, under an id marked as a trigger, that
// claims nothing.
//
// Each job's state is a Redis hash, cb:gc:job:<name>: the ZStack inventory fields plus the
// last run's result. DELETE marks it Deleted: every process's sync loop then unregisters
// the entry, and a run enqueued before that finds the job deleted and does nothing. A process
// that starts with the job enabled in its configuration registers it again (state Enabled):
// that is how a deleted job comes back.

const (
	// GCQueue is the asynq queue of clean-up runs.
	GCQueue = "gc"
	// gcTypePrefix + name is a job's asynq task type (its runnerClass).
	gcTypePrefix = "gc:"
)

// GC job states (ZStack's query example filters state=Enabled) and run statuses (ZStack's
// GCStatus names).
const (
	GCEnabled    = "Enabled"
	GCDisabled   = "Disabled" // configured off (gc.<job>.enabled: false)
	GCDeleted    = "Deleted"  // deleted by DeleteGCJob; not listed
	GCIdle       = "Idle"
	GCProcessing = "Processing"
)

// GCJobUUID is a job's stable uuid, derived from its name.
func GCJobUUID(name string) string {
	sum := sha256.Sum256([]byte("gcjob\x00" + name))
	return hex.EncodeToString(sum[:16])
}

// GCJobSpec is one clean-up job as the process configures it.
type GCJobSpec struct {
	Name     string
	Interval time.Duration
	Enabled  bool
	// Run does the clean-up and says what it did.
	Run func(ctx context.Context) (string, error)
}

// GCConfig tunes GC. Zero fields take the documented defaults.
type GCConfig struct {
	// SyncInterval is how often a process applies deletions made on any replica. Default 2s.
	SyncInterval time.Duration
	// PollInterval is how often the idle runner looks for work. Default 200ms.
	PollInterval time.Duration
	// Timeout bounds one run. Default 10m.
	Timeout time.Duration
	// Node is this process's management node uuid, recorded as the runner of a run; may be "".
	Node   string
	Logger *slog.Logger
}

// GC is one process's part of the clean-up jobs.
type GC struct {
	rdb    redis.UniversalClient
	client *asynq.Client
	sched  *asynq.Scheduler
	srv    *asynq.Server
	cfg    GCConfig
	jobs   map[string]GCJobSpec
	order  []string

	mu      sync.Mutex
	entries map[string]string // job name → scheduler entry id, while registered

	started  bool
	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
}

var _ gc.Store = (*GC)(nil)

// NewGC returns the clean-up jobs of this process; Start it.
func NewGC(rdb redis.UniversalClient, jobs []GCJobSpec, cfg GCConfig) *GC {
	if cfg.SyncInterval == 0 {
		cfg.SyncInterval = 2 * time.Second
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 200 * time.Millisecond
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	g := &GC{rdb: rdb, client: asynq.NewClientFromRedisClient(rdb), cfg: cfg, jobs: map[string]GCJobSpec{},
		entries: map[string]string{}, stop: make(chan struct{}), done: make(chan struct{})}
	for _, j := range jobs {
		g.jobs[j.Name] = j
		g.order = append(g.order, j.Name)
	}
	g.sched = asynq.NewSchedulerFromRedisClient(rdb, &asynq.SchedulerOpts{
		Logger: asynqLogger{cfg.Logger}, LogLevel: asynq.ErrorLevel,
	})
	g.srv = asynq.NewServerFromRedisClient(rdb, asynq.Config{
		Concurrency: 1, Queues: map[string]int{GCQueue: 1},
		TaskCheckInterval: cfg.PollInterval, DelayedTaskCheckInterval: max(cfg.PollInterval, 100*time.Millisecond),
		ShutdownTimeout: 5 * time.Second, Logger: asynqLogger{cfg.Logger}, LogLevel: asynq.WarnLevel,
	})
	return g
}

// periodKey is the claim of a job's scheduled run in the period that holds now.
func periodKey(name string, interval time.Duration, now time.Time) string {
	return keys.GCPeriod(name, now.UnixNano()/int64(interval))
}

// triggerMark is in the task id of a triggered (not scheduled) run.
const triggerMark = ":trigger:"

// Start records every configured job (enabling the enabled ones, a deleted one included),
// registers the enabled ones, and starts the runner and the sync loop.
func (g *GC) Start(ctx context.Context) error {
	if err := g.record(ctx); err != nil {
		return err
	}
	if err := g.srv.Start(asynq.HandlerFunc(g.handle)); err != nil {
		return err
	}
	g.sync(ctx)
	if err := g.sched.Start(); err != nil {
		return err
	}
	g.started = true
	go g.loop()
	return nil
}

// Restore records the configured jobs again after Redis lost its data, as a process start
// does (a job deleted before the loss comes back as configured). It is an Epoch hook; the
// scheduler's entries live in this process and need nothing.
func (g *GC) Restore(ctx context.Context) {
	if err := g.record(ctx); err != nil {
		g.cfg.Logger.Warn("could not record the gc jobs again", "err", err)
		return
	}
	g.sync(ctx)
}

// record writes every configured job's state (enabling the enabled ones, a deleted one too).
func (g *GC) record(ctx context.Context) error {
	now := time.Now().UnixMilli()
	for _, name := range g.order {
		j := g.jobs[name]
		state := GCDisabled
		if j.Enabled {
			state = GCEnabled
		}
		jctx, _ := json.Marshal(map[string]string{"interval": j.Interval.String()})
		key := keys.GCJob(name)
		old, err := g.rdb.HGet(ctx, key, "state").Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return rediserr.Wrap("gc job", err)
		}
		_, err = g.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSetNX(ctx, key, "createMs", now)
			p.HSetNX(ctx, key, "status", GCIdle)
			p.HSet(ctx, key, "name", name, "state", state, "context", jctx)
			if old != state {
				p.HSet(ctx, key, "lastOpMs", now)
			}
			return nil
		})
		if err != nil {
			return rediserr.Wrap("gc job", err)
		}
	}
	return nil
}

// Stop stops scheduling and lets a running job finish (up to 5s).
func (g *GC) Stop() {
	g.stopOnce.Do(func() {
		if g.started {
			close(g.stop)
			<-g.done
			g.sched.Shutdown()
			g.srv.Shutdown()
		}
		g.client.Close()
	})
}

func (g *GC) loop() {
	defer close(g.done)
	t := time.NewTicker(g.cfg.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-g.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), g.cfg.SyncInterval)
			g.sync(ctx)
			cancel()
		}
	}
}

// sync registers the enabled jobs and unregisters the others (deleted on any replica).
func (g *GC) sync(ctx context.Context) {
	for _, name := range g.order {
		j := g.jobs[name]
		state, err := g.rdb.HGet(ctx, keys.GCJob(name), "state").Result()
		if err != nil {
			continue // Redis trouble: keep what is registered
		}
		g.mu.Lock()
		id, registered := g.entries[name]
		switch {
		case state == GCEnabled && j.Enabled && !registered:
			id, err = g.sched.Register(fmt.Sprintf("@every %s", j.Interval), asynq.NewTask(gcTypePrefix+name, nil),
				asynq.Queue(GCQueue), asynq.MaxRetry(0), asynq.Timeout(g.cfg.Timeout))
			if err == nil {
				g.entries[name] = id
			} else {
				g.cfg.Logger.Warn("could not schedule gc job", "job", name, "err", err)
			}
		case state != GCEnabled && registered:
			_ = g.sched.Unregister(id)
			delete(g.entries, name)
			g.cfg.Logger.Info("gc job unscheduled", "job", name, "state", state)
		}
		g.mu.Unlock()
	}
}

// handle runs one job. It never returns an error: a failed run is recorded in the job's
// state, and its task is not retried or archived.
func (g *GC) handle(ctx context.Context, t *asynq.Task) error {
	name := t.Type()[min(len(gcTypePrefix), len(t.Type())):]
	j, ok := g.jobs[name]
	if !ok {
		return nil
	}
	key := keys.GCJob(name)
	state, err := g.rdb.HGet(ctx, key, "state").Result()
	if err != nil || state != GCEnabled {
		return nil // deleted (or disabled) since it was enqueued
	}
	if id, _ := asynq.GetTaskID(ctx); !strings.Contains(id, triggerMark) {
		claimed, err := g.rdb.SetNX(ctx, periodKey(name, j.Interval, time.Now()), g.cfg.Node, j.Interval).Result()
		if err != nil || !claimed {
			return nil // another replica runs this period's (or Redis is away: the next period will)
		}
	}
	start := time.Now()
	g.rdb.HSet(ctx, key, "status", GCProcessing, "lastOpMs", start.UnixMilli(), "node", g.cfg.Node)
	result, runErr := j.Run(ctx)
	end := time.Now()
	errText := ""
	if runErr != nil {
		errText = runErr.Error()
		g.cfg.Logger.Warn("gc job failed", "job", name, "err", runErr)
	} else {
		g.cfg.Logger.Info("gc job done", "job", name, "result", result, "ms", end.Sub(start).Milliseconds())
	}
	wctx := context.WithoutCancel(ctx)
	_, err = g.rdb.TxPipelined(wctx, func(p redis.Pipeliner) error {
		p.HSet(wctx, key, "status", GCIdle, "lastOpMs", end.UnixMilli(), "lastRunMs", start.UnixMilli(),
			"lastResult", result, "lastError", errText)
		p.HIncrBy(wctx, key, "runs", 1)
		return nil
	})
	if err != nil {
		g.cfg.Logger.Warn("could not record a gc run", "job", name, "err", err)
	}
	return nil
}

// GCJobs implements gc.Store: every job not deleted, in configuration order.
func (g *GC) GCJobs(ctx context.Context) ([]gc.Job, error) {
	var cmds []*redis.MapStringStringCmd
	_, err := g.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, name := range g.order {
			cmds = append(cmds, p.HGetAll(ctx, keys.GCJob(name)))
		}
		return nil
	})
	if err != nil {
		return nil, rediserr.Wrap("read gc jobs", err)
	}
	var out []gc.Job
	for i, name := range g.order {
		h := cmds[i].Val()
		if len(h) == 0 || h["state"] == GCDeleted {
			continue
		}
		ms := func(f string) time.Time {
			v, err := strconv.ParseInt(h[f], 10, 64)
			if err != nil {
				return time.Time{}
			}
			return time.UnixMilli(v)
		}
		runs, _ := strconv.Atoi(h["runs"])
		out = append(out, gc.Job{
			UUID: GCJobUUID(name), Name: name, Runner: gcTypePrefix + name, Context: h["context"],
			Status: h["status"], State: h["state"], Node: h["node"],
			CreateDate: ms("createMs"), LastOpDate: ms("lastOpMs"), LastRun: ms("lastRunMs"),
			LastResult: h["lastResult"], LastError: h["lastError"], Runs: runs,
		})
	}
	return out, nil
}

// job finds a job by uuid; a deleted one is not found.
func (g *GC) job(ctx context.Context, uuid string) (string, string, error) {
	for _, name := range g.order {
		if GCJobUUID(name) != uuid {
			continue
		}
		state, err := g.rdb.HGet(ctx, keys.GCJob(name), "state").Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return "", "", rediserr.Wrap("read gc job", err)
		}
		if state != "" && state != GCDeleted {
			return name, state, nil
		}
	}
	return "", "", model.Errorf(model.ErrNotFound, "gc job %s not found", uuid)
}

// TriggerGCJob implements gc.Store: a run now, under a fresh id.
func (g *GC) TriggerGCJob(ctx context.Context, uuid string) error {
	name, state, err := g.job(ctx, uuid)
	if err != nil {
		return err
	}
	if state != GCEnabled {
		return model.Errorf(model.ErrConflict, "gc job %s (%s) is %s: enable it in the configuration (gc.%s.enabled) first", uuid, name, state, name)
	}
	_, err = g.client.EnqueueContext(ctx, asynq.NewTask(gcTypePrefix+name, nil), asynq.TaskID(gcTypePrefix+name+triggerMark+NewTaskID()),
		asynq.Queue(GCQueue), asynq.MaxRetry(0), asynq.Timeout(g.cfg.Timeout), asynq.Retention(time.Hour))
	return rediserr.Wrap("trigger gc job", err)
}

// DeleteGCJob implements gc.Store: every process stops scheduling the job.
func (g *GC) DeleteGCJob(ctx context.Context, uuid string) error {
	name, _, err := g.job(ctx, uuid)
	if err != nil {
		return err
	}
	err = g.rdb.HSet(ctx, keys.GCJob(name), "state", GCDeleted, "lastOpMs", time.Now().UnixMilli()).Err()
	if err != nil {
		return rediserr.Wrap("delete gc job", err)
	}
	g.sync(ctx) // this process at once; the others within their sync interval
	return nil
}
