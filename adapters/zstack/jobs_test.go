package zstack_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/config"
	"cloudbroker/queue"
	"cloudbroker/queue/redisstore"
	"cloudbroker/test/harness"
)

// countingExec counts the tasks it runs by type and fails those of one type, as a provider
// refusing the operation would.
type countingExec struct {
	inner queue.Executor
	fail  string

	mu sync.Mutex
	n  map[string]int
}

func (e *countingExec) Execute(ctx context.Context, spec broker.TaskSpec) (json.RawMessage, error) {
	e.mu.Lock()
	e.n[spec.Type]++
	e.mu.Unlock()
	if spec.Type == e.fail {
		return nil, model.Errorf(model.ErrConflict, "simulated: the VM is locked by another operation")
	}
	return e.inner.Execute(ctx, spec)
}

func (e *countingExec) count(taskType string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.n[taskType]
}

// startCounted starts a broker whose worker runs through a countingExec.
func startCounted(t *testing.T, fail string, tune func(*config.Config)) (*harness.Broker, *countingExec) {
	t.Helper()
	b := startBroker(t, brokerOpts{noWorker: true, tune: tune})
	exec := &countingExec{inner: b.Executor(t).WithInventory(redisstore.NewInventory(b.Redis.Client(t))), fail: fail, n: map[string]int{}}
	b.StartWorker(t, exec)
	return b, exec
}

const jobID = "d825b1a26f4e474b8c59306081920ff2" // the manual's own example

func TestXJobUUIDIsIdempotent(t *testing.T) {
	b, exec := startCounted(t, "", nil)
	s := login(t, b, "tenant-a", passA)
	vm := uuidOf(t, b, 0, "DC0_H0_VM1")
	path := "/zstack/v1/vm-instances/" + vm + "/actions"

	var locations []string
	for range 3 { // the first call and two retries of it
		res := call(t, b, http.MethodPut, path, s, `{"stopVmInstance":{}}`, "X-Job-UUID", jobID)
		var loc struct{ Location string }
		res.json(t, &loc)
		if res.Code != http.StatusAccepted || !strings.HasSuffix(loc.Location, "/zstack/v1/api-jobs/"+jobID) {
			t.Fatalf("PUT with X-Job-UUID: %d %s", res.Code, res.Body)
		}
		locations = append(locations, loc.Location)
	}
	if res := pollJob(t, b, s, locations[0]); res.Code != http.StatusOK {
		t.Fatalf("job: %d %s", res.Code, res.Body)
	}
	// A retry after the job finished finds it too, still without running anything again.
	if res := call(t, b, http.MethodPut, path, s, `{"stopVmInstance":{}}`, "X-Job-UUID", strings.ToUpper(jobID)); res.Code != http.StatusAccepted {
		t.Fatalf("retry after the end: %d %s", res.Code, res.Body)
	}
	time.Sleep(200 * time.Millisecond) // a second task, if any, would have run by now
	if n := exec.count(broker.TypeVMPower); n != 1 {
		t.Errorf("%d power tasks ran for one X-Job-UUID, want 1", n)
	}

	// The same uuid for another request is refused; so is a uuid that is not a v4 one.
	expectError(t, "same uuid, other action", call(t, b, http.MethodPut, path, s, `{"startVmInstance":{}}`, "X-Job-UUID", jobID), http.StatusBadRequest, "SYS.1007")
	for _, bad := range []string{"d825b1a2-6f4e-474b-8c59-306081920ff2", "xyz", "d825b1a26f4e174b8c59306081920ff2"} {
		expectError(t, "X-Job-UUID "+bad, call(t, b, http.MethodPut, path, s, `{"startVmInstance":{}}`, "X-Job-UUID", bad), http.StatusBadRequest, "SYS.1007")
	}
	if n := exec.count(broker.TypeVMPower); n != 1 {
		t.Errorf("refused calls ran %d power tasks", n-1)
	}
}

