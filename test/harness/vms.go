package harness

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
)

// VMIDs lists the vmids of a provider through vcproxy's vm/list, failing the test if none.
func (b *Broker) VMIDs(t testing.TB, provider string) []string {
	t.Helper()
	code, body := b.Post(t, "/api/vm/list", AdminToken, map[string]any{"provider": provider})
	if code != 200 {
		t.Fatalf("vm/list: %d %s", code, body)
	}
	var r struct {
		Data struct {
			VMs []struct{ VMID string } `json:"vms"`
		} `json:"data"`
	}
	json.Unmarshal(body, &r)
	var ids []string
	for _, vm := range r.Data.VMs {
		ids = append(ids, vm.VMID)
	}
	if len(ids) == 0 {
		t.Fatalf("vm/list of %s is empty: %s", provider, body)
	}
	return ids
}

// WaitSynced waits until every provider's inventory has loaded once, and returns their statuses.
func (b *Broker) WaitSynced(t testing.TB) []broker.ProviderStatus {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ps, err := b.App.Broker().ProviderStatuses(context.Background(), model.System)
		if err != nil {
			t.Fatal(err)
		}
		ok := true
		for _, p := range ps {
			ok = ok && p.Sync != nil && p.Sync.State == broker.SyncSynced
		}
		if ok {
			return ps
		}
		if time.Now().After(deadline) {
			t.Fatalf("inventory not synced: %+v", ps)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
