package harness

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/cmd/app"
	"cloudbroker/queue"
)

// Executor returns a real executor for the broker's providers that have no clientid, as the
// in-process worker has; it is closed when the test ends.
func (b *Broker) Executor(t testing.TB) *broker.Executor {
	var specs []broker.ProviderSpec
	for _, p := range b.Config.Providers {
		if p.ClientID == "" {
			meta := model.Provider{Name: p.Name, Driver: p.Driver, Region: p.Region, Zones: p.Zones}
			specs = append(specs, broker.ProviderSpec{Provider: meta, Config: app.DriverConfig(p)})
		}
	}
	e := broker.NewExecutor(specs, quietLog())
	t.Cleanup(func() { e.Close() })
	return e
}

// StartWorker runs a worker for the default queue on the broker's Redis with exec: with
// Options.NoWorker, it stands in for the in-process worker when a test must control execution.
func (b *Broker) StartWorker(t testing.TB, exec queue.Executor) {
	t.Helper()
	w := queue.NewWorker(b.Redis.Client(t), exec, queue.WorkerConfig{
		PollInterval: 10 * time.Millisecond, RetryDelay: 10 * time.Millisecond, ShutdownTimeout: 2 * time.Second,
		Logger: quietLog(),
	})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Shutdown)
}

func quietLog() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// Gate is an Executor that holds every task of one type, running, until released; other
// types run at once. It makes "a task is running" a state a test can hold still.
type Gate struct {
	Inner queue.Executor
	Hold  string // task type to hold

	once, released sync.Once
	entered        chan broker.TaskSpec
	release        chan struct{}
}

func (g *Gate) init() {
	g.once.Do(func() {
		g.entered = make(chan broker.TaskSpec, 16)
		g.release = make(chan struct{})
	})
}

// Execute implements queue.Executor.
func (g *Gate) Execute(ctx context.Context, spec broker.TaskSpec) (json.RawMessage, error) {
	g.init()
	if spec.Type == g.Hold {
		g.entered <- spec
		select {
		case <-g.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return g.Inner.Execute(ctx, spec)
}

// Entered waits until a held task runs and returns its spec.
func (g *Gate) Entered(t testing.TB) broker.TaskSpec {
	t.Helper()
	g.init()
	select {
	case s := <-g.entered:
		return s
	case <-time.After(20 * time.Second):
		t.Fatalf("no %s task started within 20s", g.Hold)
		return broker.TaskSpec{}
	}
}

// Release lets every held task, and every later one, run.
func (g *Gate) Release() {
	g.init()
	g.released.Do(func() { close(g.release) })
}
