package app

import (
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"cloudbroker/config"
	"cloudbroker/queue"
)

// NewLogger builds the process logger from the log config.
func NewLogger(c config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// accessLog logs one line per request with a request id (X-Request-Id, or a new one, echoed
// back) so ops can trace a call through the logs.
func accessLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		rid := c.GetHeader("X-Request-Id")
		if !saneRequestID(rid) {
			rid = queue.NewTaskID()
		}
		c.Set("requestId", rid)
		c.Header("X-Request-Id", rid)
		c.Next()
		attrs := []any{"method", c.Request.Method, "path", c.Request.URL.Path, "status", c.Writer.Status(),
			"ms", time.Since(start).Milliseconds(), "requestId", rid, "remote", c.ClientIP()}
		if caller := c.GetString("caller"); caller != "" {
			attrs = append(attrs, "caller", caller)
		}
		if len(c.Errors) > 0 {
			attrs = append(attrs, "err", c.Errors.String())
		}
		log.Info("request", attrs...)
	}
}

// saneRequestID accepts a caller's X-Request-Id that is safe to echo in headers, bodies and log
// lines and to grep for: 1 to 64 letters, digits and . _ : - (uuids, hex ids, trace ids).
func saneRequestID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._:-", r)) {
			return false
		}
	}
	return true
}
