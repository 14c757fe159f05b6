package queue_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"cloudbroker/broker"
	"cloudbroker/queue"
)

// hashReads counts the record reads Redis has served (HGETALL, HMGET), from INFO commandstats.
func hashReads(t *testing.T, rdb redis.UniversalClient) int {
	t.Helper()
	info, err := rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":calls=")
		if ok && (name == "cmdstat_hgetall" || name == "cmdstat_hmget") {
			v, _, _ := strings.Cut(rest, ",")
			c, _ := strconv.Atoi(v)
			n += c
		}
	}
	return n
}

// A sync request whose task runs in its own process is answered from memory: Wait reads no
// record, and what it answers is exactly what another replica reads from the record.
func TestInlineWaitAnswersFromMemory(t *testing.T) {
	exec := &scripted{release: make(chan struct{}), answer: func(int32, broker.TaskSpec) (json.RawMessage, error) {
		return json.RawMessage(`{ "disks": [ {"name": "d1"} ] }`), nil
	}}
	r, sub := inlineRig(t, exec, queue.Config{Retention: time.Hour}, false)
	rdb := r.red.Client(t)
	before := hashReads(t, rdb)
	close(exec.release)
	got := waitDone(t, r.q, sub.ID)
	if n := hashReads(t, rdb) - before; n != 0 {
		t.Errorf("Wait on a run held here read the record %d times, want 0", n)
	}
	if got2, err := r.q.Get(context.Background(), sub.ID); err != nil || !cmp.Equal(got, got2) {
		t.Errorf("Get after Wait: %v %v, want Wait's answer", got2, err)
	}

	other := queue.New(rdb, queue.Config{Retention: time.Hour}) // another replica: reads the record
	t.Cleanup(func() { other.Close() })
	want, err := other.Get(context.Background(), sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answer from memory differs from the record (-record +memory):\n%s", diff)
	}
}

// stubborn is a driver call that ignores its context: it ends only when released.
type stubborn struct{ release chan struct{} }

func (s stubborn) Execute(context.Context, broker.TaskSpec) (json.RawMessage, error) {
	<-s.release
	return json.RawMessage(`{}`), nil
}

// A cancellation from another replica reaches a Wait on a run held here at once, even while
// the run itself has not stopped (its driver ignores the cancellation).
func TestInlineWaitHearsOtherReplicasCancel(t *testing.T) {
	exec := stubborn{release: make(chan struct{})}
	r := setup(t, exec, queue.Config{Retention: time.Hour}, false)
	r.q.ServeInline(r.w)
	defer close(exec.release)
	sub, err := r.q.Submit(context.Background(), spec, broker.Waited())
	if err != nil {
		t.Fatal(err)
	}
	other := queue.New(r.red.Client(t), queue.Config{Retention: time.Hour})
	t.Cleanup(func() { other.Close() })
	waited := make(chan broker.Task, 1)
	go func() {
		t, _ := r.q.Wait(context.Background(), sub.ID)
		waited <- t
	}()
	time.Sleep(50 * time.Millisecond) // Wait is following the run in memory by now, usually
	if err := other.Cancel(context.Background(), sub.ID, "ops"); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-waited:
		if got.State != broker.TaskCanceled {
			t.Errorf("Wait after another replica's cancel: %s, want canceled", got.State)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not hear another replica's cancel")
	}
}
