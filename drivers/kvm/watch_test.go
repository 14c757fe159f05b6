package kvm_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	libvirt "github.com/digitalocean/go-libvirt"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
	"cloudbroker/drivers/drivertest"
	"cloudbroker/drivers/kvm"
	"cloudbroker/drivers/kvm/kvmtest"
)

// eventBound is how long a test waits for one event: events arrive in milliseconds and the
// re-list tests use a 200ms interval, so this only guards against hangs.
const eventBound = 15 * time.Second

// startWatch records what w.Watch emits (see drivertest.Recorder), waiting up to eventBound
// for each event.
func startWatch(t *testing.T, w drivers.Watcher) *drivertest.Recorder {
	t.Helper()
	return drivertest.StartWatch(t, w, eventBound)
}

func upsertOf(id string, ok func(model.VM) bool) func(drivers.VMEvent) bool {
	return func(ev drivers.VMEvent) bool {
		return ev.Kind == drivers.VMUpsert && ev.NativeID == id && ok(ev.VM)
	}
}

func deleteOf(id string) func(drivers.VMEvent) bool {
	return func(ev drivers.VMEvent) bool { return ev.Kind == drivers.VMDelete && ev.NativeID == id }
}

func powered(s model.PowerState) func(model.VM) bool {
	return func(vm model.VM) bool { return vm.PowerState == s }
}

func loaded(t *testing.T, load []drivers.VMEvent) []model.VM {
	t.Helper()
	var vms []model.VM
	for i, ev := range load {
		if ev.Kind != drivers.VMUpsert || ev.NativeID != ev.VM.NativeID {
			t.Fatalf("event %d of the first load = %s %s; want only upserts", i, ev.Kind, ev.NativeID)
		}
		vms = append(vms, ev.VM)
	}
	return vms
}

// testDomainXML is a domain for libvirt's test driver.
func testDomainXML(name, id string) string {
	return `<domain type='test'><name>` + name + `</name><uuid>` + id + `</uuid>` +
		`<memory unit='MiB'>128</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>`
}

// nodeDomain names a fixture domain for go-libvirt calls (the protocol carries name and uuid).
func nodeDomain(name, id string) libvirt.Domain {
	return libvirt.Domain{Name: name, UUID: libvirt.UUID(uuid.MustParse(id))}
}

// rawNode is the go-libvirt client under c: each connection to a node file has its own copy
// of it, so changes behind the driver's back must go through the driver's own connection.
func rawNode(t *testing.T, c *kvm.Conn) *libvirt.Libvirt {
	t.Helper()
	lv, err := kvm.Libvirt(ctx(t), c)
	if err != nil {
		t.Fatal(err)
	}
	return lv
}

// TestWatchNodeEvents: with re-lists off, domains defined, started, destroyed and undefined
// through go-libvirt show up through lifecycle events alone.
func TestWatchNodeEvents(t *testing.T) {
	c := openNode(t, map[string]string{kvm.OptWatchResync: "0"})
	want, err := c.ListVMs(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	r := startWatch(t, c)
	load, from := r.Synced(t, 0)
	if diff := cmp.Diff(want, loaded(t, load)); diff != "" {
		t.Errorf("first load differs from ListVMs (-ListVMs +Watch):\n%s", diff)
	}

	lv := rawNode(t, c)
	id := uuid.NewString()
	dom, err := lv.DomainDefineXML(testDomainXML("watch-1", id))
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		what  string
		do    func() error
		match func(drivers.VMEvent) bool
	}{
		{"defined", nil, upsertOf(id, func(vm model.VM) bool {
			return vm.Name == "watch-1" && vm.PowerState == model.PoweredOff && vm.MemoryMB == 128 && vm.Provider == "lab"
		})},
		{"started", func() error { return lv.DomainCreate(dom) }, upsertOf(id, powered(model.PoweredOn))},
		{"suspended", func() error { return lv.DomainSuspend(dom) }, upsertOf(id, powered(model.Suspended))},
		{"resumed", func() error { return lv.DomainResume(dom) }, upsertOf(id, powered(model.PoweredOn))},
		{"destroyed", func() error { return lv.DomainDestroy(dom) }, upsertOf(id, powered(model.PoweredOff))},
		{"undefined", func() error { return lv.DomainUndefine(dom) }, deleteOf(id)},
		// A fixture domain too: db-1 is shut off.
		{"fixture started", func() error { return lv.DomainCreate(nodeDomain("db-1", db1UUID)) }, upsertOf(db1UUID, powered(model.PoweredOn))},
	}
	for _, s := range steps {
		if s.do != nil {
			if err := s.do(); err != nil {
				t.Fatalf("%s: %v", s.what, err)
			}
		}
		_, from = r.Next(t, from, s.what, s.match)
		from++
	}
	for _, ev := range r.Since(0) {
		if ev.Kind == drivers.VMSynced && (ev.NativeID != "" || ev.VM.NativeID != "") {
			t.Errorf("VMSynced carries data: %+v", ev)
		}
	}
	if n := countKind(r.Since(0), drivers.VMSynced); n != 1 {
		t.Errorf("%d VMSynced with re-lists off, want the first load's 1", n)
	}
}

func countKind(evs []drivers.VMEvent, k drivers.VMEventKind) int {
	n := 0
	for _, ev := range evs {
		if ev.Kind == k {
			n++
		}
	}
	return n
}

