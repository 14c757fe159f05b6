package queue

import (
	"crypto/tls"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// RedisOptions locate the shared Redis and bound its commands: exactly one of Addr,
// SentinelMaster (with SentinelAddrs) or ClusterAddrs. cmd/app fills them from the
// configuration (config.Redis), which documents each setting and its default.
type RedisOptions struct {
	// Addr is host:port of a single Redis.
	Addr     string
	Username string
	Password string
	// DB is the database number; 0 by default, the only one a Cluster has.
	DB int
	// TLS is the client side of TLS to every node (config.Redis.TLSConfig); nil is plain TCP.
	TLS *tls.Config
	// SentinelMaster and SentinelAddrs name a Sentinel-managed master.
	SentinelMaster string
	SentinelAddrs  []string
	// ClusterAddrs are the seed nodes of a Redis Cluster.
	ClusterAddrs []string
	// Timeout bounds one command (connecting, reading, writing, waiting for a pooled
	// connection). 0 keeps go-redis's own bounds (5s to connect, 3s to read or write) and its
	// 3 retries; the configuration's default is 1s.
	Timeout time.Duration
}

// NewRedis opens a client for a single Redis, a Sentinel-managed master or a Cluster. Every
// command is bounded by o.Timeout (connecting, reading, writing, waiting for a pooled
// connection) and tried once, so a stalled Redis fails requests fast as unavailable; blocking
// reads add their block time (go-redis does).
func NewRedis(o RedisOptions) redis.UniversalClient {
	u := &redis.UniversalOptions{
		Username:  o.Username,
		Password:  o.Password,
		DB:        o.DB,
		TLSConfig: o.TLS,
	}
	if d := o.Timeout; d > 0 {
		u.DialTimeout, u.ReadTimeout, u.WriteTimeout, u.PoolTimeout = d, d, d, d
	}
	if d := o.Timeout; d > 0 && d < workerTimeout {
		// A command that timed out is not retried: it may still run once Redis resumes, and
		// a retry would send it twice and hold the caller for a timeout per attempt.
		u.MaxRetries = -1
	}
	switch {
	case len(o.ClusterAddrs) > 0:
		u.Addrs = o.ClusterAddrs
		u.IsClusterMode = true
	case o.SentinelMaster != "":
		u.Addrs = o.SentinelAddrs
		u.MasterName = o.SentinelMaster
	default:
		u.Addrs = []string{o.Addr}
	}
	return redis.NewUniversalClient(u)
}

// workerTimeout is the least Redis command timeout of a worker's own client (NewWorkerRedis).
const workerTimeout = 30 * time.Second

// NewWorkerRedis is NewRedis for a worker (asynq's server): its commands wait out a Redis stall
// of up to 30s instead of failing fast. asynq moves a task to "active" in a script whose
// answer, if it came after the client gave up, would leave the task active with nobody running
// it until asynq's lease recovery (a minute or more); nobody waits on a worker's answer.
func NewWorkerRedis(o RedisOptions) redis.UniversalClient {
	o.Timeout = max(o.Timeout, workerTimeout)
	return NewRedis(o)
}

// ConnOpt is NewRedis's connection as asynq's own option type, for tools that take one
// (asynqmon).
func ConnOpt(o RedisOptions) asynq.RedisConnOpt {
	switch {
	case len(o.ClusterAddrs) > 0:
		return asynq.RedisClusterClientOpt{Addrs: o.ClusterAddrs, Username: o.Username, Password: o.Password, TLSConfig: o.TLS}
	case o.SentinelMaster != "":
		return asynq.RedisFailoverClientOpt{MasterName: o.SentinelMaster, SentinelAddrs: o.SentinelAddrs,
			Username: o.Username, Password: o.Password, DB: o.DB, TLSConfig: o.TLS}
	}
	return asynq.RedisClientOpt{Addr: o.Addr, Username: o.Username, Password: o.Password, DB: o.DB, TLSConfig: o.TLS}
}
