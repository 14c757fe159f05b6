package queue_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"cloudbroker/broker"
	"cloudbroker/queue"
)

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
	render := func(ctx context.Context, id string) (queue.Rendered, bool, error) {
		task, err := r.q.Get(ctx, id)
		if err != nil || !task.State.Done() {
			return queue.Rendered{}, false, err
		}
		return queue.Rendered{Body: task.Result, Success: task.State == broker.TaskSucceeded}, true, nil
	}
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
