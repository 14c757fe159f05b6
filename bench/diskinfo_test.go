// Package bench measures cloudbroker end to end on this machine. Results and the commands that
// produced them are in RESULTS.md. Run: make bench (or go test -run '^$' -bench . ./bench/).
package bench

import (
	"context"
	"encoding/json"
	"sort"
	"testing"
	"time"

	"cloudbroker/drivers"
	"cloudbroker/test/harness"

	_ "cloudbroker/drivers/vcenter"
)

// BenchmarkDiskInfo compares, in one run against one simulator, a disk read straight through
// the driver with the same read through the broker over HTTP (sync mode: HTTP → Redis →
// worker → driver → Redis → HTTP), and the async path's enqueue → result latency.
func BenchmarkDiskInfo(b *testing.B) {
	br := harness.Start(b, harness.Options{Tune: noRateLimit}) // a fast sync path outruns the default limit
	ctx := context.Background()
	sim := br.Sims[0]
	native, err := sim.VMID(ctx, "DC0_H0_VM0")
	if err != nil {
		b.Fatal(err)
	}
	conn, err := drivers.Open(ctx, "vcenter", sim.Config("bench"))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	vmid := listVMID(b, br, "DC0_H0_VM0")

	b.Run("driver", func(b *testing.B) {
		dl := conn.(drivers.DiskLister)
		timed(b, func() error {
			_, err := dl.ListDisks(ctx, native)
			return err
		})
	})
	b.Run("broker-sync-http", func(b *testing.B) {
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
	})
	b.Run("async-enqueue-to-result", func(b *testing.B) {
		bk := br.App.Broker()
		lat := make([]time.Duration, 0, b.N)
		for b.Loop() {
			t0 := time.Now()
			code, body := br.Post(b, "/api/vm/diskinfo", harness.AdminToken, map[string]any{"vmid": vmid, "mode": 1})
			if code != 200 {
				b.Fatalf("%d %s", code, body)
			}
			var r struct {
				Data struct{ TaskID string } `json:"data"`
			}
			json.Unmarshal(body, &r)
			// Waits on the completion message, as a poller that is told at once would.
			if _, err := bk.Wait(ctx, adminCaller, r.Data.TaskID); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		report(b, lat)
	})
}

// report adds p50 and p99 to the benchmark's output.
func report(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
