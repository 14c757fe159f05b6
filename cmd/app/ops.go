package app

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hibiken/asynqmon"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"cloudbroker/adapters"
	"cloudbroker/adapters/metrics"
	"cloudbroker/adapters/zstack"
	"cloudbroker/config"
	"cloudbroker/queue"
)

// Limiter builds the per-caller rate limiter from the configuration: tokens by name, ZStack
// accounts and each of their users by the caller names their sessions get.
func Limiter(cfg *config.Config) *adapters.Limiter {
	per := map[string]adapters.Rate{}
	for _, t := range cfg.Auth.Tokens {
		if t.Rate != nil {
			per[t.Name] = adapters.Rate{RPS: t.Rate.RPS, Burst: t.Rate.Burst}
		}
	}
	for _, acc := range cfg.ZStack.Accounts {
		if acc.Rate == nil {
			continue
		}
		r := adapters.Rate{RPS: acc.Rate.RPS, Burst: acc.Rate.Burst}
		per[zstack.CallerName(acc.Name, "")] = r
		for _, u := range acc.Users {
			per[zstack.CallerName(acc.Name, u.Name)] = r
		}
	}
	return adapters.NewLimiter(adapters.Rate{RPS: cfg.HTTP.RateLimit.RPS, Burst: cfg.HTTP.RateLimit.Burst}, per)
}

// mountOps adds /metrics (open, as Prometheus scrapes it) and the asynq queue UI at
// /admin/queues/ (admin tokens only: Bearer, or Basic with the token as password so a
// browser can log in).
func (a *App) mountOps(r *gin.Engine) {
	metrics.SetState(a.queue.Depths, a.syncAges)
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(metrics.Registry, promhttp.HandlerOpts{})))
	mon := asynqmon.New(asynqmon.Options{RootPath: "/admin/queues", RedisConnOpt: queue.ConnOpt(a.cfg.Redis)})
	admin := a.adminTokens()
	r.Any("/admin/queues/*path", func(c *gin.Context) {
		if !admin(c.Request) {
			c.Header("WWW-Authenticate", `Basic realm="cloudbroker admin"`)
			c.JSON(http.StatusUnauthorized, gin.H{"error": "admin token required (Bearer, or Basic with the token as password)"})
			return
		}
		mon.ServeHTTP(c.Writer, c.Request)
	})
}

func (a *App) adminTokens() func(*http.Request) bool {
	var tokens [][]byte
	for _, t := range a.cfg.Auth.Tokens {
		if t.Admin {
			tokens = append(tokens, []byte(t.Token))
		}
	}
	return func(r *http.Request) bool {
		var got string
		if _, pw, ok := r.BasicAuth(); ok {
			got = pw
		} else if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
			got = strings.TrimPrefix(h, "Bearer ")
		}
		for _, t := range tokens {
			if subtle.ConstantTimeCompare(t, []byte(got)) == 1 {
				return true
			}
		}
		return false
	}
}

// syncAges reads every provider's inventory freshness for the metrics.
func (a *App) syncAges(ctx context.Context) (map[string]metrics.SyncAge, error) {
	if a.inv == nil {
		return nil, nil
	}
	sts, err := a.inv.Statuses(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]metrics.SyncAge{}
	for p, st := range sts {
		age := time.Duration(0)
		if !st.LastSync.IsZero() {
			age = time.Since(st.LastSync)
		}
		out[p] = metrics.SyncAge{Age: age, OK: !st.Stale()}
	}
	return out, nil
}
