package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"cloudbroker/broker"
	"cloudbroker/config"
	"cloudbroker/drivers"
	"cloudbroker/drivers/vcenter/vcsim"
	"cloudbroker/queue"
	"cloudbroker/test/harness"
	"cloudbroker/test/netdelay"
	"cloudbroker/test/redistest"
)

// The hot paths of issue 17, each a pair: Benchmark<Name> measures the project and
// Benchmark<Name>Floor what it is compared with, in the same run. Results: RESULTS.md.

// BenchmarkSyncDiskInfo is a sync diskinfo over HTTP (POST /api/vm/diskinfo mode 0) against the
// in-process simulator: p50-ms is the figure.
func BenchmarkSyncDiskInfo(b *testing.B) {
	br := harness.Start(b, harness.Options{Tune: noRateLimit}) // the figure, not the limit
	vmid := listVMID(b, br, "DC0_H0_VM0")
	timed(b, func() error {
		if code, body := br.Post(b, "/api/vm/diskinfo", harness.AdminToken, map[string]any{"vmid": vmid, "mode": 0}); code != 200 {
			return fmt.Errorf("%d %s", code, body)
		}
		return nil
	})
}

// noRateLimit turns the per-caller rate limit off: a benchmark measures the path, not the limit.
func noRateLimit(c *config.Config) { c.HTTP.RateLimit.RPS = -1 }

