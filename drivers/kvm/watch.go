package kvm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"time"

	libvirt "github.com/digitalocean/go-libvirt"
	"github.com/google/uuid"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

var _ drivers.Watcher = (*Conn)(nil)

// DefaultWatchResync is the interval between Watch's full re-lists when OptWatchResync is unset.
const DefaultWatchResync = time.Minute

// Watch implements drivers.Watcher: a full listing, then libvirt's domain lifecycle events
// (defined, undefined, started, suspended, resumed, stopped, shut down, crashed), plus a full
// re-list every OptWatchResync for what events cannot tell.
//
// Order of events, all from one goroutine:
//   - The subscription to lifecycle events comes first, so nothing that happens during the
//     listing is lost. Then one VMUpsert per domain (ListVMs' order) and VMSynced.
//   - Each lifecycle event re-reads its domain: VMUpsert with the domain as ListVMs builds it,
//     or VMDelete when it no longer exists (undefined, or a transient domain that stopped).
//   - Each re-list emits VMUpsert for domains that are new or differ from what was last
//     emitted, VMDelete for domains that vanished, then VMSynced. It catches changes events do
//     not report (a reconfigured vCPU count, a new interface address) and events that were
//     lost.
//
// An upsert is emitted only when the VM differs from the last one emitted for that domain, so
// an event that changed nothing the model shows is not repeated. Where the daemon's driver has
// no events (ErrNoSupport), Watch falls back to the re-lists alone.
//
// The subscription lives on the connection: when it drops (or the Conn is closed), Watch ends
// with an error wrapping model.ErrUnavailable. The caller restarts it, which redials, lists
// everything again and sends a new VMSynced. When ctx ends Watch returns ctx.Err().
func (c *Conn) Watch(ctx context.Context, emit func(drivers.VMEvent) error) error {
	lk, err := c.client(ctx)
	if err != nil {
		return c.watchErr(ctx, err, "connect")
	}
	events, stop, err := c.subscribe(ctx, lk)
	if err != nil {
		return err
	}
	defer stop()

	w := &domWatch{c: c, emit: emit, known: map[string]model.VM{}}
	if err := w.relist(ctx); err != nil {
		return err
	}
	var tick <-chan time.Time
	if c.set.watchResync > 0 {
		t := time.NewTicker(c.set.watchResync)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-lk.lv.Disconnected():
			return c.watchErr(ctx, errors.New("connection to the daemon lost"), "watch")
		case ev, ok := <-events:
			if !ok {
				return c.watchErr(ctx, errors.New("event stream ended"), "watch")
			}
			if c.dropEvent != nil && c.dropEvent(ev) {
				continue
			}
			if err := w.onEvent(ctx, ev); err != nil {
				return err
			}
		case <-tick:
			if err := w.relist(ctx); err != nil {
				return err
			}
		}
	}
}

// subscribe registers for lifecycle events on lk. The registration call is bounded by the call
// timeout like any other (go-libvirt calls take no context). stop ends the subscription; it
// never blocks. A daemon whose driver has no events gives a nil channel: re-lists only.
func (c *Conn) subscribe(ctx context.Context, lk *link) (<-chan libvirt.DomainEventLifecycleMsg, func(), error) {
	sctx, cancel := context.WithCancel(context.Background())
	type result struct {
		ch  <-chan libvirt.DomainEventLifecycleMsg
		err error
	}
	res := make(chan result, 1)
	go func() {
		ch, err := lk.lv.LifecycleEvents(sctx)
		res <- result{ch, err}
	}()
	// go-libvirt's forwarding goroutine blocks sending an event nobody reads, even after its
	// context ends: drain the channel until it closes.
	stop := func(ch <-chan libvirt.DomainEventLifecycleMsg) func() {
		return func() {
			cancel()
			if ch != nil {
				go func() {
					for range ch {
					}
				}()
			}
		}
	}
	tctx, tcancel := context.WithTimeout(ctx, c.set.timeout)
	defer tcancel()
	select {
	case r := <-res:
		if r.err == nil {
			return r.ch, stop(r.ch), nil
		}
		cancel()
		if hasCode(r.err, libvirt.ErrNoSupport) || hasCode(r.err, libvirt.ErrOperationUnsupported) || errors.Is(r.err, libvirt.ErrUnsupported) {
			slog.Warn("kvm: no domain events from this daemon; watching by re-listing only",
				"provider", c.set.provider, "uri", c.set.uri, "resync", c.set.watchResync, "err", r.err)
			return nil, func() {}, nil
		}
		if isTransport(r.err) {
			c.drop(lk)
		}
		return nil, nil, c.watchErr(ctx, c.wrap(r.err, "subscribe to domain events"), "subscribe to domain events")
	case <-tctx.Done():
		cancel()
		go func() { // the registration may still complete: drain what it returns
			if r := <-res; r.ch != nil {
				for range r.ch {
				}
			}
		}()
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, fmt.Errorf("kvm %s: watch: subscribe to domain events: no answer from %s within %v: %w", c.set.provider, c.set.uri, c.set.timeout, model.ErrUnavailable)
	}
}

// watchErr gives what Watch returns for err: ctx's error once ctx has ended; otherwise an
// error wrapping model.ErrUnavailable (and no other sentinel) for a dropped or stalled
// connection, or err as it is when the daemon answered with an error.
func (c *Conn) watchErr(ctx context.Context, err error, what string) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	switch model.KindOf(err) {
	case "unavailable":
		return err
	case "timeout", "internal":
		return fmt.Errorf("kvm %s: watch: %s: %w (%v)", c.set.provider, what, model.ErrUnavailable, err)
	}
	return err
}

type domWatch struct {
	c    *Conn
	emit func(drivers.VMEvent) error
	// known is the last VM emitted for each domain, by native id.
	known map[string]model.VM
}

// relist reads every domain and reports the differences to known, then VMSynced.
func (w *domWatch) relist(ctx context.Context) error {
	vms, err := w.c.ListVMs(ctx)
	if err != nil {
		return w.c.watchErr(ctx, err, "list domains")
	}
	seen := make(map[string]bool, len(vms))
	for _, vm := range vms {
		seen[vm.NativeID] = true
		if err := w.upsert(vm); err != nil {
			return err
		}
	}
	for id := range w.known {
		if !seen[id] {
			if err := w.remove(id); err != nil {
				return err
			}
		}
	}
	return w.emit(drivers.VMEvent{Kind: drivers.VMSynced})
}

// onEvent re-reads the domain an event names.
func (w *domWatch) onEvent(ctx context.Context, ev libvirt.DomainEventLifecycleMsg) error {
	id := uuid.UUID(ev.Dom.UUID).String()
	vm, err := w.c.vm(ctx, ev.Dom)
	switch {
	case hasNotFound(err):
		return w.remove(id)
	case err != nil:
		return w.c.watchErr(ctx, err, "read vm "+ev.Dom.Name)
	}
	return w.upsert(vm)
}

func (w *domWatch) upsert(vm model.VM) error {
	if old, ok := w.known[vm.NativeID]; ok && reflect.DeepEqual(old, vm) {
		return nil
	}
	w.known[vm.NativeID] = vm
	return w.emit(drivers.VMEvent{Kind: drivers.VMUpsert, NativeID: vm.NativeID, VM: vm})
}

func (w *domWatch) remove(id string) error {
	if _, ok := w.known[id]; !ok {
		return nil
	}
	delete(w.known, id)
	return w.emit(drivers.VMEvent{Kind: drivers.VMDelete, NativeID: id})
}
