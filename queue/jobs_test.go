package queue_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"cloudbroker/broker"
	"cloudbroker/queue"
)

func jobIDs(t *testing.T, q *queue.Queue, targets ...broker.Target) map[broker.Target][]string {
	t.Helper()
	jobs, err := q.Jobs(context.Background(), targets)
	if err != nil {
		t.Fatal(err)
	}
	out := map[broker.Target][]string{}
	for target, ts := range jobs {
		for _, tk := range ts {
			out[target] = append(out[target], tk.ID+":"+string(tk.State))
		}
	}
	return out
}

// A task with a target is a job on it while pending and running, and stops being one when it
// finishes; the index entry is dropped by the next read, with no help from the worker.
func TestJobsFollowTaskState(t *testing.T) {
	exec := &scripted{release: make(chan struct{}), answer: func(int32, broker.TaskSpec) (json.RawMessage, error) {
		return json.RawMessage(`{}`), nil
	}}
	r := setup(t, exec, queue.Config{}, false)
	ctx := context.Background()
	tpl := broker.Target{Provider: "p1", NativeID: "vm-42"}
	sameIDElsewhere := broker.Target{Provider: "p2", NativeID: "vm-42"}
	untouched := broker.Target{Provider: "p1", NativeID: "vm-43"}

	job, err := r.q.Submit(ctx, broker.TaskSpec{Type: broker.TypeVMDiskInfo, Provider: "p1", NativeID: "vm-42"})
	if err != nil {
		t.Fatal(err)
	}
	// A provider-wide task (a listing) targets nothing.
	if _, err := r.q.Submit(ctx, broker.TaskSpec{Type: broker.TypeImageList, Provider: "p1"}); err != nil {
		t.Fatal(err)
	}
	want := map[broker.Target][]string{tpl: {job.ID + ":pending"}}
	if diff := cmp.Diff(want, jobIDs(t, r.q, tpl, sameIDElsewhere, untouched)); diff != "" {
		t.Errorf("jobs while pending (-want +got):\n%s", diff)
	}

	if err := r.w.Start(); err != nil {
		t.Fatal(err)
	}
	defer r.w.Shutdown()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := jobIDs(t, r.q, tpl)
		if cmp.Equal(got, map[broker.Target][]string{tpl: {job.ID + ":running"}}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job never seen running: %v", got)
		}
		time.Sleep(10 * time.Millisecond)
	}

	close(exec.release)
	waitDone(t, r.q, job.ID)
	if got := jobIDs(t, r.q, tpl); len(got) != 0 {
		t.Errorf("jobs after the task finished = %v, want none", got)
	}
	keys, err := r.red.CheckedClient(t).Keys(ctx, "cb:jobs:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if n := r.red.CheckedClient(t).ZCard(ctx, k).Val(); n != 0 {
			t.Errorf("index %s still holds %d ids after the read that found them finished", k, n)
		}
	}
}

// Several unfinished tasks on one target are all reported.
func TestJobsSeveralTasksOneTarget(t *testing.T) {
	r := setup(t, &scripted{}, queue.Config{}, false)
	ctx := context.Background()
	tpl := broker.Target{Provider: "p1", NativeID: "vm-42"}
	var want []string
	for range 3 {
		tk, err := r.q.Submit(ctx, broker.TaskSpec{Type: broker.TypeVMDiskInfo, Provider: "p1", NativeID: "vm-42"})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, tk.ID+":pending")
	}
	got := jobIDs(t, r.q, tpl)[tpl]
	if diff := cmp.Diff(want, got, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("jobs (-want +got):\n%s", diff)
	}
}
