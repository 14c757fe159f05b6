// Package drivertest is the conformance suite every driver passes, as containerd runs one suite
// over every snapshotter. A driver's test calls Run with a Fixture describing a live endpoint.
package drivertest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

// Fixture describes a freshly prepared endpoint. Open is called once per subtest so subtests
// that change state (power, clone) do not leak into each other when the driver can isolate them.
type Fixture struct {
	// Open returns a connection to a fresh copy of the endpoint where possible.
	Open func(t *testing.T) drivers.Conn
	// VM is the native id of a VM with at least one disk that the suite may power-cycle and clone.
	VM string
	// Image is the native id of an image (as ImageCatalog lists it) Creator may make VMs from;
	// required when the driver is a Creator.
	Image string
	// Require names capabilities (Capabilities()) the driver must have, so losing one fails the
	// suite rather than quietly skipping its tests. Run exercises every capability the
	// connection has, listed here or not.
	Require []string
}

// capability is one optional driver interface: how to detect it, and its conformance tests.
type capability struct {
	name  string
	has   func(drivers.Conn) bool
	tests []capabilityTest
}

type capabilityTest struct {
	name string
	run  func(ctx context.Context, t *testing.T, f Fixture)
}

func is[T any](c drivers.Conn) bool { _, ok := c.(T); return ok }

// capabilities is every optional interface in package drivers, with its tests. A new one goes
// here; TestEveryCapabilityIsListed keeps the list complete.
var capabilities = []capability{
	{"VMLister", is[drivers.VMLister], []capabilityTest{{"ListVMs", testListVMs}}},
	{"DiskLister", is[drivers.DiskLister], []capabilityTest{{"ListDisks", testListDisks}, {"ListDisksUnknownVM", testListDisksUnknownVM}}},
	{"PowerController", is[drivers.PowerController], []capabilityTest{{"Power", testPower}}},
	{"PowerReporter", is[drivers.PowerReporter], []capabilityTest{{"PowerOutcome", testPowerOutcome}}},
	{"Cloner", is[drivers.Cloner], []capabilityTest{{"Clone", testClone}}},
	{"ISOLister", is[drivers.ISOLister], []capabilityTest{{"ListISOs", testListISOs}}},
	{"CapacityReporter", is[drivers.CapacityReporter], []capabilityTest{{"ListHosts", testListHosts}}},
	{"NetworkLister", is[drivers.NetworkLister], []capabilityTest{{"ListNetworks", testListNetworks}}},
	{"StorageLister", is[drivers.StorageLister], []capabilityTest{{"ListStorage", testListStorage}}},
	{"ImageCatalog", is[drivers.ImageCatalog], []capabilityTest{{"ListImages", testListImages}}},
	{"Watcher", is[drivers.Watcher], []capabilityTest{{"Watch", testWatch}}},
	{"Creator", is[drivers.Creator], []capabilityTest{{"Create", testCreate}, {"CreateNetworks", testCreateNetworks}}},
	{"Destroyer", is[drivers.Destroyer], []capabilityTest{{"Destroy", testDestroy}}},
	{"Recoverer", is[drivers.Recoverer], []capabilityTest{{"Recover", testRecover}}},
	{"Expunger", is[drivers.Expunger], []capabilityTest{{"Expunge", testExpunge}}},
}

// Capabilities names the optional interfaces the suite knows, in the order it tests them.
func Capabilities() []string {
	names := make([]string, len(capabilities))
	for i, c := range capabilities {
		names[i] = c.name
	}
	return names
}

// Run runs the conformance suite: Ping and Close for every driver, and the tests of every
// capability the connection Open returns has (found by type assertion).
func Run(t *testing.T, f Fixture) {
	t.Helper()
	ctx := func(t *testing.T) context.Context {
		c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		t.Cleanup(cancel)
		return c
	}

	t.Run("Ping", func(t *testing.T) {
		c := f.Open(t)
		if err := c.Ping(ctx(t)); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})

	var has []capability
	t.Run("Capabilities", func(t *testing.T) {
		c := f.Open(t)
		found := map[string]bool{}
		for _, cp := range capabilities {
			if cp.has(c) {
				has = append(has, cp)
				found[cp.name] = true
			}
		}
		for _, name := range f.Require {
			if !slices.Contains(Capabilities(), name) {
				t.Errorf("the fixture requires %q, which is not a capability (%v)", name, Capabilities())
			} else if !found[name] {
				t.Errorf("driver %T lacks capability %s the fixture requires", c, name)
			}
		}
	})
	for _, cp := range has {
		for _, ct := range cp.tests {
			t.Run(ct.name, func(t *testing.T) { ct.run(ctx(t), t, f) })
		}
	}
	t.Run("CloseIsFinal", func(t *testing.T) {
		c := f.Open(t)
		if err := c.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := c.Ping(ctx(t)); err == nil {
			t.Fatal("Ping after Close succeeded; want an error")
		}
	})
}

