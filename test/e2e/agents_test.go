package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"cloudbroker/test/procs"
)

// Requests reach the agent that owns the VM's provider, and only that one.
func TestRoutingToTheRightAgent(t *testing.T) {
	f := startFederation(t, "site-a", "site-b")
	for _, id := range []string{"site-a", "site-b"} {
		vm := f.vmOf(t, id, "DC0_H0_VM0")
		if vm.Provider != "vc-"+id {
			t.Errorf("%s's VM listed under provider %s", id, vm.Provider)
		}
		code, body := f.c.Post(t, "/api/vm/diskinfo", map[string]any{"vmid": vm.VMID, "mode": 0, "clientid": id})
		if code != 200 {
			t.Fatalf("sync diskinfo at %s: %d %s", id, code, body)
		}
		e := decode[envelope](t, body)
		if e.Clientid != id || e.Content.Task.Errcode != "200" || len(e.Content.VM.DiskList) != 1 {
			t.Errorf("envelope at %s = %+v", id, e)
		}
		// The task ran in this site's agent and not in the other one.
		other := map[string]string{"site-a": "site-b", "site-b": "site-a"}[id]
		if !strings.Contains(f.sites[id].agent.Logs(), e.TaskID) {
			t.Errorf("task %s not in %s's log", e.TaskID, id)
		}
		if strings.Contains(f.sites[other].agent.Logs(), e.TaskID) {
			t.Errorf("task %s ran at %s", e.TaskID, other)
		}
	}
	// A clientid that does not own the VM is refused.
	vmA := f.vmOf(t, "site-a", "DC0_H0_VM0")
	code, body := f.c.Post(t, "/api/vm/diskinfo", map[string]any{"vmid": vmA.VMID, "clientid": "site-b"})
	if code != 400 || !strings.Contains(string(body), `clientid \"site-b\" does not serve provider \"vc-site-a\"`) {
		t.Errorf("wrong clientid: %d %s", code, body)
	}
	agents := f.agents(t)
	if a := agents["site-a"]; a.State != "online" || len(a.Providers) != 1 || a.Providers[0] != "vc-site-a" {
		t.Errorf("agent list entry = %+v", a)
	}
}

// A task for an agent that is offline fails at once with a clear error, not after the sync
// timeout.
func TestOfflineAgentFailsFast(t *testing.T) {
	f := startFederation(t, "site-a")
	vm := f.vmOf(t, "site-a", "DC0_H0_VM0")
	f.sites["site-a"].agent.Kill()
	f.waitAgents(t, "offline", "site-a")

	t0 := time.Now()
	code, body := f.c.Post(t, "/api/vm/diskinfo", map[string]any{"vmid": vm.VMID, "mode": 0})
	took := time.Since(t0)
	if code != 503 || !strings.Contains(string(body), `agent \"site-a\" offline since `) {
		t.Fatalf("diskinfo for an offline agent: %d %s", code, body)
	}
	t.Logf("offline fast-fail answered in %s (sync timeout is 20s)", took)
	if took > 10*time.Second {
		t.Errorf("fast-fail took %s: it waited instead of failing fast", took)
	}
}

// An agent killed with SIGKILL in the middle of a task does not lose it: the restarted agent
// recovers the task within seconds and its one result is the one reported.
func TestAgentKilledMidTask(t *testing.T) {
	f := startFederation(t, "site-a")
	s := f.sites["site-a"]
	vm := f.vmOf(t, "site-a", "DC0_H0_VM0")

	s.proxy.SetDelay(5 * time.Second) // the vCenter stalls: the task is mid-flight
	id := f.submitAsync(t, vm.VMID, "")
	f.waitRunning(t, id)
	s.agent.Kill()
	s.proxy.SetDelay(0)

	t0 := time.Now()
	s.agent.Restart(t)
	e := f.waitTask(t, id, 60*time.Second)
	t.Logf("task recovered and finished %s after the agent restarted", time.Since(t0).Round(time.Millisecond))
	if e.Content.Task.Errcode != "200" || len(e.Content.VM.DiskList) != 1 {
		t.Fatalf("recovered task = %+v", e)
	}
	s.agent.WaitLog(t, "recovering tasks a previous agent process left running", 5*time.Second)
	if n := countLines(s.agent.Logs(), `msg="task done"`, "task="+id); n != 1 {
		// Logs from both processes are in one buffer: the killed one never finished it.
		t.Errorf("task %s finished %d times, want exactly once", id, n)
	}
}

