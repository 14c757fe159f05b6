package vcproxy_test

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/adapters/vcproxy"
	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/config"
	"cloudbroker/drivers/vcenter/vcsim"
	"cloudbroker/queue"
	"cloudbroker/test/golden"
	"cloudbroker/test/govctest"
	"cloudbroker/test/harness"
)

const admin = harness.AdminToken

type envelope struct {
	TaskID   string
	Describe string
	Clientid string
	Content  struct {
		Task struct {
			EventName   string `json:"event_name"`
			TaskErrcode string `json:"task_errcode"`
			TaskErrmsg  string `json:"task_errmsg"`
		} `json:"task"`
		VM struct {
			VMID     string `json:"vmid"`
			DiskList []struct {
				FileName, Key, Label, Summary, UnitNumber, UUID, ControllerKey, ScsiNumber string
			} `json:"disk_list"`
		} `json:"vm"`
	}
	InsertTime, UpdateTime, ExpireTime int64
}

type okBody struct {
	Errcode string          `json:"errcode"`
	Errmsg  string          `json:"errmsg"`
	Data    json.RawMessage `json:"data"`
}

func decodeAs[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
	return v
}

// vmID returns the broker uuid of the named VM, listed through the dialect.
func vmID(t *testing.T, b *harness.Broker, name string) string {
	t.Helper()
	code, body := b.Post(t, "/api/vm/list", admin, map[string]any{"limit": 1000})
	if code != 200 {
		t.Fatalf("vm/list: %d %s", code, body)
	}
	var list struct {
		VMs []struct{ VMID, Name string } `json:"vms"`
	}
	if err := json.Unmarshal(decodeAs[okBody](t, body).Data, &list); err != nil {
		t.Fatal(err)
	}
	for _, vm := range list.VMs {
		if vm.Name == name {
			return vm.VMID
		}
	}
	t.Fatalf("VM %s not listed in %s", name, body)
	return ""
}

var (
	hexID    = regexp.MustCompile(`"[0-9a-f]{32}"`)
	unixTime = regexp.MustCompile(`"(InsertTime|UpdateTime|ExpireTime)": \d+`)
	diskUUID = regexp.MustCompile(`"uuid": "[0-9a-f-]{36}"`)
)

// golden compares a response with testdata/<name>.golden after masking ids and times.
func goldenJSON(t *testing.T, name string, body []byte) {
	t.Helper()
	var pretty any
	if err := json.Unmarshal(body, &pretty); err != nil {
		t.Fatalf("%s: not JSON: %s", name, body)
	}
	out, _ := json.MarshalIndent(pretty, "", "  ")
	s := hexID.ReplaceAllString(string(out), `"<id>"`)
	s = unixTime.ReplaceAllString(s, `"$1": <unix>`)
	s = diskUUID.ReplaceAllString(s, `"uuid": "<uuid>"`)
	s += "\n"
	golden.Compare(t, name, s)
}

// checkAgainstGovc asserts the envelope's disk_list equals what govc reads from the simulator.
func checkAgainstGovc(t *testing.T, sim *vcsim.Sim, vmName string, e envelope) {
	t.Helper()
	type row struct{ Key, Label, FileName, UUID, UnitNumber, ControllerKey, Summary string }
	var want, got []row
	for _, d := range govctest.Disks(t, sim.URL().String(), vmName) {
		want = append(want, row{strconv.Itoa(int(d.Key)), d.DeviceInfo.Label, d.Backing.FileName, d.Backing.UUID,
			strconv.Itoa(int(d.UnitNumber)), strconv.Itoa(int(d.ControllerKey)), vcproxy.Summary(d.CapacityInBytes)})
	}
	for _, d := range e.Content.VM.DiskList {
		got = append(got, row{d.Key, d.Label, d.FileName, d.UUID, d.UnitNumber, d.ControllerKey, d.Summary})
	}
	if len(want) == 0 {
		t.Fatal("govc reported no disk")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("disk_list vs govc device.info (-govc +broker):\n%s", diff)
	}
}

