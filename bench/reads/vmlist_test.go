package reads

import (
	"encoding/json"
	"net/http"
	"testing"

	"cloudbroker/test/harness"
)

// vmList starts a broker with one simulator, waits for its inventory, and returns the
// request: vcproxy's POST /api/vm/list, one page of every VM.
func vmList(b *testing.B) (*harness.Broker, call) {
	br := harness.Start(b, harness.Options{Tune: unlimited})
	br.WaitSynced(b)
	body, _ := json.Marshal(map[string]any{"limit": 100})
	return br, call{method: http.MethodPost, url: br.URL + "/api/vm/list", body: body,
		header: http.Header{"Authorization": {"Bearer " + harness.AdminToken},
			"Content-Type": {"application/json"}}}
}

// BenchmarkVMList: POST /api/vm/list through the whole engine (edge, rate limit, the inventory,
// the providers' sync statuses) with a real Redis.
func BenchmarkVMList(b *testing.B) {
	_, c := vmList(b)
	body := fetch(b, c)
	drive(b, c)
	b.ReportMetric(float64(len(body)), "body-B")
}

// BenchmarkVMListFloor: the same request and answer size from a bare gin handler.
func BenchmarkVMListFloor(b *testing.B) {
	br, c := vmList(b)
	body := fetch(b, c)
	br.Stop()
	floor(b, c, body)
}
