// Package app wires a broker process from its configuration: Redis, the task queue, the
// optional in-process worker, the dialect adapters and the HTTP server. cmd/broker and the
// tests build the same thing through it.
package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"cloudbroker/adapters"
	"cloudbroker/adapters/metrics"
	"cloudbroker/adapters/zstack"
	"cloudbroker/broker"
	"cloudbroker/broker/inventory"
	"cloudbroker/broker/model"
	"cloudbroker/config"
	"cloudbroker/drivers"
	"cloudbroker/queue"
	"cloudbroker/queue/redisstore"
)

// App is one broker process.
type App struct {
	cfg      *config.Config
	log      *slog.Logger
	embedded *queue.Embedded
	rdb      redis.UniversalClient
	wrdb     redis.UniversalClient // the worker's: waits out a Redis stall (queue.NewWorkerRedis)
	epoch    *queue.Epoch          // notices Redis losing its data (dataloss.go)
	monConn  asynq.RedisConnOpt    // the queue UI's own connection to the same Redis
	queue    *queue.Queue
	exec     *broker.Executor
	worker   *queue.Worker
	broker   *broker.Broker
	engine   *gin.Engine
	limiter  *adapters.Limiter
	index    *inventory.Index
	inv      *redisstore.Inventory
	listings *redisstore.Listings // the listings inventory (images, hosts, networks, storage); nil without an inventory
	stop     chan struct{}
	bg       context.CancelFunc // stops the inventory follower

	lastConflicts string // touched only by the followAgents goroutine after Start

	dialects []mounted       // the dialects this process serves (dialects.go)
	zstack   *zstack.Server  // the ZStack dialect's server, which the console searches VMs with
	node     *nodeMembership // this process as a management node (nodes.go)
	gc       *queue.GC       // clean-up jobs (gc.go)

	features features // the broker's feature services (features.go)
}

// New builds the process; nothing listens until Serve.
func New(cfg *config.Config, log *slog.Logger) (*App, error) {
	a := &App{cfg: cfg, log: log, stop: make(chan struct{})}
	if cfg.Redis.Embedded {
		e, err := queue.StartEmbedded()
		if err != nil {
			return nil, fmt.Errorf("embedded redis: %w", err)
		}
		a.embedded = e
		cfg.Redis.Addr = e.Addr()
		log.Warn("DEMO SETUP: in-process Redis (miniredis); tasks do not survive a restart", "addr", e.Addr())
	}
	ro, err := RedisOptions(cfg.Redis)
	if err != nil {
		return nil, err
	}
	a.rdb, a.monConn = queue.NewRedis(ro), queue.ConnOpt(ro)
	a.epoch = queue.NewEpoch(a.rdb, cfg.Redis.LossCheckInterval.D(), log)
	a.queue = queue.New(a.rdb, queue.Config{
		Retention: cfg.Tasks.Retention.D(), Timeout: cfg.Tasks.Timeout.D(), MaxRetry: *cfg.Tasks.MaxRetry, Logger: log,
		Epoch: a.epoch, WriteWithin: cfg.Redis.Timeout.D(),
	})
	var metas []model.Provider
	var specs []broker.ProviderSpec
	for _, p := range cfg.Providers {
		meta := model.Provider{Name: p.Name, Driver: p.Driver, ClientID: p.ClientID, Region: p.Region, Zones: p.Zones}
		metas = append(metas, meta)
		if p.ClientID == "" { // providers bound to a clientid run in that agent, not here
			specs = append(specs, broker.ProviderSpec{Provider: meta, Config: DriverConfig(p), MaxConcurrent: p.MaxConcurrency})
		}
	}
	opts := broker.Options{
		Tasks: a.queue, Refs: redisstore.NewRefs(a.rdb), Providers: broker.NewProviders(metas),
		Agents: queue.NewAgents(a.rdb), AgentOfflineAfter: cfg.Agents.OfflineAfter.D(),
		SyncTimeout: cfg.Tasks.SyncTimeout.D(), Logger: log,
		StoreReachableSince: a.epoch.ReachableSince,
	}
	if *cfg.Inventory.Enabled {
		a.index, a.inv = inventory.NewIndex(), redisstore.NewInventory(a.rdb)
		opts.Index, opts.Inventory = a.index, a.inv
	}
	a.broker = broker.New(opts).WithLiveSnapshots(redisstore.NewLiveSnapshots(a.rdb), cfg.Inventory.LiveSnapshotTTL.D())
	if a.inv != nil {
		a.listings = redisstore.NewListings(a.rdb, cfg.Inventory.ListingRefresh.D())
		a.broker.WithListings(a.listings, listingMaxAge(cfg))
	}
	notes := notifications(a)
	clones := redisstore.NewCloneLog(a.rdb, cfg.Tasks.Retention.D()) // written by the worker, read by the GC job
	if *cfg.Worker.Enabled {
		a.exec = broker.NewExecutor(specs, log).WithNotifier(notes, "broker").WithCloneLog(clones)
		if a.inv != nil {
			a.exec.WithInventory(a.inv)
		}
		a.wrdb = queue.NewWorkerRedis(ro)
		a.worker = queue.NewWorker(a.wrdb, a.exec, queue.WorkerConfig{
			Queues: []string{queue.DefaultQueue}, Concurrency: cfg.Worker.Concurrency, DequeueLoops: cfg.Worker.DequeueLoops, RecordWait: recordWait(cfg),
			PollInterval: cfg.Tasks.PollInterval.D(), RetryDelay: cfg.Tasks.RetryDelay.D(),
			ShutdownTimeout: cfg.Worker.ShutdownTimeout.D(), Logger: log, Observe: metrics.ObserveTask,
		})
		a.queue.ServeInline(a.worker) // sync requests start at once here, not at the next poll
	}
	a.node = a.newNodeMembership()
	a.buildGC()
	a.buildFeatures(notes, clones)
	a.onDataLoss()
	a.engine = a.routes()
	return a, nil
}

