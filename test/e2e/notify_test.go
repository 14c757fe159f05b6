package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"cloudbroker/drivers/vcenter/vcsim"
	"cloudbroker/test/procs"
	"cloudbroker/test/redistest"
	"cloudbroker/test/wait"
)

// Two broker replicas both notice that an agent was killed; the AgentOffline notification is
// recorded once, and both replicas list that one.
func TestAgentOfflineNotifiedOnceAcrossReplicas(t *testing.T) {
	redis := redistest.StartWithPassword(t, redisPassword)
	const offlineAfter = time.Second
	startBroker := func() string {
		addr := procs.FreeAddr(t)
		procs.Start(t, binDir, "broker", "--config", procs.WriteConfig(t, fmt.Sprintf(`
listen: %s
redis: {addr: %q, password: %q}
agents: {heartbeat_interval: 200ms, offline_after: %s}
zstack: {accounts: [{name: admin, password: %q, all_providers: true}]}
`, addr, redis.Addr, redisPassword, offlineAfter, "admin-e2e-password")))
		base := "http://" + addr
		procs.Client{Base: base}.Ready(t, 30*time.Second)
		return base
	}
	base1, base2 := startBroker(), startBroker()
	s1, s2 := zsLogin(t, base1), zsLogin(t, base2)

	sim, err := vcsim.Start(vcsim.WithCredentials("admin", vcPassword))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	u := *sim.URL()
	u.User = nil
	agent := procs.Start(t, binDir, "agent", "--clientid", "site-n", "--config", procs.WriteConfig(t, fmt.Sprintf(`
redis: {addr: %q, password: %q}
agents: {heartbeat_interval: 200ms, offline_after: %s}
providers:
  - {name: vc-site-n, driver: vcenter, url: %q, username: admin, password: %q, insecure: true}
`, redis.Addr, redisPassword, offlineAfter, u.String(), vcPassword)))
	agent.WaitLog(t, "agent running", 30*time.Second)
	// Both replicas know the agent (its provider) before it dies.
	for _, b := range []struct{ base, session string }{{base1, s1}, {base2, s2}} {
		waitFor(t, 20*time.Second, func() bool {
			code, body := zsDo(t, http.MethodGet, b.base+"/zstack/v1/vm-instances?count=true", b.session, "")
			var r struct{ Total int }
			json.Unmarshal(body, &r)
			return code == http.StatusOK && r.Total > 0
		})
	}
	if n := agentOffline(t, base1, s1); len(n) != 0 {
		t.Fatalf("AgentOffline before the agent died: %v", n)
	}

	agent.Kill()
	waitFor(t, offlineAfter+10*time.Second, func() bool { return len(agentOffline(t, base1, s1)) > 0 })
	time.Sleep(5 * offlineAfter) // every replica has noticed by now, many times over
	one, two := agentOffline(t, base1, s1), agentOffline(t, base2, s2)
	if len(one) != 1 || len(two) != 1 || one[0] != two[0] {
		t.Errorf("AgentOffline notifications: replica 1 lists %v, replica 2 %v; want the same single one", one, two)
	}
}

// agentOffline lists the uuids of AgentOffline notifications through one replica's API.
func agentOffline(t *testing.T, base, session string) []string {
	t.Helper()
	code, body := zsDo(t, http.MethodGet, base+"/zstack/v1/notifications?q=name=AgentOffline", session, "")
	var r struct{ Inventories []struct{ UUID string } }
	if code != http.StatusOK || json.Unmarshal(body, &r) != nil {
		t.Fatalf("QueryNotification at %s: %d %s", base, code, body)
	}
	var out []string
	for _, n := range r.Inventories {
		out = append(out, n.UUID)
	}
	return out
}

func waitFor(t *testing.T, d time.Duration, ok func() bool) {
	t.Helper()
	wait.For(t, d, "condition", ok)
}
