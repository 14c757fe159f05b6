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
	attrs    = map[string]Attrs{}
)

// Attrs describe a driver beyond what its connections can do (Can): what dialects report of
// the clouds it reaches. A driver gives them when it registers (an Attr each).
type Attrs struct {
	// Hypervisor names what the driver's VMs run on, as its vendor calls it (HypervisorESX,
	// HypervisorKVM); "" for a driver of no hypervisor (an image catalog).
	Hypervisor string
}

// Hypervisors drivers name.
const (
	HypervisorESX = "ESX" // VMware vSphere's
	HypervisorKVM = "KVM"
)

// An Attr sets one of a driver's Attrs.
type Attr func(*Attrs)

// Hypervisor is the Attr naming the driver's hypervisor.
func Hypervisor(name string) Attr { return func(a *Attrs) { a.Hypervisor = name } }

// AttrsOf returns the named driver's Attrs (the zero Attrs for an unknown driver).
func AttrsOf(driver string) Attrs {
	mu.RLock()
	defer mu.RUnlock()
	return attrs[driver]
}

// Register makes a driver available under name, described by as. It panics on a nil driver or
// a duplicate name, as database/sql.Register does: both are programming errors found at start-up.
func Register(name string, d Driver, as ...Attr) {
	mu.Lock()
	defer mu.Unlock()
	if d == nil {
		panic("drivers: Register driver is nil")
	}
	if _, dup := registry[name]; dup {
		panic("drivers: Register called twice for driver " + name)
	}
	registry[name] = d
	var a Attrs
	for _, set := range as {
		set(&a)
	}
	attrs[name] = a
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

// RegisterOpener registers a driver given as its open function, which is all most drivers
// are: the Driver it makes answers a nil Conn (not a nil *C) with an error, and reports C as
// its connection type (ConnTyper), so what it can do is known without connecting.
func RegisterOpener[C Conn](name string, open func(context.Context, Config) (C, error), as ...Attr) {
	Register(name, opener[C](open), as...)
}

type opener[C Conn] func(context.Context, Config) (C, error)

var _ ConnTyper = opener[Conn](nil)

func (o opener[C]) Open(ctx context.Context, cfg Config) (Conn, error) {
	c, err := o(ctx, cfg)
	if err != nil {
		return nil, err // a nil *C in a non-nil interface would fool callers
	}
	return c, nil
}

func (opener[C]) ConnType() Conn {
	var zero C // a nil pointer of the driver's Conn type: type assertions still see its methods
	return zero
}

// ConnTyper is an optional Driver capability: a nil connection of the driver's Conn type, so
// what the driver can do is known without connecting to anything (the same type assertions the
// broker makes on an open connection). Every driver in this repository has it.
type ConnTyper interface {
	ConnType() Conn
}

// Can reports whether the named driver's connections implement capability T (drivers.Cloner,
// say), without connecting. A driver without ConnType can do nothing it does not say.
func Can[T any](driver string) bool {
	mu.RLock()
	d := registry[driver]
	mu.RUnlock()
	ct, ok := d.(ConnTyper)
	if !ok {
		return false
	}
	_, ok = ct.ConnType().(T)
	return ok
}

// Unsupported is the error for a capability conn lacks.
func Unsupported(provider, capability string) error {
	return fmt.Errorf("provider %q cannot %s: %w", provider, capability, model.ErrUnsupported)
}
