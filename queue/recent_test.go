package queue_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker"
	"cloudbroker/queue"
	"cloudbroker/test/wait"
)

// Recent lists finished and unfinished tasks of every queue, newest first, asking keep before
// it reads a task, and stops at n.
func TestRecentNewestFirstAcrossQueues(t *testing.T) {
	ok := &scripted{answer: func(int32, broker.TaskSpec) (json.RawMessage, error) { return json.RawMessage(`{}`), nil }}
	r := setup(t, ok, queue.Config{}, true)
	ctx := context.Background()
	var ids []string // oldest first
	submit := func(spec broker.TaskSpec) {
		t.Helper()
		task, err := r.q.Submit(ctx, spec)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, task.ID)
		time.Sleep(2 * time.Millisecond) // distinct submission times
	}
	for _, p := range []string{"p1", "p2", "p1"} {
		submit(broker.TaskSpec{Type: broker.TypeVMDiskInfo, Provider: p})
	}
	for _, id := range ids {
		if _, err := r.q.Wait(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	submit(broker.TaskSpec{Type: broker.TypeVMDiskInfo, Provider: "p1", ClientID: "site"}) // no worker: stays pending

	got := func(n int, keep func(broker.TaskSpec) bool) []string {
		t.Helper()
		ts, err := r.q.Recent(ctx, n, keep)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, task := range ts {
			out = append(out, task.ID+" "+string(task.State))
		}
		return out
	}
	all := func(broker.TaskSpec) bool { return true }
	p1 := func(s broker.TaskSpec) bool { return s.Provider == "p1" }
	for _, c := range []struct {
		name string
		n    int
		keep func(broker.TaskSpec) bool
		want []string
	}{
		{"all", 10, all, []string{ids[3] + " pending", ids[2] + " succeeded", ids[1] + " succeeded", ids[0] + " succeeded"}},
		{"two", 2, all, []string{ids[3] + " pending", ids[2] + " succeeded"}},
		{"p1's", 10, p1, []string{ids[3] + " pending", ids[2] + " succeeded", ids[0] + " succeeded"}},
		{"none", 10, func(broker.TaskSpec) bool { return false }, []string{}},
	} {
		if diff := cmp.Diff(c.want, got(c.n, c.keep)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
}

// Tasks that never had an asynq entry, a waited-for task run inline and one recorded finished
// (RunNow), are listed too.
func TestRecentListsUnqueuedTasks(t *testing.T) {
	ok := &scripted{answer: func(int32, broker.TaskSpec) (json.RawMessage, error) { return json.RawMessage(`{}`), nil }}
	r, inline := inlineRig(t, ok, queue.Config{Retention: time.Hour}, false)
	ctx := context.Background()
	waitDone(t, r.q, inline.ID)
	recorded, err := r.q.Record(ctx, "", spec, func(context.Context) (json.RawMessage, error) { return json.RawMessage(`{}`), nil })
	if err != nil {
		t.Fatal(err)
	}
	want := []string{recorded.ID, inline.ID}
	wait.For(t, 10*time.Second, "both unqueued tasks listed", func() bool {
		ts, err := r.q.Recent(ctx, 10, func(broker.TaskSpec) bool { return true })
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, task := range ts {
			got = append(got, task.ID)
		}
		return cmp.Diff(want, got) == ""
	})
}

// A task moving between asynq's lists while Recent reads them (taken, finished) is listed:
// each listing right after a submission names the submitted task, whatever state it is in.
func TestRecentListsTasksInTransit(t *testing.T) {
	ok := &scripted{answer: func(int32, broker.TaskSpec) (json.RawMessage, error) { return json.RawMessage(`{}`), nil }}
	r := setup(t, ok, queue.Config{Retention: time.Hour}, true)
	ctx := context.Background()
	for i := range 150 {
		task, err := r.q.Submit(ctx, broker.TaskSpec{Type: broker.TypeVMDiskInfo, Provider: "p1"})
		if err != nil {
			t.Fatal(err)
		}
		ts, err := r.q.Recent(ctx, 5, func(broker.TaskSpec) bool { return true })
		if err != nil {
			t.Fatal(err)
		}
		if len(ts) == 0 || ts[0].ID != task.ID {
			t.Fatalf("listing %d, right after submitting %s: %+v", i, task.ID, ts)
		}
	}
}

// A waited-for task run inline is listed while it runs, not only once it has finished.
func TestRecentListsARunningInlineTask(t *testing.T) {
	exec := holding()
	r, inline := inlineRig(t, exec, queue.Config{Retention: time.Hour}, false)
	defer close(exec.release)
	ctx := context.Background()
	wait.For(t, 10*time.Second, "the running inline task listed", func() bool {
		ts, err := r.q.Recent(ctx, 10, func(broker.TaskSpec) bool { return true })
		if err != nil {
			t.Fatal(err)
		}
		return len(ts) == 1 && ts[0].ID == inline.ID && ts[0].State == broker.TaskRunning
	})
}
