package vcenter

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"time"

	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

var _ drivers.Watcher = (*Conn)(nil)

// Option keys for Watch, read from drivers.Config.Options at Open.
const (
	// OptWatchPageSize caps the object updates in one WaitForUpdatesEx answer (MaxObjectUpdates),
	// so the first load of a large vCenter arrives in pages rather than one huge response.
	OptWatchPageSize = "watch_page_size"
	// OptWatchMaxWait bounds each WaitForUpdatesEx long poll (MaxWaitSeconds; a Go duration,
	// whole seconds, at least 1s). An idle vCenter answers "nothing new" after that long, which
	// proves the connection and the session alive; a poll without an answer for this long plus
	// the call timeout ends the watch as unavailable.
	OptWatchMaxWait = "watch_max_wait"
	// OptWatchResume is how long Watch keeps asking its collector again after polls fail on
	// the way (timeouts, resets, a proxy's 503) before it ends as unavailable (a Go duration,
	// "1m"; "0" ends it at the first failure). While it asks again the provider is reported
	// synced: the collector keeps every change since the last version, so none is lost, they
	// only arrive late. Default OptWatchMaxWait plus the call timeout: an endpoint that
	// answers nothing for that long is reported unreachable as soon as a hung poll would be.
	OptWatchResume = "watch_resume"
)

const (
	// DefaultWatchPageSize is MaxObjectUpdates when OptWatchPageSize is unset. vCenter may
	// deliver fewer per page (the simulator caps pages at 100).
	DefaultWatchPageSize = 500
	// DefaultWatchMaxWait is MaxWaitSeconds when OptWatchMaxWait is unset.
	DefaultWatchMaxWait = 10 * time.Second
)

// watchOptions reads the watch options; resume is -1 when unset (Open derives it).
func watchOptions(opts map[string]string) (page int32, wait, resume time.Duration, err error) {
	page, wait, resume = DefaultWatchPageSize, DefaultWatchMaxWait, -1
	if v := opts[OptWatchPageSize]; v != "" {
		n, perr := strconv.ParseInt(v, 10, 32)
		if perr != nil || n < 1 {
			return 0, 0, 0, model.Errorf(model.ErrInvalid, "vcenter option %s=%q: want a positive number of objects", OptWatchPageSize, v)
		}
		page = int32(n)
	}
	if v := opts[OptWatchMaxWait]; v != "" {
		d, perr := time.ParseDuration(v)
		if perr != nil || d < time.Second || d%time.Second != 0 {
			return 0, 0, 0, model.Errorf(model.ErrInvalid, "vcenter option %s=%q: want whole seconds, at least 1s (10s)", OptWatchMaxWait, v)
		}
		wait = d
	}
	if v := opts[OptWatchResume]; v != "" {
		d, perr := time.ParseDuration(v)
		if perr != nil || d < 0 {
			return 0, 0, 0, model.Errorf(model.ErrInvalid, "vcenter option %s=%q: want a duration like 1m, or 0 to end the watch at the first failed poll", OptWatchResume, v)
		}
		resume = d
	}
	return page, wait, resume, nil
}

// resumable reports whether a failed poll may simply be asked again: a failure on the way
// (timeout, reset, refused, an HTTP error from a proxy) rather than a vSphere fault, which
// says the collector or the session is gone, or a Conn closed by its owner.
func resumable(err error) bool {
	return !hasFault(err) && !errors.Is(err, errClosed) && !errors.Is(err, context.Canceled)
}

// backoff is the pause before the nth consecutive retry of a poll: 250 ms doubling to 2 s, so
// a refused connection is not hammered and a short stall costs little.
func backoff(n int) time.Duration { return min(250*time.Millisecond<<min(n, 3), 2*time.Second) }

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// isNetwork tells the network objects a watch hears of (for the names VMs' NICs show) from
// the VMs and from the folders and datacenters its traversal passes.
func isNetwork(typ string) bool {
	return typ == "Network" || typ == "DistributedVirtualPortgroup" || typ == "OpaqueNetwork"
}

