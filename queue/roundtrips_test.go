package queue_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker"
	"cloudbroker/queue"
)

// monitor records, from Redis's MONITOR, the name of every command a client sent (not those
// a script ran) that names one of the tasks in ids: the round trips spent on those tasks.
type monitor struct {
	mu    sync.Mutex
	cmds  map[string][]string // task id → command names, in order
	fence chan struct{}       // told when an ECHO of fenceWord arrives
	stop  func()
}

const fenceWord = "roundtrips-fence"

var monitorLine = regexp.MustCompile(`^[0-9.]+ \[\d+ ([^\]]+)\] "([A-Za-z]+)"`)

func startMonitor(t *testing.T, addr string) *monitor {
	t.Helper()
	// A plain connection: MONITOR turns it into a stream of lines, which a pooled client
	// does not expect.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write([]byte("MONITOR\r\n")); err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(conn)
	if line, err := rd.ReadString('\n'); err != nil || !strings.HasPrefix(line, "+OK") {
		t.Fatalf("MONITOR: %q %v", line, err)
	}
	m := &monitor{cmds: map[string][]string{}, fence: make(chan struct{}, 1)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				return
			}
			m.add(strings.TrimPrefix(line, "+"))
		}
	}()
	var once sync.Once
	m.stop = func() {
		once.Do(func() {
			conn.Close()
			<-done
		})
	}
	t.Cleanup(m.stop)
	return m
}

func (m *monitor) add(line string) {
	f := monitorLine.FindStringSubmatch(line)
	if f == nil || f[1] == "lua" {
		return
	}
	if strings.Contains(line, "asynq:workers") || strings.Contains(line, "asynq:servers") {
		return // asynq's heartbeat, which names the tasks running at that moment
	}
	if strings.Contains(line, fenceWord) {
		m.fence <- struct{}{}
		return
	}
	seen := map[string]bool{}
	for _, id := range taskIDs.FindAllString(line, -1) {
		if seen[id] {
			continue
		}
		seen[id] = true
		m.mu.Lock()
		m.cmds[id] = append(m.cmds[id], strings.ToUpper(f[2]))
		m.mu.Unlock()
	}
}

var taskIDs = regexp.MustCompile(`[0-9a-f]{32}`)

// sync returns once the monitor has seen every command Redis ran before it: MONITOR reports
// commands in the order Redis runs them, so an ECHO sent now arrives after all of them.
func (m *monitor) sync(t *testing.T, rdb redis.UniversalClient) {
	t.Helper()
	if err := rdb.Echo(context.Background(), fenceWord).Err(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-m.fence:
	case <-time.After(10 * time.Second):
		t.Fatal("MONITOR never showed the fence")
	}
}

func (m *monitor) of(id string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.cmds[id]...)
}

// The commands that name a task: two to submit it (asynq's enqueue; the record with its
// claim, in one round trip: enqueuecommit.go), three on the worker besides asynq's dequeue
// (the record's cancellation read; the outcome with its announcement and asynq's completion,
// in one round trip: finishpipeline.go), and one to read it once it is done (the record
// alone). Raw asynq with a ResultWriter sends three naming the task (enqueue, result,
// completion), each in a round trip of its own.
func TestRoundTripsPerTask(t *testing.T) {
	exec := &scripted{answer: func(int32, broker.TaskSpec) (json.RawMessage, error) { return json.RawMessage(`{}`), nil }}
	r := setup(t, exec, queue.Config{Retention: time.Hour}, true)
	ctx := context.Background()
	listSpec := broker.TaskSpec{Type: broker.TypeVMList, Provider: "p1"} // no target: no job index
	waitDone(t, r.q, mustSubmit(t, r.q, listSpec).ID)                    // scripts loaded (EVALSHA hits)

	m := startMonitor(t, r.red.Addr)
	done := make(chan string, 1)
	sub := r.red.Client(t).Subscribe(ctx, "cb:task-done")
	t.Cleanup(func() { sub.Close() })
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	go func() {
		for msg := range sub.Channel() {
			done <- msg.Payload
		}
	}()
	rdb := r.red.Client(t)
	task := mustSubmit(t, r.q, listSpec)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the task never finished")
	}
	r.w.Shutdown() // asynq's completion is sent before Shutdown returns
	got, err := r.q.Get(ctx, task.ID)
	if err != nil || got.State != broker.TaskSucceeded {
		t.Fatalf("Get: %s %v", got.State, err)
	}
	m.sync(t, rdb)
	// Submit's enqueue and record with its claim; the worker's record read, its outcome with
	// the announcement and asynq's completion; then Get's one read.
	want := []string{"EVALSHA", "EVALSHA", "HMGET", "EVALSHA", "EVALSHA", "HGETALL"}
	if diff := cmp.Diff(want, m.of(task.ID)); diff != "" {
		t.Errorf("round trips naming the task (-want +got):\n%s", diff)
	}
}

func mustSubmit(t *testing.T, q *queue.Queue, spec broker.TaskSpec) broker.Task {
	t.Helper()
	task, err := q.Submit(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	return task
}
