package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

// ProviderSpec is a provider as a worker sees it: its identity plus how to reach it.
type ProviderSpec struct {
	model.Provider
	Config drivers.Config
	// MaxConcurrent bounds the provider's tasks running at once on this worker (inventory
	// watches excepted). Default DefaultMaxPerProvider.
	MaxConcurrent int
}

// Executor runs tasks against drivers; it lives in the worker (the broker's own or an agent).
// Connections open lazily, so a cloud that is down at start-up does not stop the worker, and
// one that comes back is used again.
//
// Each provider has a connection per purpose (connpool.go): one its inventory watch owns and
// one its tasks share. A failed task never closes a connection: others may be using it, and
// drivers heal their own (a vCenter Conn logs in again once when its session is lost and its
// HTTP client redials; a libvirt Conn redials). So a task that times out cannot end the watch.
type Executor struct {
	specs map[string]ProviderSpec
	log   *slog.Logger

	// inv is the shared inventory that watch tasks keep current; nil on workers that keep none.
	inv InventoryStore
	// notes records events (notify_exec.go), clones the names of failed clones (clonelog.go);
	// sender names this process in notifications. All optional.
	notes  model.Notifier
	clones CloneFailureLog
	sender string
	// stopping is closed by Stop, ending long-running tasks (watches) early.
	stopping chan struct{}
	stopOnce sync.Once
	// restart is closed by EndWatches, ending the watches running now; then replaced.
	restartMu sync.Mutex
	restart   chan struct{}

	busy slots

	conns connPool
}

// WithInventory makes the executor keep inv current (watch tasks) and returns it.
func (e *Executor) WithInventory(inv InventoryStore) *Executor {
	e.inv = inv
	return e
}

// Stop ends long-running tasks early (a worker about to shut down calls it first, so its
// drain does not wait out a watch period).
func (e *Executor) Stop() { e.stopOnce.Do(func() { close(e.stopping) }) }

// EndWatches ends the watch periods running now, as if they had run out; later watches run as
// usual. After Redis lost its data, a running watch's task is gone and the inventory it keeps
// is empty: the watch must start again, with a full load, under the task every replica
// enqueues anew (one per provider: the task's fixed id). It is an Epoch hook.
func (e *Executor) EndWatches(context.Context) {
	e.restartMu.Lock()
	defer e.restartMu.Unlock()
	close(e.restart)
	e.restart = make(chan struct{})
}

func (e *Executor) restarted() <-chan struct{} {
	e.restartMu.Lock()
	defer e.restartMu.Unlock()
	return e.restart
}

// NewExecutor returns an Executor for the given providers.
func NewExecutor(specs []ProviderSpec, log *slog.Logger) *Executor {
	if log == nil {
		log = slog.Default()
	}
	e := &Executor{specs: map[string]ProviderSpec{}, log: log, stopping: make(chan struct{}), restart: make(chan struct{})}
	e.conns = connPool{open: e.open, conns: map[connKey]drivers.Conn{}, opening: map[connKey]*pendingOpen{}}
	e.busy = slots{max: map[string]int{}, inUse: map[string]int{}}
	for _, s := range specs {
		e.specs[s.Name] = s
		e.busy.max[s.Name] = s.MaxConcurrent
	}
	return e
}

// Serves reports whether provider is configured on this worker.
func (e *Executor) Serves(provider string) bool {
	_, ok := e.specs[provider]
	return ok
}

// Close closes every open connection.
func (e *Executor) Close() error { return e.conns.closeAll() }

// Conn returns the connection a provider's tasks share, opening it if needed.
func (e *Executor) Conn(ctx context.Context, provider string) (drivers.Conn, error) {
	return e.conns.get(ctx, connKey{provider, purposeTasks})
}

// open opens a connection for one purpose of a provider.
func (e *Executor) open(ctx context.Context, k connKey) (drivers.Conn, error) {
	spec, ok := e.specs[k.provider]
	if !ok {
		return nil, model.Errorf(model.ErrNotFound, "provider %q is not configured on this worker", k.provider)
	}
	cfg := spec.Config
	if k.purpose == purposeTasks { // the watch's connection makes one call at a time
		cfg.Concurrency = spec.MaxConcurrent
	} else {
		cfg.Concurrency = 1
	}
	c, err := drivers.Open(ctx, spec.Driver, cfg)
	if err != nil {
		return nil, fmt.Errorf("provider %q: %w", k.provider, err)
	}
	e.log.Info("provider connected", "provider", k.provider, "driver", spec.Driver, "for", k.purpose)
	return c, nil
}

// Execute runs one task and returns its Result.
func (e *Executor) Execute(ctx context.Context, spec TaskSpec) (json.RawMessage, error) {
	if spec.Type != TypeInventoryWatch { // a watch runs for its whole period; it takes no slot
		if err := e.busy.acquire(spec.Provider); err != nil {
			return nil, err
		}
		defer e.busy.release(spec.Provider)
	}
	purpose := purposeTasks
	if spec.Type == TypeInventoryWatch {
		purpose = purposeWatch
		e.watchStarting(ctx, spec.Provider) // before the connection opens, which takes a login
	}
	c, err := e.conns.get(ctx, connKey{spec.Provider, purpose})
	if err != nil {
		if spec.Type == TypeInventoryWatch {
			e.watchConnFailed(ctx, spec, err) // the provider is unreachable: say so (notify_exec.go)
		}
		return nil, err
	}
	res, err := e.run(ctx, c, spec)
	if err != nil {
		return nil, err // the connection stays: see Executor
	}
	e.reflectInInventory(ctx, spec, res)
	return json.Marshal(res)
}

func (e *Executor) run(ctx context.Context, c drivers.Conn, spec TaskSpec) (any, error) {
	if spec.Type == TypeInventoryWatch {
		return e.watch(ctx, c, spec)
	}
	tt, ok := taskTypes[spec.Type]
	if !ok {
		return nil, model.Errorf(model.ErrUnsupported, "unknown task type %q", spec.Type)
	}
	return tt.run(ctx, c, spec)
}

// Retryable reports whether a failed attempt may succeed if tried again: the backend was
// unreachable or slow. Everything else (not found, invalid, unsupported) fails at once.
func Retryable(err error) bool {
	return errors.Is(err, model.ErrUnavailable) || errors.Is(err, model.ErrTimeout) ||
		errors.Is(err, context.DeadlineExceeded)
}
