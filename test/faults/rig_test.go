// Package faults runs the broker through Redis faults an operator meets: Redis losing its data
// (FLUSHALL, a restart without persistence) and Redis freezing. Real parts: one redis-server,
// two broker replicas (each with its worker) and one proxy agent, as separate App instances
// sharing it, and govmomi simulators.
package faults

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"

	"cloudbroker/config"
	"cloudbroker/drivers/vcenter/vcsim"
	"cloudbroker/test/harness"
	"cloudbroker/test/redistest"
	"cloudbroker/test/wait"
)

const (
	agentID       = "site-a"
	agentProvider = "vc-site-a"
	zsPassword    = "zs-password-0123"
)

type rig struct {
	redis    *redistest.Server
	replicas []*harness.Broker
	vms      map[string]string // provider → the broker id of its DC0_H0_VM0
}

func newRig(t *testing.T) *rig {
	t.Helper()
	r := redistest.Start(t)
	sim, err := vcsim.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	siteA := config.Provider{Name: agentProvider, Driver: "vcenter", URL: sim.URL().String(), Insecure: true,
		Region: "region-1", Zones: []string{"zone-a"}}
	tune := func(c *config.Config) {
		p := siteA
		p.ClientID = agentID
		c.Providers = append(c.Providers, p)
		c.ZStack.Accounts = []config.ZStackAccount{{Name: "admin", Password: zsPassword, AllProviders: true}}
	}
	b1 := harness.Start(t, harness.Options{Redis: r, Tune: tune})
	b2 := harness.Start(t, harness.Options{Redis: r, Sims: b1.Sims, Tune: tune})
	harness.StartAgent(t, r, agentID, siteA)
	rg := &rig{redis: r, replicas: []*harness.Broker{b1, b2}, vms: map[string]string{}}
	waitFor(t, 60*time.Second, "both providers' VMs listed", func() bool {
		rg.vms = rg.listVMs(t, b1)
		return rg.vms["vc1"] != "" && rg.vms[agentProvider] != ""
	})
	return rg
}

func (r *rig) providers() []string { return []string{"vc1", agentProvider} }

func (r *rig) listVMs(t *testing.T, b *harness.Broker) map[string]string {
	code, body := b.Post(t, "/api/vm/list", harness.AdminToken, map[string]any{"limit": 1000})
	out := map[string]string{}
	if code != http.StatusOK {
		return out
	}
	var res struct {
		Data struct {
			VMs []struct{ VMID, Name, Provider string } `json:"vms"`
		} `json:"data"`
	}
	json.Unmarshal(body, &res)
	for _, vm := range res.Data.VMs {
		if vm.Name == "DC0_H0_VM0" {
			out[vm.Provider] = vm.VMID
		}
	}
	return out
}

// diskInfo sends a diskinfo request (mode 0 sync, 1 async).
func diskInfo(t *testing.T, b *harness.Broker, vmid string, mode int) (int, []byte) {
	return b.Post(t, "/api/vm/diskinfo", harness.AdminToken, map[string]any{"vmid": vmid, "mode": mode})
}

var (
	taskErrcode = regexp.MustCompile(`"task_errcode":"(\d+)"`)
	asyncTaskID = regexp.MustCompile(`"taskid":"([0-9a-f]{32})"`)
)

// syncSucceeds reports whether a sync diskinfo through b answered a succeeded task.
func syncSucceeds(t *testing.T, b *harness.Broker, vmid string) bool {
	code, body := diskInfo(t, b, vmid, 0)
	m := taskErrcode.FindSubmatch(body)
	return code == http.StatusOK && m != nil && string(m[1]) == "200"
}

// taskState reads a task through b: "completed", "failed", "lost", "pending", or "error".
func taskState(t *testing.T, b *harness.Broker, id string) string {
	code, body := b.Post(t, "/api/task/info", harness.AdminToken, map[string]any{"taskid": id})
	switch m := taskErrcode.FindSubmatch(body); {
	case code == http.StatusGone:
		return "lost"
	case code != http.StatusOK || m == nil:
		return "error"
	case string(m[1]) == "200":
		return "completed"
	case string(m[1]) == "202":
		return "pending"
	}
	return "failed"
}

func (r *rig) zstackLogin(t *testing.T, b *harness.Broker) string {
	t.Helper()
	code, body := b.Do(t, http.MethodPut, "/zstack/v1/accounts/login", "", map[string]any{
		"logInByAccount": map[string]string{"accountName": "admin", "password": config.HashPassword(zsPassword)}})
	if code != http.StatusOK {
		t.Fatalf("zstack login: %d %s", code, body)
	}
	var s struct{ Inventory struct{ UUID string } }
	json.Unmarshal(body, &s)
	return s.Inventory.UUID
}

