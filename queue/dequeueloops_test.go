package queue_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"cloudbroker/broker"
	"cloudbroker/queue"
	"cloudbroker/queue/internal/keys"
	"cloudbroker/test/redistest"
)

// slowDequeues holds each of asynq's dequeues (its script on a queue's pending list) for a
// while, and counts the most that were ever in flight at once.
type slowDequeues struct {
	hold time.Duration

	mu              sync.Mutex
	inFlight, most  int
	dequeuesStarted int
}

func (*slowDequeues) DialHook(next redis.DialHook) redis.DialHook { return next }
func (*slowDequeues) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
func (s *slowDequeues) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !isDequeue(cmd) {
			return next(ctx, cmd)
		}
		s.mu.Lock()
		s.inFlight++
		s.dequeuesStarted++
		s.most = max(s.most, s.inFlight)
		s.mu.Unlock()
		time.Sleep(s.hold)
		defer func() {
			s.mu.Lock()
			s.inFlight--
			s.mu.Unlock()
		}()
		return next(ctx, cmd)
	}
}

// isDequeue: asynq's dequeue script on the default queue names its pending list first and its
// active list third (KEYS pending, paused, active, lease). The watch server's are not counted.
func isDequeue(cmd redis.Cmder) bool {
	args := cmd.Args()
	if len(args) < 7 || !strings.HasPrefix(strings.ToLower(cmd.Name()), "eval") {
		return false
	}
	return fmt.Sprint(args[3]) == keys.AsynqState(queue.DefaultQueue, "pending") &&
		fmt.Sprint(args[5]) == keys.AsynqState(queue.DefaultQueue, "active")
}

func (s *slowDequeues) seen() (most, started int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.most, s.dequeuesStarted
}

// A worker takes tasks on DequeueLoops asynq servers at once: asynq's one server takes one task
// per round trip, which bounds a worker's rate under a backlog however many slots are free.
// Each server has its share of Concurrency, and only the first sweeps the queues' retry and
// scheduled sets.
func TestWorkerTakesTasksOnSeveralLoops(t *testing.T) {
	for _, tc := range []struct {
		name        string
		loops       int
		concurrency int
		wantMost    int
		wantShares  []int
	}{
		{name: "default two", loops: 0, concurrency: 10, wantMost: 2, wantShares: []int{5, 5}},
		{name: "one, as asynq alone", loops: 1, concurrency: 10, wantMost: 1, wantShares: []int{10}},
		{name: "three, uneven", loops: 3, concurrency: 7, wantMost: 3, wantShares: []int{3, 2, 2}},
		{name: "never more than the slots", loops: 4, concurrency: 1, wantMost: 1, wantShares: []int{1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			red := redistest.Start(t)
			rdb := red.Client(t)
			q := queue.New(rdb, queue.Config{Logger: quietLog})
			t.Cleanup(func() { q.Close() })
			const tasks = 40
			ctx := context.Background()
			for range tasks { // a backlog before the worker starts
				if _, err := q.Submit(ctx, broker.TaskSpec{Type: broker.TypeVMList, Provider: "p1"}); err != nil {
					t.Fatal(err)
				}
			}
			wrdb := redis.NewClient(&redis.Options{Addr: red.Addr})
			t.Cleanup(func() { wrdb.Close() })
			slow := &slowDequeues{hold: 20 * time.Millisecond}
			wrdb.AddHook(slow)
			exec := &countingExec{}
			w := queue.NewWorker(wrdb, exec, queue.WorkerConfig{Concurrency: tc.concurrency, DequeueLoops: tc.loops, Logger: quietLog})
			if err := w.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(w.Shutdown)
			deadline := time.Now().Add(20 * time.Second)
			for exec.count() < tasks && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if n := exec.count(); n < tasks {
				t.Fatalf("%d of %d tasks ran", n, tasks)
			}
			if most, started := slow.seen(); most != tc.wantMost {
				t.Errorf("at most %d dequeues were in flight at once (of %d), want %d", most, started, tc.wantMost)
			}
			if diff := cmp.Diff(tc.wantShares, shares(t, rdb, queue.DefaultQueue)); diff != "" {
				t.Errorf("concurrency of the servers on %q (-want +got):\n%s", queue.DefaultQueue, diff)
			}
		})
	}
}

// shares lists the concurrency of each asynq server that consumes qname, largest first.
func shares(t *testing.T, rdb redis.UniversalClient, qname string) []int {
	t.Helper()
	insp := asynq.NewInspectorFromRedisClient(rdb)
	var got []int
	for deadline := time.Now().Add(10 * time.Second); len(got) == 0 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		servers, err := insp.Servers()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range servers {
			if _, ok := s.Queues[qname]; ok {
				got = append(got, s.Concurrency)
			}
		}
	}
	slices.Sort(got)
	slices.Reverse(got)
	return got
}

var quietLog = slog.New(slog.DiscardHandler)

// countingExec succeeds at once and counts its runs.
type countingExec struct{ n atomic.Int64 }

func (e *countingExec) Execute(context.Context, broker.TaskSpec) (json.RawMessage, error) {
	e.n.Add(1)
	return json.RawMessage(`{}`), nil
}

func (e *countingExec) count() int { return int(e.n.Load()) }
