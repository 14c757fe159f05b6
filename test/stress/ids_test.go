package stress

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/config"
	"cloudbroker/queue/redisstore"
	"cloudbroker/test/harness"
	"cloudbroker/test/wait"
)

// TestIDsResolveAsTheInventoryLoads: there is no listing at start-up beside the watch; a VM id
// the inventory does not hold yet waits for the provider's load, within the request's
// deadline, or answers unavailable naming the provider and where its load stands.
func TestIDsResolveAsTheInventoryLoads(t *testing.T) {
	// No worker at first, then one whose every vCenter call takes 300 ms: the provider stays
	// in its first load, "loading", for a while.
	b := start(t, 50, harness.Options{NoWorker: true, Tune: func(c *config.Config) {
		c.Providers[0].Timeout = config.Duration(10 * time.Second) // the slowed load must not time out
	}})
	_, id := bulkVM(t, b, 7)
	br := b.App.Broker()
	b.Proxies[0].SetDelay(300 * time.Millisecond)
	b.StartWorker(t, b.Executor(t).WithInventory(redisstore.NewInventory(b.Redis.Client(t))))
	wait.For(t, 30*time.Second, "provider loading", func() bool { return syncOf(t, b).State == broker.SyncLoading })

	// A request with one second to live answers the provider's state.
	sctx, scancel := context.WithTimeout(context.Background(), time.Second)
	_, err := br.SubmitDiskInfo(sctx, admin, id, "")
	scancel()
	if !errors.Is(err, model.ErrUnavailable) || !strings.Contains(err.Error(), `provider "vc1" is loading its inventory`) {
		t.Fatalf("diskinfo during the load = %v; want unavailable naming provider vc1 loading", err)
	}
	t.Logf("short request: %v", err)

	// A request with time to spare waits for the load instead.
	type submitted struct {
		task broker.Task
		err  error
	}
	waited := make(chan submitted, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		task, err := br.SubmitDiskInfo(ctx, admin, id, "")
		waited <- submitted{task, err}
	}()
	time.Sleep(time.Second) // it is waiting: the load takes longer (not asserted)
	b.Proxies[0].SetDelay(0)

	w := <-waited
	if w.err != nil {
		t.Fatalf("diskinfo that waited for the load: %v", w.err)
	}
	if got := waitTask(t, b, w.task.ID, time.Minute); got.State != broker.TaskSucceeded {
		t.Fatalf("diskinfo that waited for the load ended %s: %v", got.State, got.Err)
	}
	if st := syncOf(t, b); st.State != broker.SyncSynced {
		t.Fatalf("after the load: %+v", st)
	}
	// Loaded: an id no provider holds is simply not found, at once.
	if _, err := br.SubmitDiskInfo(context.Background(), admin, broker.NewUUID(), ""); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("unknown id after the load = %v, want not found", err)
	}
}
