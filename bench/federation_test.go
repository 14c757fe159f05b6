package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"cloudbroker/drivers/vcenter/vcsim"
	"cloudbroker/test/procs"
	"cloudbroker/test/redistest"
)

// BenchmarkFederation runs real processes (redis-server, one broker, 1 or 2 agents each with
// its own simulated vCenter) and drives sync diskinfo requests from 64 concurrent clients
// (RunParallel with parallelism 32 on 2 CPUs). ns/op is wall time per request at that
// concurrency, so tasks/s = 1e9 / ns/op; p50/p99 are per-request latencies.
// Use a fixed count: go test -run '^$' -bench Federation -benchtime 3000x ./bench/
func BenchmarkFederation(b *testing.B) {
	bin := b.TempDir()
	if err := procs.Build(bin, false); err != nil {
		b.Fatal(err)
	}
	for _, agents := range []int{1, 2} {
		b.Run(fmt.Sprintf("agents=%d", agents), func(b *testing.B) {
			c, vmids, pids := federation(b, bin, agents)
			cpu0 := cpuTimes(b, pids)
			var mu sync.Mutex
			lat := make([]time.Duration, 0, b.N)
			var next int
			b.SetParallelism(32)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				mine := make([]time.Duration, 0, 1024)
				for pb.Next() {
					mu.Lock()
					vmid := vmids[next%len(vmids)]
					next++
					mu.Unlock()
					t0 := time.Now()
					code, body := c.Post(b, "/api/vm/diskinfo", map[string]any{"vmid": vmid, "mode": 0})
					if code != 200 {
						b.Errorf("%d %s", code, body)
						return
					}
					mine = append(mine, time.Since(t0))
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			})
			b.StopTimer()
			cpu1 := cpuTimes(b, pids)
			for name := range pids {
				b.ReportMetric(float64((cpu1[name]-cpu0[name]).Microseconds())/1000/float64(b.N), name+"-cpu-ms/task")
			}
			report(b, lat)
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tasks/s")
		})
	}
}

// cpuTimes reads the CPU time each named process has used ("sims+clients" is this process).
func cpuTimes(b *testing.B, pids map[string][]int) map[string]time.Duration {
	out := map[string]time.Duration{}
	for name, ps := range pids {
		for _, pid := range ps {
			d, err := procs.CPUTime(pid)
			if err != nil {
				b.Fatal(err)
			}
			out[name] += d
		}
	}
	return out
}

// federation starts Redis, a broker without its own worker, and n agents, and returns a
// client, the vmids of every agent's VMs and the pids of each kind of process.
func federation(b *testing.B, bin string, n int) (procs.Client, []string, map[string][]int) {
	red := redistest.Start(b)
	addr := procs.FreeAddr(b)
	pids := map[string][]int{"redis": {red.PID()}, "sims+clients": {0}}
	broker := procs.Start(b, bin, "broker", "--config", procs.WriteConfig(b, fmt.Sprintf(`
listen: %s
redis: {addr: %q}
worker: {enabled: false}
tasks: {sync_timeout: 60s}
http: {write_timeout: 90s, rate_limit: {rps: -1}}
log: {level: warn}
auth: {tokens: [{name: bench, token: bench-token-0123456789, all_providers: true}]}
`, addr, red.Addr)))
	pids["broker"] = []int{broker.PID()}
	c := procs.Client{Base: "http://" + addr, Token: "bench-token-0123456789"}
	c.Ready(b, 30*time.Second)
	for i := range n {
		sim, err := vcsim.Start()
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(sim.Close)
		id := fmt.Sprintf("site-%d", i+1)
		agent := procs.Start(b, bin, "agent", "--clientid", id, "--config", procs.WriteConfig(b, fmt.Sprintf(`
redis: {addr: %q}
worker: {concurrency: 32}
log: {level: warn}
providers: [{name: vc-%s, driver: vcenter, url: %q, insecure: true, max_concurrency: 32}]
`, red.Addr, id, sim.URL().String())))
		pids["agents"] = append(pids["agents"], agent.PID())
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body := c.Post(b, "/api/vm/list", map[string]any{"limit": 1000})
		var r struct {
			Data struct {
				VMs []struct{ VMID, Provider string } `json:"vms"`
			} `json:"data"`
		}
		json.Unmarshal(body, &r)
		providers := map[string]bool{}
		var ids []string
		for _, vm := range r.Data.VMs {
			providers[vm.Provider] = true
			ids = append(ids, vm.VMID)
		}
		if code == 200 && len(providers) == n {
			sort.Strings(ids)
			return c, ids, pids
		}
		if time.Now().After(deadline) {
			fmt.Fprintln(os.Stderr, string(body))
			b.Fatalf("agents not serving after 30s")
		}
		time.Sleep(200 * time.Millisecond)
	}
}
