package reads

import (
	"encoding/json"
	"net/http"
	"testing"

	"cloudbroker/config"
	"cloudbroker/drivers/vcenter/vcsim"
	"cloudbroker/test/harness"
)

const zsPassword = "reads-zstack-pw"

// start is the broker every read benchmark uses: one simulated vCenter with two templates
// (images for cimg/list), no rate limit, a ZStack account, synced before it returns.
func start(b testing.TB) *harness.Broker {
	br := harness.Start(b, harness.Options{
		Templates: map[int][]vcsim.Template{0: {{Name: "tpl-centos"}, {Name: "tpl-ubuntu"}}},
		Tune: func(c *config.Config) {
			c.HTTP.RateLimit = config.RateLimit{RPS: -1} // a benchmark's one caller would hit it first
			c.ZStack.Accounts = []config.ZStackAccount{{Name: "admin", Password: zsPassword, AllProviders: true}}
		},
	})
	br.WaitSynced(b)
	return br
}

func bearer(br *harness.Broker, path string, body any) call {
	raw, _ := json.Marshal(body)
	return call{method: http.MethodPost, url: br.URL + path, body: raw,
		header: http.Header{"Authorization": {"Bearer " + harness.AdminToken}, "Content-Type": {"application/json"}}}
}

// vmList is vcproxy's POST /api/vm/list, one page of every VM.
func vmList(b testing.TB, br *harness.Broker) call {
	return bearer(br, "/api/vm/list", map[string]any{"limit": 100})
}

// taskInfo is POST /api/task/info of a finished sync diskinfo task.
func taskInfo(b testing.TB, br *harness.Broker) call {
	code, body := br.Post(b, "/api/vm/list", harness.AdminToken, map[string]any{"limit": 1})
	var l struct {
		Data struct{ VMs []struct{ VMID string } } `json:"data"`
	}
	if json.Unmarshal(body, &l); code != 200 || len(l.Data.VMs) == 0 {
		b.Fatalf("vm/list: %d %s", code, body)
	}
	code, body = br.Post(b, "/api/vm/diskinfo", harness.AdminToken, map[string]any{"vmid": l.Data.VMs[0].VMID, "mode": 0})
	var e struct{ TaskID string }
	if json.Unmarshal(body, &e); code != 200 || e.TaskID == "" {
		b.Fatalf("diskinfo: %d %s", code, body)
	}
	return bearer(br, "/api/task/info", map[string]any{"taskid": e.TaskID})
}

// zstackQuery is ZStack's GET /zstack/v1/vm-instances with a condition, in a session.
func zstackQuery(b testing.TB, br *harness.Broker) call {
	code, body := br.Do(b, http.MethodPut, "/zstack/v1/accounts/login", "", map[string]any{
		"logInByAccount": map[string]string{"accountName": "admin", "password": config.HashPassword(zsPassword)}})
	var s struct{ Inventory struct{ UUID string } }
	if json.Unmarshal(body, &s); code != 200 || s.Inventory.UUID == "" {
		b.Fatalf("zstack login: %d %s", code, body)
	}
	return call{method: http.MethodGet, url: br.URL + "/zstack/v1/vm-instances?q=state=Running&limit=50",
		header: http.Header{"Authorization": {"OAuth " + s.Inventory.UUID}}}
}

// cimgList is DiDi's POST /dicloud/i/storage/cimg/list, a page of 10 of the region's images.
func cimgList(b testing.TB, br *harness.Broker) call {
	return bearer(br, "/dicloud/i/storage/cimg/list", map[string]any{"regionId": "region-1", "start": 0, "limit": 10})
}
