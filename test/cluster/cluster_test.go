// Package cluster runs the three dialects' flows against a real 3-master Redis Cluster: a
// broker with its own worker, and an agent serving a site, both on the Cluster.
package cluster

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

func TestFlowsOnRedisCluster(t *testing.T) {
	w := start(t)
	vm := w.vmOf(t, "vc1", "DC0_H0_VM0")

	t.Run("vcproxy sync diskinfo", func(t *testing.T) {
		var e envelope
		w.vcproxy(t, "/api/vm/diskinfo", map[string]any{"vmid": vm, "mode": 0}, &e)
		if e.Content.Task.TaskErrcode != "200" || len(e.Content.VM.DiskList) == 0 {
			t.Errorf("sync diskinfo = %+v", e)
		}
	})
	t.Run("vcproxy async diskinfo and task info", func(t *testing.T) {
		var acc struct{ Data struct{ TaskID string } }
		w.vcproxy(t, "/api/vm/diskinfo", map[string]any{"vmid": vm, "mode": 1}, &acc)
		var e envelope
		waitFor(t, "task "+acc.Data.TaskID, func() bool {
			w.vcproxy(t, "/api/task/info", map[string]string{"taskid": acc.Data.TaskID}, &e)
			return e.Content.Task.TaskErrcode != "202"
		})
		if e.Content.Task.TaskErrcode != "200" || len(e.Content.VM.DiskList) == 0 {
			t.Errorf("async diskinfo = %+v", e)
		}
	})

	s := w.login(t)
	actions := "/zstack/v1/vm-instances/" + vm + "/actions"
	t.Run("zstack action with X-Job-UUID", func(t *testing.T) {
		jobID := strings.ReplaceAll(uuid.NewString(), "-", "") // a version 4 uuid, as the header needs
		var first []byte
		for i := range 2 { // the call and its retry: one job
			code, _, body := w.zstack(t, http.MethodPut, actions, s, `{"stopVmInstance":{}}`, "X-Job-UUID", jobID)
			if !strings.Contains(string(body), "/zstack/v1/api-jobs/"+jobID) {
				t.Fatalf("stop with X-Job-UUID: %d %s", code, body)
			}
			if i == 0 {
				first = w.accepted(t, s, code, body)
			}
		}
		if !strings.Contains(string(first), `"state":"Stopped"`) {
			t.Errorf("stop job answered %s", first)
		}
		code, _, body := w.zstack(t, http.MethodPut, actions, s, `{"startVmInstance":{}}`)
		if out := w.accepted(t, s, code, body); !strings.Contains(string(out), `"state":"Running"`) {
			t.Errorf("start job answered %s", out)
		}
	})
	t.Run("zstack webhook", func(t *testing.T) {
		got := make(chan string, 1)
		rcv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			select {
			case got <- r.Header.Get("X-Job-UUID"):
			default:
			}
		}))
		defer rcv.Close()
		code, _, body := w.zstack(t, http.MethodPut, actions, s, `{"rebootVmInstance":{}}`, "X-Web-Hook", rcv.URL+"/cb")
		w.accepted(t, s, code, body)
		select {
		case id := <-got:
			if !strings.Contains(string(body), id) {
				t.Errorf("callback for job %q, accepted %s", id, body)
			}
		case <-time.After(30 * time.Second):
			t.Error("no callback within 30s")
		}
	})
	t.Run("zstack long job", func(t *testing.T) {
		data, _ := json.Marshal(map[string]string{"uuid": vm})
		code, _, body := w.zstack(t, http.MethodPost, "/zstack/v1/longjobs", s,
			map[string]any{"params": map[string]string{"name": "reboot", "jobName": "APIRebootVmInstanceMsg", "jobData": string(data)}})
		var sub struct{ Inventory struct{ UUID string } }
		if err := json.Unmarshal(w.accepted(t, s, code, body), &sub); err != nil || sub.Inventory.UUID == "" {
			t.Fatalf("submitted long job: %v", err)
		}
		var job struct {
			Inventories []struct{ UUID, State string }
		}
		waitFor(t, "long job "+sub.Inventory.UUID, func() bool {
			_, _, body := w.zstack(t, http.MethodGet, "/zstack/v1/longjobs/"+sub.Inventory.UUID, s, nil)
			json.Unmarshal(body, &job)
			return len(job.Inventories) == 1 && job.Inventories[0].State != "Waiting" && job.Inventories[0].State != "Running"
		})
		if job.Inventories[0].State != "Succeeded" {
			t.Errorf("long job = %+v", job)
		}
		_, _, body = w.zstack(t, http.MethodGet, "/zstack/v1/longjobs", s, nil)
		if !strings.Contains(string(body), sub.Inventory.UUID) {
			t.Errorf("long job %s not listed: %s", sub.Inventory.UUID, body)
		}
	})
	t.Run("zstack tag create and query", func(t *testing.T) {
		code, _, body := w.zstack(t, http.MethodPost, "/zstack/v1/user-tags", s,
			map[string]any{"params": map[string]string{"resourceType": "VmInstanceVO", "resourceUuid": vm, "tag": "on-a-cluster"}})
		w.accepted(t, s, code, body)
		_, _, body = w.zstack(t, http.MethodGet, "/zstack/v1/vm-instances?q=__userTag__=on-a-cluster", s, nil)
		if !strings.Contains(string(body), vm) {
			t.Errorf("VMs tagged on-a-cluster: %s", body)
		}
	})
	t.Run("didi list", func(t *testing.T) {
		code, _, body := w.b.Request(t, http.MethodPost, "/dicloud/i/storage/cimg/list", map[string]any{"regionId": "region-1", "limit": 10},
			"Authorization", "Bearer "+admin)
		var a struct {
			Errno int
			Data  struct{ Items []struct{ Name string } }
		}
		if code != http.StatusOK || json.Unmarshal(body, &a) != nil || a.Errno != 0 || fmt.Sprint(a.Data.Items) != "[{cluster-tpl}]" {
			t.Errorf("didi list: %d %s", code, body)
		}
	})
	t.Run("gc sweeps every master", func(t *testing.T) {
		// Leaked job index entries (their tasks have no record) on keys that spread over the
		// masters: the sweep must scan each master, not just one node.
		rdb := w.cl.Client(t)
		for i := range 6 {
			rdb.ZAdd(t.Context(), fmt.Sprintf("cb:jobs:leaked-%d", i), redis.Z{Score: float64(time.Now().Add(time.Hour).UnixMilli()), Member: strings.Repeat("d", 32)})
		}
		var jobs struct {
			Inventories []struct{ UUID, Status, LastResult string }
		}
		_, _, body := w.zstack(t, http.MethodGet, "/zstack/v1/gc-jobs?q=name=expired-task-indexes", s, nil)
		if json.Unmarshal(body, &jobs) != nil || len(jobs.Inventories) != 1 {
			t.Fatalf("gc jobs: %s", body)
		}
		id := jobs.Inventories[0].UUID
		code, _, body := w.zstack(t, http.MethodPut, "/zstack/v1/gc-jobs/"+id+"/actions", s, map[string]any{"triggerGCJob": map[string]any{}})
		w.accepted(t, s, code, body)
		waitFor(t, "the gc run", func() bool {
			_, _, body := w.zstack(t, http.MethodGet, "/zstack/v1/gc-jobs/"+id, s, nil)
			json.Unmarshal(body, &jobs)
			return len(jobs.Inventories) == 1 && jobs.Inventories[0].LastResult != "" && jobs.Inventories[0].Status == "Idle"
		})
		if got := jobs.Inventories[0].LastResult; !strings.HasPrefix(got, "removed 6 job index entries") {
			t.Errorf("gc run: %s", got)
		}
	})
	t.Run("agent", func(t *testing.T) {
		siteVM := w.vmOf(t, siteVC, "DC0_H0_VM0")
		var e envelope
		w.vcproxy(t, "/api/vm/diskinfo", map[string]any{"vmid": siteVM, "mode": 0, "clientid": clientid}, &e)
		if e.Content.Task.TaskErrcode != "200" || len(e.Content.VM.DiskList) == 0 {
			t.Fatalf("diskinfo at the agent = %+v", e)
		}
		if !strings.Contains(w.agentLog.String(), e.TaskID) {
			t.Errorf("task %s did not run in the agent", e.TaskID)
		}
		var agents struct {
			Data struct {
				Agents []struct{ Clientid, State string }
			}
		}
		w.vcproxy(t, "/api/agent/list", nil, &agents)
		if got := fmt.Sprint(agents.Data.Agents); got != "[{"+clientid+" online}]" {
			t.Errorf("agents = %s", got)
		}
	})

	t.Run("queue UI", func(t *testing.T) {
		// asynqmon on asynq's RedisClusterClientOpt (queue.ConnOpt); after the agent: its queue exists.
		code, _, body := w.b.Request(t, http.MethodGet, "/admin/queues/api/queues", nil, "Authorization", "Bearer "+admin)
		if code != http.StatusOK || !strings.Contains(string(body), `"default"`) || !strings.Contains(string(body), `"site:`+clientid+`"`) {
			t.Errorf("queue API: %d %.500s", code, body)
		}
		// The queue-depth metric reads every queue's counts (Queue.Depths).
		code, _, body = w.b.Request(t, http.MethodGet, "/metrics", nil)
		if code != http.StatusOK || !strings.Contains(string(body), `queue="site:`+clientid+`"`) {
			t.Errorf("/metrics: %d, no depth for site:%s", code, clientid)
		}
	})
	time.Sleep(100 * time.Millisecond) // let background writes (heartbeats, progress) land in the logs
	for name, log := range map[string]string{"broker": w.brokerLog.String(), "agent": w.agentLog.String()} {
		for _, line := range strings.Split(log, "\n") {
			if strings.Contains(strings.ToUpper(line), "CROSSSLOT") {
				t.Errorf("%s logged a cross-slot refusal: %s", name, line)
			}
		}
	}
}
