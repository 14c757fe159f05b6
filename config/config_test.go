package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParseDefaultsAndEnv(t *testing.T) {
	c, err := Parse([]byte(`
redis: {addr: "10.0.0.1:6379"}
providers:
  - {name: vc-a, driver: vcenter, url: "https://vc/sdk", username: u}
`), env(map[string]string{"BROKER_REDIS_PASSWORD": "s3cret", "BROKER_TOKEN": "tok-0123456789abcdef", "BROKER_PROVIDER_VC_A_PASSWORD": "p"}))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{
		"listen": c.Listen, "retention": c.Tasks.Retention.D(), "sync": c.Tasks.SyncTimeout.D(),
		"maxRetry": *c.Tasks.MaxRetry, "worker": *c.Worker.Enabled, "body": c.HTTP.MaxBodyBytes,
		"redisPassword": c.Redis.Password, "token": c.Auth.Tokens[0].Token, "providerPassword": c.Providers[0].Password,
		"writeTimeout": c.HTTP.WriteTimeout.D(), "liveSnapshotTTL": c.Inventory.LiveSnapshotTTL.D(),
		"listingRefresh": c.Inventory.ListingRefresh.D(),
	}
	want := map[string]any{
		"listen": "127.0.0.1:8080", "retention": 24 * time.Hour, "sync": 30 * time.Second,
		"maxRetry": 3, "worker": true, "body": int64(1 << 20),
		"redisPassword": "s3cret", "token": "tok-0123456789abcdef", "providerPassword": "p",
		"writeTimeout": 45 * time.Second, "liveSnapshotTTL": 30 * time.Second,
		"listingRefresh": 15 * time.Second,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestListingRefreshOldName: inventory.image_refresh, listing_refresh's old name, still sets it.
func TestListingRefreshOldName(t *testing.T) {
	for _, tc := range []struct {
		name, inventory string
		want            time.Duration
	}{
		{"old name", "{image_refresh: 5s}", 5 * time.Second},
		{"new name", "{listing_refresh: 7s}", 7 * time.Second},
		{"both, the same", "{listing_refresh: 9s, image_refresh: 9s}", 9 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(`redis: {addr: "a:1"}`+"\ninventory: "+tc.inventory), env(nil))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Inventory.ListingRefresh.D(); got != tc.want {
				t.Errorf("listing_refresh = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestValidateNamesTheField(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"no redis", `{}`, "redis: set one of addr"},
		{"two redis modes", `redis: {addr: "a:1", embedded: true}`, "set only one of"},
		{"sentinel half set", `redis: {sentinel_master: m}`, "sentinel_master and sentinel_addrs go together"},
		{"cluster with a db", `redis: {cluster_addrs: ["a:1"], db: 2}`, "redis.db: a Redis Cluster has only database 0"},
		{"typo key", `redis: {adr: "a:1"}`, "field adr not found"},
		{"bad duration", `redis: {addr: "a:1"}` + "\ntasks: {retention: forever}", "invalid duration"},
		{"retention too short", `redis: {addr: "a:1"}` + "\ntasks: {retention: 1m, timeout: 2m}", "tasks.retention"},
		{"short token", `redis: {addr: "a:1"}` + "\nauth: {tokens: [{name: a, token: short}]}", "auth.tokens[0].token"},
		{"token for unknown provider", `redis: {addr: "a:1"}` + "\nauth: {tokens: [{name: a, token: 0123456789abcdefgh, providers: [nope]}]}", `unknown provider "nope"`},
		{"token without scope", `redis: {addr: "a:1"}` + "\nauth: {tokens: [{name: a, token: 0123456789abcdefgh}]}", "auth.tokens[0].providers: lists no providers: name the providers it sees, or set all_providers: true"},
		{"token with empty providers", `redis: {addr: "a:1"}` + "\nauth: {tokens: [{name: a, token: 0123456789abcdefgh, providers: []}]}", "auth.tokens[0].providers: lists no providers"},
		{"token with both scopes", `redis: {addr: "a:1"}` + "\nproviders: [{name: vc, driver: vcenter, url: https://vc/sdk}]\nauth: {tokens: [{name: a, token: 0123456789abcdefgh, providers: [vc], all_providers: true}]}", "auth.tokens[0].all_providers: set providers or all_providers, not both"},
		{"token named like a session", `redis: {addr: "a:1"}` + "\nauth: {tokens: [{name: 'zstack:tenant-b', token: 0123456789abcdefgh, all_providers: true}]}", `auth.tokens[0].name: "zstack:tenant-b" must match`},
		{"token named like the broker", `redis: {addr: "a:1"}` + "\nauth: {tokens: [{name: system, token: 0123456789abcdefgh, all_providers: true}]}", `auth.tokens[0].name: "system" must match`},
		{"duplicate token names", `redis: {addr: "a:1"}` + "\nauth: {tokens: [{name: a, token: 0123456789abcdefgh, all_providers: true}, {name: a, token: 0123456789abcdefgX, all_providers: true}]}", `auth.tokens[1].name: duplicate token name "a"`},
		{"scoped admin", `redis: {addr: "a:1"}` + "\nproviders: [{name: vc, driver: vcenter, url: https://vc/sdk}]\nauth: {tokens: [{name: a, token: 0123456789abcdefgh, providers: [vc], admin: true}]}", "auth.tokens[0].admin: token \"a\": the queue UI shows every tenant's tasks"},
		{"provider without driver", `redis: {addr: "a:1"}` + "\nproviders: [{name: p, url: x}]", "providers[0].driver: required"},
		{"duplicate provider", `redis: {addr: "a:1"}` + "\nproviders: [{name: p, driver: kvm, url: x}, {name: p, driver: kvm, url: y}]", `duplicate provider "p"`},
		{"live snapshot ttl too short", `redis: {addr: "a:1"}` + "\ninventory: {live_snapshot_ttl: 10ms}", "inventory.live_snapshot_ttl: 10ms must be between 1s and 10m"},
		{"live snapshot ttl too long", `redis: {addr: "a:1"}` + "\ninventory: {live_snapshot_ttl: 1h}", "inventory.live_snapshot_ttl: 1h0m0s must be between 1s and 10m"},
		{"negative live snapshot ttl", `redis: {addr: "a:1"}` + "\ninventory: {live_snapshot_ttl: -5s}", "inventory.live_snapshot_ttl: -5s must be between"},
		{"negative dequeue loops", `redis: {addr: "a:1"}` + "\nworker: {dequeue_loops: -1}", "worker.dequeue_loops: must be > 0"},
		{"negative listing refresh", `redis: {addr: "a:1"}` + "\ninventory: {listing_refresh: -1s}", "inventory.listing_refresh: must be > 0"},
		{"both refresh names", `redis: {addr: "a:1"}` + "\ninventory: {listing_refresh: 10s, image_refresh: 20s}", "inventory.image_refresh: is the old name of inventory.listing_refresh (10s)"},
		{"bad log level", `redis: {addr: "a:1"}` + "\nlog: {level: loud}", "log.level"},
		{"short metrics token", `redis: {addr: "a:1"}` + "\nhttp: {metrics_token: short}", "http.metrics_token: must be at least 16 characters"},
		{"public origin with a path", `redis: {addr: "a:1"}` + "\nhttp: {public_origin: https://broker.example/ui}", `http.public_origin: "https://broker.example/ui" is not an origin`},
		{"public origin without scheme", `redis: {addr: "a:1"}` + "\nhttp: {public_origin: broker.example}", `http.public_origin: "broker.example" is not an origin`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), env(nil))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestDemo(t *testing.T) {
	c := Demo("https://u:p@127.0.0.1:1/sdk", env(map[string]string{"BROKER_TOKEN": "fixed-token-0123456789"}))
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if !c.Demo || !c.Redis.Embedded || c.Auth.Tokens[0].Token != "fixed-token-0123456789" || len(c.Providers) != 1 {
		t.Errorf("demo config = %+v", c)
	}
	if r := Demo("https://x/sdk", env(nil)); len(r.Auth.Tokens[0].Token) != 32 {
		t.Errorf("random demo token %q, want 32 hex", r.Auth.Tokens[0].Token)
	}
}