// DriverConfig turns a provider's configuration into its driver's.
func DriverConfig(p config.Provider) drivers.Config {
	return drivers.Config{Name: p.Name, URL: p.URL, Username: p.Username, Password: p.Password,
		Insecure: p.Insecure, Timeout: p.Timeout.D(), Options: p.Options}
}

// Tokens turns configured tokens into callers.
func Tokens(cfg *config.Config) adapters.Tokens {
	var ts adapters.Tokens
	for _, t := range cfg.Auth.Tokens {
		ts = append(ts, adapters.Token{Token: t.Token, Caller: model.Caller{Name: t.Name, AllProviders: t.AllProviders, Providers: t.Providers}})
	}
	return ts
}

func (a *App) routes() *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	// Client addresses (the login throttle, anonymous rate limits) come from the peer, or
	// from X-Forwarded-For only when a configured proxy sent it.
	if err := r.SetTrustedProxies(a.cfg.HTTP.TrustedProxies); err != nil {
		a.log.Error("http.trusted_proxies", "err", err) // validated with the configuration
	}
	r.NoRoute(func(c *gin.Context) { unrouted(c, http.StatusNotFound) })
	r.NoMethod(func(c *gin.Context) { unrouted(c, http.StatusMethodNotAllowed) })
	r.Use(adapters.RequestIDs(), gin.Recovery(), metrics.Middleware(dialectLabel), accessLog(a.log))
	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", a.ready)
	a.limiter = Limiter(a.cfg)
	// Every request's deadline is the write timeout: its answer could not be sent after it.
	edge := &adapters.Edge{Limiter: a.limiter, RequestTimeout: a.cfg.HTTP.WriteTimeout.D()}
	a.mountOps(r)
	a.mountDialects(r, edge)
	a.mountConsole(r, edge)
	return r
}

func (a *App) ready(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := a.queue.Ping(ctx); err != nil {
		c.Error(err) // the log has the address; /readyz is open to anyone
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "redis": adapters.PublicMessage(err)})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready", "redis": "ok"})
}

// Handler is the HTTP API.
func (a *App) Handler() http.Handler { return a.engine }

// Broker is the core service.
func (a *App) Broker() *broker.Broker { return a.broker }

// Config is the process's configuration, which a dialect is mounted from.
func (a *App) Config() *config.Config { return a.cfg }

// Queue returns the process's task queue.
func (a *App) Queue() *queue.Queue { return a.queue }

// Redis is the process's Redis client, so a test can check what it sends (a hook added before
// Start sees every command); its worker, if any, has its own, WorkerRedis.
func (a *App) Redis() redis.UniversalClient { return a.rdb }

// WorkerRedis is the client of the process's worker (queue.NewWorkerRedis); nil without one.
func (a *App) WorkerRedis() redis.UniversalClient { return a.wrdb }

