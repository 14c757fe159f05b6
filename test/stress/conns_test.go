package stress

import (
	"context"
	"testing"
	"time"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/test/harness"
	"cloudbroker/test/wait"
)

// TestTaskTimeoutLeavesTheWatch is issue 19's reproduction: a task whose vCenter call times
// out (the vCenter stalls longer than the provider's 2 s timeout) used to close the
// connection the inventory watch shared, so the watch died and the provider went stale until
// a new watch reloaded everything. Now the task fails on its own connection and the watch
// carries on: the provider stays synced with the same full-load count, and a change made
// directly in the vCenter afterwards still reaches the inventory.
func TestTaskTimeoutLeavesTheWatch(t *testing.T) {
	b := start(t, 50, harness.Options{})
	before := waitSynced(t, b)
	native, id := bulkVM(t, b, 1)

	// One task first, so the tasks' connection is open and the stalled one times out on a call.
	warm, err := b.App.Broker().SubmitDiskInfo(context.Background(), admin, id, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := waitTask(t, b, warm.ID, time.Minute); got.State != broker.TaskSucceeded {
		t.Fatalf("first task: %s %v", got.State, got.Err)
	}

	stop := watchStatus(t, b)
	proxy := b.Proxies[0]
	proxy.Spare("WaitForUpdatesEx") // stall the task, not the watch's long poll
	proxy.SetDelay(3 * time.Second)
	task, err := b.App.Broker().SubmitDiskInfo(context.Background(), admin, id, "")
	if err != nil {
		t.Fatal(err)
	}
	// Long enough for at least one attempt to time out (and the old code to drop the conn).
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, err := b.App.Broker().Task(context.Background(), admin, task.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State == broker.TaskRetrying || got.State.Done() {
			t.Logf("task %s under the stall: %s %s", task.ID, got.State, got.Err)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the task did not time out under the stall: %s", got.State)
		}
		time.Sleep(50 * time.Millisecond)
	}
	proxy.SetDelay(0)
	proxy.Flush()
	got := waitTask(t, b, task.ID, time.Minute)
	t.Logf("task ended %s %v", got.State, got.Err)

	vc := direct(t, b)
	poweredOff := func() bool {
		vm, err := b.App.Broker().VM(context.Background(), admin, id)
		return err == nil && vm.PowerState == model.PoweredOff
	}
	abandoned := proxy.AbandonedSpared()
	if err := setPower(context.Background(), vc, native, false); err != nil {
		t.Fatal(err)
	}
	if !wait.Within(30*time.Second, poweredOff) {
		// A watch poll the client gave up on (a loaded machine answering a 1 s poll in over
		// 3 s) takes the simulator's pending changes with it: vCenter would answer the same
		// version again, the simulator cannot. Only then is the change made once more.
		lost := proxy.AbandonedSpared() - abandoned
		if lost == 0 {
			t.Fatalf("direct power off not in the inventory within 30s (sync %+v)", syncOf(t, b))
		}
		t.Logf("%d watch polls abandoned after the power off: the simulator dropped their changes; powering on and off again", lost)
		if err := setPower(context.Background(), vc, native, true); err != nil {
			t.Fatal(err)
		}
		if err := setPower(context.Background(), vc, native, false); err != nil {
			t.Fatal(err)
		}
		wait.For(t, 30*time.Second, "direct power off (made again) in the inventory", poweredOff)
	}
	if bad := stop(); len(bad) > 0 {
		t.Errorf("the provider left synced while a task timed out: %+v", bad)
	}
	if after := syncOf(t, b); after.FullLoads != before.FullLoads {
		t.Errorf("full loads %d → %d: the watch was restarted", before.FullLoads, after.FullLoads)
	}
}

// watchStatus samples the provider's sync status every 20 ms until the returned func is
// called, which gives every sample that was not synced.
func watchStatus(t *testing.T, b *harness.Broker) func() []broker.SyncStatus {
	t.Helper()
	var bad []broker.SyncStatus
	done, quit := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			ps, err := b.App.Broker().ProviderStatuses(context.Background(), model.System)
			if err == nil && len(ps) > 0 && (ps[0].Sync == nil || ps[0].Sync.State != broker.SyncSynced) {
				bad = append(bad, statusOf(ps[0]))
			}
			select {
			case <-quit:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() []broker.SyncStatus {
		close(quit)
		<-done
		return bad
	}
}

func statusOf(p broker.ProviderStatus) broker.SyncStatus {
	if p.Sync == nil {
		return broker.SyncStatus{Provider: p.Name}
	}
	return *p.Sync
}

// TestConcurrentOpensShareOneLogin: tasks that find no connection at once share one open (one
// vCenter login), not one each.
func TestConcurrentOpensShareOneLogin(t *testing.T) {
	b := start(t, 0, harness.Options{NoWorker: true})
	exec := b.Executor(t)
	b.Proxies[0].SetDelay(200 * time.Millisecond) // so the 16 calls overlap
	errs := make(chan error, 16)
	for range cap(errs) {
		go func() {
			_, err := exec.Conn(context.Background(), provider)
			errs <- err
		}()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	// One open is a few calls one after another: never two at once.
	if n := b.Proxies[0].MaxInFlight(); n != 1 {
		t.Errorf("%d vCenter calls at once during the opens, want 1 (one shared open)", n)
	}
	if n, err := b.Sims[0].DropSessions(context.Background()); err != nil || n != 1 {
		t.Errorf("sessions after 16 concurrent opens = %d (%v), want 1", n, err)
	}
}
