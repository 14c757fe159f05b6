package vcproxy_test

import (
	"encoding/json"
	"testing"

	"cloudbroker/test/harness"
)

// A token scoped to vc1 sees neither vc2's VMs nor tasks run on vc2, and gets the same 404 as
// for ids that do not exist, so it learns nothing about other tenants.
func TestTenantIsolation(t *testing.T) {
	b := harness.Start(t, harness.Options{Simulators: 2})
	code, body := b.Post(t, "/api/vm/list", harness.AdminToken, map[string]any{"provider": "vc2"})
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	var list struct {
		VMs []struct{ VMID, Provider string } `json:"vms"`
	}
	json.Unmarshal(decodeAs[okBody](t, body).Data, &list)
	if len(list.VMs) == 0 {
		t.Fatal("vc2 has no VMs")
	}
	vc2VM := list.VMs[0].VMID

	_, body = b.Post(t, "/api/vm/diskinfo", admin, map[string]any{"vmid": vc2VM})
	var data struct{ TaskID string }
	json.Unmarshal(decodeAs[okBody](t, body).Data, &data)

	for name, req := range map[string]struct {
		path string
		body any
	}{
		"other tenant's vm":   {"/api/vm/diskinfo", map[string]any{"vmid": vc2VM}},
		"other tenant's task": {"/api/task/info", map[string]any{"taskid": data.TaskID}},
		"other provider list": {"/api/vm/list", map[string]any{"provider": "vc2"}},
	} {
		code, body := b.Post(t, req.path, harness.TenantToken, req.body)
		if code != 404 {
			t.Errorf("%s: %d %s, want 404", name, code, body)
		}
	}
	code, body = b.Post(t, "/api/vm/list", harness.TenantToken, nil)
	json.Unmarshal(decodeAs[okBody](t, body).Data, &list)
	for _, vm := range list.VMs {
		if vm.Provider != "vc1" {
			t.Errorf("tenant sees %s VM %s", vm.Provider, vm.VMID)
		}
	}
	if code != 200 || len(list.VMs) == 0 {
		t.Errorf("tenant's own list: %d %s", code, body)
	}
}
