package e2e

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"cloudbroker/drivers/vcenter/vcsim"
	"cloudbroker/test/faultproxy"
	"cloudbroker/test/procs"
	"cloudbroker/test/redistest"
)

const (
	token         = "e2e-token-0123456789"
	redisPassword = "redis-e2e-secret-pw"
	vcPassword    = "vc-e2e-secret-pw-7731"
)

// site is one customer site: a simulated vCenter behind a fault proxy, and its agent.
type site struct {
	clientid, provider string
	sim                *vcsim.Sim
	proxy              *faultproxy.Proxy
	agent              *procs.Proc
}

// federation is Redis (with a password), one broker process and one agent process per site.
type federation struct {
	redis  *redistest.Server
	broker *procs.Proc
	c      procs.Client
	sites  map[string]*site
}

func startFederation(t *testing.T, clientids ...string) *federation {
	t.Helper()
	f := &federation{redis: redistest.StartWithPassword(t, redisPassword), sites: map[string]*site{}}
	addr := procs.FreeAddr(t)
	f.broker = procs.Start(t, binDir, "broker", "--config", procs.WriteConfig(t, fmt.Sprintf(`
listen: %s
redis: {addr: %q, password: %q}
tasks: {retry_delay: 100ms, poll_interval: 10ms, sync_timeout: 20s}
agents: {heartbeat_interval: 500ms, offline_after: 2s}
auth: {tokens: [{name: ops, token: %s, all_providers: true}]}
`, addr, f.redis.Addr, redisPassword, token)))
	f.c = procs.Client{Base: "http://" + addr, Token: token}
	f.c.Ready(t, 30*time.Second)
	for _, id := range clientids {
		f.startSite(t, id)
	}
	f.waitAgents(t, "online", clientids...)
	return f
}

func (f *federation) startSite(t *testing.T, clientid string) *site {
	t.Helper()
	sim, err := vcsim.Start(vcsim.WithCredentials("admin", vcPassword))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	s := &site{clientid: clientid, provider: "vc-" + clientid, sim: sim, proxy: faultproxy.New(t, sim.URL())}
	u := *s.proxy.URL
	u.User = nil // credentials go in their own fields, never in a URL that could be logged
	s.agent = procs.Start(t, binDir, "agent", "--clientid", clientid, "--config", procs.WriteConfig(t, fmt.Sprintf(`
redis: {addr: %q, password: %q}
tasks: {retry_delay: 100ms, poll_interval: 10ms}
agents: {heartbeat_interval: 500ms, offline_after: 2s}
worker: {shutdown_timeout: 20s}
providers:
  - {name: %s, driver: vcenter, url: %q, username: admin, password: %q, insecure: true, region: r-%s}
`, f.redis.Addr, redisPassword, s.provider, u.String(), vcPassword, clientid)))
	s.agent.WaitLog(t, "agent running", 30*time.Second)
	f.sites[clientid] = s
	return s
}

type agentRow struct {
	Clientid, State string
	Providers       []string
	LastSeen        int64 `json:"last_seen"`
}

func (f *federation) agents(t *testing.T) map[string]agentRow {
	t.Helper()
	code, body := f.c.Post(t, "/api/agent/list", nil)
	if code != 200 {
		t.Fatalf("agent/list: %d %s", code, body)
	}
	var r struct {
		Data struct{ Agents []agentRow } `json:"data"`
	}
	json.Unmarshal(body, &r)
	out := map[string]agentRow{}
	for _, a := range r.Data.Agents {
		out[a.Clientid] = a
	}
	return out
}

func (f *federation) waitAgents(t *testing.T, state string, clientids ...string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		agents, ok := f.agents(t), true
		for _, id := range clientids {
			ok = ok && agents[id].State == state
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("agents %v not all %s: %+v", clientids, state, agents)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type vmRow struct {
	VMID, Name, Provider, Clientid string
}

// vms lists VMs through the broker, waiting until every site's provider is listed.
func (f *federation) vms(t *testing.T) []vmRow {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, body := f.c.Post(t, "/api/vm/list", map[string]any{"limit": 1000})
		var r struct {
			Data struct {
				VMs    []vmRow `json:"vms"`
				Failed []any   `json:"failed_providers"`
			} `json:"data"`
		}
		json.Unmarshal(body, &r)
		providers := map[string]bool{}
		for _, vm := range r.Data.VMs {
			providers[vm.Provider] = true
		}
		if code == 200 && len(providers) == len(f.sites) {
			return r.Data.VMs
		}
		if time.Now().After(deadline) {
			t.Fatalf("vm/list never covered %d sites: %d %s", len(f.sites), code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (f *federation) vmOf(t *testing.T, clientid, name string) vmRow {
	t.Helper()
	for _, vm := range f.vms(t) {
		if vm.Clientid == clientid && vm.Name == name {
			return vm
		}
	}
	t.Fatalf("no VM %s at %s", name, clientid)
	return vmRow{}
}

type envelope struct {
	TaskID, Clientid string
	Content          struct {
		Task struct {
			Errcode string `json:"task_errcode"`
			Errmsg  string `json:"task_errmsg"`
		} `json:"task"`
		VM struct {
			VMID     string           `json:"vmid"`
			DiskList []map[string]any `json:"disk_list"`
		} `json:"vm"`
	}
}

func (f *federation) taskInfo(t *testing.T, id string) envelope {
	t.Helper()
	code, body := f.c.Post(t, "/api/task/info", map[string]string{"taskid": id})
	if code != 200 {
		t.Fatalf("task/info %s: %d %s", id, code, body)
	}
	var e envelope
	json.Unmarshal(body, &e)
	return e
}

func (f *federation) submitAsync(t *testing.T, vmid, clientid string) string {
	t.Helper()
	code, body := f.c.Post(t, "/api/vm/diskinfo", map[string]any{"vmid": vmid, "clientid": clientid})
	if code != 200 {
		t.Fatalf("async diskinfo: %d %s", code, body)
	}
	var r struct {
		Data struct{ TaskID string } `json:"data"`
	}
	json.Unmarshal(body, &r)
	return r.Data.TaskID
}

// waitTask polls until the task leaves "202" or until d.
func (f *federation) waitTask(t *testing.T, id string, d time.Duration) envelope {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		e := f.taskInfo(t, id)
		if e.Content.Task.Errcode != "202" {
			return e
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %s unfinished after %s: %+v", id, d, e.Content.Task)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (f *federation) waitRunning(t *testing.T, id string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for f.taskInfo(t, id).Content.Task.Errmsg != "running" {
		if time.Now().After(deadline) {
			t.Fatalf("task %s never ran", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
