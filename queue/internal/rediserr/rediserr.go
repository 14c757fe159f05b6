// Package rediserr classifies Redis failures for the queue and the stores alike.
package rediserr

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	"github.com/redis/go-redis/v9"

	"cloudbroker/broker/model"
)

// Wrap marks a Redis failure as model.ErrUnavailable so each dialect answers its 503-class
// error while Redis is down; redis.Nil and other semantic errors pass through.
func Wrap(op string, err error) error {
	if err == nil || errors.Is(err, redis.Nil) {
		return err
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, redis.ErrClosed) ||
		errors.Is(err, context.DeadlineExceeded) || isConnErrText(err) {
		return fmt.Errorf("redis %s: %v: %w", op, err, model.ErrUnavailable)
	}
	return fmt.Errorf("redis %s: %w", op, err)
}

// isConnErrText catches connection errors asynq reports as plain strings.
func isConnErrText(err error) bool {
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return true
	}
	s := err.Error()
	for _, frag := range []string{"connection refused", "i/o timeout", "EOF", "broken pipe", "connection reset", "no such host", "LOADING", "client is closed"} {
		if strings.Contains(s, frag) {
			return true
		}
	}
	return false
}
