package zstack_test

import (
	"encoding/json"
	"net/http"
	"path"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// progressEvent is one TaskProgressInventory as the raw API answers it.
type progressEvent struct {
	TaskUUID    string          `json:"taskUuid"`
	TaskName    string          `json:"taskName"`
	Type        string          `json:"type"`
	Content     string          `json:"content"`
	Opaque      map[string]any  `json:"opaque"`
	SubTasks    []progressEvent `json:"subTasks"`
	Time        int64           `json:"time"`
	TotalSteps  int             `json:"totalSteps"`
	CurrentStep int             `json:"currentStep"`
}

func progressOf(t *testing.T, r response) []progressEvent {
	t.Helper()
	if r.Code != http.StatusOK {
		t.Fatalf("task-progresses: %d %s", r.Code, r.Body)
	}
	var out struct{ Inventories []progressEvent }
	r.json(t, &out)
	return out.Inventories
}

// A clone's progress is readable while it runs, through the SDK (the latest report) and raw
// HTTP (every report, in order).
func TestTaskProgressWhileCloneRuns(t *testing.T) {
	b := startBroker(t, brokerOpts{proxied: true})
	vm := uuidOf(t, b, 0, "DC0_H0_VM0")
	admin := login(t, b, "admin", adminPass)
	cli := sdkClient(t, b, "admin", adminPass)
	b.Proxies[0].SetDelay(150 * time.Millisecond) // every vCenter call: the clone runs for seconds

	res := call(t, b, http.MethodPut, "/zstack/v1/vm-instances/"+vm+"/actions", admin,
		map[string]any{"cloneVmInstance": map[string]any{"names": []string{"prog-1", "prog-2"}, "strategy": "JustCreate"}})
	if res.Code != http.StatusAccepted {
		t.Fatalf("clone: %d %s", res.Code, res.Body)
	}
	var loc struct{ Location string }
	res.json(t, &loc)
	job := path.Base(loc.Location)

	var sdkSeen, rawSeen []progressEvent // read while the job was still running
	deadline := time.Now().Add(60 * time.Second)
	for {
		p, sdkErr := cli.GetTaskProgress(job)
		raw := progressOf(t, call(t, b, http.MethodGet, "/zstack/v1/task-progresses/"+job+"?all=true", admin, nil))
		if call(t, b, http.MethodGet, "/zstack/v1/api-jobs/"+job, admin, nil).Code != http.StatusAccepted {
			break
		}
		if sdkErr == nil {
			sdkSeen = append(sdkSeen, progressEvent{TaskUUID: p.TaskUuid, TaskName: p.TaskName, Type: p.Type, Content: p.Content, Time: p.Time})
			if len(p.SubTasks) != 1 || p.SubTasks[0].Type != "Task" || p.SubTasks[0].Content == "" {
				t.Errorf("SDK progress while running has sub-tasks %+v, want the step it is in", p.SubTasks)
			}
		}
		if len(raw) > len(rawSeen) {
			rawSeen = raw
		}
		if time.Now().After(deadline) {
			t.Fatal("the clone did not finish")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(sdkSeen) == 0 {
		t.Fatal("the SDK's GetTaskProgress read no progress while the clone ran")
	}
	for _, p := range sdkSeen {
		if p.TaskUUID != job || p.TaskName != "org.zstack.header.vm.APICloneVmInstanceMsg" || p.Type != "Progress" || p.Time == 0 {
			t.Errorf("SDK progress while running: %+v", p)
		}
	}
	if len(rawSeen) < 2 {
		t.Fatalf("all=true while running showed %d reports, want more than one: %+v", len(rawSeen), rawSeen)
	}
	checkRising(t, rawSeen)
	t.Logf("while running: %d SDK reads, all=true showed up to %d reports", len(sdkSeen), len(rawSeen))

	// Once done: every report stays readable, ending at 100% of the second clone.
	all := progressOf(t, call(t, b, http.MethodGet, "/zstack/v1/task-progresses/"+job+"?all=true", admin, nil))
	checkRising(t, all)
	if len(all) < len(rawSeen) || !slices.EqualFunc(rawSeen, all[:len(rawSeen)], func(a, b progressEvent) bool { return cmp.Equal(a, b) }) {
		t.Errorf("the reports seen while running are not the start of the final history:\nrunning %+v\nfinal   %+v", rawSeen, all)
	}
	last := call(t, b, http.MethodGet, "/zstack/v1/task-progresses/"+job+"?all=false", admin, nil)
	if got := progressOf(t, last); len(got) != 1 || !cmp.Equal(got[0], all[len(all)-1]) {
		t.Errorf("all=false = %+v, want the last of %+v", got, all)
	}
	goldenJSON(t, "task_progress_latest", maskTime(t, last.Body))
	p, err := cli.GetTaskProgress(job)
	if err != nil || p.Content != "100" || p.Time != all[len(all)-1].Time {
		t.Errorf("SDK GetTaskProgress after the clone = %+v, %v; want the 100%% report", p, err)
	}
}

// checkRising checks reports are in order: time, percent and step never go back.
func checkRising(t *testing.T, events []progressEvent) {
	t.Helper()
	for i := 1; i < len(events); i++ {
		a, b := events[i-1], events[i]
		if b.Time < a.Time || atoi(b.Content) < atoi(a.Content) || b.CurrentStep < a.CurrentStep {
			t.Errorf("report %d goes back: %+v after %+v", i, b, a)
		}
	}
	first, last := events[0], events[len(events)-1]
	if atoi(last.Content) <= atoi(first.Content) && last.CurrentStep <= first.CurrentStep {
		t.Errorf("reports do not advance: first %+v, last %+v", first, last)
	}
}

func atoi(s string) int {
	var n int
	json.Unmarshal([]byte(s), &n)
	return n
}

// maskTime replaces every "time" number by 0, for golden files.
func maskTime(t *testing.T, body []byte) []byte {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if _, ok := e.(float64); ok && k == "time" {
					x[k] = 0
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	out, _ := json.Marshal(v)
	return out
}

// Jobs with no progress, jobs of another tenant, unknown jobs and bad parameters.
func TestTaskProgressErrors(t *testing.T) {
	b := startBroker(t, brokerOpts{})
	vm := uuidOf(t, b, 0, "DC0_H0_VM0")
	admin, tenantB := login(t, b, "admin", adminPass), login(t, b, "tenant-b", passB)

	// A start of a running VM reports no progress: no inventories, which the SDK reads as not found.
	res := call(t, b, http.MethodPut, "/zstack/v1/vm-instances/"+vm+"/actions", admin, map[string]any{"startVmInstance": map[string]any{}})
	var loc struct{ Location string }
	res.json(t, &loc)
	if done := pollJob(t, b, admin, loc.Location); done.Code != http.StatusOK {
		t.Fatalf("start: %d %s", done.Code, done.Body)
	}
	job := path.Base(loc.Location)
	for _, all := range []string{"true", "false"} {
		got := call(t, b, http.MethodGet, "/zstack/v1/task-progresses/"+job+"?all="+all, admin, nil)
		goldenJSON(t, "task_progress_none", got.Body)
	}
	if p, err := sdkClient(t, b, "admin", adminPass).GetTaskProgress(job); err == nil {
		t.Errorf("SDK GetTaskProgress of a job with no progress = %+v, want an error", p)
	}

	for _, tc := range []struct {
		name, path, session string
		code                int
	}{
		{"task_progress_other_tenant", "/zstack/v1/task-progresses/" + job, tenantB, http.StatusNotFound},
		{"task_progress_unknown", "/zstack/v1/task-progresses/0123456789abcdef0123456789abcdef", admin, http.StatusNotFound},
		{"task_progress_not_uuid", "/zstack/v1/task-progresses/nope", admin, http.StatusNotFound},
		{"task_progress_bad_all", "/zstack/v1/task-progresses/" + job + "?all=maybe", admin, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := call(t, b, http.MethodGet, tc.path, tc.session, nil)
			if got.Code != tc.code {
				t.Errorf("%s: %d %s, want %d", tc.path, got.Code, got.Body, tc.code)
			}
			goldenJSON(t, tc.name, got.Body)
		})
	}
}
