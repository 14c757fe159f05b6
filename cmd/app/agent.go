package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"cloudbroker/adapters/metrics"
	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/config"
	"cloudbroker/queue"
	"cloudbroker/queue/redisstore"
)

// Agent is a proxy agent process: the worker for one clientid's queue, holding the drivers (and
// the only copy of the credentials) of its site's providers.
type Agent struct {
	cfg      *config.Config
	clientid string
	log      *slog.Logger
	rdb      redis.UniversalClient
	wrdb     redis.UniversalClient // the worker's (queue.NewWorkerRedis)
	epoch    *queue.Epoch
	exec     *broker.Executor
	worker   *queue.Worker
	queue    *queue.Queue // takes sync requests' tasks offered to the agent (ServeBells)
	hb       *queue.Heartbeat
}

// NewAgent builds an agent for clientid. Every provider in cfg is the agent's: one bound to
// another clientid is a configuration error.
func NewAgent(cfg *config.Config, clientid string, log *slog.Logger) (*Agent, error) {
	if clientid == "" {
		return nil, fmt.Errorf("agent: --clientid is required")
	}
	if err := agentProviders(cfg, clientid); err != nil {
		return nil, err
	}
	var specs []broker.ProviderSpec
	var announced []model.Provider
	for _, p := range cfg.Providers {
		meta := model.Provider{Name: p.Name, Driver: p.Driver, ClientID: clientid, Region: p.Region, Zones: p.Zones}
		announced = append(announced, meta)
		specs = append(specs, broker.ProviderSpec{Provider: meta, Config: DriverConfig(p), MaxConcurrent: p.MaxConcurrency})
	}
	a := &Agent{cfg: cfg, clientid: clientid, log: log.With("clientid", clientid)}
	ro, err := RedisOptions(cfg.Redis)
	if err != nil {
		return nil, err
	}
	a.rdb = queue.NewRedis(ro)
	a.exec = broker.NewExecutor(specs, a.log).WithInventory(redisstore.NewInventory(a.rdb)).
		WithNotifier(redisstore.NewNotifications(a.rdb, cfg.Notifications.Retention.D(), cfg.Notifications.MaxCount, a.log), "agent:"+clientid).
		WithCloneLog(redisstore.NewCloneLog(a.rdb, cfg.Tasks.Retention.D()))
	a.epoch = queue.NewEpoch(a.rdb, cfg.Redis.LossCheckInterval.D(), a.log)
	watchesOnDataLoss(a.epoch, a.exec)
	a.wrdb = queue.NewWorkerRedis(ro)
	a.worker = queue.NewWorker(a.wrdb, a.exec, queue.WorkerConfig{
		Queues: []string{queue.QueueFor(clientid)}, Concurrency: cfg.Worker.Concurrency, DequeueLoops: cfg.Worker.DequeueLoops, RecordWait: recordWait(cfg),
		PollInterval: cfg.Tasks.PollInterval.D(), RetryDelay: cfg.Tasks.RetryDelay.D(),
		ShutdownTimeout: cfg.Worker.ShutdownTimeout.D(), Logger: a.log, Observe: metrics.ObserveTask,
	})
	a.queue = queue.New(a.rdb, queue.Config{
		Retention: cfg.Tasks.Retention.D(), Timeout: cfg.Tasks.Timeout.D(), MaxRetry: *cfg.Tasks.MaxRetry, Logger: a.log,
		Epoch: a.epoch, WriteWithin: cfg.Redis.Timeout.D(),
	})
	host, _ := os.Hostname()
	a.hb = queue.NewHeartbeat(a.rdb, broker.Agent{
		ClientID: clientid, Instance: queue.NewTaskID(), Version: Version, Hostname: host, PID: os.Getpid(),
		Providers: announced, StartedAt: time.Now(),
	}, cfg.Agents.HeartbeatInterval.D(), log)
	return a, nil
}

// Redis is the agent's Redis client, so a test can check what it sends (a hook added before
// Run sees every command); its worker has its own, WorkerRedis.
func (a *Agent) Redis() redis.UniversalClient { return a.rdb }

// WorkerRedis is the client of the agent's worker (queue.NewWorkerRedis).
func (a *Agent) WorkerRedis() redis.UniversalClient { return a.wrdb }

// agentProviders reports every provider of an agent's config that another clientid is bound to.
func agentProviders(cfg *config.Config, clientid string) error {
	var errs []error
	for _, p := range cfg.Providers {
		if p.ClientID != "" && p.ClientID != clientid {
			errs = append(errs, fmt.Errorf("agent %s: provider %q is bound to clientid %q in this config", clientid, p.Name, p.ClientID))
		}
	}
	return errors.Join(errs...)
}

// Run serves until ctx ends, then drains: running tasks finish (up to worker.shutdown_timeout)
// before the agent says goodbye.
func (a *Agent) Run(ctx context.Context) error {
	defer a.rdb.Close()
	defer a.queue.Close()
	defer a.wrdb.Close()
	defer a.exec.Close()
	// Wait past a crashed predecessor's lock (3 heartbeats), no longer: a live one means a
	// second agent was started for the same clientid by mistake.
	if err := a.hb.Acquire(ctx, 4*a.cfg.Agents.HeartbeatInterval.D()); err != nil {
		return err
	}
	a.epoch.Start()
	defer a.epoch.Stop()
	n, err := queue.RecoverOrphans(ctx, a.rdb, queue.QueueFor(a.clientid))
	if err != nil {
		return err
	}
	if n > 0 {
		a.log.Warn("recovering tasks a previous agent process left running", "tasks", n)
	}
	if err := a.worker.Start(); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	// A sync request's task starts when the bell rings, not at the next poll (queue/bell.go).
	if err := a.worker.ServeBells(a.queue, a.clientid); err != nil {
		a.log.Warn("not listening for offered tasks; sync requests wait for the poll", "err", err)
	}
	if addr := a.cfg.Agents.MetricsListen; addr != "" {
		srv := &http.Server{Addr: addr, Handler: promhttp.HandlerFor(metrics.Registry, promhttp.HandlerOpts{}), ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				a.log.Error("metrics listener", "addr", addr, "err", err)
			}
		}()
		defer srv.Close()
	}
	go a.hb.Run()
	a.log.Info("agent running", "queue", queue.QueueFor(a.clientid), "providers", len(a.cfg.Providers), "version", Version)
	select {
	case <-ctx.Done():
	case <-a.hb.Lost():
		a.exec.Stop()
		a.worker.Shutdown()
		return fmt.Errorf("agent %s: lost its lock to another process", a.clientid)
	}
	a.log.Info("agent stopping: draining running tasks", "timeout", a.cfg.Worker.ShutdownTimeout.D())
	a.exec.Stop() // inventory watches end now; other tasks run to completion
	a.worker.Shutdown()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.hb.Stop(sctx); err != nil {
		a.log.Warn("could not record the graceful stop", "err", err)
	}
	a.log.Info("agent stopped")
	return nil
}
