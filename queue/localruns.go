package queue

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	"cloudbroker/broker"
)

// A sync request whose task runs inline in its own process (inline.go) is answered without
// reading Redis: Wait follows the run in memory, and the run hands its recorded outcome to the
// finished cache, which Get reads first (issue 17: the sync path's Redis round trips).
// Everything still goes through the record: the outcome is written there before anyone here
// sees it, and another replica reads it there.

// localRun is an inline run this process holds for a task it submitted.
type localRun struct {
	// task is the task as Get would read it from its record while it runs.
	task broker.Task
	// recording is set once the work is done and its outcome is being written: a completion
	// bell heard from then on is the run's own.
	recording atomic.Bool
	// done is closed when the run ends: its outcome recorded (and in the finished cache), or
	// handed to the queue.
	done chan struct{}
}

// localRuns are the runs this process holds, by task id.
type localRuns struct {
	mu   sync.Mutex
	runs map[string]*localRun
}

// start registers task t's run; the task as submitted carries its payload's spec.
func (l *localRuns) start(t broker.Task, payload []byte) *localRun {
	var spec broker.TaskSpec
	_ = json.Unmarshal(payload, &spec) // marshaled from t.Spec just before: as Get decodes it
	retention := t.ExpireTime.Sub(t.InsertTime)
	insert := time.UnixMilli(t.InsertTime.UnixMilli()) // the record keeps milliseconds
	t.Spec, t.InsertTime, t.UpdateTime, t.ExpireTime = spec, insert, insert, insert.Add(retention)
	run := &localRun{task: t, done: make(chan struct{})}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.runs == nil {
		l.runs = map[string]*localRun{}
	}
	l.runs[t.ID] = run
	return run
}

// get returns the run of task id, nil when this process holds none.
func (l *localRuns) get(id string) *localRun {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.runs[id]
}

// end forgets run and wakes its waiters.
func (l *localRuns) end(run *localRun) {
	l.mu.Lock()
	delete(l.runs, run.task.ID)
	l.mu.Unlock()
	close(run.done)
}

// finishedTask is run's task with outcome b (as written to the record) applied: what Get
// reads from the record once the outcome is there.
func (run *localRun) finishedTask(b []byte) (broker.Task, bool) {
	var out outcome
	if json.Unmarshal(b, &out) != nil {
		return broker.Task{}, false
	}
	t := run.task
	applyOutcome(&t, out)
	return t, true
}

// awaitLocal waits, without reading Redis, until run ends, ctx ends, or a bell rings that is
// not the run's own completion (a cancellation announced by another replica): the caller then
// reads the task.
func awaitLocal(ctx context.Context, run *localRun, bell <-chan struct{}) {
	for {
		select {
		case <-run.done:
			return
		case <-ctx.Done():
			return
		case <-bell:
			if !run.recording.Load() {
				return
			}
		}
	}
}
