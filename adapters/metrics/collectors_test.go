package metrics_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"cloudbroker/adapters/metrics"
	"cloudbroker/queue"
	"cloudbroker/test/redistest"
)

// counter counts the commands a client sends (a pipeline counts each of its commands).
type counter struct{ n atomic.Int64 }

func (c *counter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *counter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { c.n.Add(1); return next(ctx, cmd) }
}
func (c *counter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { c.n.Add(int64(len(cmds))); return next(ctx, cmds) }
}

// Scrapes within the cache interval read the queue stats from Redis once: the first scrape
// costs the read, the next ones none, and they all show the same depths.
func TestScrapesShareOneStatsRead(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, Password: srv.Password})
	t.Cleanup(func() { rdb.Close() })
	cli := asynq.NewClientFromRedisClient(rdb)
	for _, q := range []string{"default", "site:a", "site:b"} {
		if _, err := cli.Enqueue(asynq.NewTask("t", nil), asynq.Queue(q)); err != nil {
			t.Fatal(err)
		}
	}
	q := queue.New(rdb, queue.Config{})
	t.Cleanup(func() { q.Close() })
	cnt := &counter{}
	rdb.AddHook(cnt)
	metrics.SetState(q.Depths, nil)
	t.Cleanup(func() { metrics.SetState(nil, nil) })

	pending := func() float64 {
		t.Helper()
		mfs, err := metrics.Registry.Gather()
		if err != nil {
			t.Fatal(err)
		}
		sum := 0.0
		for _, mf := range mfs {
			if mf.GetName() != "cloudbroker_queue_tasks" {
				continue
			}
			for _, m := range mf.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "state" && l.GetValue() == "pending" {
						sum += m.GetGauge().GetValue()
					}
				}
			}
		}
		return sum
	}
	if got := pending(); got != 3 {
		t.Fatalf("pending tasks = %v, want 3", got)
	}
	first := cnt.n.Load()
	if first == 0 {
		t.Fatal("the first scrape sent no Redis command: the counting hook sees nothing")
	}
	const scrapes = 50
	for range scrapes {
		if got := pending(); got != 3 {
			t.Fatalf("pending tasks = %v, want 3", got)
		}
	}
	if more := cnt.n.Load() - first; more != 0 {
		t.Errorf("%d more scrapes sent %d Redis commands (the first sent %d), want 0 within the cache interval", scrapes, more, first)
	}
	t.Logf("one stats read: %d Redis commands; %d scrapes after it: %d", first, scrapes, cnt.n.Load()-first)
}
