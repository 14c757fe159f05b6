// Package queue runs the broker's tasks on asynq over Redis: submission, per-task results with a
// retention, sync waits, the worker, and the small Redis-kept state (task records, VM ids).
package queue

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"cloudbroker/broker/model"
	"cloudbroker/config"
)

// NewRedis opens a client for a single Redis, a Sentinel-managed master or a Cluster. Every
// command is bounded by c.Timeout (connecting, reading, writing, waiting for a pooled
// connection) and tried once, so a stalled Redis fails requests fast as unavailable; blocking
// reads add their block time (go-redis does). Its only error is a TLS setting that cannot be
// used (config.Redis.TLSConfig).
func NewRedis(c config.Redis) (redis.UniversalClient, error) {
	tlsCfg, err := c.TLSConfig()
	if err != nil {
		return nil, err
	}
	o := &redis.UniversalOptions{
		Username:  c.Username,
		Password:  c.Password,
		DB:        c.DB,
		TLSConfig: tlsCfg,
	}
	if d := c.Timeout.D(); d > 0 {
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = d, d, d, d
	}
	if d := c.Timeout.D(); d > 0 && d < workerTimeout {
		// A command that timed out is not retried: it may still run once Redis resumes, and
		// a retry would send it twice and hold the caller for a timeout per attempt.
		o.MaxRetries = -1
	}
	switch {
	case len(c.ClusterAddrs) > 0:
		o.Addrs = c.ClusterAddrs
		o.IsClusterMode = true
	case c.SentinelMaster != "":
		o.Addrs = c.SentinelAddrs
		o.MasterName = c.SentinelMaster
	default:
		o.Addrs = []string{c.Addr}
	}
	return redis.NewUniversalClient(o), nil
}

// workerTimeout is the least Redis command timeout of a worker's own client (NewWorkerRedis).
const workerTimeout = 30 * time.Second

// NewWorkerRedis is NewRedis for a worker (asynq's server): its commands wait out a Redis stall
// of up to 30s instead of failing fast. asynq moves a task to "active" in a script whose
// answer, if it came after the client gave up, would leave the task active with nobody running
// it until asynq's lease recovery (a minute or more); nobody waits on a worker's answer.
func NewWorkerRedis(c config.Redis) (redis.UniversalClient, error) {
	c.Timeout = config.Duration(max(c.Timeout.D(), workerTimeout))
	return NewRedis(c)
}

// redisErr marks a Redis failure as model.ErrUnavailable so each dialect answers its 503-class
// error while Redis is down; redis.Nil and other semantic errors pass through.
func redisErr(op string, err error) error {
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

// ConnOpt is NewRedis's connection as asynq's own option type, for tools that take one
// (asynqmon).
func ConnOpt(c config.Redis) (asynq.RedisConnOpt, error) {
	tlsCfg, err := c.TLSConfig()
	if err != nil {
		return nil, err
	}
	switch {
	case len(c.ClusterAddrs) > 0:
		return asynq.RedisClusterClientOpt{Addrs: c.ClusterAddrs, Username: c.Username, Password: c.Password, TLSConfig: tlsCfg}, nil
	case c.SentinelMaster != "":
		return asynq.RedisFailoverClientOpt{MasterName: c.SentinelMaster, SentinelAddrs: c.SentinelAddrs,
			Username: c.Username, Password: c.Password, DB: c.DB, TLSConfig: tlsCfg}, nil
	}
	return asynq.RedisClientOpt{Addr: c.Addr, Username: c.Username, Password: c.Password, DB: c.DB, TLSConfig: tlsCfg}, nil
}