// Watch implements drivers.Watcher with a PropertyCollector of its own whose filter walks from
// the configured datacenter (or the root folder) to every VirtualMachine, and
// WaitForUpdatesEx long polls, asking for the properties ListVMs reads (and the names of the
// networks VMs use), so every upsert carries the VM exactly as ListVMs would build it.
//
// Order of events:
//   - The first load arrives in pages (OptWatchPageSize). Nothing is emitted until it is
//     complete: then one VMUpsert per VM, in ListVMs order (name, then id), and VMSynced.
//   - Afterwards each update set is emitted as it arrives, in vCenter's order: VMUpsert when a
//     VM appears or one of its properties changes (an update that changes nothing the model
//     shows is not emitted), VMDelete when it leaves (destroyed, unregistered, moved out of the
//     datacenter). A renamed distributed port group re-emits the VMs whose NICs use it.
//
// PropertyCollector updates are versioned and complete for as long as the collector lives, so
// no periodic re-list is needed while Watch runs. A poll that fails on the way (timeout,
// reset, the endpoint briefly unreachable) is asked again from the same version on the same
// collector, for up to OptWatchResume: nothing is reloaded and nothing missed (vCenter answers
// a repeated version with every change since it; a version it can no longer answer from is a
// fault, InvalidCollectorVersion, which ends Watch like a lost session). The simulator keeps
// no such history: a poll the client gave up on still takes the changes it finds there.
//
// The one case that needs a reload is a lost session (expired, terminated, vpxd restarted):
// the collector and its filter are session objects that vCenter destroys with the
// session, and a version only means something to the collector that issued it, so a new
// session has nothing to resume from. Watch then ends with an error wrapping
// model.ErrUnavailable (within OptWatchMaxWait plus the call timeout), as it does when polls
// keep failing for longer than OptWatchResume. The caller restarts it, which loads everything
// again and sends a new VMSynced. Give Watch a Conn of its own: a re-login by another user of
// the Conn would end it the same way. When ctx ends Watch returns ctx.Err(). The collector is
// destroyed on the way out.
func (c *Conn) Watch(ctx context.Context, emit func(drivers.VMEvent) error) error {
	w := &vmWatch{c: c, emit: emit, vms: map[string][]types.DynamicProperty{}, nets: map[string]string{}, netKeys: map[string]string{}}
	return w.run(ctx)
}

type vmWatch struct {
	c    *Conn
	emit func(drivers.VMEvent) error
	// vms holds the last known vmPaths properties of every VM, by moref value.
	vms map[string][]types.DynamicProperty
	// nets maps network moref values and port group keys to names, as fetchVMs' map does;
	// netKeys remembers each port group's key so a leaving one can be forgotten.
	nets, netKeys map[string]string
	synced        bool
	gen           uint64 // the session generation when the watch started
}