// A graceful stop (SIGTERM) lets the running task finish before the agent exits.
func TestAgentGracefulStopDrains(t *testing.T) {
	f := startFederation(t, "site-a")
	s := f.sites["site-a"]
	vm := f.vmOf(t, "site-a", "DC0_H0_VM0")
	s.proxy.SetDelay(2 * time.Second)
	id := f.submitAsync(t, vm.VMID, "")
	f.waitRunning(t, id)
	if err := s.agent.Term(t, 30*time.Second); err != nil {
		t.Fatalf("agent exit after SIGTERM: %v", err)
	}
	e := f.taskInfo(t, id)
	if e.Content.Task.Errcode != "200" {
		t.Fatalf("task after graceful stop: %+v (it should have finished before the agent exited)", e.Content.Task)
	}
	if st := f.agents(t)["site-a"].State; st != "stopped" {
		t.Errorf("agent state after SIGTERM = %s, want stopped", st)
	}
}

// While Redis is down the broker answers 503 in the dialect; when Redis is back it recovers
// by itself, and tasks accepted before the outage are not lost.
func TestRedisRestart(t *testing.T) {
	f := startFederation(t, "site-a")
	s := f.sites["site-a"]
	vm := f.vmOf(t, "site-a", "DC0_H0_VM0")
	done := f.submitAsync(t, vm.VMID, "")
	f.waitTask(t, done, 20*time.Second)

	s.proxy.SetDelay(2 * time.Second)
	inflight := f.submitAsync(t, vm.VMID, "") // accepted, then Redis goes away under it
	f.waitRunning(t, inflight)
	f.redis.Stop()
	code, body := f.c.Post(t, "/api/vm/diskinfo", map[string]any{"vmid": vm.VMID, "mode": 0})
	if code != 503 || !strings.Contains(string(body), `"errcode":"503"`) {
		t.Errorf("diskinfo with Redis down: %d %s, want 503 in the vcproxy shape", code, body)
	}
	time.Sleep(time.Second)
	f.redis.Restart(t)
	s.proxy.SetDelay(0)

	t0 := time.Now()
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body = f.c.Post(t, "/api/vm/diskinfo", map[string]any{"vmid": vm.VMID, "mode": 0})
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("broker did not recover within 30s of Redis restarting: %d %s", code, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("broker served again %s after Redis restarted", time.Since(t0).Round(time.Millisecond))
	if e := f.taskInfo(t, done); e.Content.Task.Errcode != "200" {
		t.Errorf("task finished before the outage: %+v", e.Content.Task)
	}
	if e := f.waitTask(t, inflight, 60*time.Second); e.Content.Task.Errcode != "200" {
		t.Errorf("task running during the outage: %+v", e.Content.Task)
	}
}

// vCenter credentials live only in the agent: never in Redis, never in any log.
func TestCredentialsStayInTheAgent(t *testing.T) {
	f := startFederation(t, "site-a")
	vm := f.vmOf(t, "site-a", "DC0_H0_VM0")
	f.waitTask(t, f.submitAsync(t, vm.VMID, ""), 20*time.Second)
	f.sites["site-a"].proxy.SetDown(true) // errors get logged too: they must not carry secrets
	f.waitTask(t, f.submitAsync(t, vm.VMID, ""), 30*time.Second)

	ctx := context.Background()
	rdb := f.redis.Client(t)
	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		var vals []string
		switch typ := rdb.Type(ctx, k).Val(); typ {
		case "string":
			vals = []string{rdb.Get(ctx, k).Val()}
		case "hash":
			for f, v := range rdb.HGetAll(ctx, k).Val() {
				vals = append(vals, f, v)
			}
		case "list":
			vals = rdb.LRange(ctx, k, 0, -1).Val()
		case "set":
			vals = rdb.SMembers(ctx, k).Val()
		case "zset":
			vals = rdb.ZRange(ctx, k, 0, -1).Val()
		}
		for _, v := range vals {
			if strings.Contains(v, vcPassword) {
				t.Errorf("Redis key %s holds the vCenter password", k)
			}
		}
	}
	for name, p := range map[string]*procs.Proc{"broker": f.broker, "agent": f.sites["site-a"].agent} {
		if logs := p.Logs(); strings.Contains(logs, vcPassword) || strings.Contains(logs, redisPassword) {
			t.Errorf("%s's log holds a password", name)
		}
	}
}

// countLines counts the lines containing every one of parts.
func countLines(logs string, parts ...string) int {
	n := 0
	for _, line := range strings.Split(logs, "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			n++
		}
	}
	return n
}