func testListDisksUnknownVM(ctx context.Context, t *testing.T, f Fixture) {
	c := f.Open(t).(drivers.DiskLister)
	_, err := c.ListDisks(ctx, "no-such-vm-0000")
	if !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("ListDisks(unknown) error = %v, want one wrapping model.ErrNotFound", err)
	}
}

func testListISOs(ctx context.Context, t *testing.T, f Fixture) {
	isos, err := f.Open(t).(drivers.ISOLister).ListISOs(ctx, f.VM)
	checkNamed(t, "ListISOs", isos, err, func(iso model.Image) (string, string) { return iso.Name, iso.NativeID })
}

// checkNamed fails the test if a listing failed or listed an item without a name or an id.
func checkNamed[T any](t *testing.T, call string, items []T, err error, named func(T) (name, id string)) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", call, err)
	}
	for _, it := range items {
		if name, id := named(it); name == "" || id == "" {
			t.Errorf("%s: an item without name or id: %+v", call, it)
		}
	}
}

func testListHosts(ctx context.Context, t *testing.T, f Fixture) {
	c := f.Open(t).(drivers.CapacityReporter)
	hosts, err := c.ListHosts(ctx)
	if err != nil {
		t.Fatalf("ListHosts: %v", err)
	}
	if len(hosts) == 0 {
		t.Fatal("ListHosts returned no host")
	}
	for _, h := range hosts {
		if h.CPUs <= 0 || h.MemoryBytes <= 0 || h.NativeID == "" {
			t.Errorf("host without capacity or id: %+v", h)
		}
	}
}

func testListImages(ctx context.Context, t *testing.T, f Fixture) {
	imgs, err := f.Open(t).(drivers.ImageCatalog).ListImages(ctx)
	checkNamed(t, "ListImages", imgs, err, func(im model.Image) (string, string) { return im.Name, im.NativeID })
}

func testListVMs(ctx context.Context, t *testing.T, f Fixture) {
	c := f.Open(t).(drivers.VMLister)
	vms, err := c.ListVMs(ctx)
	if err != nil {
		t.Fatalf("ListVMs: %v", err)
	}
	seen := map[string]bool{}
	found := false
	for _, vm := range vms {
		if vm.NativeID == "" || vm.Name == "" {
			t.Errorf("VM without id or name: %+v", vm)
		}
		if seen[vm.NativeID] {
			t.Errorf("native id %q listed twice", vm.NativeID)
		}
		seen[vm.NativeID] = true
		if vm.ID != "" {
			t.Errorf("driver filled broker ID %q; the broker owns IDs", vm.ID)
		}
		switch vm.PowerState {
		case model.PoweredOn, model.PoweredOff, model.Suspended, model.PowerUnknown:
		default:
			t.Errorf("VM %s has power state %q outside the model's vocabulary", vm.NativeID, vm.PowerState)
		}
		found = found || vm.NativeID == f.VM
	}
	if !found {
		t.Errorf("fixture VM %q not in ListVMs (%d VMs)", f.VM, len(vms))
	}
}

func testListDisks(ctx context.Context, t *testing.T, f Fixture) {
	c := f.Open(t).(drivers.DiskLister)
	disks, err := c.ListDisks(ctx, f.VM)
	if err != nil {
		t.Fatalf("ListDisks(%s): %v", f.VM, err)
	}
	if len(disks) == 0 {
		t.Fatalf("ListDisks(%s) returned no disk; the fixture VM must have one", f.VM)
	}
	labels := map[string]bool{}
	for _, d := range disks {
		if d.Label == "" || d.FileName == "" {
			t.Errorf("disk without label or file: %+v", d)
		}
		if d.CapacityBytes <= 0 {
			t.Errorf("disk %q capacity %d, want > 0", d.Label, d.CapacityBytes)
		}
		if labels[d.Label] {
			t.Errorf("label %q repeated", d.Label)
		}
		labels[d.Label] = true
	}
}

func powerOf(ctx context.Context, t *testing.T, c drivers.Conn, id string) model.PowerState {
	t.Helper()
	l, ok := c.(drivers.VMLister)
	if !ok {
		return model.PowerUnknown
	}
	vms, err := l.ListVMs(ctx)
	if err != nil {
		t.Fatalf("ListVMs: %v", err)
	}
	for _, vm := range vms {
		if vm.NativeID == id {
			return vm.PowerState
		}
	}
	t.Fatalf("VM %s vanished", id)
	return ""
}