func (w *vmWatch) run(ctx context.Context) error {
	c := w.c
	w.gen = c.sess.generation()

	pc, err := property.DefaultCollector(c.client).Create(ctx)
	if err != nil {
		return w.fail(ctx, err, "create property collector", true)
	}
	defer w.cleanup(ctx, pc.Destroy) // destroys the filter with it
	// The filter walks from the root (the root folder or the configured datacenter) down to
	// every VM, as ListVMs does, rather than over a ContainerView. govmomi v0.56's simulator
	// deadlocks a filter on a view against a VM created under it (its ContainerView locks the
	// view, then the filter; collecting locks the filter, then the view): it hung CI. vCenter
	// recomputes what a traversal reaches as VMs come and go just as it does for a view; the
	// simulator's first load is slower this way (2,000 VMs: 28-32 s against 4.8 s,
	// BenchmarkWatchInitialLoad), which only its large inventories feel.
	_, err = pc.CreateFilter(ctx, types.CreateFilter{Spec: types.PropertyFilterSpec{
		ObjectSet: []types.ObjectSpec{c.allVMs()},
		PropSet:   vmPropSet(),
	}})
	if err != nil {
		return w.fail(ctx, err, "create property filter", true)
	}
	// The filter lives in the collector: with it created, both are in the current session,
	// even if a stale one was replaced during the setup.
	gen := c.sess.generation()

	wait := int32(c.watchWait / time.Second)
	req := types.WaitForUpdatesEx{
		This:    pc.Reference(),
		Options: &types.WaitOptions{MaxWaitSeconds: &wait, MaxObjectUpdates: c.watchPage},
	}
	var failing time.Time // when polls started failing; zero while they answer
	for retry := 0; ; retry++ {
		// session.call leaves WaitForUpdatesEx unbounded; a black-holed connection must not
		// hang the watch forever.
		cctx, cancel := context.WithTimeout(ctx, c.watchWait+c.sess.timeout)
		res, err := methods.WaitForUpdatesEx(cctx, c.client, &req)
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if c.sess.generation() != gen {
			// Someone logged in again: the session this collector belonged to is gone, and
			// its version with it (see Watch: the one case that needs a reload).
			return fmt.Errorf("vcenter: watch vms: %w: the session was lost and re-established; the property collector went with it", model.ErrUnavailable)
		}
		if err != nil {
			if failing.IsZero() {
				failing = time.Now()
			}
			if resumable(err) && time.Since(failing) < c.watchResume {
				// The collector and its version live on in the session: ask again from the
				// same version, so nothing is missed and nothing is loaded twice.
				if serr := sleepCtx(ctx, backoff(retry)); serr != nil {
					return serr
				}
				continue
			}
			return w.fail(ctx, err, "wait for updates", false)
		}
		failing, retry = time.Time{}, -1
		set := res.Returnval
		if set == nil { // MaxWaitSeconds passed with nothing new
			if !w.synced {
				if err := w.finishLoad(); err != nil {
					return err
				}
			}
			continue
		}
		req.Version = set.Version
		if err := w.apply(ctx, set.FilterSet); err != nil {
			return err
		}
		if !w.synced && (set.Truncated == nil || !*set.Truncated) {
			if err := w.finishLoad(); err != nil {
				return err
			}
		}
	}
}

// cleanup destroys a server-side object even when ctx has ended; errors are ignored (with the
// session gone, so is the object).
func (w *vmWatch) cleanup(ctx context.Context, destroy func(context.Context) error) {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), min(w.c.sess.timeout, 10*time.Second))
	defer cancel()
	_ = destroy(dctx)
}

// fail turns an endpoint error into Watch's result: ctx's own error when it ended, the
// classified error for what a restart cannot fix (bad configuration, no permission, a
// datacenter that is gone), and model.ErrUnavailable for the rest: transport failures, lost
// sessions, collectors that vanished with them.
func (w *vmWatch) fail(ctx context.Context, err error, what string, setup bool) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, errClosed) {
		return fmt.Errorf("vcenter: watch vms: %s: %w", what, err)
	}
	if setup && w.c.sess.generation() != w.gen {
		// The session was replaced half-way through the setup: what was made before is gone.
		setup = false
	}
	switch s := classify(err); {
	case s == model.ErrUnauthorized && !isNotAuthenticated(err), s == model.ErrInvalid, s == model.ErrUnsupported,
		setup && s == model.ErrNotFound:
		return wrapErr(err, "watch vms: %s", what)
	}
	return fmt.Errorf("vcenter: watch vms: %s: %w: %w", what, model.ErrUnavailable, err)
}

// finishLoad emits the first load: every VM in ListVMs order, then VMSynced.
func (w *vmWatch) finishLoad() error {
	w.synced = true
	ids := make([]string, 0, len(w.vms))
	names := make(map[string]string, len(w.vms))
	for id, props := range w.vms {
		ids = append(ids, id)
		names[id], _ = propValue(props, "name").(string)
	}
	slices.SortFunc(ids, func(a, b string) int { return cmp.Or(cmp.Compare(names[a], names[b]), cmp.Compare(a, b)) })
	for _, id := range ids {
		if err := w.upsert(id); err != nil {
			return err
		}
	}
	return w.emit(drivers.VMEvent{Kind: drivers.VMSynced})
}

