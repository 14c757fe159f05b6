package bench

import (
	"encoding/json"
	"testing"

	"cloudbroker/broker/model"
	"cloudbroker/test/harness"
)

var adminCaller = model.Caller{Name: "admin", AllProviders: true}

func listVMID(b testing.TB, br *harness.Broker, name string) string {
	code, body := br.Post(b, "/api/vm/list", harness.AdminToken, map[string]any{"limit": 1000})
	if code != 200 {
		b.Fatalf("%d %s", code, body)
	}
	var r struct {
		Data struct {
			VMs []struct{ VMID, Name string } `json:"vms"`
		} `json:"data"`
	}
	json.Unmarshal(body, &r)
	for _, vm := range r.Data.VMs {
		if vm.Name == name {
			return vm.VMID
		}
	}
	b.Fatalf("no VM %s", name)
	return ""
}
