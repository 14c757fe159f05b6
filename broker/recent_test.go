package broker_test

import (
	"slices"
	"testing"
	"time"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/queue"
	"cloudbroker/test/harness"
	"cloudbroker/test/wait"
)

// The broker's own work (the refresh of every provider's lists every period) is a task like any, but the
// recent-tasks list shows the callers' work only, even to a caller who sees every provider.
func TestRecentTasksLeaveOutBackgroundWork(t *testing.T) {
	b := harness.Start(t, harness.Options{})
	b.WaitSynced(t)
	admin := model.Caller{Name: "admin", AllProviders: true}
	q := queue.New(b.Redis.Client(t), queue.Config{})
	t.Cleanup(func() { q.Close() })
	all := func(broker.TaskSpec) bool { return true }
	for _, typ := range []string{broker.TypeImageList, broker.TypeHostList} {
		wait.For(t, time.Minute, typ+" refresh recorded as a background task", func() bool {
			ts, err := q.Recent(ctx(t), broker.MaxRecentTasks, all)
			if err != nil {
				t.Fatal(err)
			}
			return slices.ContainsFunc(ts, func(x broker.Task) bool { return x.Spec.Background && x.Spec.Type == typ })
		})
	}
	vm := b.VMIDs(t, "vc1")[0]
	mine, err := b.App.Broker().SubmitDiskInfo(ctx(t), admin, vm, "")
	if err != nil {
		t.Fatal(err)
	}
	wait.For(t, 30*time.Second, "the caller's own task listed", func() bool {
		ts, err := b.App.Broker().RecentTasks(ctx(t), admin, broker.MaxRecentTasks)
		if err != nil {
			t.Fatal(err)
		}
		if i := slices.IndexFunc(ts, func(x broker.Task) bool { return x.Spec.Background }); i >= 0 {
			t.Fatalf("recent tasks list the broker's background task %+v", ts[i].Spec)
		}
		return slices.ContainsFunc(ts, func(x broker.Task) bool { return x.ID == mine.ID })
	})
}