func TestDiskInfoSync(t *testing.T) {
	b := harness.Start(t, harness.Options{})
	id := vmID(t, b, "DC0_H0_VM0")
	code, body := b.Post(t, "/api/vm/diskinfo", admin, map[string]any{"vmid": id, "mode": 0})
	if code != 200 {
		t.Fatalf("sync diskinfo: %d %s", code, body)
	}
	goldenJSON(t, "diskinfo_sync", body)
	e := decodeAs[envelope](t, body)
	if e.Content.VM.VMID != id || e.Content.Task.TaskErrcode != "200" {
		t.Errorf("envelope vmid %q errcode %q, want %q 200", e.Content.VM.VMID, e.Content.Task.TaskErrcode, id)
	}
	if got := e.ExpireTime - e.InsertTime; got != 86400 {
		t.Errorf("ExpireTime - InsertTime = %d, want 86400 (24h default retention)", got)
	}
	checkAgainstGovc(t, b.Sims[0], "DC0_H0_VM0", e)
}

func TestDiskInfoAsyncThenPoll(t *testing.T) {
	b := harness.Start(t, harness.Options{})
	for _, vm := range []string{"DC0_H0_VM1", "DC0_C0_RP0_VM0"} {
		id := vmID(t, b, vm)
		// mode omitted: async is the default; mode "1" as a string is accepted too.
		for _, req := range []map[string]any{{"vmid": id}, {"vmid": id, "mode": "1"}} {
			code, body := b.Post(t, "/api/vm/diskinfo", admin, req)
			if code != 200 {
				t.Fatalf("async diskinfo: %d %s", code, body)
			}
			goldenJSON(t, "diskinfo_async", body)
			var data struct{ VMID, TaskID string }
			json.Unmarshal(decodeAs[okBody](t, body).Data, &data)
			if data.VMID != id || len(data.TaskID) != 32 {
				t.Fatalf("async data = %+v", data)
			}
			e := pollDone(t, b, admin, data.TaskID)
			checkAgainstGovc(t, b.Sims[0], vm, e)
		}
	}
}