// apply folds one update set into the state and, once synced, emits what it changed.
func (w *vmWatch) apply(ctx context.Context, sets []types.PropertyFilterUpdate) error {
	// Networks first, so VMs in the same set see the names of port groups they now use.
	var renamed []string
	for _, fs := range sets {
		for _, u := range fs.ObjectSet {
			if isNetwork(u.Obj.Type) {
				if key, ok := w.applyNetwork(u); ok {
					renamed = append(renamed, key)
				}
			}
		}
	}
	for _, fs := range sets {
		for _, u := range fs.ObjectSet {
			if u.Obj.Type != "VirtualMachine" {
				continue
			}
			if err := w.applyVM(ctx, u); err != nil {
				return err
			}
		}
	}
	if !w.synced || len(renamed) == 0 {
		return nil
	}
	for id, props := range w.vms {
		if slices.ContainsFunc(renamed, func(key string) bool { return usesPortgroup(props, key) }) {
			if err := w.upsert(id); err != nil {
				return err
			}
		}
	}
	return nil
}

// applyNetwork tracks network names; it reports the port group key (or network moref) whose
// name a VM's NIC could show when that name changed.
func (w *vmWatch) applyNetwork(u types.ObjectUpdate) (string, bool) {
	id := u.Obj.Value
	if u.Kind == types.ObjectUpdateKindLeave {
		delete(w.nets, id)
		if key, ok := w.netKeys[id]; ok {
			delete(w.nets, key)
			delete(w.netKeys, id)
		}
		return "", false
	}
	props := make([]types.DynamicProperty, 0, len(u.ChangeSet))
	for _, ch := range u.ChangeSet {
		props = append(props, types.DynamicProperty{Name: ch.Name, Val: ch.Val})
	}
	name, key := networkName(props)
	hasName := slices.ContainsFunc(u.ChangeSet, func(ch types.PropertyChange) bool { return ch.Name == "name" })
	if key != "" {
		w.netKeys[id] = key
	}
	key = cmp.Or(key, w.netKeys[id], id)
	if !hasName {
		return "", false
	}
	old, known := w.nets[id]
	w.nets[id] = name
	if key != id {
		w.nets[key] = name
	}
	return key, !known || old != name
}

// applyVM folds one VM's update into the state and emits it once synced.
func (w *vmWatch) applyVM(ctx context.Context, u types.ObjectUpdate) error {
	id := u.Obj.Value
	switch u.Kind {
	case types.ObjectUpdateKindLeave:
		if _, ok := w.vms[id]; !ok {
			return nil
		}
		delete(w.vms, id)
		if !w.synced {
			return nil
		}
		return w.emit(drivers.VMEvent{Kind: drivers.VMDelete, NativeID: id})
	case types.ObjectUpdateKindEnter, types.ObjectUpdateKindModify:
	default:
		return nil
	}
	old, known := w.vms[id]
	var props []types.DynamicProperty
	refetch := false
	if u.Kind == types.ObjectUpdateKindEnter || !known {
		// An enter carries every property that has a value.
		for _, ch := range u.ChangeSet {
			if slices.Contains(vmPaths, ch.Name) && ch.Op != types.PropertyChangeOpRemove && ch.Op != types.PropertyChangeOpIndirectRemove {
				props = append(props, types.DynamicProperty{Name: ch.Name, Val: ch.Val})
			}
		}
		refetch = u.Kind == types.ObjectUpdateKindModify // a modify for a VM never seen: read it whole
	} else {
		props = slices.Clone(old)
		for _, ch := range u.ChangeSet {
			if ch.Name == "config.modified" {
				// A reconfigure: govmomi's simulator announces its timestamp but not every
				// property it changed (the annotation), so the VM is read whole.
				refetch = true
			}
			if !slices.Contains(vmPaths, ch.Name) {
				// A change below a requested property (an element of the device array, say):
				// read the VM again rather than patch a nested value.
				refetch = true
				continue
			}
			i := slices.IndexFunc(props, func(p types.DynamicProperty) bool { return p.Name == ch.Name })
			switch ch.Op {
			case types.PropertyChangeOpRemove, types.PropertyChangeOpIndirectRemove:
				if i >= 0 {
					props = slices.Delete(props, i, i+1)
				}
			default: // assign (add only appears for collection elements)
				if i >= 0 {
					props[i].Val = ch.Val
				} else {
					props = append(props, types.DynamicProperty{Name: ch.Name, Val: ch.Val})
				}
			}
		}
	}
	if refetch {
		fresh, found, err := w.read(ctx, u.Obj)
		if err != nil {
			return err
		}
		if !found { // gone meanwhile; its leave follows
			return nil
		}
		props = fresh
	}
	w.vms[id] = props
	if !w.synced || (known && samePropValues(old, props)) {
		return nil
	}
	return w.upsert(id)
}

