package queue_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"cloudbroker/broker"
	"cloudbroker/queue"
	"cloudbroker/queue/internal/keys"
	"cloudbroker/test/wait"
)

// renderTask renders a job as its task's result, done once the task is.
func renderTask(q *queue.Queue) queue.RenderFunc {
	return func(ctx context.Context, id string) (queue.Rendered, bool, error) {
		task, err := q.Get(ctx, id)
		if err != nil || !task.State.Done() {
			return queue.Rendered{}, false, err
		}
		return queue.Rendered{Body: task.Result, Success: task.State == broker.TaskSucceeded}, true, nil
	}
}

// A callback is delivered whether the job finishes after its hook is registered (completion
// message), before it (the check at registration), or while no broker listened (the sweep).
func TestWebhookTriggers(t *testing.T) {
	release := make(chan struct{})
	exec := &scripted{release: release, answer: func(int32, broker.TaskSpec) (json.RawMessage, error) { return json.RawMessage(`{"ok":1}`), nil }}
	r := setup(t, exec, queue.Config{}, true)
	rdb := r.red.CheckedClient(t)
	got := make(chan string, 10)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		got <- req.Header.Get(queue.HeaderJobUUID) + " " + req.Header.Get(queue.HeaderJobSuccess) + " " + string(body)
	}))
	t.Cleanup(rcv.Close)
	render := renderTask(r.q)
	newHooks := func() *queue.Webhooks {
		return queue.NewWebhooks(rdb, render, queue.WebhookConfig{
			SweepInterval: 200 * time.Millisecond, PollInterval: 20 * time.Millisecond,
			Allowed: func(u *url.URL) error { return nil },
		})
	}
	expect := func(id string) {
		t.Helper()
		select {
		case s := <-got:
			if s != id+` true {"ok":1}` {
				t.Errorf("callback %q", s)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no callback for %s", id)
		}
	}
	submit := func() string {
		task, err := r.q.Submit(context.Background(), broker.TaskSpec{Type: broker.TypeVMList, Provider: "p"})
		if err != nil {
			t.Fatal(err)
		}
		return task.ID
	}
	ctx := context.Background()

	// 1. While no webhook service runs: the job finishes unheard; the sweep finds it later.
	hooks := newHooks()
	missed := submit()
	if err := hooks.Register(ctx, missed, rcv.URL); err != nil {
		t.Fatal(err)
	}
	release <- struct{}{}
	if _, err := r.q.Wait(ctx, missed); err != nil {
		t.Fatal(err)
	}
	if err := hooks.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hooks.Stop)
	expect(missed)

	// 2. Registered while the job runs: its completion message triggers the callback.
	running := submit()
	hooks.Register(ctx, running, rcv.URL)
	release <- struct{}{}
	expect(running)

	// 3. Registered after the job finished: the check at registration does.
	close(release)
	early := submit()
	if _, err := r.q.Wait(ctx, early); err != nil {
		t.Fatal(err)
	}
	hooks.Register(ctx, early, rcv.URL)
	expect(early)

	// One delivery per job, however often it was noticed.
	select {
	case s := <-got:
		t.Errorf("extra callback %q", s)
	case <-time.After(700 * time.Millisecond):
	}
}

// hookReads counts the reads of webhook records a client sends.
type hookReads struct{ n atomic.Int32 }

func (*hookReads) DialHook(next redis.DialHook) redis.DialHook { return next }
func (*hookReads) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
func (h *hookReads) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if args := cmd.Args(); strings.EqualFold(cmd.Name(), "get") && len(args) > 1 && strings.HasPrefix(fmt.Sprint(args[1]), keys.Hook("")) {
			h.n.Add(1)
		}
		return next(ctx, cmd)
	}
}

// A replica looks at a task's end only if its job has a webhook: the ends of the system's other
// tasks cost its dispatcher no Redis read. A hook registered on another replica reaches it at
// once (announced), not at a sweep.
func TestWebhookDispatchReadsOnlyHookedJobs(t *testing.T) {
	release := make(chan struct{})
	exec := &scripted{release: release, answer: func(int32, broker.TaskSpec) (json.RawMessage, error) { return json.RawMessage(`{"ok":1}`), nil }}
	r := setup(t, exec, queue.Config{}, true)
	got := make(chan string, 10)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		got <- req.Header.Get(queue.HeaderJobUUID)
	}))
	t.Cleanup(rcv.Close)
	render := renderTask(r.q)
	cfg := queue.WebhookConfig{SweepInterval: time.Hour, PollInterval: 20 * time.Millisecond} // no sweep in this test
	registrar := queue.NewWebhooks(r.red.Client(t), render, cfg)                              // a replica that only registers
	reads := &hookReads{}
	bc := redis.NewClient(&redis.Options{Addr: r.red.Addr})
	t.Cleanup(func() { bc.Close() })
	bc.AddHook(reads)
	dispatcher := queue.NewWebhooks(bc, render, cfg)
	if err := dispatcher.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dispatcher.Stop)
	ctx := context.Background()
	wait.For(t, 5*time.Second, "the dispatcher's subscription", func() bool {
		return r.rdb.PubSubNumSub(ctx, keys.HookAdded).Val()[keys.HookAdded] == 1
	})

	const others = 200
	for i := range others { // the ends of tasks without hooks, anywhere in the system
		r.rdb.Publish(ctx, keys.TaskDone, fmt.Sprintf("%032x", i))
	}
	task, err := r.q.Submit(ctx, broker.TaskSpec{Type: broker.TypeVMList, Provider: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if err := registrar.Register(ctx, task.ID, rcv.URL); err != nil {
		t.Fatal(err)
	}
	close(release)
	select {
	case id := <-got:
		if id != task.ID {
			t.Fatalf("callback for %q, want %q", id, task.ID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the hook registered on another replica was not delivered at its job's end")
	}
	if n := reads.n.Load(); n != 1 {
		t.Errorf("the dispatcher read %d webhook records for %d task ends, want 1 (the hooked job's)", n, others+1)
	}
}
