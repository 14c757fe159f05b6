// Package metrics holds cloudbroker's Prometheus metrics and the HTTP middleware that counts
// requests. Other packages report through small functions here, so none of them needs the
// Prometheus client.
package metrics

import (
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Registry is the process's registry: Go runtime and process metrics plus cloudbroker's own.
var Registry = prometheus.NewRegistry()

var (
	requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cloudbroker_http_requests_total",
		Help: "HTTP requests by dialect, route, method and status code.",
	}, []string{"dialect", "route", "method", "status"})
	requestSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "cloudbroker_http_request_duration_seconds",
		Help:    "HTTP request latency by dialect and route.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"dialect", "route"})
	taskSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "cloudbroker_task_duration_seconds",
		Help:    "Time a worker spent on one task attempt, by task type and outcome (ok, failed, retry).",
		Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
	}, []string{"type", "outcome"})
	webhookFailures = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "cloudbroker_webhook_delivery_failures_total",
		Help: "Webhook delivery attempts that failed (each retry counts).",
	})
	rateLimited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cloudbroker_rate_limited_total",
		Help: "Requests refused by a rate limit or the login throttle, by dialect and caller (\"login\" for login attempts, \"<name>\" of the anonymous caller).",
	}, []string{"dialect", "caller"})
)

func init() {
	Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		requests, requestSeconds, taskSeconds, webhookFailures, rateLimited)
}

// ObserveTask records one task attempt.
func ObserveTask(taskType, outcome string, d time.Duration) {
	taskSeconds.WithLabelValues(taskType, outcome).Observe(d.Seconds())
}

// WebhookFailed counts a failed webhook delivery attempt.
func WebhookFailed() { webhookFailures.Inc() }

// RateLimited counts a refused request. caller must come from the configuration (a token,
// an account), never from the request, so the series stay few.
func RateLimited(dialect, caller string) { rateLimited.WithLabelValues(dialect, caller).Inc() }

// Middleware counts requests by their route pattern (not the raw path, which would make one
// series per uuid) and the dialect dialectOf names for their path (cmd/app's dialect registry).
func Middleware(dialectOf func(path string) string) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unrouted"
		}
		d := dialectOf(c.Request.URL.Path)
		requests.WithLabelValues(d, route, c.Request.Method, strconv.Itoa(c.Writer.Status())).Inc()
		requestSeconds.WithLabelValues(d, route).Observe(time.Since(start).Seconds())
	}
}
