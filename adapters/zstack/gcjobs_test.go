package zstack_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"cloudbroker/config"
	"cloudbroker/test/harness"
)

type gcJobInv struct {
	UUID, Name, State, Status, LastOpDate, LastResult string
	Runs                                              int
}

func gcJobs(t *testing.T, b *harness.Broker, session, query string) []gcJobInv {
	t.Helper()
	res := call(t, b, http.MethodGet, "/zstack/v1/gc-jobs"+query, session, nil)
	if res.Code != http.StatusOK {
		t.Fatalf("QueryGCJob%s: %d %s", query, res.Code, res.Body)
	}
	var out struct{ Inventories []gcJobInv }
	res.json(t, &out)
	return out.Inventories
}

// QueryGCJob lists the broker's clean-up jobs with the manual's query; TriggerGCJob runs one
// for real (a seeded leaked index entry is gone afterwards); only an account that sees every
// provider may trigger or delete; DeleteGCJob removes the job from every listing.
func TestGCJobs(t *testing.T) {
	b := startBroker(t, brokerOpts{tune: func(c *config.Config) {
		c.GC.ExpiredTaskIndexes.Interval = config.Duration(time.Hour) // runs only when triggered
		c.GC.CloneLeftovers.Interval = config.Duration(time.Hour)
	}})
	admin := login(t, b, "admin", adminPass)
	tenant := login(t, b, "tenant-a", passA)

	res := call(t, b, http.MethodGet, "/zstack/v1/gc-jobs?q=name=expired-task-indexes&q=state=Enabled", admin, nil)
	goldenJSON(t, "gcjob_query", res.Body)
	if all := gcJobs(t, b, tenant, "?q=state=Enabled"); len(all) != 2 {
		t.Errorf("tenant sees %d enabled jobs, want 2: %+v", len(all), all)
	}
	job := gcJobs(t, b, admin, "?q=name=expired-task-indexes")[0]

	rdb := b.Redis.Client(t)
	ctx := context.Background()
	rdb.ZAdd(ctx, "cb:jobs:seeded", redis.Z{Score: float64(time.Now().Add(time.Hour).UnixMilli()), Member: strings.Repeat("d", 32)})

	res = call(t, b, http.MethodPut, "/zstack/v1/gc-jobs/"+job.UUID+"/actions", tenant, map[string]any{"triggerGCJob": map[string]any{}})
	var loc struct{ Location string }
	res.json(t, &loc)
	refused := pollJob(t, b, tenant, loc.Location)
	if refused.Code != http.StatusServiceUnavailable || !strings.Contains(string(refused.Body), "SYS.1006") {
		t.Errorf("tenant trigger: %d %s, want 503 SYS.1006", refused.Code, refused.Body)
	}

	time.Sleep(1100 * time.Millisecond) // lastOpDate has a 1s resolution
	res = call(t, b, http.MethodPut, "/zstack/v1/gc-jobs/"+job.UUID+"/actions", admin, map[string]any{"triggerGCJob": map[string]any{}, "systemTags": []string{}})
	res.json(t, &loc)
	goldenJSON(t, "gcjob_trigger", pollJob(t, b, admin, loc.Location).Body)
	deadline := time.Now().Add(10 * time.Second)
	var after gcJobInv
	for {
		after = gcJobs(t, b, admin, "/"+job.UUID)[0]
		if after.Runs > job.Runs && after.Status == "Idle" || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if after.Runs != job.Runs+1 || after.LastOpDate == job.LastOpDate || !strings.Contains(after.LastResult, "removed 1 job index entries") {
		t.Errorf("after trigger: %+v (before %+v)", after, job)
	}
	if n := rdb.Exists(ctx, "cb:jobs:seeded").Val(); n != 0 {
		t.Error("the seeded leaked job index entry survived the triggered run")
	}

	res = call(t, b, http.MethodDelete, "/zstack/v1/gc-jobs/"+job.UUID, admin, nil)
	res.json(t, &loc)
	goldenJSON(t, "gcjob_delete", pollJob(t, b, admin, loc.Location).Body)
	if left := gcJobs(t, b, admin, ""); len(left) != 1 || left[0].Name != "clone-leftovers" {
		t.Errorf("after delete: %+v", left)
	}
	res = call(t, b, http.MethodPut, "/zstack/v1/gc-jobs/"+job.UUID+"/actions", admin, map[string]any{"triggerGCJob": map[string]any{}})
	res.json(t, &loc)
	if got := pollJob(t, b, admin, loc.Location); got.Code != http.StatusServiceUnavailable && got.Code != http.StatusNotFound {
		t.Errorf("trigger of a deleted job: %d %s", got.Code, got.Body)
	}
}