func TestJobExpires(t *testing.T) {
	b := startBroker(t, brokerOpts{tune: func(c *config.Config) {
		zero := 0
		c.Tasks.Retention = config.Duration(3 * time.Second)
		c.Tasks.Timeout, c.Tasks.MaxRetry = config.Duration(time.Second), &zero
		c.Tasks.SyncTimeout = config.Duration(time.Second)
	}})
	s := login(t, b, "admin", adminPass)
	vm := uuidOf(t, b, 0, "DC0_H0_VM0")
	res := call(t, b, http.MethodPut, "/zstack/v1/vm-instances/"+vm+"/actions", s, `{"rebootVmInstance":{}}`)
	var loc struct{ Location string }
	res.json(t, &loc)
	done := pollJob(t, b, s, loc.Location)
	if done.Code != http.StatusOK {
		t.Fatalf("job: %d %s", done.Code, done.Body)
	}
	time.Sleep(3500 * time.Millisecond)
	path := loc.Location[strings.Index(loc.Location, "/zstack/"):]
	res = call(t, b, http.MethodGet, path, s, nil)
	expectError(t, "expired job", res, http.StatusNotFound, "SYS.1003")
	goldenJSON(t, "job_expired", res.Body)
}

func TestFailedJobAnswers503(t *testing.T) {
	b, _ := startCounted(t, broker.TypeVMPower, nil)
	s := login(t, b, "admin", adminPass)
	vm := uuidOf(t, b, 0, "DC0_H0_VM0")
	res := call(t, b, http.MethodPut, "/zstack/v1/vm-instances/"+vm+"/actions", s, `{"startVmInstance":{}}`)
	var loc struct{ Location string }
	res.json(t, &loc)
	res = pollJob(t, b, s, loc.Location)
	expectError(t, "failed job", res, http.StatusServiceUnavailable, "SYS.1006")
	goldenJSON(t, "job_failed", res.Body)
}

func TestCloneJobResult(t *testing.T) {
	b := startBroker(t, brokerOpts{})
	s := login(t, b, "admin", adminPass)
	vm := uuidOf(t, b, 1, "DC0_C0_RP0_VM0")
	res := call(t, b, http.MethodPut, "/zstack/v1/vm-instances/"+vm+"/actions", s,
		`{"cloneVmInstance":{"names":["clone-a","DC0_C0_RP0_VM1"],"strategy":"JustCreate"}}`)
	if res.Code != http.StatusAccepted {
		t.Fatalf("clone: %d %s", res.Code, res.Body)
	}
	var loc struct{ Location string }
	res.json(t, &loc)
	res = pollJob(t, b, s, loc.Location)
	var out struct {
		Result struct {
			NumberOfClonedVM int `json:"numberOfClonedVm"`
			Inventories      []struct {
				Inventory *struct{ UUID, Name, State string }
				Error     *struct{ Code, Details string }
			}
		}
	}
	res.json(t, &out)
	if res.Code != http.StatusOK || out.Result.NumberOfClonedVM < 1 || len(out.Result.Inventories) != 2 {
		t.Fatalf("clone job: %d %s", res.Code, res.Body)
	}
	first := out.Result.Inventories[0]
	if first.Inventory == nil || first.Inventory.Name != "clone-a" || first.Inventory.State != "Stopped" || first.Error != nil {
		t.Errorf("clone-a: %+v", first)
	}
	goldenJSON(t, "clone_result", res.Body)
	// The clone's uuid is usable at once: GET it, act on it.
	if r := call(t, b, http.MethodGet, "/zstack/v1/vm-instances/"+first.Inventory.UUID+"/iso-candidates", s, nil); r.Code != http.StatusOK {
		t.Errorf("iso-candidates of the new clone: %d %s", r.Code, r.Body)
	}
}

