package queue_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"cloudbroker/broker"
	"cloudbroker/queue"
	"cloudbroker/queue/internal/keys"
)

// Every progress report is kept, in order, up to a bound, and expires with the task's record.
func TestProgressHistory(t *testing.T) {
	const reports = 600 // past the bound of 512: the oldest go
	r := setup(t, &reporting{n: reports}, queue.Config{Retention: time.Hour}, false)
	ctx := context.Background()
	task, err := r.q.Submit(ctx, broker.TaskSpec{Type: "test:progress"})
	if err != nil {
		t.Fatal(err)
	}
	if h := mustHistory(t, r.q, task.ID); len(h) != 0 {
		t.Errorf("a task that has not run has progress %+v", h)
	}
	if err := r.w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.w.Shutdown)
	if got := waitDone(t, r.q, task.ID); got.Progress == nil || got.Progress.Percent != 100 {
		t.Fatalf("finished task's last progress = %+v", got.Progress)
	}
	events := mustHistory(t, r.q, task.ID)
	if len(events) != 512 {
		t.Fatalf("%d reports kept, want the last 512 of %d", len(events), reports)
	}
	for i, e := range events {
		n := reports - 512 + i
		if e.Step != fmt.Sprintf("step %d", n) || e.Current != n+1 || e.Total != reports || (i > 0 && e.At.Before(events[i-1].At)) {
			t.Fatalf("report %d = %+v, want step %d of %d, in time order", i, e, n, reports)
		}
	}
	rdb := r.red.CheckedClient(t)
	recTTL, histTTL := rdb.PTTL(ctx, keys.Record(task.ID)).Val(), rdb.PTTL(ctx, keys.Progress(task.ID)).Val()
	if histTTL <= 0 || histTTL > recTTL || recTTL-histTTL > time.Minute {
		t.Errorf("history expires in %s, the record in %s: want the same", histTTL, recTTL)
	}
	if h := mustHistory(t, r.q, "0123456789abcdef0123456789abcdef"); len(h) != 0 {
		t.Errorf("an unknown task has progress %+v", h)
	}
}

// reporting reports a distinct step n times (each a change of step, so none is throttled).
type reporting struct{ n int }

func (e *reporting) Execute(ctx context.Context, _ broker.TaskSpec) (json.RawMessage, error) {
	for i := range e.n {
		broker.ReportSteps(ctx, 100*(i+1)/e.n, fmt.Sprintf("step %d", i), i+1, e.n)
	}
	return json.RawMessage(`{}`), nil
}

func mustHistory(t *testing.T, q *queue.Queue, id string) []broker.Progress {
	t.Helper()
	h, err := q.ProgressHistory(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
