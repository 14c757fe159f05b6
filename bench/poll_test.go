package bench

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"cloudbroker/config"
	"cloudbroker/test/harness"
)

// BenchmarkSyncPollInterval shows the trade-off behind tasks.poll_interval: an idle asynq
// worker looks for work every interval, so a sync request waits up to one interval for pickup,
// and an idle broker costs Redis commands each interval. idle-redis-ops/s is measured with no
// request running (INFO total_commands_processed over 2s).
func BenchmarkSyncPollInterval(b *testing.B) {
	for _, iv := range []time.Duration{time.Second, 100 * time.Millisecond, 20 * time.Millisecond, 5 * time.Millisecond, time.Millisecond} {
		b.Run(iv.String(), func(b *testing.B) {
			br := harness.Start(b, harness.Options{Tune: func(c *config.Config) {
				noRateLimit(c) // a fast sync path outruns the default limit
				c.Tasks.PollInterval = config.Duration(iv)
			}})
			vmid := listVMID(b, br, "DC0_H0_VM0")
			idle := idleOps(b, br)
			lat := make([]time.Duration, 0, b.N)
			for b.Loop() {
				t0 := time.Now()
				code, body := br.Post(b, "/api/vm/diskinfo", harness.AdminToken, map[string]any{"vmid": vmid, "mode": 0})
				if code != 200 {
					b.Fatalf("%d %s", code, body)
				}
				lat = append(lat, time.Since(t0))
			}
			report(b, lat)
			b.ReportMetric(idle, "idle-redis-ops/s")
		})
	}
}

func idleOps(b *testing.B, br *harness.Broker) float64 {
	ctx := context.Background()
	rdb := br.Redis.Client(b)
	count := func() float64 {
		info, err := rdb.Info(ctx, "stats").Result()
		if err != nil {
			b.Fatal(err)
		}
		for _, line := range strings.Split(info, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "total_commands_processed:"); ok {
				n, _ := strconv.ParseFloat(v, 64)
				return n
			}
		}
		return 0
	}
	time.Sleep(500 * time.Millisecond) // let start-up work settle
	c0 := count()
	time.Sleep(2 * time.Second)
	return (count() - c0 - 1) / 2
}