func testPower(ctx context.Context, t *testing.T, f Fixture) {
	c := f.Open(t)
	p := c.(drivers.PowerController)
	if err := p.SetPower(ctx, f.VM, model.PowerOff); err != nil && !errors.Is(err, model.ErrConflict) {
		t.Fatalf("stop: %v", err)
	}
	if got := powerOf(ctx, t, c, f.VM); got != model.PoweredOff && got != model.PowerUnknown {
		t.Errorf("after stop power = %s, want %s", got, model.PoweredOff)
	}
	if err := p.SetPower(ctx, f.VM, model.PowerOn); err != nil {
		t.Fatalf("start: %v", err)
	}
	if got := powerOf(ctx, t, c, f.VM); got != model.PoweredOn && got != model.PowerUnknown {
		t.Errorf("after start power = %s, want %s", got, model.PoweredOn)
	}
	if err := p.SetPower(ctx, "no-such-vm-0000", model.PowerOn); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("start(unknown) error = %v, want model.ErrNotFound", err)
	}
}

// testPowerOutcome: a driver that reports outcomes says how a grace stop ended (by the guest
// or forced), and the VM is off either way; then it starts again for the tests that follow.
func testPowerOutcome(ctx context.Context, t *testing.T, f Fixture) {
	c := f.Open(t)
	r := c.(drivers.PowerReporter)
	if err := r.SetPower(ctx, f.VM, model.PowerOn); err != nil && !errors.Is(err, model.ErrConflict) {
		t.Fatalf("start: %v", err)
	}
	out, err := r.Power(ctx, f.VM, model.Shutdown)
	if err != nil {
		t.Fatalf("grace stop: %v", err)
	}
	if out.How == "" {
		t.Errorf("grace stop outcome %+v says nothing about how", out)
	}
	if got := powerOf(ctx, t, c, f.VM); got != model.PoweredOff && got != model.PowerUnknown {
		t.Errorf("after grace stop power = %s, want %s", got, model.PoweredOff)
	}
	if err := r.SetPower(ctx, f.VM, model.PowerOn); err != nil {
		t.Fatalf("start after grace stop: %v", err)
	}
}

func testClone(ctx context.Context, t *testing.T, f Fixture) {
	c := f.Open(t)
	cl := c.(drivers.Cloner)
	name := "drivertest-clone-" + time.Now().Format("150405.000")
	const mark = "0123456789abcdef0123456789abcdef"
	vm, err := cl.Clone(ctx, f.VM, drivers.CloneSpec{Name: name, Full: true, Mark: mark})
	if err != nil {
		t.Fatalf("Clone: %v", err)
	}
	if vm.Name != name || vm.NativeID == "" || vm.NativeID == f.VM || vm.CloneMark != mark {
		t.Errorf("clone = %+v, want a new VM named %q marked %q", vm, name, mark)
	}
	testCloneMark(ctx, t, c, cl, f.VM, vm, mark)
	if dl, ok := c.(drivers.DiskLister); ok {
		src, err := dl.ListDisks(ctx, f.VM)
		if err != nil {
			t.Fatal(err)
		}
		got, err := dl.ListDisks(ctx, vm.NativeID)
		if err != nil {
			t.Fatalf("ListDisks(clone): %v", err)
		}
		if len(got) != len(src) {
			t.Errorf("clone has %d disks, source %d", len(got), len(src))
		}
		for i := range got {
			if i < len(src) && got[i].FileName == src[i].FileName {
				t.Errorf("clone disk %d shares file %q with its source", i, got[i].FileName)
			}
		}
	}
	if _, err := cl.Clone(ctx, "no-such-vm-0000", drivers.CloneSpec{Name: name + "-x"}); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("Clone(unknown) error = %v, want model.ErrNotFound", err)
	}
}

// testCloneMark: listings show a clone's mark (CloneSpec.Mark) and no other VM's; a clone of
// the marked clone carries its own mark or none, never its source's; a clone to a name that
// exists fails and leaves that VM's mark as it was (the clone-leftovers job relies on all three).
func testCloneMark(ctx context.Context, t *testing.T, c drivers.Conn, cl drivers.Cloner, src string, marked model.VM, mark string) {
	t.Helper()
	lister, ok := c.(drivers.VMLister)
	if !ok {
		return
	}
	marks := func() map[string]string {
		vms, err := lister.ListVMs(ctx)
		if err != nil {
			t.Fatalf("ListVMs: %v", err)
		}
		out := map[string]string{}
		for _, v := range vms {
			out[v.NativeID] = v.CloneMark
		}
		return out
	}
	before := marks()
	if before[marked.NativeID] != mark || before[src] != "" {
		t.Errorf("ListVMs marks: clone %q, source %q; want %q and none", before[marked.NativeID], before[src], mark)
	}
	again, err := cl.Clone(ctx, marked.NativeID, drivers.CloneSpec{Name: marked.Name + "-2"})
	if err != nil {
		t.Fatalf("Clone(clone): %v", err)
	}
	if again.CloneMark != "" {
		t.Errorf("clone of a marked VM, without a mark, is marked %q: a clone must not inherit its source's mark", again.CloneMark)
	}
	if _, err := cl.Clone(ctx, src, drivers.CloneSpec{Name: marked.Name, Mark: "fedcba9876543210fedcba9876543210"}); err == nil {
		t.Errorf("Clone to the existing name %q succeeded, want an error", marked.Name)
	}
	if got := marks()[marked.NativeID]; got != mark {
		t.Errorf("after a clone to its name failed, the existing VM is marked %q, want %q", got, mark)
	}
}

