// Package config loads the broker's and the agent's YAML configuration, applies environment
// overrides and validates the result with messages that name the offending field.
package config

import (
	"time"
)

// Config is the whole configuration. Every field documents its default.
type Config struct {
	// Listen is the HTTP address. Default "127.0.0.1:8080".
	Listen    string    `yaml:"listen"`
	Redis     Redis     `yaml:"redis"`
	Tasks     Tasks     `yaml:"tasks"`
	Worker    Worker    `yaml:"worker"`
	HTTP      HTTP      `yaml:"http"`
	Agents    Agents    `yaml:"agents"`
	Inventory Inventory `yaml:"inventory"`
	ZStack    ZStack    `yaml:"zstack"`
	License   License   `yaml:"license"`
	Auth      Auth      `yaml:"auth"`
	Log       Log       `yaml:"log"`
	// Providers are the clouds this process knows. The broker needs their names, drivers and
	// clientids to route; only a process that runs the worker opens them (and needs secrets).
	Providers []Provider `yaml:"providers"`

	// GC schedules the broker's clean-up jobs (gc.go).
	GC GC `yaml:"gc"`
	// Notifications bounds the broker events kept (gc.go).
	Notifications Notifications `yaml:"notifications"`
	// Demo marks the embedded demo setup (in-process Redis and simulated vCenter).
	Demo bool `yaml:"-"`
}

// Redis locates the shared Redis. Exactly one of Addr, Sentinel, Cluster or Embedded.
type Redis struct {
	// Addr is host:port of a single Redis. Env REDIS_ADDR or BROKER_REDIS_ADDR overrides.
	Addr     string `yaml:"addr"`
	Username string `yaml:"username"`
	// Password; env BROKER_REDIS_PASSWORD overrides (keep it out of the file).
	Password string `yaml:"password"`
	DB       int    `yaml:"db"`
	// RedisTLS: tls and its files (redistls.go), at this level of the YAML.
	RedisTLS `yaml:",inline"`
	// Sentinel: master name and sentinel addresses, for a failover deployment.
	SentinelMaster string   `yaml:"sentinel_master"`
	SentinelAddrs  []string `yaml:"sentinel_addrs"`
	// ClusterAddrs: seed nodes of a Redis Cluster.
	ClusterAddrs []string `yaml:"cluster_addrs"`
	// Embedded runs an in-process Redis (miniredis). For demos only: nothing survives a restart.
	Embedded bool `yaml:"embedded"`
	// Timeout bounds one Redis command (connect, read, write, waiting for a pooled connection).
	// Default 1s: a stalled Redis makes requests answer "unavailable" at once instead of
	// hanging. Blocking reads (the inventory stream) add their own block time to it.
	Timeout Duration `yaml:"timeout"`
	// LossCheckInterval is how often every process checks that Redis still holds its data
	// (the cb:epoch marker) and re-establishes what it owns if not. Default 1s.
	LossCheckInterval Duration `yaml:"loss_check_interval"`
	// CacheTTL bounds how long a replica serves a ZStack session from its own memory. A
	// logout on any replica reaches every other over Redis pub/sub at once (milliseconds);
	// CacheTTL is the bound if that message were lost with a silently dead connection. A
	// session's own expiry is exact whatever it is. Default 2s; negative reads Redis on
	// every request.
	CacheTTL Duration `yaml:"cache_ttl"`
}

// Tasks tunes the task queue.
type Tasks struct {
	// Retention is how long a task and its result stay readable after submission. Default 24h,
	// as the vcproxy sample's ExpireTime - InsertTime.
	Retention Duration `yaml:"retention"`
	// SyncTimeout bounds a sync (mode 0) request's wait. Default 30s. The task goes on after it.
	SyncTimeout Duration `yaml:"sync_timeout"`
	// Timeout bounds one attempt of a task on a worker. Default 2m.
	Timeout Duration `yaml:"timeout"`
	// MaxRetry is how often a task that failed with a transient error is retried. Default 3.
	MaxRetry *int `yaml:"max_retry"`
	// RetryDelay is the first retry's delay, doubled on each retry up to 30s. Default 1s.
	RetryDelay Duration `yaml:"retry_delay"`
	// PollInterval is how often an idle worker looks for new tasks. Default 20ms: asynq's
	// default of 1s would add up to a second to every sync request.
	PollInterval Duration `yaml:"poll_interval"`
}