// read fetches one VM's properties (and its networks' names) with RetrievePropertiesEx.
func (w *vmWatch) read(ctx context.Context, ref types.ManagedObjectReference) ([]types.DynamicProperty, bool, error) {
	spec := types.PropertyFilterSpec{
		ObjectSet: []types.ObjectSpec{{
			Obj:       ref,
			SelectSet: []types.BaseSelectionSpec{traverse(tsVMNets, "VirtualMachine", "network")},
		}},
		PropSet: vmPropSet(),
	}
	objs, err := w.c.retrieve(ctx, spec)
	// A read that fails on the way is tried again as a poll is (run), within the same window.
	for n, since := 0, time.Now(); err != nil && resumable(err) && time.Since(since) < w.c.watchResume; n++ {
		if serr := sleepCtx(ctx, backoff(n)); serr != nil {
			return nil, false, serr
		}
		objs, err = w.c.retrieve(ctx, spec)
	}
	if err != nil {
		if fault := classify(err); fault == model.ErrNotFound {
			return nil, false, nil
		}
		return nil, false, w.fail(ctx, err, "read vm "+ref.Value, false)
	}
	var props []types.DynamicProperty
	found := false
	for _, o := range objs {
		if o.Obj.Type != "VirtualMachine" {
			name, key := networkName(o.PropSet)
			w.nets[o.Obj.Value] = name
			if key != "" {
				w.nets[key], w.netKeys[o.Obj.Value] = name, key
			}
			continue
		}
		if o.Obj == ref {
			props, found = o.PropSet, true
		}
	}
	return props, found, nil
}

// upsert emits the VM as ListVMs builds it.
func (w *vmWatch) upsert(id string) error {
	var raw mo.VirtualMachine
	if err := load(types.ObjectContent{Obj: vmRef(id), PropSet: w.vms[id]}, &raw); err != nil {
		return fmt.Errorf("vcenter: watch vms: decode vm %s: %w", id, err)
	}
	return w.emit(drivers.VMEvent{Kind: drivers.VMUpsert, NativeID: id, VM: w.c.toVM(&raw, w.nets)})
}

func propValue(props []types.DynamicProperty, name string) any {
	for _, p := range props {
		if p.Name == name {
			return p.Val
		}
	}
	return nil
}

// samePropValues reports whether two property lists hold the same values, in any order.
func samePropValues(a, b []types.DynamicProperty) bool {
	if len(a) != len(b) {
		return false
	}
	for _, p := range a {
		i := slices.IndexFunc(b, func(q types.DynamicProperty) bool { return q.Name == p.Name })
		if i < 0 || !reflect.DeepEqual(p.Val, b[i].Val) {
			return false
		}
	}
	return true
}

// usesPortgroup reports whether a VM has a NIC on the distributed port group with this key.
func usesPortgroup(props []types.DynamicProperty, key string) bool {
	devs, _ := propValue(props, "config.hardware.device").(types.ArrayOfVirtualDevice)
	for _, d := range devs.VirtualDevice {
		card, ok := d.(types.BaseVirtualEthernetCard)
		if !ok {
			continue
		}
		if b, ok := card.GetVirtualEthernetCard().Backing.(*types.VirtualEthernetCardDistributedVirtualPortBackingInfo); ok && b.Port.PortgroupKey == key {
			return true
		}
	}
	return false
}
