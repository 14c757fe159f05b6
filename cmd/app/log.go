package app

import (
	"io"
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"

	"cloudbroker/adapters"
	"cloudbroker/config"
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
		rid := adapters.RequestID(c)
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