// Worker configures the task worker in this process.
type Worker struct {
	// Enabled runs an in-process worker for the "default" queue (providers with no clientid).
	// Default true for the broker.
	Enabled *bool `yaml:"enabled"`
	// Concurrency is the number of tasks run at once. Default 10.
	Concurrency int `yaml:"concurrency"`
	// DequeueLoops is how many loops take tasks from Redis at once, sharing Concurrency: one
	// takes a task per round trip, which bounds a worker under a backlog. Default 2.
	DequeueLoops int `yaml:"dequeue_loops"`
	// ShutdownTimeout is how long a stopping worker lets running tasks finish. Default 30s.
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
}

// Agents tunes proxy agents' heartbeats (the agent sends them, the broker judges them). Broker
// processes heartbeat the same way as management nodes (ZStack's QueryManagementNode).
type Agents struct {
	// HeartbeatInterval is how often an agent (and a broker process) announces itself.
	// Default 1s. A killed agent's successor waits up to 3 intervals for its lock.
	HeartbeatInterval Duration `yaml:"heartbeat_interval"`
	// OfflineAfter is how stale a heartbeat may be before the broker fails the agent's tasks
	// fast as offline, and before a killed broker process stops being listed as a management
	// node. Default 5s; keep it above 2 intervals.
	OfflineAfter Duration `yaml:"offline_after"`
	// MetricsListen, in an agent's config, serves its Prometheus metrics (task latency) at
	// http://<addr>/metrics. Empty: none.
	MetricsListen string `yaml:"metrics_listen"`
}

// Inventory tunes the event-driven inventory of every provider's VMs.
type Inventory struct {
	// Enabled keeps an inventory; without it every listing asks the providers. Default true.
	Enabled *bool `yaml:"enabled"`
	// Period is how long one watch follows a provider's events before the next one starts
	// with a full load (the periodic reconcile). Default 10m.
	Period Duration `yaml:"period"`
	// ScheduleInterval is how often a broker makes sure every provider has a watch (and so
	// how soon a new provider, or one whose watch failed for good, is watched). Default 5s.
	ScheduleInterval Duration `yaml:"schedule_interval"`
	// LiveSnapshotTTL is how long a live listing (providers the inventory does not serve) is
	// kept for the later pages of the same query, so they come from the first page's moment
	// without listing again. Default 30s, at most 10m.
	LiveSnapshotTTL Duration `yaml:"live_snapshot_ttl"`
	// ListingRefresh is how often each provider's images, hosts, networks and storage are
	// listed (by one replica per provider and kind) into the listings inventory that their
	// listings are served from (DiDi cimg/list, ZStack's QueryImage, QueryHost,
	// QueryL3Network, QueryPrimaryStorage): a new or changed item shows on every replica
	// within ListingRefresh plus one listing. A list older than twice this plus
	// tasks.sync_timeout (its refresher stopped) is not served: the provider is listed live.
	// Default 15s.
	ListingRefresh Duration `yaml:"listing_refresh"`
	// ImageRefresh is ListingRefresh's old name, read when listing_refresh is unset.
	//
	// Deprecated: set ListingRefresh.
	ImageRefresh Duration `yaml:"image_refresh"`
}

