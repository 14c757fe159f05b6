package harness

import (
	"context"
	"testing"
	"time"

	"cloudbroker/cmd/app"
	"cloudbroker/config"
	"cloudbroker/test/redistest"
)

// StartAgent runs a proxy agent for clientid in this process, on r, serving providers (their
// ClientID is set to clientid). It stops when the test ends.
func StartAgent(t testing.TB, r *redistest.Server, clientid string, providers ...config.Provider) *app.Agent {
	t.Helper()
	cfg := &config.Config{Redis: config.Redis{Addr: r.Addr}}
	for _, p := range providers {
		p.ClientID = clientid
		cfg.Providers = append(cfg.Providers, p)
	}
	cfg.Tasks.RetryDelay = config.Duration(10 * time.Millisecond)
	cfg.Tasks.PollInterval = config.Duration(10 * time.Millisecond)
	cfg.Worker.ShutdownTimeout = config.Duration(2 * time.Second)
	cfg.SetDefaults()
	a, err := app.NewAgent(cfg, clientid, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	RunAgent(t, a)
	return a
}

// RunAgent runs a until the test ends, then stops it and fails the test if it ended badly.
func RunAgent(t testing.TB, a *app.Agent) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("agent: %v", err)
		}
	})
}