func zstackGet(t *testing.T, b *harness.Broker, session, path string) (int, []byte) {
	code, _, body := b.Request(t, http.MethodGet, path, nil, "Authorization", "OAuth "+session)
	return code, body
}

// gcJobs counts the GC jobs a replica lists.
func (r *rig) gcJobs(t *testing.T, b *harness.Broker, session string) int {
	code, body := zstackGet(t, b, session, "/zstack/v1/gc-jobs")
	var res struct{ Inventories []json.RawMessage }
	if code != http.StatusOK || json.Unmarshal(body, &res) != nil {
		return -1
	}
	return len(res.Inventories)
}

// watchTasks counts each provider's inventory watch tasks in asynq, in any state.
func (r *rig) watchTasks(t *testing.T) map[string]int {
	c := r.redis.Client(t)
	out := map[string]int{}
	for _, p := range r.providers() {
		keys, err := c.Keys(context.Background(), "asynq:{*:inventory}:t:inventory-watch-"+p).Result()
		if err != nil {
			t.Fatal(err)
		}
		out[p] = len(keys)
	}
	return out
}

// synced reports whether the replica's listing holds both providers' VMs again.
func (r *rig) synced(t *testing.T, b *harness.Broker) bool {
	vms := r.listVMs(t, b)
	return vms["vc1"] == r.vms["vc1"] && vms[agentProvider] == r.vms[agentProvider]
}

// stream submits async diskinfo tasks through every replica until stopped, and sorts each
// answer: accepted (a task id), refused (an error status; how long it took), other.
type stream struct {
	mu       sync.Mutex
	accepted []string
	refused  map[int]int    // status → count
	sample   map[int]string // status → the first answer's body
	slowest  time.Duration
	stop     chan struct{}
	wg       sync.WaitGroup
}

func (r *rig) startStream(t *testing.T, submitters int) *stream {
	s := &stream{refused: map[int]int{}, sample: map[int]string{}, stop: make(chan struct{})}
	for i := range submitters {
		b := r.replicas[i%len(r.replicas)]
		vmid := r.vms[r.providers()[i%2]]
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			for {
				select {
				case <-s.stop:
					return
				default:
				}
				t0 := time.Now()
				code, body := diskInfo(t, b, vmid, 1)
				took := time.Since(t0)
				var res struct{ Data struct{ TaskID string } }
				json.Unmarshal(body, &res)
				s.mu.Lock()
				s.slowest = max(s.slowest, took)
				if code == http.StatusOK && res.Data.TaskID != "" {
					s.accepted = append(s.accepted, res.Data.TaskID)
				} else {
					s.refused[code]++
					if _, ok := s.sample[code]; !ok {
						s.sample[code] = string(body)
					}
				}
				s.mu.Unlock()
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	return s
}

func (s *stream) end() {
	close(s.stop)
	s.wg.Wait()
}

func (s *stream) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.accepted)
}

// outcomes waits for every accepted task to end (or be lost) and counts how each did.
func (r *rig) outcomes(t *testing.T, s *stream) map[string]int {
	out := map[string]int{}
	deadline := time.Now().Add(60 * time.Second)
	for _, id := range s.accepted {
		st := taskState(t, r.replicas[0], id)
		for (st == "pending" || st == "error") && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			st = taskState(t, r.replicas[0], id)
		}
		if st == "error" {
			code, body := r.replicas[0].Post(t, "/api/task/info", harness.AdminToken, map[string]any{"taskid": id})
			t.Logf("task %s accepted through the fault answers %d %s", id, code, body)
		}
		out[st]++
	}
	return out
}

func (s *stream) refusedTotal() int {
	n := 0
	for _, c := range s.refused {
		n += c
	}
	return n
}

// waitFor is wait.For that says how long the condition took.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	t0 := time.Now()
	wait.For(t, within, what, cond)
	return time.Since(t0)
}

func logCounts(t *testing.T, fault string, s *stream, o map[string]int) {
	t.Logf("RESULT %s: accepted %d, completed ok %d, completed with error %d, lost %d, refused %d %v (slowest answer %s), unresolved %d",
		fault, len(s.accepted), o["completed"], o["failed"], o["lost"], s.refusedTotal(), s.refused,
		s.slowest.Round(time.Millisecond), o["pending"]+o["error"])
	for code, body := range s.sample {
		t.Logf("%s: first %d answer: %s", fault, code, body)
	}
}
