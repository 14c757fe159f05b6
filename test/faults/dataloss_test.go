package faults

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/test/harness"
)

// Redis emptied while everything runs (FLUSHALL).
func TestFlushAll(t *testing.T) {
	dataLoss(t, "FLUSHALL", func(r *rig) { r.redis.Flush(t) })
}

// Redis killed and started again on the same port without its data.
func TestRedisRestartedEmpty(t *testing.T) {
	dataLoss(t, "Redis SIGKILL, restarted empty", func(r *rig) { r.redis.RestartEmpty(t) })
}

// dataLoss checks the acceptance of issue 15 after fault: within 10s a new sync diskinfo
// succeeds through every replica, for the broker's own provider and the agent's; a task
// accepted before answers "lost" in every dialect that reads task ids; the GC jobs are listed
// again; each provider has one watch and its VMs listed again; a stream of async tasks through
// the fault has no task reported failed.
func dataLoss(t *testing.T, fault string, inject func(*rig)) {
	r := newRig(t)
	for _, b := range r.replicas {
		for _, p := range r.providers() {
			waitFor(t, 30*time.Second, "sync diskinfo before the fault", func() bool { return syncSucceeds(t, b, r.vms[p]) })
		}
	}
	code, body := diskInfo(t, r.replicas[0], r.vms[agentProvider], 1)
	oldID := asyncID(t, code, body)
	waitFor(t, 20*time.Second, "the old task completes", func() bool { return taskState(t, r.replicas[0], oldID) == "completed" })
	session := r.zstackLogin(t, r.replicas[0])
	gcBefore := r.gcJobs(t, r.replicas[0], session)
	if gcBefore <= 0 {
		t.Fatalf("GC jobs before the fault: %d", gcBefore)
	}

	s := r.startStream(t, 4)
	waitFor(t, 20*time.Second, "tasks accepted before the fault", func() bool { return s.count() >= 20 })
	inject(r)
	t0 := time.Now()
	for i, b := range r.replicas {
		for _, p := range r.providers() {
			waitFor(t, 10*time.Second-time.Since(t0), "a new sync diskinfo after the fault", func() bool { return syncSucceeds(t, b, r.vms[p]) })
			t.Logf("replica %d, provider %s: sync diskinfo succeeds %s after the fault", i+1, p, time.Since(t0).Round(time.Millisecond))
		}
	}
	time.Sleep(time.Second) // the stream runs on the recovered Redis a little
	s.end()

	// The old task is lost, in each dialect that reads a task by id (DiDi has none).
	code, body = r.replicas[1].Post(t, "/api/task/info", harness.AdminToken, map[string]any{"taskid": oldID})
	if code != http.StatusGone || !strings.Contains(string(body), `"errcode":"410"`) || !strings.Contains(string(body), "lost when Redis lost its data") {
		t.Errorf("vcproxy task/info of a task accepted before the fault: %d %s", code, body)
	}
	session = r.zstackLogin(t, r.replicas[1]) // sessions were Redis's too
	code, body = zstackGet(t, r.replicas[1], session, "/zstack/v1/api-jobs/"+oldID)
	if code != http.StatusGone || !strings.Contains(string(body), `"code":"SYS.1003"`) || !strings.Contains(string(body), "lost when Redis lost its data") {
		t.Errorf("zstack api-job of a task accepted before the fault: %d %s", code, body)
	}

	for i, b := range r.replicas {
		took := waitFor(t, 10*time.Second, "GC jobs listed again", func() bool { return r.gcJobs(t, b, session) == gcBefore })
		t.Logf("replica %d lists its %d GC jobs again %s later", i+1, gcBefore, took.Round(time.Millisecond))
	}
	for i, b := range r.replicas {
		took := waitFor(t, 30*time.Second, "both providers listed again", func() bool { return r.synced(t, b) })
		t.Logf("replica %d lists both providers' VMs again %s later", i+1, took.Round(time.Millisecond))
	}
	took := waitFor(t, 30*time.Second, "both providers loaded again into Redis by their watches", func() bool {
		st, _ := r.redis.Client(t).HGetAll(context.Background(), "cb:{inv}:status").Result()
		return strings.Contains(st["vc1"], `"state":"synced"`) && strings.Contains(st[agentProvider], `"state":"synced"`)
	})
	t.Logf("both providers' watches loaded them into Redis again %s later", took.Round(time.Millisecond))
	if diff := cmp.Diff(map[string]int{"vc1": 1, agentProvider: 1}, r.watchTasks(t)); diff != "" {
		t.Errorf("watch tasks per provider (-want +got):\n%s", diff)
	}

	o := r.outcomes(t, s)
	logCounts(t, fault, s, o)
	if o["failed"] != 0 || o["pending"]+o["error"] != 0 {
		t.Errorf("tasks accepted through the fault: %v; want each completed or lost", o)
	}
}

func asyncID(t *testing.T, code int, body []byte) string {
	t.Helper()
	m := asyncTaskID.FindSubmatch(body)
	if code != http.StatusOK || m == nil {
		t.Fatalf("async diskinfo: %d %s", code, body)
	}
	return string(m[1])
}
