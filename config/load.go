package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Load reads a YAML file, applies environment overrides and defaults, and validates.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(b, os.Getenv)
}

// Parse is Load on bytes with an injectable environment, for tests.
func Parse(b []byte, getenv func(string) string) (*Config, error) {
	b, unset := expandPlaceholders(b, getenv) // unset placeholders are reported with the rest
	if b == nil {
		return nil, unset
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)                                             // a misspelt key is an error, not a silently ignored setting
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) { // empty file: empty config
		return nil, errors.Join(unset, fmt.Errorf("config: %w", err))
	}
	c.ApplyEnv(getenv)
	c.SetDefaults()
	if err := errors.Join(unset, c.Validate()); err != nil {
		return nil, err
	}
	return &c, nil
}

// ApplyEnv applies the documented environment overrides.
func (c *Config) ApplyEnv(getenv func(string) string) {
	set := func(dst *string, keys ...string) {
		for _, k := range keys {
			if v := getenv(k); v != "" {
				*dst = v
				return
			}
		}
	}
	set(&c.Listen, "BROKER_LISTEN")
	fileAddr := c.Redis.Addr
	set(&c.Redis.Addr, "BROKER_REDIS_ADDR", "REDIS_ADDR")
	if c.Redis.Addr != fileAddr { // an address from the environment replaces an embedded Redis
		c.Redis.Embedded = false
	}
	set(&c.Redis.Password, "BROKER_REDIS_PASSWORD")
	set(&c.Log.Level, "BROKER_LOG_LEVEL")
	if tok := getenv("BROKER_TOKEN"); tok != "" {
		replaced := false
		for i := range c.Auth.Tokens {
			if c.Auth.Tokens[i].Name == "env" {
				c.Auth.Tokens[i].Token, replaced = tok, true
			}
		}
		if !replaced {
			c.Auth.Tokens = append(c.Auth.Tokens, Token{Name: "env", Token: tok, AllProviders: true, Admin: true})
		}
	}
	for i := range c.Providers {
		p := &c.Providers[i]
		key := "BROKER_PROVIDER_" + strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(p.Name)) + "_PASSWORD"
		set(&p.Password, key)
	}
}

// SetDefaults fills every zero field with its documented default.
func (c *Config) SetDefaults() {
	def := func(d *Duration, v time.Duration) {
		if *d == 0 {
			*d = Duration(v)
		}
	}
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8080"
	}
	def(&c.Redis.Timeout, time.Second)
	def(&c.Redis.LossCheckInterval, time.Second)
	def(&c.Redis.CacheTTL, 2*time.Second)
	def(&c.Inventory.ListingRefresh, c.Inventory.ImageRefresh.D()) // the old name
	def(&c.Inventory.ListingRefresh, 15*time.Second)
	def(&c.Tasks.Retention, 24*time.Hour)
	def(&c.Tasks.SyncTimeout, 30*time.Second)
	def(&c.Tasks.Timeout, 2*time.Minute)
	def(&c.Tasks.RetryDelay, time.Second)
	def(&c.Tasks.PollInterval, 20*time.Millisecond)
	c.ZStack.setDefaults()
	c.Auth.LoginThrottle.setDefaults()
	c.GC.setDefaults()
	c.Notifications.setDefaults()
	if c.Tasks.MaxRetry == nil {
		n := 3
		c.Tasks.MaxRetry = &n
	}
	if c.Worker.Enabled == nil {
		t := true
		c.Worker.Enabled = &t
	}
	if c.Worker.Concurrency == 0 {
		c.Worker.Concurrency = 10
	}
	def(&c.Worker.ShutdownTimeout, 30*time.Second)
	if c.Inventory.Enabled == nil {
		t := true
		c.Inventory.Enabled = &t
	}
	def(&c.Inventory.Period, 10*time.Minute)
	def(&c.Inventory.ScheduleInterval, 5*time.Second)
	def(&c.Inventory.LiveSnapshotTTL, 30*time.Second)
	def(&c.Agents.HeartbeatInterval, time.Second)
	def(&c.Agents.OfflineAfter, 5*time.Second)
	if c.HTTP.MaxBodyBytes == 0 {
		c.HTTP.MaxBodyBytes = 1 << 20
	}
	def(&c.HTTP.ReadTimeout, 30*time.Second)
	def(&c.HTTP.WriteTimeout, c.Tasks.SyncTimeout.D()+15*time.Second)
	def(&c.HTTP.ShutdownTimeout, 40*time.Second)
	if c.HTTP.RateLimit.RPS == 0 {
		c.HTTP.RateLimit.RPS = 200
	}
	if c.HTTP.RateLimit.Burst == 0 {
		c.HTTP.RateLimit.Burst = int(2 * max(c.HTTP.RateLimit.RPS, 1))
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Log.Format == "" {
		c.Log.Format = "text"
	}
	for i := range c.Providers {
		def(&c.Providers[i].Timeout, 30*time.Second)
	}
}
