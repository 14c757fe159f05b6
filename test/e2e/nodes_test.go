package e2e

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"cloudbroker/test/procs"
	"cloudbroker/test/redistest"
)

// Two broker processes on one Redis are two management nodes, seen through either's API; one
// stopped with SIGTERM leaves the list at once, one SIGKILLed leaves it once its heartbeat is
// older than agents.offline_after.
func TestManagementNodesAreTheRunningBrokers(t *testing.T) {
	redis := redistest.StartWithPassword(t, redisPassword)
	const deadAfter = 2 * time.Second
	start := func() (*procs.Proc, string) {
		addr := procs.FreeAddr(t)
		p := procs.Start(t, binDir, "broker", "--config", procs.WriteConfig(t, fmt.Sprintf(`
listen: %s
redis: {addr: %q, password: %q}
agents: {heartbeat_interval: 300ms, offline_after: %s}
zstack: {accounts: [{name: admin, password: %q, all_providers: true}]}
`, addr, redis.Addr, redisPassword, deadAfter, "admin-e2e-password")))
		base := "http://" + addr
		procs.Client{Base: base}.Ready(t, 30*time.Second)
		return p, base
	}
	_, base1 := start()
	p2, base2 := start()
	s1, s2 := zsLogin(t, base1), zsLogin(t, base2)

	both := waitNodes(t, base1, s1, 2, 10*time.Second)
	if other := waitNodes(t, base2, s2, 2, 10*time.Second); !slices.Equal(both, other) {
		t.Errorf("the two brokers list different nodes: %v and %v", both, other)
	}
	// Each node is the one that answers IsReadyToGo at its address (no provider: ready).
	id1, id2 := readyNode(t, base1, s1), readyNode(t, base2, s2)
	if id1 == id2 || !slices.Contains(both, id1) || !slices.Contains(both, id2) {
		t.Fatalf("nodes %v, IsReadyToGo answers %s and %s", both, id1, id2)
	}

	// SIGTERM: gone at once (it deregisters as its shutdown begins).
	if err := p2.Term(t, 30*time.Second); err != nil {
		t.Fatalf("broker 2 after SIGTERM: %v", err)
	}
	if got := queryNodes(t, base1, s1); !slices.Equal(got, []string{id1}) {
		t.Errorf("right after broker 2's SIGTERM the nodes are %v, want only %s", got, id1)
	}

	// SIGKILL: listed until its last heartbeat is deadAfter old, then gone.
	p2.Restart(t)
	procs.Client{Base: base2}.Ready(t, 30*time.Second)
	s2 = zsLogin(t, base2)
	restarted := readyNode(t, base2, s2)
	if restarted == id2 {
		t.Errorf("a restarted broker kept its node uuid %s", id2)
	}
	waitNodes(t, base1, s1, 2, 10*time.Second)
	p2.Kill()
	killed := time.Now()
	if got := queryNodes(t, base1, s1); !slices.Contains(got, restarted) {
		t.Errorf("the killed broker left before its heartbeat expired: %v", got)
	}
	waitNodes(t, base1, s1, 1, deadAfter+5*time.Second)
	gone := time.Since(killed)
	t.Logf("SIGKILLed node left the list after %s (bound %s)", gone.Round(10*time.Millisecond), deadAfter)
	if gone < deadAfter-500*time.Millisecond {
		t.Errorf("the killed node left after %s, before the %s bound", gone, deadAfter)
	}
}

func zsLogin(t *testing.T, base string) string {
	t.Helper()
	sum := sha512.Sum512([]byte("admin-e2e-password"))
	code, body := zsDo(t, http.MethodPut, base+"/zstack/v1/accounts/login", "",
		fmt.Sprintf(`{"logInByAccount":{"accountName":"admin","password":%q}}`, hex.EncodeToString(sum[:])))
	var r struct{ Inventory struct{ UUID string } }
	json.Unmarshal(body, &r)
	if code != http.StatusOK || r.Inventory.UUID == "" {
		t.Fatalf("login at %s: %d %s", base, code, body)
	}
	return r.Inventory.UUID
}

func zsDo(t *testing.T, method, url, session, body string) (int, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if session != "" {
		req.Header.Set("Authorization", "OAuth "+session)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// queryNodes lists the management nodes' uuids through one broker's API.
func queryNodes(t *testing.T, base, session string) []string {
	t.Helper()
	code, body := zsDo(t, http.MethodGet, base+"/zstack/v1/management-nodes", session, "")
	if code != http.StatusOK {
		t.Fatalf("QueryManagementNode at %s: %d %s", base, code, body)
	}
	var r struct {
		Inventories []struct{ UUID, HostName, JoinDate, HeartBeat string }
	}
	json.Unmarshal(body, &r)
	var ids []string
	for _, n := range r.Inventories {
		if n.HostName == "" || n.JoinDate == "" || n.HeartBeat == "" {
			t.Errorf("node inventory without host name or dates: %s", body)
		}
		ids = append(ids, n.UUID)
	}
	slices.Sort(ids)
	return ids
}

func waitNodes(t *testing.T, base, session string, n int, d time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ids := queryNodes(t, base, session)
		if len(ids) == n {
			return ids
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d management nodes after %s, want %d: %v", len(ids), d, n, ids)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func readyNode(t *testing.T, base, session string) string {
	t.Helper()
	code, body := zsDo(t, http.MethodGet, base+"/zstack/v1/management-nodes/ready", session, "")
	var r struct{ ManagementNodeID string }
	json.Unmarshal(body, &r)
	if code != http.StatusOK || r.ManagementNodeID == "" {
		t.Fatalf("IsReadyToGo at %s: %d %s", base, code, body)
	}
	return r.ManagementNodeID
}
