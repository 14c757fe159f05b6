// Package harness starts a whole broker in process for tests: a real redis-server, one or more
// govmomi simulators as vCenter providers, the broker's HTTP API on a loopback port.
package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"cloudbroker/cmd/app"
	"cloudbroker/config"
	"cloudbroker/drivers/vcenter/vcsim"
	"cloudbroker/test/faultproxy"
	"cloudbroker/test/redistest"
)

// Tokens every harness broker accepts.
const (
	AdminToken = "admin-token-0123456789"
	// TenantToken sees only the first provider.
	TenantToken = "tenant-token-0123456789"
)

// Broker is a running in-process broker.
type Broker struct {
	URL    string
	App    *app.App
	Config *config.Config
	Redis  *redistest.Server
	Sims   []*vcsim.Sim
	// Proxies front the simulators when Options.Proxied is set, in the same order.
	Proxies []*faultproxy.Proxy
	// TemplateIDs are the native ids of Options.Templates, by simulator index and name.
	TemplateIDs map[int]map[string]string
	srv         *httptest.Server
}

// Options shape the broker; zero values mean one simulator and a running worker.
type Options struct {
	// Simulators is the number of vCenter providers, named vc1, vc2, ... Default 1.
	Simulators int
	// NoWorker disables the in-process worker, so tasks stay pending until one runs.
	NoWorker bool
	// Redis reuses a server (for restart tests); nil starts a new one.
	Redis *redistest.Server
	// Cluster, if set, is the Redis Cluster the broker uses (redis.cluster_addrs) instead of a
	// server of its own: Broker.Redis is then nil.
	Cluster *redistest.Cluster

	// RedisConfig, if set, is the Redis to use instead (a Sentinel, a TLS server ...): no
	// server is started and Broker.Redis stays nil.
	RedisConfig *config.Redis
	// Sims reuses simulators; nil starts new ones, each in a process of its own (simproc.go).
	Sims []*vcsim.Sim
	// Templates are made on the simulator of that index (Source defaults to DC0_H0_VM0)
	// before the broker starts. A test that needs templates from the start makes them here:
	// govmomi's simulator marks a template without its property collectors' locks, so a
	// broker's watch collecting at that moment races it (a data race inside the simulator
	// that -race reports; a real vCenter has none).
	Templates map[int][]vcsim.Template
	// Proxied puts a fault proxy in front of each simulator (Broker.Proxies), so a test can
	// stall or fail a vCenter.
	Proxied bool
	// KVM adds libvirt providers after the simulators' (see KVMProvider).
	KVM []KVMProvider
	// Tune changes the configuration before the broker is built.
	Tune func(*config.Config)
	// Log, if set, receives the broker's log at info level (access log lines included) instead
	// of stderr. The broker writes to it from several goroutines: it must be safe for that.
	Log io.Writer
}

