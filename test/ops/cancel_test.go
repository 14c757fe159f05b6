package ops_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/test/harness"
)

type envelope struct {
	TaskID  string
	Content struct {
		Task struct {
			Errcode string `json:"task_errcode"`
			Errmsg  string `json:"task_errmsg"`
		} `json:"task"`
	}
}

func cancel(t *testing.T, b *harness.Broker, id string) (int, envelope) {
	t.Helper()
	code, body := b.Post(t, "/api/task/cancel", harness.AdminToken, map[string]string{"taskid": id})
	var e envelope
	json.Unmarshal(body, &e)
	return code, e
}

// A running task is stopped on its worker, a finished one cannot be canceled, and a waiter
// is released by the cancellation at once.
func TestCancel(t *testing.T) {
	b := harness.Start(t, harness.Options{Proxied: true})
	b.WaitSynced(t)
	vm := b.VMIDs(t, "vc1")[0]
	ctx := context.Background()
	bk := b.App.Broker()

	b.Proxies[0].SetDelay(10 * time.Second)
	running, err := bk.SubmitDiskInfo(ctx, model.System, vm, "")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		tk, _ := bk.Task(ctx, model.System, running.ID)
		if tk.State == broker.TaskRunning {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("task never ran: %s", tk.State)
		}
		time.Sleep(20 * time.Millisecond)
	}
	waited := make(chan broker.Task, 1)
	go func() { tk, _ := bk.Wait(ctx, model.System, running.ID); waited <- tk }()
	t0 := time.Now()
	code, e := cancel(t, b, running.ID)
	if code != 200 || e.Content.Task.Errcode != "499" {
		t.Fatalf("cancel running: %d %+v", code, e)
	}
	select {
	case tk := <-waited:
		if tk.State != broker.TaskCanceled || !errors.Is(tk.Err, model.ErrCanceled) {
			t.Errorf("waiter saw %s %v", tk.State, tk.Err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a waiter was not released by the cancellation")
	}
	t.Logf("running task canceled in %s (the vCenter call would have taken 10s)", time.Since(t0))
	b.Proxies[0].SetDelay(0)

	done, _ := bk.SubmitDiskInfo(ctx, model.System, vm, "")
	if tk, err := bk.Wait(ctx, model.System, done.ID); err != nil || tk.State != broker.TaskSucceeded {
		t.Fatalf("%v %s", err, tk.State)
	}
	if code, _ := cancel(t, b, done.ID); code != 409 {
		t.Errorf("cancel finished task: %d, want 409", code)
	}
	if code, _ := cancel(t, b, "0123456789abcdef0123456789abcdef"); code != 404 {
		t.Errorf("cancel unknown task: %d, want 404", code)
	}
}

// A queued task that is canceled never runs.
func TestCancelQueued(t *testing.T) {
	seed := harness.Start(t, harness.Options{})
	seed.WaitSynced(t)
	vm := seed.VMIDs(t, "vc1")[0]
	seed.Stop()
	b := harness.Start(t, harness.Options{NoWorker: true, Redis: seed.Redis, Sims: seed.Sims})
	ctx := context.Background()
	task, err := b.App.Broker().SubmitDiskInfo(ctx, model.System, vm, "")
	if err != nil {
		t.Fatal(err)
	}
	if code, e := cancel(t, b, task.ID); code != 200 || e.Content.Task.Errcode != "499" {
		t.Fatalf("cancel queued: %d %+v", code, e)
	}
	worker := harness.Start(t, harness.Options{Redis: seed.Redis, Sims: seed.Sims})
	time.Sleep(500 * time.Millisecond) // a worker that would run it has had the chance
	tk, err := worker.App.Broker().Task(ctx, model.System, task.ID)
	if err != nil || tk.State != broker.TaskCanceled {
		t.Fatalf("after a worker started: %v %s", err, tk.State)
	}
}
