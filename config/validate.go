package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"
)

var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

// Validate reports every problem at once, each naming its field.
func (c *Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: %s: %s", field, fmt.Sprintf(format, args...)))
	}
	r := c.Redis
	modes := 0
	for _, set := range []bool{r.Addr != "", r.SentinelMaster != "" || len(r.SentinelAddrs) > 0, len(r.ClusterAddrs) > 0, r.Embedded} {
		if set {
			modes++
		}
	}
	switch {
	case modes == 0:
		bad("redis", "set one of addr, sentinel_master+sentinel_addrs, cluster_addrs or embedded (env REDIS_ADDR also works)")
	case modes > 1:
		bad("redis", "set only one of addr, sentinel_master+sentinel_addrs, cluster_addrs or embedded")
	}
	if (r.SentinelMaster == "") != (len(r.SentinelAddrs) == 0) {
		bad("redis.sentinel_master", "sentinel_master and sentinel_addrs go together")
	}
	if len(r.ClusterAddrs) > 0 && r.DB != 0 {
		bad("redis.db", "a Redis Cluster has only database 0: remove db (or set it to 0) when cluster_addrs is set")
	}
	errs = append(errs, r.validateTLS()...)
	if c.Tasks.Retention.D() < c.Tasks.SyncTimeout.D() {
		bad("tasks.retention", "%s is shorter than tasks.sync_timeout %s", c.Tasks.Retention.D(), c.Tasks.SyncTimeout.D())
	}
	if life := c.Tasks.Timeout.D() * (1 + 1 + 2*time.Duration(*c.Tasks.MaxRetry)); c.Tasks.Retention.D() < life {
		bad("tasks.retention", "%s is shorter than a task's possible lifetime %s (timeout × attempts): its record would expire while it runs", c.Tasks.Retention.D(), life)
	}
	if *c.Tasks.MaxRetry < 0 {
		bad("tasks.max_retry", "must be >= 0")
	}
	if c.Worker.Concurrency < 0 {
		bad("worker.concurrency", "must be > 0")
	}
	if c.Worker.DequeueLoops < 0 {
		bad("worker.dequeue_loops", "must be > 0")
	}
	if c.HTTP.WriteTimeout.D() <= c.Tasks.SyncTimeout.D() {
		bad("http.write_timeout", "%s must exceed tasks.sync_timeout %s or sync answers are cut off", c.HTTP.WriteTimeout.D(), c.Tasks.SyncTimeout.D())
	}
	if c.Agents.OfflineAfter.D() <= 2*c.Agents.HeartbeatInterval.D() {
		bad("agents.offline_after", "%s must exceed two heartbeat intervals (%s) or live agents look offline", c.Agents.OfflineAfter.D(), 2*c.Agents.HeartbeatInterval.D())
	}
	if ttl := c.Inventory.LiveSnapshotTTL.D(); ttl < time.Second || ttl > 10*time.Minute {
		bad("inventory.live_snapshot_ttl", "%s must be between 1s and 10m: later pages of a live listing come from a snapshot this old", ttl)
	}
	inv := c.Inventory
	if inv.ListingRefresh.D() <= 0 {
		bad("inventory.listing_refresh", "must be > 0")
	}
	if inv.ImageRefresh != 0 && inv.ImageRefresh != inv.ListingRefresh {
		bad("inventory.image_refresh", "is the old name of inventory.listing_refresh (%s): set only listing_refresh", inv.ListingRefresh.D())
	}
	if c.HTTP.MaxBodyBytes < 0 {
		bad("http.max_body_bytes", "must be > 0")
	}
	validateOps(c, bad)
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level) {
		bad("log.level", "%q is not one of debug, info, warn, error", c.Log.Level)
	}
	if !slices.Contains([]string{"text", "json"}, c.Log.Format) {
		bad("log.format", "%q is not one of text, json", c.Log.Format)
	}
	tokens, tokenNames := map[string]string{}, map[string]bool{}
	for i, t := range c.Auth.Tokens {
		f := fmt.Sprintf("auth.tokens[%d]", i)
		if t.Name == "" {
			bad(f+".name", "required")
		} else if !namePattern.MatchString(t.Name) || slices.Contains(reservedCallerNames, t.Name) {
			// A name owns tasks: one shaped like another kind of caller's ("zstack:<account>",
			// the broker's own) would read that caller's tasks.
			bad(f+".name", "%q must match %s and not be one of %v", t.Name, namePattern, reservedCallerNames)
		} else if tokenNames[t.Name] {
			bad(f+".name", "duplicate token name %q: a name owns the tasks its token submits", t.Name)
		}
		tokenNames[t.Name] = true
		scopeProblem(bad, f, len(t.Providers), t.AllProviders)
		if t.Admin && !t.AllProviders {
			bad(f+".admin", "token %q: the queue UI shows every tenant's tasks, so admin needs all_providers: true", t.Name)
		}
		if len(t.Token) < 16 {
			bad(f+".token", "token %q must be at least 16 characters", t.Name)
		}
		if other, dup := tokens[t.Token]; dup && t.Token != "" {
			bad(f+".token", "same token as %q", other)
		}
		tokens[t.Token] = t.Name
	}
	names := map[string]bool{}
	for _, p := range c.Providers {
		names[p.Name] = true
	}
	for i, t := range c.Auth.Tokens {
		for _, p := range t.Providers {
			if !names[p] {
				bad(fmt.Sprintf("auth.tokens[%d].providers", i), "unknown provider %q", p)
			}
		}
	}
	c.Auth.LoginThrottle.validate(bad)
	validateTrustedProxies(c.HTTP.TrustedProxies, bad)
	errs = append(errs, c.ZStack.validate(names)...)
	errs = append(errs, c.GC.validate()...)
	errs = append(errs, c.Notifications.validate()...)
	errs = append(errs, c.License.validate()...)
	seen := map[string]bool{}
	for i, p := range c.Providers {
		f := fmt.Sprintf("providers[%d]", i)
		if !namePattern.MatchString(p.Name) {
			bad(f+".name", "%q must match %s", p.Name, namePattern)
		}
		if seen[p.Name] {
			bad(f+".name", "duplicate provider %q", p.Name)
		}
		seen[p.Name] = true
		if p.Driver == "" {
			bad(f+".driver", "required (vcenter, kvm, catalog)")
		}
		if p.URL == "" {
			bad(f+".url", "required")
		}
		if p.ClientID != "" && !namePattern.MatchString(p.ClientID) {
			bad(f+".clientid", "%q must match %s", p.ClientID, namePattern)
		}
	}
	return errors.Join(errs...)
}

// scopeProblem reports a caller (token, account) that does not say exactly what it sees: an
// empty provider list once meant "everything", so a list emptied by mistake widened a tenant.
func scopeProblem(bad func(field, format string, args ...any), f string, providers int, all bool) {
	switch {
	case providers == 0 && !all:
		bad(f+".providers", "lists no providers: name the providers it sees, or set all_providers: true")
	case providers > 0 && all:
		bad(f+".all_providers", "set providers or all_providers, not both")
	}
}

// reservedCallerNames are the callers the broker makes itself (model.System, the ZStack
// dialect's session-less caller): no token may take their names.
var reservedCallerNames = []string{"system", "zstack-anonymous"}