func TestTenantIsolation(t *testing.T) {
	b := startBroker(t, brokerOpts{})
	a, bb := login(t, b, "tenant-a", passA), login(t, b, "tenant-b", passB)
	vmA := uuidOf(t, b, 0, "DC0_H0_VM0") // on vc1, tenant-a's
	res := call(t, b, http.MethodPut, "/zstack/v1/vm-instances/"+vmA+"/actions", a, `{"rebootVmInstance":{}}`)
	var loc struct{ Location string }
	res.json(t, &loc)
	jobPath := loc.Location[strings.Index(loc.Location, "/zstack/"):]
	if res := pollJob(t, b, a, loc.Location); res.Code != http.StatusOK {
		t.Fatalf("tenant-a's job: %d %s", res.Code, res.Body)
	}

	// tenant-b: A's job does not exist, A's VM is not listed, not readable, not actionable.
	expectError(t, "B reads A's job", call(t, b, http.MethodGet, jobPath, bb, nil), http.StatusNotFound, "SYS.1003")
	if res := call(t, b, http.MethodGet, "/zstack/v1/vm-instances/"+vmA, bb, nil); string(res.Body) != `{"inventories":[]}` {
		t.Errorf("B reads A's VM: %d %s", res.Code, res.Body)
	}
	res = call(t, b, http.MethodGet, "/zstack/v1/vm-instances?replyWithCount=true&q=uuid="+vmA, bb, nil)
	var l vmList
	res.json(t, &l)
	if len(l.Inventories) != 0 || *l.Total != 0 {
		t.Errorf("B queries A's VM: %s", res.Body)
	}
	expectError(t, "B acts on A's VM", call(t, b, http.MethodPut, "/zstack/v1/vm-instances/"+vmA+"/actions", bb, `{"stopVmInstance":{}}`), http.StatusNotFound, "SYS.1003")
	expectError(t, "B lists A's VM's ISOs", call(t, b, http.MethodGet, "/zstack/v1/vm-instances/"+vmA+"/iso-candidates", bb, nil), http.StatusNotFound, "SYS.1003")
	// B reusing A's job uuid learns nothing and runs nothing of A's.
	vmB := uuidOf(t, b, 1, "DC0_H0_VM0")
	jobA := jobPath[strings.LastIndex(jobPath, "/")+1:]
	expectError(t, "B reuses A's job uuid", call(t, b, http.MethodPut, "/zstack/v1/vm-instances/"+vmB+"/actions", bb, `{"rebootVmInstance":{}}`, "X-Job-UUID", jobA), http.StatusBadRequest, "SYS.1007")
}

// A provider that cannot be searched is named in failedProviders; the others' VMs are there.
func TestQueryWithFailedProvider(t *testing.T) {
	b := startBroker(t, brokerOpts{tune: func(c *config.Config) {
		c.Providers = append(c.Providers, config.Provider{Name: "vc-dead", Driver: "vcenter", URL: "https://127.0.0.1:1/sdk",
			Username: "user", Password: "password", Insecure: true, Timeout: config.Duration(2 * time.Second)})
	}})
	s := login(t, b, "admin", adminPass)
	res := call(t, b, http.MethodGet, "/zstack/v1/vm-instances?replyWithCount=true&fields=name&q=name~=DC0_H0%25", s, nil)
	var out struct {
		Total           int
		Inventories     []map[string]any
		FailedProviders []struct {
			Provider string
			Error    struct{ Code, Details string }
		}
	}
	res.json(t, &out)
	if res.Code != http.StatusOK || out.Total != 4 || len(out.FailedProviders) != 1 || out.FailedProviders[0].Provider != "vc-dead" {
		t.Fatalf("query with a dead provider: %d %s", res.Code, res.Body)
	}
	if out.FailedProviders[0].Error.Code != "SYS.1006" || !strings.Contains(out.FailedProviders[0].Error.Details, "vc-dead") {
		t.Errorf("failure of vc-dead: %+v", out.FailedProviders[0])
	}
	// tenant-a does not see vc-dead at all, so its answer is complete.
	res = call(t, b, http.MethodGet, "/zstack/v1/vm-instances?count=true", login(t, b, "tenant-a", passA), nil)
	if string(res.Body) != `{"total":4}` {
		t.Errorf("tenant-a: %s", res.Body)
	}
}
