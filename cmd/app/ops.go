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

// mountOps adds /metrics (open as Prometheus scrapes it, or behind http.metrics_token) and
// the asynq queue UI at /admin/queues/ (admin tokens only: Bearer, or Basic with the token as
// password so a browser can log in; writes only from its own origin, see sameOrigin).
func (a *App) mountOps(r *gin.Engine) {
	metrics.SetState(a.queue.Depths, a.syncAges)
	prom := gin.WrapH(promhttp.HandlerFor(metrics.Registry, promhttp.HandlerOpts{}))
	if tok := a.cfg.HTTP.MetricsToken; tok != "" {
		r.GET("/metrics", func(c *gin.Context) {
			if !bearerIs(c.Request, tok) {
				c.Header("WWW-Authenticate", `Bearer realm="cloudbroker metrics"`)
				c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": "/metrics needs Authorization: Bearer <http.metrics_token>"})
				return
			}
		}, prom)
	} else {
		r.GET("/metrics", prom)
	}
	mon := asynqmon.New(asynqmon.Options{RootPath: "/admin/queues", RedisConnOpt: a.monConn})
	admin := a.adminTokens()
	r.Any("/admin/queues/*path", func(c *gin.Context) {
		basic, ok := admin(c.Request)
		if !ok {
			c.Header("WWW-Authenticate", `Basic realm="cloudbroker admin"`)
			c.JSON(http.StatusUnauthorized, gin.H{"error": "admin token required (Bearer, or Basic with the token as password)"})
			return
		}
		if err := sameOrigin(c.Request, basic, a.cfg.HTTP.PublicOrigin); err != "" {
			c.JSON(http.StatusForbidden, gin.H{"error": err})
			return
		}
		mon.ServeHTTP(c.Writer, c.Request)
	})
}

// bearerIs reports whether the request's Bearer token is want (in constant time).
func bearerIs(r *http.Request, want string) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// adminTokens returns the check of the queue UI's credentials: an admin token (which the
// configuration also requires to see every provider: the UI shows every tenant's tasks) as
// Bearer or as Basic's password. basic says which, since browsers resend Basic credentials
// on their own and so on any site's behalf.
func (a *App) adminTokens() func(*http.Request) (basic, ok bool) {
	var tokens [][]byte
	for _, t := range a.cfg.Auth.Tokens {
		if t.Admin && t.AllProviders {
			tokens = append(tokens, []byte(t.Token))
		}
	}
	return func(r *http.Request) (basic, ok bool) {
		var got string
		if _, pw, ok := r.BasicAuth(); ok {
			got, basic = pw, true
		} else if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
			got = strings.TrimPrefix(h, "Bearer ")
		} else {
			return false, false
		}
		for _, t := range tokens {
			if subtle.ConstantTimeCompare(t, []byte(got)) == 1 {
				return basic, true
			}
		}
		return basic, false
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