func pollDone(t *testing.T, b *harness.Broker, token, taskid string) envelope {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, body := b.Post(t, "/api/task/info", token, map[string]string{"taskid": taskid})
		if code != 200 {
			t.Fatalf("task/info: %d %s", code, body)
		}
		e := decodeAs[envelope](t, body)
		if e.Content.Task.TaskErrcode != "202" {
			return e
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %s still pending: %s", taskid, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A task accepted while no worker runs stays pending (not lost) and finishes once one starts.
func TestPendingEnvelopeThenFinished(t *testing.T) {
	seed := harness.Start(t, harness.Options{}) // a broker with a worker, to learn the vm ids
	id := vmID(t, seed, "DC0_H0_VM0")
	seed.Stop()

	b := harness.Start(t, harness.Options{NoWorker: true, Redis: seed.Redis, Sims: seed.Sims})
	code, body := b.Post(t, "/api/vm/diskinfo", admin, map[string]any{"vmid": id, "mode": 1})
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	var data struct{ TaskID string }
	json.Unmarshal(decodeAs[okBody](t, body).Data, &data)
	code, body = b.Post(t, "/api/task/info", admin, map[string]string{"taskid": data.TaskID})
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	goldenJSON(t, "taskinfo_pending", body)

	worker := harness.Start(t, harness.Options{Redis: seed.Redis, Sims: seed.Sims}) // its worker drains the queue
	_ = worker
	e := pollDone(t, b, admin, data.TaskID)
	if e.Content.Task.TaskErrcode != "200" || len(e.Content.VM.DiskList) == 0 {
		t.Fatalf("finished envelope = %+v", e)
	}
	_, body = b.Post(t, "/api/task/info", admin, map[string]string{"taskid": data.TaskID})
	goldenJSON(t, "taskinfo_done", body)
}

// A finished task's result outlives the broker that ran it (real Redis, new broker process).
func TestRestartKeepsFinishedTask(t *testing.T) {
	b1 := harness.Start(t, harness.Options{})
	id := vmID(t, b1, "DC0_H0_VM0")
	_, body := b1.Post(t, "/api/vm/diskinfo", admin, map[string]any{"vmid": id, "mode": 0})
	before := decodeAs[envelope](t, body)
	b1.Stop()

	b2 := harness.Start(t, harness.Options{Redis: b1.Redis, Sims: b1.Sims})
	code, body := b2.Post(t, "/api/task/info", admin, map[string]string{"taskid": before.TaskID})
	if code != 200 {
		t.Fatalf("after restart: %d %s", code, body)
	}
	if diff := cmp.Diff(before, decodeAs[envelope](t, body)); diff != "" {
		t.Errorf("envelope after restart (-before +after):\n%s", diff)
	}
}

func TestSyncTimeout(t *testing.T) {
	seed := harness.Start(t, harness.Options{})
	id := vmID(t, seed, "DC0_H0_VM0")
	seed.Stop()
	b := harness.Start(t, harness.Options{NoWorker: true, Redis: seed.Redis, Sims: seed.Sims, Tune: func(c *config.Config) {
		c.Tasks.SyncTimeout = config.Duration(200 * time.Millisecond)
	}})
	code, body := b.Post(t, "/api/vm/diskinfo", admin, map[string]any{"vmid": id, "mode": 0})
	if code != 504 {
		t.Fatalf("sync diskinfo with no worker: %d %s, want 504", code, body)
	}
	var e struct {
		Errcode, Errmsg string
		Data            struct{ TaskID string }
	}
	json.Unmarshal(body, &e)
	if e.Errcode != "504" || !strings.Contains(e.Errmsg, "poll it by taskid") || len(e.Data.TaskID) != 32 {
		t.Fatalf("timeout answer = %s", body)
	}
	// The timed-out task is still there, pending, for the caller to poll.
	code, body = b.Post(t, "/api/task/info", admin, map[string]string{"taskid": e.Data.TaskID})
	if code != 200 || decodeAs[envelope](t, body).Content.Task.TaskErrcode != "202" {
		t.Fatalf("task after timeout: %d %s", code, body)
	}
}

func TestBackendUnreachable(t *testing.T) {
	b := harness.Start(t, harness.Options{Tune: func(c *config.Config) {
		one := 1
		c.Tasks.MaxRetry = &one
		c.Inventory.Period = config.Duration(2 * time.Second)
		c.Inventory.ScheduleInterval = config.Duration(200 * time.Millisecond)
	}})
	id := vmID(t, b, "DC0_H0_VM0")
	deadline := time.Now().Add(20 * time.Second)
	for { // the inventory has loaded vc1 once
		_, body := b.Post(t, "/api/provider/list", admin, nil)
		if strings.Contains(string(body), `"sync_state":"synced"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("vc1 never synced: %s", body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Sims[0].Close() // the vCenter goes away after its VMs are known

	code, body := b.Post(t, "/api/vm/diskinfo", admin, map[string]any{"vmid": id, "mode": 0})
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	e := decodeAs[envelope](t, body)
	if e.Content.Task.TaskErrcode != "503" || e.Content.Task.TaskErrmsg == "" {
		t.Errorf("task on a dead vCenter: errcode %q msg %q, want 503 with a reason", e.Content.Task.TaskErrcode, e.Content.Task.TaskErrmsg)
	}

	// Once the inventory's sync has failed, the list still shows the last good VMs, with the
	// provider named as stale and why.
	deadline = time.Now().Add(30 * time.Second)
	for {
		code, body = b.Post(t, "/api/vm/list", admin, nil)
		if code == 200 && strings.Contains(string(body), `"stale_providers":[{"provider":"vc1","state":"error"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("vm/list never reported vc1 stale: %d %s", code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(string(body), `"total":4`) {
		t.Errorf("stale list lost the last good VMs: %s", body)
	}
	// An id the broker never saw, while the only provider is unreachable: 503, not a
	// misleading 404.
	code, body = b.Post(t, "/api/vm/diskinfo", admin, map[string]any{"vmid": strings.Repeat("ab", 16), "mode": 0})
	if code != 503 || !strings.Contains(string(body), `"errcode":"503"`) || !strings.Contains(string(body), "vc1") {
		t.Errorf("unknown vmid with provider down: %d %s, want 503 naming vc1", code, body)
	}
}

// A provider that was never listed and cannot be reached fails the list with 503.
func TestListWithNoReachableProvider(t *testing.T) {
	sim, err := vcsim.Start()
	if err != nil {
		t.Fatal(err)
	}
	sim.Close() // dead before the broker ever saw it
	b := harness.Start(t, harness.Options{Sims: []*vcsim.Sim{sim}})
	code, body := b.Post(t, "/api/vm/list", admin, nil)
	if code != 503 || !strings.Contains(string(body), "vc1") {
		t.Errorf("vm/list with the only provider never reachable: %d %s, want 503 naming vc1", code, body)
	}
}

func TestErrors(t *testing.T) {
	b := harness.Start(t, harness.Options{Simulators: 2, Tune: func(c *config.Config) { c.HTTP.MaxBodyBytes = 1024 }})
	vm1 := vmID(t, b, "DC0_H0_VM0") // vc1 and vc2 both have this name; vmID returns vc1's (sorted)
	unknownTask := queue.NewTaskID()
	before := taskKeys(t, b)
	for _, tc := range []struct {
		name, path, token string
		body              any
		wantCode          int
		wantMsg           string
	}{
		{"no token", "/api/vm/diskinfo", "", map[string]any{"vmid": vm1}, 401, "missing Authorization"},
		{"bad token", "/api/vm/diskinfo", "not-a-valid-token-xxxx", map[string]any{"vmid": vm1}, 401, "invalid token"},
		{"malformed JSON", "/api/vm/diskinfo", admin, `{"vmid": `, 400, "malformed JSON"},
		{"wrong type", "/api/vm/diskinfo", admin, `{"vmid": 42}`, 400, `field "vmid" must be string`},
		{"bad mode", "/api/vm/diskinfo", admin, map[string]any{"vmid": vm1, "mode": 7}, 400, "mode must be 0 (sync) or 1 (async)"},
		{"bad mode string", "/api/vm/diskinfo", admin, map[string]any{"vmid": vm1, "mode": "sync"}, 400, "mode must be 0"},
		{"missing vmid", "/api/vm/diskinfo", admin, map[string]any{"mode": 1}, 400, "vmid is required"},
		{"vmid too long", "/api/vm/diskinfo", admin, map[string]any{"vmid": strings.Repeat("a", 33)}, 400, "longer than 32"},
		{"unknown vmid", "/api/vm/diskinfo", admin, map[string]any{"vmid": strings.Repeat("cd", 16)}, 404, "not found"},
		{"clientid does not own vm", "/api/vm/diskinfo", admin, map[string]any{"vmid": vm1, "clientid": "site-x"}, 400, `clientid "site-x" does not serve provider "vc1"`},
		{"body too large", "/api/vm/diskinfo", admin, `{"vmid":"` + strings.Repeat("a", 2000) + `"}`, 413, "exceeds 1024 bytes"},
		{"unknown taskid", "/api/task/info", admin, map[string]any{"taskid": unknownTask}, 404, "not found or expired"},
		{"missing taskid", "/api/task/info", admin, map[string]any{}, 400, "taskid is required"},
		{"bad limit", "/api/vm/list", admin, map[string]any{"limit": 5000}, 400, "limit 5000"},
		{"unknown provider", "/api/vm/list", admin, map[string]any{"provider": "nope"}, 404, `provider "nope"`},
		{"unknown API", "/api/vm/nope", admin, map[string]any{}, 404, "no such API"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := b.Post(t, tc.path, tc.token, tc.body)
			var e struct{ Errcode, Errmsg string }
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("not the dialect's JSON error: %s", body)
			}
			if code != tc.wantCode || e.Errcode != strconv.Itoa(tc.wantCode) || !strings.Contains(e.Errmsg, tc.wantMsg) {
				t.Errorf("got %d %s, want %d with errcode %q and errmsg containing %q", code, body, tc.wantCode, strconv.Itoa(tc.wantCode), tc.wantMsg)
			}
		})
	}
	t.Run("wrong method", func(t *testing.T) {
		code, body := b.Do(t, "GET", "/api/vm/diskinfo", admin, nil)
		if code != 405 || !strings.Contains(string(body), `"errcode":"405"`) {
			t.Errorf("GET diskinfo: %d %s, want 405 in the dialect's shape", code, body)
		}
	})
	// A rejected request submits nothing; only the VM-id refresh an unknown vmid triggers
	// may have added listing tasks, beside the broker's own background listings refresh.
	for k := range taskKeys(t, b) {
		if before[k] {
			continue
		}
		tk, err := b.App.Broker().Task(t.Context(), model.System, k)
		if err != nil {
			t.Fatal(err)
		}
		if tk.Spec.Type != broker.TypeVMList && !tk.Spec.Background {
			t.Errorf("a rejected request left task %s of type %s", k, tk.Spec.Type)
		}
	}
}

func taskKeys(t *testing.T, b *harness.Broker) map[string]bool {
	t.Helper()
	keys, err := b.Redis.Client(t).Keys(t.Context(), "cb:task:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	for _, k := range keys {
		set[strings.Trim(strings.TrimPrefix(k, "cb:task:"), "{}")] = true // cb:task:{<id>}
	}
	return set
}