// Start starts a broker that stops when the test ends.
func Start(t testing.TB, o Options) *Broker {
	t.Helper()
	if o.Simulators == 0 {
		o.Simulators = 1
	}
	b := &Broker{Redis: o.Redis, Sims: o.Sims}
	var redisCfg config.Redis
	switch {
	case o.RedisConfig != nil:
		redisCfg = *o.RedisConfig
	case o.Cluster != nil:
		redisCfg = config.Redis{ClusterAddrs: o.Cluster.Addrs}
	case b.Redis == nil:
		b.Redis = redistest.Start(t)
		fallthrough
	default:
		redisCfg = config.Redis{Addr: b.Redis.Addr}
	}
	for len(b.Sims) < o.Simulators {
		b.Sims = append(b.Sims, StartSim(t))
	}
	for i, tpls := range o.Templates {
		for _, tpl := range tpls {
			if tpl.Source == "" {
				tpl.Source = "DC0_H0_VM0"
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			id, err := b.Sims[i].MakeTemplate(ctx, tpl)
			cancel()
			if err != nil {
				t.Fatalf("template %s on simulator %d: %v", tpl.Name, i, err)
			}
			if b.TemplateIDs == nil {
				b.TemplateIDs = map[int]map[string]string{}
			}
			if b.TemplateIDs[i] == nil {
				b.TemplateIDs[i] = map[string]string{}
			}
			b.TemplateIDs[i][tpl.Name] = id
		}
	}
	cfg := &config.Config{Redis: redisCfg}
	for i, sim := range b.Sims {
		url := sim.URL().String()
		if o.Proxied {
			p := faultproxy.New(t, sim.URL())
			b.Proxies = append(b.Proxies, p)
			url = p.URL.String()
		}
		cfg.Providers = append(cfg.Providers, config.Provider{
			Name: providerName(i), Driver: "vcenter", URL: url, Insecure: true,
			Region: "region-1", Zones: []string{"zone-a"},
		})
	}
	cfg.Providers = append(cfg.Providers, kvmProviders(o.KVM)...)
	cfg.Auth.Tokens = []config.Token{
		{Name: "admin", Token: AdminToken, AllProviders: true, Admin: true},
		{Name: "tenant", Token: TenantToken, Providers: []string{providerName(0)}},
	}
	cfg.Tasks.RetryDelay = config.Duration(10 * time.Millisecond)
	cfg.Tasks.PollInterval = config.Duration(10 * time.Millisecond)
	enabled := !o.NoWorker
	cfg.Worker.Enabled = &enabled
	cfg.Worker.ShutdownTimeout = config.Duration(2 * time.Second)
	if o.Tune != nil {
		o.Tune(cfg)
	}
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	b.Config = cfg
	level := slog.LevelWarn
	if os.Getenv("BROKER_TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if o.Log != nil {
		log = slog.New(slog.NewTextHandler(o.Log, &slog.HandlerOptions{Level: min(level, slog.LevelInfo)}))
	}
	a, err := app.New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if o.Cluster != nil { // a silent cross-slot command (an ignored error) fails the test too
		redistest.CheckSlots(t, a.Redis())
		if w := a.WorkerRedis(); w != nil {
			redistest.CheckSlots(t, w)
		}
	}
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	b.App = a
	b.srv = httptest.NewServer(a.Handler())
	b.URL = b.srv.URL
	t.Cleanup(b.Stop)
	return b
}

// Stop stops the HTTP server and the broker; Redis and simulators stay up.
func (b *Broker) Stop() {
	if b.srv != nil {
		b.srv.Close()
		b.App.Close()
		b.srv = nil
	}
}

func providerName(i int) string { return "vc" + string(rune('1'+i)) }

// Post sends a JSON (or raw []byte / string) body and returns status and body.
func (b *Broker) Post(t testing.TB, path, token string, body any) (int, []byte) {
	t.Helper()
	return b.Do(t, http.MethodPost, path, token, body)
}

// Do sends a request with a bearer token (none if token is "").
func (b *Broker) Do(t testing.TB, method, path, token string, body any) (int, []byte) {
	t.Helper()
	code, _, out := b.Request(t, method, path, body, Bearer(token)...)
	return code, out
}

// Bearer is the header pair that authorizes a request with token, for Request; none if token
// is "".
func Bearer(token string) []string {
	if token == "" {
		return nil
	}
	return []string{"Authorization", "Bearer " + token}
}

// Request sends a request to the broker and returns the answer's status, header and whole body.
// A nil body sends none, a string or []byte is sent as is, any other value as its JSON. The
// request says Content-Type: application/json, then sets header's name/value pairs in order (a
// pair can replace that Content-Type; an odd last name is ignored). It gives up after a minute,
// and fails the test if the request cannot be built, sent or its answer read.
func (b *Broker) Request(t testing.TB, method, path string, body any, header ...string) (int, http.Header, []byte) {
	t.Helper()
	var r io.Reader
	switch v := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(v)
	case string:
		r = bytes.NewReader([]byte(v))
	default:
		buf, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(buf)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, b.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, out
}