// watchBound is how long the Watch subtest waits for any one event; stopBound how long Watch
// may take to return once its context ends.
const (
	watchBound = 30 * time.Second
	stopBound  = 10 * time.Second
)

// testWatch: the first load reports the fixture VM and ends with VMSynced; a power change made
// through the same connection shows up as an upsert; cancelling ctx ends Watch promptly.
func testWatch(ctx context.Context, t *testing.T, f Fixture) {
	c := f.Open(t)
	w := c.(drivers.Watcher)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu     sync.Mutex
		events []drivers.VMEvent
		more   = make(chan struct{}, 1)
	)
	done := make(chan error, 1)
	go func() {
		done <- w.Watch(wctx, func(ev drivers.VMEvent) error {
			mu.Lock()
			events = append(events, ev)
			mu.Unlock()
			select {
			case more <- struct{}{}:
			default:
			}
			return nil
		})
	}()
	// next waits for the first event at index >= from that matches.
	next := func(from int, what string, match func(drivers.VMEvent) bool) (drivers.VMEvent, int) {
		t.Helper()
		deadline := time.After(watchBound)
		for {
			mu.Lock()
			for i := from; i < len(events); i++ {
				if match(events[i]) {
					ev := events[i]
					mu.Unlock()
					return ev, i
				}
			}
			from = len(events)
			mu.Unlock()
			select {
			case <-more:
			case err := <-done:
				t.Fatalf("Watch returned before %s: %v", what, err)
			case <-deadline:
				t.Fatalf("no %s within %v", what, watchBound)
			}
		}
	}
	isFixture := func(state model.PowerState) func(drivers.VMEvent) bool {
		return func(ev drivers.VMEvent) bool {
			return ev.Kind == drivers.VMUpsert && ev.NativeID == f.VM && (state == "" || ev.VM.PowerState == state)
		}
	}

	_, synced := next(0, "VMSynced", func(ev drivers.VMEvent) bool { return ev.Kind == drivers.VMSynced })
	mu.Lock()
	load := append([]drivers.VMEvent(nil), events[:synced]...)
	mu.Unlock()
	var fixture *drivers.VMEvent
	for i, ev := range load {
		switch {
		case ev.Kind == drivers.VMDelete && ev.NativeID != "":
		case ev.Kind != drivers.VMUpsert || ev.NativeID == "" || ev.VM.NativeID != ev.NativeID || ev.VM.Name == "":
			t.Errorf("event %d of the first load = %+v; want upserts with NativeID and name", i, ev)
		case ev.VM.ID != "":
			t.Errorf("upsert of %s filled broker ID %q; the broker owns IDs", ev.NativeID, ev.VM.ID)
		}
		if isFixture("")(ev) {
			fixture = &load[i]
		}
	}
	if fixture == nil {
		t.Fatalf("fixture VM %q not upserted before VMSynced (%d events)", f.VM, len(load))
	}

	if p, ok := c.(drivers.PowerController); ok {
		from := synced + 1
		if fixture.VM.PowerState != model.PoweredOn {
			if err := p.SetPower(ctx, f.VM, model.PowerOn); err != nil {
				t.Fatalf("start: %v", err)
			}
			_, from = next(from, "upsert of the fixture VM powered on", isFixture(model.PoweredOn))
			from++
		}
		if err := p.SetPower(ctx, f.VM, model.PowerOff); err != nil && !errors.Is(err, model.ErrConflict) {
			t.Fatalf("stop: %v", err)
		}
		next(from, "upsert of the fixture VM powered off", isFixture(model.PoweredOff))
	}

	cancel()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Watch after cancel returned %v, want nil or context.Canceled", err)
		}
	case <-time.After(stopBound):
		t.Fatalf("Watch did not return within %v of its context ending", stopBound)
	}
}