// HTTP tunes the API server.
type HTTP struct {
	// MaxBodyBytes rejects larger request bodies. Default 1 MiB.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// ReadTimeout for a whole request. Default 30s.
	ReadTimeout Duration `yaml:"read_timeout"`
	// WriteTimeout must exceed Tasks.SyncTimeout. Default SyncTimeout + 15s.
	WriteTimeout Duration `yaml:"write_timeout"`
	// ShutdownTimeout lets in-flight requests finish on SIGTERM. Default 40s.
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
	// MetricsToken, if set, is the Bearer token /metrics requires (401 without it). Default "":
	// /metrics is open, as Prometheus scrapes it. At least 16 characters.
	MetricsToken string `yaml:"metrics_token"`
	// PublicOrigin is the broker's address as browsers reach it (scheme://host[:port]), when
	// a proxy in front gives it another Host: the queue UI accepts writes whose Origin (or
	// Referer) is the request's own Host or this. Default "": the request's own Host only.
	PublicOrigin string `yaml:"public_origin"`
	// RateLimit is each caller's default rate (a token on every dialect, a ZStack account or
	// user, the anonymous callers of one address); a token's or account's own rate overrides it.
	// Buckets are per replica: N replicas admit up to N times the rate.
	RateLimit RateLimit `yaml:"rate_limit"`
	// TrustedProxies are the addresses (or CIDR prefixes) of reverse proxies whose
	// X-Forwarded-For names the client; the login throttle and anonymous rate limits count
	// per client address. Default none: the client is the connection's peer, which a caller
	// cannot forge.
	TrustedProxies []string `yaml:"trusted_proxies"`
}

// RateLimit is a token bucket per caller. Over it, a request gets the dialect's rate-limit
// error (vcproxy 429, DiDi 429 errno 3, ZStack 503 SYS.1006) with Retry-After.
type RateLimit struct {
	// RPS is the sustained requests per second. Default 200; negative disables the limit.
	RPS float64 `yaml:"rps"`
	// Burst is how many requests may come at once. Default 2 × RPS.
	Burst int `yaml:"burst"`
}

// Auth lists API tokens and throttles logins.
type Auth struct {
	Tokens        []Token       `yaml:"tokens"`
	LoginThrottle LoginThrottle `yaml:"login_throttle"`
}

// Token grants a caller access. Env BROKER_TOKEN adds a token named "env" that sees everything.
// A token must say what it sees: its providers, or all_providers (never both, never neither).
type Token struct {
	// Name is the caller's name: unique among tokens, it owns the tasks the token submits.
	Name  string `yaml:"name"`
	Token string `yaml:"token"`
	// Providers are what the token sees.
	Providers []string `yaml:"providers"`
	// AllProviders lets the token see every provider, present and future.
	AllProviders bool `yaml:"all_providers"`
	// Admin grants the operator pages (the asynq queue UI at /admin/queues/, which shows every
	// tenant's tasks): only with all_providers.
	Admin bool `yaml:"admin"`
	// Rate overrides http.rate_limit for this token.
	Rate *RateLimit `yaml:"rate"`
}

// Log configures log/slog.
type Log struct {
	// Level: debug, info, warn, error. Default info. Env BROKER_LOG_LEVEL overrides.
	Level string `yaml:"level"`
	// Format: text or json. Default text.
	Format string `yaml:"format"`
}

// Provider is one cloud endpoint.
type Provider struct {
	Name   string `yaml:"name"`
	Driver string `yaml:"driver"`
	URL    string `yaml:"url"`
	// Username and Password are secrets for the driver; set them only in the config of the
	// process that runs this provider's worker (the agent for a site). Env
	// BROKER_PROVIDER_<NAME>_PASSWORD overrides the password.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	Insecure bool   `yaml:"insecure"`
	// ClientID binds the provider to the proxy agent that reaches it; empty means the broker's
	// own worker serves it.
	ClientID string   `yaml:"clientid"`
	Region   string   `yaml:"region"`
	Zones    []string `yaml:"zones"`
	Timeout  Duration `yaml:"timeout"`
	// MaxConcurrency bounds this provider's tasks running at once on one worker, so a slow
	// endpoint cannot take every worker slot. Default 4.
	MaxConcurrency int               `yaml:"max_concurrency"`
	Options        map[string]string `yaml:"options"`
}

// Duration reads "30s"-style strings from YAML.
type Duration time.Duration

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalText prints a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }
