package queue_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"cloudbroker/broker"
	"cloudbroker/queue"
	"cloudbroker/test/wait"
)

// tripsNaming records, for each round trip that names a task id, the commands it carried.
type tripsNaming struct {
	id   string
	mu   sync.Mutex
	seen [][]string
}

func (*tripsNaming) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *tripsNaming) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { c.note(cmd); return next(ctx, cmd) }
}
func (c *tripsNaming) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { c.note(cmds...); return next(ctx, cmds) }
}

func (c *tripsNaming) note(cmds ...redis.Cmder) {
	var names []string
	for _, cmd := range cmds {
		args := fmt.Sprint(cmd.Args()...)
		if strings.Contains(args, c.id) && !strings.Contains(args, "asynq:workers") {
			names = append(names, strings.ToUpper(cmd.Name()))
		}
	}
	if len(names) > 0 {
		c.mu.Lock()
		c.seen = append(c.seen, names)
		c.mu.Unlock()
	}
}

// A queued task's outcome goes to Redis in the same round trip as asynq's completion: the
// worker spends two round trips on the task (the record's read; the outcome with the
// completion), and the task reads succeeded with its result.
func TestOutcomeGoesWithCompletion(t *testing.T) {
	release := make(chan struct{})
	exec := &scripted{answer: func(n int32, _ broker.TaskSpec) (json.RawMessage, error) {
		if n == 2 {
			<-release
		}
		return json.RawMessage(`{"n":1}`), nil
	}}
	r := setup(t, exec, queue.Config{Retention: time.Hour}, true)
	ctx := context.Background()
	waitDone(t, r.q, mustSubmit(t, r.q, untargeted).ID) // scripts loaded (EVALSHA hits)
	task := mustSubmit(t, r.q, untargeted)
	wait.For(t, 10*time.Second, "the driver call", func() bool { return exec.calls.Load() == 2 })
	trips := &tripsNaming{id: task.ID}
	r.rdb.AddHook(trips)
	close(release)
	other := r.red.Client(t) // reads without the hook
	wait.For(t, 10*time.Second, "the task's completion", func() bool {
		n, err := other.ZScore(ctx, "asynq:{default}:completed", task.ID).Result()
		return err == nil && n > 0
	})
	got, err := queue.New(other, queue.Config{}).Get(ctx, task.ID)
	if err != nil || got.State != broker.TaskSucceeded || string(got.Result) != `{"n":1}` {
		t.Fatalf("the task reads %s %s (%v), want succeeded with its result", got.State, got.Result, err)
	}
	trips.mu.Lock()
	defer trips.mu.Unlock()
	if diff := cmp.Diff([][]string{{"EVALSHA", "EVALSHA"}}, trips.seen); diff != "" {
		t.Errorf("round trips naming the task after its run (-want +got):\n%s", diff)
	}
}

// Redis lost its scripts while the task ran (a restart): the pipeline's outcome and asynq's
// completion both answer NOSCRIPT; the outcome is written again with its script before asynq
// sends its own again, and the task reads succeeded with its result.
func TestOutcomeWithCompletionAfterScriptsLost(t *testing.T) {
	var flush func()
	ready := make(chan struct{})
	exec := &scripted{answer: func(n int32, _ broker.TaskSpec) (json.RawMessage, error) {
		if n == 2 {
			<-ready
			flush()
		}
		return json.RawMessage(`{"n":2}`), nil
	}}
	r := setup(t, exec, queue.Config{Retention: time.Hour}, true)
	ctx := context.Background()
	waitDone(t, r.q, mustSubmit(t, r.q, untargeted).ID) // scripts loaded
	flush = func() {
		if err := r.red.Client(t).ScriptFlush(ctx).Err(); err != nil {
			t.Error(err)
		}
	}
	close(ready)
	task := mustSubmit(t, r.q, untargeted)
	done := waitDone(t, r.q, task.ID)
	if done.State != broker.TaskSucceeded || string(done.Result) != `{"n":2}` {
		t.Fatalf("after SCRIPT FLUSH: %s %s, want succeeded with its result", done.State, done.Result)
	}
	wait.For(t, 10*time.Second, "asynq's completion", func() bool {
		return r.red.Client(t).ZScore(ctx, "asynq:{default}:completed", task.ID).Err() == nil
	})
}
