package faults

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"cloudbroker/test/harness"
)

const freezeFor = 10 * time.Second

// Redis frozen (SIGSTOP) for 10s under a stream of tasks: requests fail fast with each
// dialect's unavailable error instead of hanging, a refused request leaves no task record,
// no agent is reported offline because of the stall, and afterwards everything works.
func TestRedisFrozen(t *testing.T) {
	r := newRig(t)
	for _, b := range r.replicas {
		for _, p := range r.providers() {
			waitFor(t, 30*time.Second, "sync diskinfo before the fault", func() bool { return syncSucceeds(t, b, r.vms[p]) })
		}
	}
	c := r.redis.Client(t)
	before := taskRecords(t, c)
	s := r.startStream(t, 4)
	waitFor(t, 20*time.Second, "tasks accepted before the fault", func() bool { return s.count() >= 20 })

	r.redis.Freeze(t)
	frozen := time.Now()
	var slowest time.Duration
	probes := 0
	for time.Since(frozen) < freezeFor-2*time.Second {
		for _, b := range r.replicas {
			t0 := time.Now()
			code, body := diskInfo(t, b, r.vms[agentProvider], 0)
			took := time.Since(t0)
			slowest = max(slowest, took)
			probes++
			if code != http.StatusServiceUnavailable {
				t.Errorf("sync diskinfo while Redis is frozen: %d %s", code, body)
			}
			if strings.Contains(string(body), "offline") {
				t.Errorf("an agent was called offline while Redis was frozen: %s", body)
			}
		}
	}
	t.Logf("%d sync requests while Redis was frozen: all 503, slowest answer %s", probes, slowest.Round(time.Millisecond))
	if slowest > freezeFor/3 {
		t.Errorf("a request took %s while Redis was frozen for %s: it waited instead of failing fast", slowest, freezeFor)
	}
	time.Sleep(time.Until(frozen.Add(freezeFor)))
	r.redis.Thaw(t)
	thawed := time.Now()

	// From the thaw on, nobody judges the agent by the gap Redis made.
	made := map[string]bool{}
	for time.Since(thawed) < 3*time.Second {
		for _, b := range r.replicas {
			code, body := diskInfo(t, b, r.vms[agentProvider], 0)
			if strings.Contains(string(body), "offline") {
				t.Errorf("agent called offline %s after the thaw: %d %s", time.Since(thawed).Round(time.Millisecond), code, body)
			}
			if m := syncTaskID.FindSubmatch(body); m != nil {
				made[string(m[1])] = true
			}
			_, body = b.Post(t, "/api/agent/list", harness.AdminToken, map[string]any{})
			if strings.Contains(string(body), `"state":"offline"`) {
				t.Errorf("agent listed offline %s after the thaw: %s", time.Since(thawed).Round(time.Millisecond), body)
			}
		}
	}
	// Every task record is one of a task somebody was given: none from a refused request
	// (what Redis was sent while frozen has run by now: it answered the requests above).
	s.end()
	for _, id := range s.accepted {
		made[id] = true
	}
	var stray []string
	for id := range taskRecords(t, c) {
		if !before[id] && !made[id] {
			stray = append(stray, id)
		}
	}
	if len(stray) > 0 {
		t.Errorf("%d task records no caller was given (refused requests left them): %v", len(stray), stray)
	}
	for i, b := range r.replicas {
		for _, p := range r.providers() {
			waitFor(t, 10*time.Second, "sync diskinfo after the thaw", func() bool { return syncSucceeds(t, b, r.vms[p]) })
			t.Logf("replica %d, provider %s: sync diskinfo succeeds (checked %s after the thaw)", i+1, p, time.Since(thawed).Round(time.Millisecond))
		}
	}
	o := r.outcomes(t, s)
	logCounts(t, "Redis frozen (SIGSTOP) 10s", s, o)
	if o["failed"]+o["lost"]+o["pending"]+o["error"] != 0 {
		t.Errorf("tasks accepted around the freeze: %v; want every one completed", o)
	}
}

var syncTaskID = regexp.MustCompile(`"TaskID":"([0-9a-f]{32})"`)

// taskRecords lists the ids of every task record in Redis.
func taskRecords(t *testing.T, c redis.UniversalClient) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	iter := c.Scan(context.Background(), 0, "cb:task:*", 1000).Iterator()
	for iter.Next(context.Background()) {
		if id := strings.TrimPrefix(iter.Val(), "cb:task:"); len(id) == 32 {
			out[id] = true
		}
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