// Start starts the worker, follows agents' announced providers and starts the inventory
// watches; without an inventory it warms the VM id map in the background instead.
func (a *App) Start() error {
	a.epoch.Start() // first: what follows writes to Redis under the marker it checks
	if err := a.startDialects(); err != nil {
		return err
	}
	a.joinNodes()
	if err := a.gc.Start(context.Background()); err != nil {
		return fmt.Errorf("gc jobs: %w", err)
	}
	if a.worker != nil {
		if err := a.worker.Start(); err != nil {
			return fmt.Errorf("worker: %w", err)
		}
	}
	a.refreshAnnounced()
	go a.followAgents()
	if a.inv != nil {
		ctx, cancel := context.WithCancel(context.Background())
		a.bg = cancel
		go a.inv.Follow(ctx, a.index, a.log, func() { a.log.Info("inventory loaded", "vms", a.index.Len()) })
		go a.scheduleWatches(ctx)
		go a.listings.Run(ctx, a.log)
		go a.refreshListings(ctx)
	}
	if a.inv != nil {
		// No listing beside the watches: each watch's first load fills the inventory, and
		// ids resolve from it as it loads (broker/ids.go). A second full listing at start
		// doubled the load on the vCenter exactly when it was busiest.
		return nil
	}
	go func() { // without an inventory, warm the VM ids so the first request does not list
		ctx, cancel := context.WithTimeout(context.Background(), a.cfg.Tasks.SyncTimeout.D())
		defer cancel()
		page, err := a.broker.ListVMs(ctx, model.System, broker.ListVMsQuery{Limit: 1})
		if err != nil {
			a.log.Warn("initial VM listing failed; ids resolve on first use", "err", err)
			return
		}
		for _, f := range page.Failed {
			a.log.Warn("provider not listed at start-up", "provider", f.Provider, "err", f.Err)
		}
		a.log.Info("VM ids loaded", "vms", page.Total)
	}()
	return nil
}

// Serve serves HTTP on ln until ctx ends, then shuts down gracefully: in-flight requests finish
// (up to http.shutdown_timeout), then the worker drains its running tasks.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler: a.engine, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: a.cfg.HTTP.ReadTimeout.D(), WriteTimeout: a.cfg.HTTP.WriteTimeout.D(),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.log.Info("broker listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.leaveNodes() // no longer a management node from the moment it stops taking requests
	a.log.Info("shutting down: finishing in-flight requests", "timeout", a.cfg.HTTP.ShutdownTimeout.D())
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.HTTP.ShutdownTimeout.D())
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// scheduleWatches makes sure every provider has its inventory watch, on whatever worker
// serves it. Every replica does this; the watch's fixed task id keeps it to one per provider.
func (a *App) scheduleWatches(ctx context.Context) {
	args, _ := json.Marshal(broker.WatchArgs{Period: a.cfg.Inventory.Period.D()})
	t := time.NewTicker(a.cfg.Inventory.ScheduleInterval.D())
	defer t.Stop()
	for {
		for _, p := range a.broker.Providers().Visible(model.System) {
			if !broker.HasVMs(p) { // a catalog: nothing to watch
				continue
			}
			spec := broker.TaskSpec{Type: broker.TypeInventoryWatch, Provider: p.Name, ClientID: p.ClientID, Args: args}
			started, err := a.queue.EnsureWatch(ctx, spec, a.cfg.Inventory.Period.D(), time.Minute)
			if err != nil && ctx.Err() == nil {
				a.log.Warn("could not schedule inventory watch", "provider", p.Name, "err", err)
			} else if started {
				a.log.Debug("inventory watch scheduled", "provider", p.Name)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// followAgents keeps the provider registry in step with the agents' heartbeats.
func (a *App) followAgents() {
	t := time.NewTicker(a.cfg.Agents.HeartbeatInterval.D())
	defer t.Stop()
	for {
		select {
		case <-a.stop:
			return
		case <-t.C:
			a.refreshAnnounced()
		}
	}
}

func (a *App) refreshAnnounced() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	agents, err := queue.NewAgents(a.rdb).Agents(ctx)
	if err != nil {
		return // Redis is down: keep what we know; readyz reports the outage
	}
	a.features.notes.NoticeOfflineAgents(ctx, agents) // once per agent process, across replicas
	conflicts := fmt.Sprint(a.broker.Providers().SetAnnounced(agents))
	if conflicts != "[]" && conflicts != a.lastConflicts { // log a conflict once, not every beat
		a.log.Warn("provider conflicts", "conflicts", conflicts)
	}
	a.lastConflicts = conflicts
}

// Close stops the worker (letting running tasks finish) and releases everything.
func (a *App) Close() {
	close(a.stop)
	a.epoch.Stop()
	a.leaveNodes()
	if a.bg != nil {
		a.bg()
	}
	if a.exec != nil {
		a.exec.Stop() // end watch periods now, or the worker's drain would wait them out
	}
	if a.worker != nil {
		a.worker.Shutdown()
	}
	if a.exec != nil {
		a.exec.Close()
	}
	a.stopDialects()
	a.gc.Stop()
	a.queue.Close()
	a.rdb.Close()
	if a.wrdb != nil {
		a.wrdb.Close()
	}
	if a.embedded != nil {
		a.embedded.Close()
	}
}
