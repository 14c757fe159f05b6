package app

import (
	"context"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"cloudbroker/adapters"
	"cloudbroker/adapters/metrics"
	"cloudbroker/adapters/zstack"
	"cloudbroker/queue"
	"cloudbroker/queue/redisstore"
)

func init() {
	RegisterDialect(Dialect{Name: "zstack", Prefix: "/zstack", Unrouted: zstack.Unrouted, Mount: func(m Mount) Hooks {
		return m.App.mountZStack(m.Router, m.Edge)
	}})
}

// mountZStack builds the dialect from the configuration and mounts its routes. Its hooks run
// the webhook service that calls X-Web-Hook URLs back (none when zstack.webhooks.allowed_hosts
// is empty, which refuses X-Web-Hook).
func (a *App) mountZStack(r gin.IRouter, edge *adapters.Edge) Hooks {
	z := a.cfg.ZStack
	loc, err := time.LoadLocation(z.TimeZone) // validated with the configuration
	if err != nil {
		loc = time.FixedZone("CST", 8*3600)
	}
	// Sessions are read from this replica's memory, kept fresh over pub/sub (issue 17).
	sessions := redisstore.NewCachedSessions(a.rdb, "zstack", a.cfg.Redis.CacheTTL.D())
	a.epoch.OnLoss(sessions.Flush)
	ctx, stopSessions := context.WithCancel(context.Background())
	opts := zstack.Options{
		SessionTimeout: z.SessionTimeout.D(), Location: loc, PublicURL: z.PublicURL,
		AllowedHooks: z.Webhooks.AllowedHosts, MaxBody: a.cfg.HTTP.MaxBodyBytes,
		Sessions: sessions,
		NodeID:   a.node.node.UUID, Nodes: a.features.nodes, Version: Version,
	}
	f := a.features
	opts.Licenses, opts.Tags, opts.Notifications, opts.GC, opts.LongJobs = f.lic, f.tags, f.notes, f.gc, f.jobs
	if lt := a.cfg.Auth.LoginThrottle; lt.Enabled() {
		opts.Logins = &adapters.LoginThrottle{Store: redisstore.NewLogins(a.rdb), Policy: adapters.AttemptPolicy{
			FreeAttempts: lt.FreeAttempts, BaseDelay: lt.BaseDelay.D(), MaxDelay: lt.MaxDelay.D(), Window: lt.Window.D()}}
	}
	for _, acc := range z.Accounts {
		za := zstack.Account{Name: acc.Name, PasswordSHA512: acc.PasswordSHA512, AllProviders: acc.AllProviders, Providers: acc.Providers}
		for _, u := range acc.Users {
			za.Users = append(za.Users, zstack.User{Name: u.Name, PasswordSHA512: u.PasswordSHA512})
		}
		opts.Accounts = append(opts.Accounts, za)
	}
	var server *zstack.Server
	var hooks Hooks
	if len(z.Webhooks.AllowedHosts) > 0 {
		w := z.Webhooks
		wh := queue.NewWebhooks(a.rdb, func(ctx context.Context, id string) (queue.Rendered, bool, error) {
			body, ok, done, err := server.RenderJob(ctx, id)
			return queue.Rendered{Body: body, Success: ok}, done, err
		}, queue.WebhookConfig{
			Retention: a.cfg.Tasks.Retention.D(), MaxRetry: *w.MaxRetry, RetryDelay: w.RetryDelay.D(),
			MaxDelay: w.MaxDelay.D(), Timeout: w.Timeout.D(), SweepInterval: w.SweepInterval.D(),
			PollInterval: w.PollInterval.D(), Concurrency: w.Concurrency,
			Allowed: func(u *url.URL) error { return server.AllowHook(u) }, Failed: metrics.WebhookFailed, Logger: a.log,
		})
		opts.Hooks = wh
		hooks = Hooks{Start: wh.Start, Stop: wh.Stop}
	}
	hooks = withSessions(hooks, func() { go sessions.Run(ctx, a.log) }, stopSessions)
	server = zstack.New(a.broker, opts)
	server.Register(r, edge)
	a.zstack = server
	return hooks
}

// withSessions adds the session cache's follower to a dialect's hooks.
func withSessions(h Hooks, start, stop func()) Hooks {
	next := h
	return Hooks{
		Start: func() error {
			start()
			if next.Start != nil {
				return next.Start()
			}
			return nil
		},
		Stop: func() {
			if next.Stop != nil {
				next.Stop()
			}
			stop()
		},
	}
}
