package drivers

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"cloudbroker/broker/model"
)

var (
	mu       sync.RWMutex
	registry = map[string]Driver{}
)

// Register makes a driver available under name. It panics on a nil driver or a duplicate name,
// as database/sql.Register does: both are programming errors found at start-up.
func Register(name string, d Driver) {
	mu.Lock()
	defer mu.Unlock()
	if d == nil {
		panic("drivers: Register driver is nil")
	}
	if _, dup := registry[name]; dup {
		panic("drivers: Register called twice for driver " + name)
	}
	registry[name] = d
}

// Names lists the registered drivers, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Open opens a connection with the named driver.
func Open(ctx context.Context, driver string, cfg Config) (Conn, error) {
	mu.RLock()
	d, ok := registry[driver]
	mu.RUnlock()
	if !ok {
		return nil, model.Errorf(model.ErrInvalid, "unknown driver %q (registered: %v)", driver, Names())
	}
	return d.Open(ctx, cfg)
}

// Unsupported is the error for a capability conn lacks.
func Unsupported(provider, capability string) error {
	return fmt.Errorf("provider %q cannot %s: %w", provider, capability, model.ErrUnsupported)
}