// TestWatchResyncCatchesMissedEvents: with every lifecycle event lost, the periodic re-list
// still reports a new domain, a power change and an undefined domain, each followed by a
// VMSynced.
func TestWatchResyncCatchesMissedEvents(t *testing.T) {
	c := openNode(t, map[string]string{kvm.OptWatchResync: "200ms"})
	var dropped sync.Map
	kvm.DropWatchEvents(c, func(ev libvirt.DomainEventLifecycleMsg) bool {
		dropped.Store(uuid.UUID(ev.Dom.UUID).String(), true)
		return true
	})
	r := startWatch(t, c)
	_, from := r.Synced(t, 0)

	lv := rawNode(t, c)
	id := uuid.NewString()
	dom, err := lv.DomainDefineXML(testDomainXML("missed-1", id))
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		what  string
		do    func() error
		match func(drivers.VMEvent) bool
	}{
		{"defined", nil, upsertOf(id, func(vm model.VM) bool { return vm.Name == "missed-1" })},
		{"fixture powered off", func() error { return lv.DomainDestroy(nodeDomain("web-1", web1UUID)) }, upsertOf(web1UUID, powered(model.PoweredOff))},
		{"undefined", func() error { return lv.DomainUndefine(dom) }, deleteOf(id)},
	}
	for _, s := range steps {
		if s.do != nil {
			if err := s.do(); err != nil {
				t.Fatalf("%s: %v", s.what, err)
			}
		}
		_, from = r.Next(t, from, s.what, s.match)
		_, from = r.Next(t, from, "VMSynced after "+s.what, func(ev drivers.VMEvent) bool { return ev.Kind == drivers.VMSynced })
		from++
	}
	if _, ok := dropped.Load(id); !ok {
		t.Error("the daemon sent no event for the new domain; the test proves nothing about missed events")
	}
	// Re-lists report changes only: db-1 never changed, so only the first load upserted it.
	if n := countUpserts(r.Since(0), db1UUID); n != 1 {
		t.Errorf("db-1 (unchanged) upserted %d times, want once", n)
	}
}

func countUpserts(evs []drivers.VMEvent, id string) int {
	n := 0
	for _, ev := range evs {
		if ev.Kind == drivers.VMUpsert && ev.NativeID == id {
			n++
		}
	}
	return n
}

// TestWatchConnectionDrop: a cut connection ends Watch with ErrUnavailable; a restart redials,
// loads everything again and sends a new VMSynced.
func TestWatchConnectionDrop(t *testing.T) {
	requireDaemon(t)
	p := startProxy(t, kvm.DefaultSocket)
	c := openVia(t, p, 10*time.Second)
	r := startWatch(t, c)
	first, _ := r.Synced(t, 0)
	p.drop()
	if err := r.Wait(t, 5*time.Second); !errors.Is(err, model.ErrUnavailable) {
		t.Fatalf("Watch after the connection dropped returned %v, want one wrapping model.ErrUnavailable", err)
	}
	again, _ := startWatch(t, c).Synced(t, 0)
	if diff := cmp.Diff(loaded(t, first), loaded(t, again)); diff != "" {
		t.Errorf("the restarted watch loaded something else (-first +restart):\n%s", diff)
	}
	if n := p.connections(); n != 2 {
		t.Errorf("proxy saw %d connections, want 2 (one redial)", n)
	}
}

// TestWatchCancel: cancelling ctx ends Watch promptly with context.Canceled and leaves the
// connection usable; Close ends a running Watch with ErrUnavailable.
func TestWatchCancel(t *testing.T) {
	c := openNode(t)
	r := startWatch(t, c)
	r.Synced(t, 0)
	start := time.Now()
	r.Cancel()
	if err := r.Wait(t, 5*time.Second); !errors.Is(err, context.Canceled) {
		t.Errorf("Watch after cancel returned %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Watch took %v to return after cancel", d)
	}
	if err := c.Ping(ctx(t)); err != nil {
		t.Fatalf("Ping after a cancelled watch: %v", err)
	}

	r = startWatch(t, c)
	r.Synced(t, 0)
	c.Close()
	if err := r.Wait(t, 5*time.Second); !errors.Is(err, model.ErrUnavailable) {
		t.Errorf("Watch after Close returned %v, want ErrUnavailable", err)
	}
}

func TestWatchResyncOption(t *testing.T) {
	requireDaemon(t)
	_, err := drivers.Open(ctx(t), "kvm", drivers.Config{Name: "lab", URL: nodeURI(t), Options: map[string]string{kvm.OptWatchResync: "often"}})
	if !errors.Is(err, model.ErrInvalid) {
		t.Errorf("Open with %s=often: %v, want ErrInvalid", kvm.OptWatchResync, err)
	}
}

// TestWatchSystemDaemon: on the system daemon, a real QEMU guest defined, started, destroyed
// and undefined with virsh (another client) shows up as events.
func TestWatchSystemDaemon(t *testing.T) {
	requireDaemon(t, "virsh", "qemu-img")
	c, err := drivers.Open(ctx(t), "kvm", drivers.Config{Name: "sys", URL: kvmtest.URI, Timeout: 20 * time.Second,
		Options: map[string]string{kvm.OptWatchResync: "0"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r := startWatch(t, c.(drivers.Watcher))
	_, from := r.Synced(t, 0)

	g := kvmtest.NewGuest(t) // defined with virsh
	steps := []struct {
		what  string
		virsh []string
		match func(drivers.VMEvent) bool
	}{
		{"defined", nil, upsertOf(g.UUID, func(vm model.VM) bool { return vm.Name == g.Name && vm.PowerState == model.PoweredOff })},
		{"started", []string{"start", g.Name}, upsertOf(g.UUID, powered(model.PoweredOn))},
		{"destroyed", []string{"destroy", g.Name}, upsertOf(g.UUID, powered(model.PoweredOff))},
		{"undefined", []string{"undefine", g.Name}, deleteOf(g.UUID)},
	}
	for _, s := range steps {
		if s.virsh != nil {
			kvmtest.Virsh(t, s.virsh...)
		}
		_, from = r.Next(t, from, s.what, s.match)
		from++
	}
}