// timed runs op in b's loop and reports its latencies (report).
func timed(b *testing.B, op func() error) {
	lat := make([]time.Duration, 0, b.N)
	for b.Loop() {
		t0 := time.Now()
		if err := op(); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	report(b, lat)
}

// BenchmarkSyncDiskInfoFloor is the same disk read straight through the driver.
func BenchmarkSyncDiskInfoFloor(b *testing.B) {
	dl, native := simDisks(b, drivers.DefaultConcurrency)
	ctx := context.Background()
	timed(b, func() error {
		_, err := dl.ListDisks(ctx, native)
		return err
	})
}

// simDisks opens the vCenter driver on a fresh simulator, with the given concurrency.
func simDisks(b *testing.B, concurrency int) (drivers.DiskLister, string) {
	sim, err := vcsim.Start()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(sim.Close)
	ctx := context.Background()
	native, err := sim.VMID(ctx, "DC0_H0_VM0")
	if err != nil {
		b.Fatal(err)
	}
	cfg := sim.Config("bench")
	cfg.Concurrency = concurrency
	conn, err := drivers.Open(ctx, "vcenter", cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	return conn.(drivers.DiskLister), native
}

// httpClients is how many requests BenchmarkHTTPTasks keeps in flight: the provider's
// default concurrency cap, so every request can run at once.
const httpClients = drivers.DefaultConcurrency

// BenchmarkHTTPTasks is sync diskinfo requests over HTTP from httpClients concurrent
// clients against the in-process simulator: tasks/s is the figure.
func BenchmarkHTTPTasks(b *testing.B) {
	br := harness.Start(b, harness.Options{Tune: noRateLimit}) // the figure, not the limit
	vmid := listVMID(b, br, "DC0_H0_VM0")
	parallel(b, func() error {
		if code, body := br.Post(b, "/api/vm/diskinfo", harness.AdminToken, map[string]any{"vmid": vmid, "mode": 0}); code != 200 {
			b.Errorf("%d %s", code, body)
		}
		return nil
	})
}

// BenchmarkHTTPTasksFloor is the same disk reads straight through the driver, as many at once.
func BenchmarkHTTPTasksFloor(b *testing.B) {
	dl, native := simDisks(b, httpClients)
	ctx := context.Background()
	parallel(b, func() error {
		_, err := dl.ListDisks(ctx, native)
		return err
	})
}

// warmUp is how long parallel runs op before it counts: the steady state, not the start-up
// (an app lists every provider's hosts, networks, storage and images when it starts, then
// once a listing_refresh period; a timed second would hold fifteen periods' listings).
const warmUp = time.Second

// parallel runs b.N calls of op from httpClients goroutines, after warmUp of the same, and
// reports tasks/s.
func parallel(b *testing.B, op func() error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	run := func(more func() bool) {
		for range httpClients {
			wg.Go(func() {
				for more() {
					if err := op(); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
	}
	until := time.Now().Add(warmUp)
	run(func() bool { return time.Now().Before(until) })
	b.ResetTimer()
	start := time.Now()
	run(func() bool { return next.Add(1) <= int64(b.N) })
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tasks/s")
}

// queueSubmitters is how many goroutines submit in the queue-level pair.
const queueSubmitters = 32

// quiet drops the worker's per-task log lines, which would dominate a no-op task.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// noop is an executor that does nothing and counts finished tasks (FinishObserver, told
// once the outcome is recorded).
type noop struct {
	finished atomic.Int64
	all      chan struct{}
	n        int64
}

func (*noop) Execute(context.Context, broker.TaskSpec) (json.RawMessage, error) {
	return json.RawMessage(`{}`), nil
}

func (e *noop) TaskFinished(context.Context, string, broker.TaskSpec, json.RawMessage, error) {
	if e.finished.Add(1) == e.n {
		close(e.all)
	}
}

// BenchmarkQueueTasks is tasks/s through queue.Queue and queue.Worker (submit, run, outcome
// recorded) with a no-op executor on a fresh redis-server. Use a fixed count (-benchtime 3000x).
func BenchmarkQueueTasks(b *testing.B) { queueTasks(b, 0) }

// BenchmarkQueueTasksFloor is raw asynq on a fresh redis-server: the same worker concurrency
// and poll interval, tasks kept for the same retention, each handler writing a result with
// its ResultWriter.
func BenchmarkQueueTasksFloor(b *testing.B) { queueTasksFloor(b, 0, 1) }

// BenchmarkQueueTasksSameLoops is BenchmarkQueueTasks again, beside a floor laid out as the
// worker is: asynq takes one task per round trip per server, and the worker runs
// WorkerConfig.DequeueLoops (2) servers, so this pair shows what the queue layer costs per task
// with the dequeue layout equal on both sides.
func BenchmarkQueueTasksSameLoops(b *testing.B) { queueTasks(b, 0) }

// BenchmarkQueueTasksSameLoopsFloor is raw asynq on two servers, each with half the
// concurrency and twice the poll interval, as the worker's default.
func BenchmarkQueueTasksSameLoopsFloor(b *testing.B) { queueTasksFloor(b, 0, 2) }

// slowLink is the one-way delay of the SlowLink pair's link to Redis: a round trip of 1 ms, as
// between hosts in one site, where a task's round trips, not CPU, bound its rate.
const slowLink = 500 * time.Microsecond

// BenchmarkQueueTasksSlowLink is BenchmarkQueueTasks with Redis behind a 1 ms round trip.
func BenchmarkQueueTasksSlowLink(b *testing.B) { queueTasks(b, slowLink) }

// BenchmarkQueueTasksSlowLinkFloor is BenchmarkQueueTasksFloor behind the same link.
func BenchmarkQueueTasksSlowLinkFloor(b *testing.B) { queueTasksFloor(b, slowLink, 1) }

// queueClient is a client of a fresh redis-server, behind a link of one-way delay d if d > 0.
func queueClient(b *testing.B, d time.Duration) redis.UniversalClient {
	red := redistest.Start(b)
	if d == 0 {
		return red.Client(b)
	}
	c := redis.NewClient(&redis.Options{Addr: netdelay.Start(b, red.Addr, d)})
	b.Cleanup(func() { c.Close() })
	return c
}

func queueTasks(b *testing.B, link time.Duration) {
	rdb := queueClient(b, link)
	q := queue.New(rdb, queue.Config{Logger: quiet})
	b.Cleanup(func() { q.Close() })
	exec := &noop{all: make(chan struct{}), n: int64(b.N)}
	w := queue.NewWorker(rdb, exec, queue.WorkerConfig{Logger: quiet})
	if err := w.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(w.Shutdown)
	spec := broker.TaskSpec{Type: broker.TypeVMList, Provider: "p1"}
	ctx := context.Background()
	throughput(b, rdb, exec.all, func() error {
		_, err := q.Submit(ctx, spec)
		return err
	})
}

// queueTasksFloor runs raw asynq on servers that share 10 slots and a 20 ms poll between them.
func queueTasksFloor(b *testing.B, link time.Duration, servers int) {
	rdb := queueClient(b, link)
	client := asynq.NewClientFromRedisClient(rdb)
	var finished atomic.Int64
	all := make(chan struct{})
	handler := asynq.HandlerFunc(func(_ context.Context, t *asynq.Task) error {
		if _, err := t.ResultWriter().Write([]byte(`{"ok":true,"data":{}}`)); err != nil {
			return err
		}
		if finished.Add(1) == int64(b.N) {
			close(all)
		}
		return nil
	})
	for range servers {
		srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Concurrency: 10 / servers, Queues: map[string]int{"default": 1},
			TaskCheckInterval: time.Duration(servers) * 20 * time.Millisecond, LogLevel: asynq.ErrorLevel})
		if err := srv.Start(handler); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(srv.Shutdown)
	}
	payload := []byte(`{"type":"vm:list","provider":"p1"}`)
	ctx := context.Background()
	throughput(b, rdb, all, func() error {
		_, err := client.EnqueueContext(ctx, asynq.NewTask(broker.TypeVMList, payload), asynq.Queue("default"),
			asynq.MaxRetry(3), asynq.Timeout(2*time.Minute), asynq.Retention(24*time.Hour))
		return err
	})
}

// throughput submits b.N tasks from queueSubmitters goroutines, waits until all is closed
// (every task finished) and reports tasks/s and redis-server's CPU time per task.
func throughput(b *testing.B, rdb redis.UniversalClient, all <-chan struct{}, submit func() error) {
	cpu0, own0 := redisCPU(b, rdb), processCPU()
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range queueSubmitters {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				if err := submit(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	select {
	case <-all:
	case <-time.After(time.Minute):
		b.Fatal("tasks not finished within a minute")
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tasks/s")
	b.ReportMetric((redisCPU(b, rdb)-cpu0)*1e6/float64(b.N), "redis-cpu-us/task")
	b.ReportMetric((processCPU()-own0)*1e6/float64(b.N), "go-cpu-us/task")
}

// processCPU is this process's CPU time so far (user and system), in seconds: with
// redis-cpu-us/task it is what a task costs the machine, steadier than tasks/s on a shared host.
func processCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// redisCPU is redis-server's CPU time so far (INFO cpu), in seconds.
func redisCPU(b *testing.B, rdb redis.UniversalClient) float64 {
	info, err := rdb.Info(context.Background(), "cpu").Result()
	if err != nil {
		b.Fatal(err)
	}
	var total float64
	for _, line := range strings.Split(info, "\n") {
		k, v, _ := strings.Cut(strings.TrimSpace(line), ":")
		if k == "used_cpu_sys" || k == "used_cpu_user" {
			f, _ := strconv.ParseFloat(v, 64)
			total += f
		}
	}
	return total
}

// idleFor is how long the idle pair counts Redis commands.
const idleFor = 3 * time.Second

// BenchmarkIdleWorker is the Redis load of an idle agent's worker: its asynq servers polling
// its queue at the default interval and its subscription for offered tasks (ServeBells).
// idle-cmds/s counts every command Redis ran (INFO commandstats) over idleFor, INFO excepted.
// Run it with -benchtime 1x.
func BenchmarkIdleWorker(b *testing.B) {
	red := redistest.Start(b)
	rdb := red.Client(b)
	w := queue.NewWorker(rdb, &noop{}, queue.WorkerConfig{Queues: []string{queue.QueueFor("agent1")}, Logger: quiet})
	if err := w.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(w.Shutdown)
	q := queue.New(rdb, queue.Config{Logger: quiet})
	b.Cleanup(func() { q.Close() })
	if err := w.ServeBells(q, "agent1"); err != nil {
		b.Fatal(err)
	}
	idleLoad(b, rdb)
}

// BenchmarkIdleWorkerFloor is raw asynq's idle server on one queue at the same poll interval.
func BenchmarkIdleWorkerFloor(b *testing.B) {
	red := redistest.Start(b)
	rdb := red.Client(b)
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Concurrency: 10, Queues: map[string]int{queue.QueueFor("agent1"): 1},
		TaskCheckInterval: 20 * time.Millisecond, LogLevel: asynq.ErrorLevel})
	if err := srv.Start(asynq.HandlerFunc(func(context.Context, *asynq.Task) error { return nil })); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Shutdown)
	idleLoad(b, rdb)
}

// idleLoad reports the commands per second Redis runs while nothing is submitted.
func idleLoad(b *testing.B, rdb redis.UniversalClient) {
	ctx := context.Background()
	calls := func() float64 {
		info, err := rdb.Info(ctx, "commandstats").Result()
		if err != nil {
			b.Fatal(err)
		}
		var n float64
		for _, line := range strings.Split(info, "\n") {
			name, rest, ok := strings.Cut(strings.TrimSpace(line), ":calls=")
			if !ok || name == "cmdstat_info" {
				continue
			}
			v, _, _ := strings.Cut(rest, ",")
			f, _ := strconv.ParseFloat(v, 64)
			n += f
		}
		return n
	}
	time.Sleep(500 * time.Millisecond) // start-up settles
	for b.Loop() {
		c0 := calls()
		time.Sleep(idleFor)
		b.ReportMetric((calls()-c0)/idleFor.Seconds(), "idle-cmds/s")
	}
}
