package vcenter

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
	"cloudbroker/drivers/vcenter/vcsim"
)

// TestWatchChangeLatencyAgainstFloor times how long a power change made directly in the
// simulator takes to reach, in one run and at the same time:
//   - the driver's Watch (what the inventory follows);
//   - a bare PropertyCollector with the same filter (the floor for what the watch asks);
//   - a bare PropertyCollector asking for runtime.powerState alone (the simulator's own floor).
//
// The simulator answers WaitForUpdatesEx by collecting every filter again for each update it
// queued (simulator/property_collector.go), so its floor grows with the VM count times the
// properties asked for. WATCHFLOOR_VMS (default 50) and WATCHFLOOR_CHANGES (default 3) size
// the run; bench/RESULTS.md has the figures. Every change must reach all three: that is the
// assertion; the times are logged, never asserted.
func TestWatchChangeLatencyAgainstFloor(t *testing.T) {
	n, changes := envInt(t, "WATCHFLOOR_VMS", 50), envInt(t, "WATCHFLOOR_CHANGES", 3)
	sim, err := vcsim.Start(vcsim.WithBulkVMs(n))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	seen := newArrivals()
	cfg := sim.Config("floor")
	// Thousands of VMs take the simulator longer than the default poll bound to compute one
	// change; a poll the watch gives up on takes the change with it (see Watch).
	cfg.Options = map[string]string{OptWatchMaxWait: fmt.Sprintf("%ds", envInt(t, "WATCHFLOOR_WATCH_MAX_WAIT_SECONDS", 10))}
	c, err := Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	synced := make(chan struct{})
	go func() {
		_ = c.Watch(ctx, func(ev drivers.VMEvent) error {
			switch {
			case ev.Kind == drivers.VMSynced:
				close(synced)
			case ev.Kind == drivers.VMUpsert:
				seen.note("watch", ev.NativeID, ev.VM.PowerState == model.PoweredOn)
			}
			return nil
		})
	}()
	bare := func(name string, props []types.PropertySpec) {
		gc, err := govmomi.NewClient(ctx, sim.URL(), true)
		if err != nil {
			t.Fatal(err)
		}
		ready := make(chan struct{})
		go collect(ctx, t, gc, props, ready, func(id string, on bool) { seen.note(name, id, on) })
		<-ready
	}
	bare("same filter", vmPropSet())
	bare("powerState only", []types.PropertySpec{{Type: "VirtualMachine", PathSet: []string{"runtime.powerState"}}})
	select {
	case <-synced:
	case <-time.After(5 * time.Minute):
		t.Fatal("the watch did not load within 5m")
	}

	direct, err := govmomi.NewClient(ctx, sim.URL(), true)
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{"watch", "same filter", "powerState only"}
	lat := map[string][]time.Duration{}
	for i := range changes {
		id, err := sim.VMID(ctx, fmt.Sprintf("DC0_BULK_VM%d", 1+i*max(1, n/changes)))
		if err != nil {
			t.Fatal(err)
		}
		vm := object.NewVirtualMachine(direct.Client, types.ManagedObjectReference{Type: "VirtualMachine", Value: id})
		start := time.Now()
		task, err := vm.PowerOff(ctx)
		if err == nil {
			err = task.Wait(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
		lat["power-off call"] = append(lat["power-off call"], time.Since(start))
		for _, p := range paths {
			at, ok := seen.wait(p, id, false, 5*time.Minute)
			if !ok {
				t.Fatalf("change %d (%s off) did not reach %q within 5m", i, id, p)
			}
			lat[p] = append(lat[p], at.Sub(start))
		}
	}
	floor := p50(lat["same filter"])
	for _, p := range append(paths, "power-off call") {
		t.Logf("%d VMs, %d changes: %-16s p50 %v  max %v  (%.2f× the same-filter floor)",
			n+4, changes, p, p50(lat[p]).Round(time.Millisecond), slices.Max(lat[p]).Round(time.Millisecond),
			float64(p50(lat[p]))/float64(floor))
	}
}

// collect runs a PropertyCollector of its own over every VM and reports each power state it
// hears of, until ctx ends. ready is closed once its first (full) answer is in.
func collect(ctx context.Context, t *testing.T, c *govmomi.Client, props []types.PropertySpec, ready chan struct{}, note func(id string, on bool)) {
	pc, err := property.DefaultCollector(c.Client).Create(ctx)
	if err == nil {
		// The same filter as the driver's watch (Conn.allVMs from the root folder).
		_, err = pc.CreateFilter(ctx, types.CreateFilter{Spec: types.PropertyFilterSpec{
			ObjectSet: []types.ObjectSpec{{Obj: c.ServiceContent.RootFolder, Skip: types.NewBool(true), SelectSet: vmSelectSet()}},
			PropSet:   props,
		}})
	}
	if err != nil {
		t.Error(err)
		close(ready)
		return
	}
	wait := int32(5) // short, so the simulator is not left answering a poll at close
	req := types.WaitForUpdatesEx{This: pc.Reference(), Options: &types.WaitOptions{MaxWaitSeconds: &wait}}
	first := true
	for ctx.Err() == nil {
		res, err := methods.WaitForUpdatesEx(ctx, c.Client, &req)
		if err != nil {
			continue
		}
		if res.Returnval == nil {
			continue
		}
		req.Version = res.Returnval.Version
		for _, fs := range res.Returnval.FilterSet {
			for _, u := range fs.ObjectSet {
				for _, ch := range u.ChangeSet {
					if ch.Name == "runtime.powerState" {
						note(u.Obj.Value, ch.Val == types.VirtualMachinePowerStatePoweredOn)
					}
				}
			}
		}
		if first && (res.Returnval.Truncated == nil || !*res.Returnval.Truncated) {
			first = false
			close(ready)
		}
	}
}

// arrivals records when each path first heard a VM in a power state.
type arrivals struct {
	mu   sync.Mutex
	at   map[string]time.Time // path/id/on → first time
	wake chan struct{}
}

func newArrivals() *arrivals { return &arrivals{at: map[string]time.Time{}, wake: make(chan struct{})} }

func (a *arrivals) note(path, id string, on bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := fmt.Sprint(path, "/", id, "/", on)
	if _, ok := a.at[k]; !ok {
		a.at[k] = time.Now()
		close(a.wake)
		a.wake = make(chan struct{})
	}
}

func (a *arrivals) wait(path, id string, on bool, bound time.Duration) (time.Time, bool) {
	deadline := time.After(bound)
	k := fmt.Sprint(path, "/", id, "/", on)
	for {
		a.mu.Lock()
		at, ok := a.at[k]
		wake := a.wake
		a.mu.Unlock()
		if ok {
			return at, true
		}
		select {
		case <-wake:
		case <-deadline:
			return time.Time{}, false
		}
	}
}

func p50(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}
