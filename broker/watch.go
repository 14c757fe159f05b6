package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"cloudbroker/broker/inventory"
	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

// loadBatch is how many changes the first full load writes to Redis at once.
const loadBatch = 500

// watch runs a TypeInventoryWatch task: it follows the provider for one period and keeps the
// shared inventory and the provider's sync status current.
func (e *Executor) watch(ctx context.Context, c drivers.Conn, spec TaskSpec) (any, error) {
	if e.inv == nil {
		return nil, model.Errorf(model.ErrUnsupported, "this worker keeps no inventory")
	}
	var args WatchArgs
	if len(spec.Args) > 0 {
		if err := json.Unmarshal(spec.Args, &args); err != nil {
			return nil, model.Errorf(model.ErrInvalid, "watch args: %v", err)
		}
	}
	if args.Period <= 0 {
		args.Period = 10 * time.Minute
	}
	wctx, cancel := context.WithTimeout(ctx, args.Period)
	defer cancel()
	restart := e.restarted()
	go func() { // a stopping worker ends the period early; the next one runs elsewhere
		select {
		case <-e.stopping:
			cancel()
		case <-restart:
			cancel()
		case <-wctx.Done():
		}
	}()

	s := &syncer{inv: e.inv, provider: spec.Provider, seen: map[string]bool{}}
	statuses, err := e.inv.Statuses(ctx)
	if err != nil {
		return nil, err
	}
	s.status = statuses[spec.Provider]
	s.status.Provider = spec.Provider
	// A provider whose last watch failed is reconnected once this one has synced (notify_exec.go).
	s.wasDown = s.status.State == SyncError
	s.up = e.watchUp
	if s.status.LastSync.IsZero() {
		s.status.State = SyncLoading
		if err := e.inv.SetStatus(ctx, s.status); err != nil {
			return nil, err
		}
	}

	switch d := c.(type) {
	case drivers.Watcher:
		err = d.Watch(wctx, s.emit)
	case drivers.VMLister:
		err = s.listOnce(wctx, d) // no events: one full reconcile per period
		if err == nil {
			<-wctx.Done()
		}
	default:
		err = drivers.Unsupported(spec.Provider, "list VMs")
	}
	if ferr := s.flush(ctx); err == nil {
		err = ferr
	}
	if wctx.Err() != nil && ctx.Err() == nil && (err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return struct{}{}, nil // the period ended (or the worker is stopping): not a failure
	}
	if ctx.Err() != nil {
		// The worker shut down or the task was canceled under it: the provider did not fail,
		// so its status stays as it was; another worker picks the watch up.
		return nil, ctx.Err()
	}
	if err == nil {
		err = fmt.Errorf("watch of %q ended early", spec.Provider)
	}
	s.status.State, s.status.LastError, s.status.LastErrorAt = SyncError, err.Error(), time.Now()
	if serr := e.inv.SetStatus(context.WithoutCancel(ctx), s.status); serr != nil {
		e.log.Warn("could not record sync failure", "provider", spec.Provider, "err", serr)
	}
	e.watchDown(ctx, spec.Provider, s.wasDown, s.status, err) // still down since its last failure: no new event
	e.log.Warn("inventory watch failed; the last inventory stays readable, marked stale", "provider", spec.Provider, "err", err)
	return nil, err
}

// watchStarting marks a provider that was never watched as loading, so a request for an id
// its load will bring waits for it rather than listing the provider beside it (ids.go).
// Errors are ignored: watch sets the status again once connected.
func (e *Executor) watchStarting(ctx context.Context, provider string) {
	if e.inv == nil {
		return
	}
	statuses, err := e.inv.Statuses(ctx)
	if _, known := statuses[provider]; err != nil || known {
		return
	}
	_ = e.inv.SetStatus(ctx, SyncStatus{Provider: provider, State: SyncLoading})
}

// syncer turns a driver's events into inventory changes.
type syncer struct {
	inv      InventoryStore
	provider string
	status   SyncStatus
	seen     map[string]bool // uuids reported since the last (re)start
	loaded   bool            // a full load completed in this watch
	wasDown  bool            // the provider's last watch had failed and it has not synced since
	up       func(context.Context, SyncStatus)
	pending  []inventory.Change
}

func (s *syncer) emit(ev drivers.VMEvent) error {
	ctx := context.Background() // emit has no context; Apply is bounded by the Redis client's timeouts
	id := VMUUID(s.provider, ev.NativeID)
	switch ev.Kind {
	case drivers.VMUpsert:
		vm := ev.VM
		vm.ID, vm.Provider = id, s.provider
		if vm.NativeID == "" {
			vm.NativeID = ev.NativeID
		}
		s.seen[id] = true
		s.pending = append(s.pending, inventory.Change{Op: inventory.Upsert, ID: id, VM: &vm})
	case drivers.VMDelete:
		delete(s.seen, id)
		s.pending = append(s.pending, inventory.Change{Op: inventory.Delete, ID: id})
	case drivers.VMSynced:
		if err := s.flush(ctx); err != nil {
			return err
		}
		return s.synced(ctx)
	}
	// While loading, write in batches; afterwards every change at once, so it shows without delay.
	if s.loaded || len(s.pending) >= loadBatch {
		return s.flush(ctx)
	}
	return nil
}

// synced deletes what the store holds that the full load did not report, and marks the
// provider synced.
func (s *syncer) synced(ctx context.Context) error {
	ids, err := s.inv.VMIDs(ctx, s.provider)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if !s.seen[id] {
			s.pending = append(s.pending, inventory.Change{Op: inventory.Delete, ID: id})
		}
	}
	if err := s.flush(ctx); err != nil {
		return err
	}
	s.loaded = true
	s.status.State, s.status.LastSync, s.status.VMs = SyncSynced, time.Now(), len(s.seen)
	s.status.FullLoads++
	if err := s.inv.SetStatus(ctx, s.status); err != nil {
		return err
	}
	if s.wasDown && s.up != nil {
		s.wasDown = false
		s.up(ctx, s.status)
	}
	return nil
}

func (s *syncer) flush(ctx context.Context) error {
	if len(s.pending) == 0 {
		return nil
	}
	err := s.inv.Apply(ctx, s.provider, s.pending)
	s.pending = s.pending[:0]
	return err
}

// listOnce is the reconcile for drivers that cannot watch: one listing, then synced.
func (s *syncer) listOnce(ctx context.Context, l drivers.VMLister) error {
	vms, err := l.ListVMs(ctx)
	if err != nil {
		return err
	}
	for _, vm := range vms {
		if err := s.emit(drivers.VMEvent{Kind: drivers.VMUpsert, NativeID: vm.NativeID, VM: vm}); err != nil {
			return err
		}
	}
	return s.emit(drivers.VMEvent{Kind: drivers.VMSynced})
}
