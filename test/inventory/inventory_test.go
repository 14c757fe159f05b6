// Package inventory_test checks the broker's inventory end to end: real Redis, govmomi
// simulators changed directly (not through the broker), the broker's HTTP API.
package inventory_test

import (
	"encoding/json"
	"testing"
	"time"

	"cloudbroker/broker"
	"cloudbroker/config"
	"cloudbroker/test/harness"
)

type vmRow struct {
	VMID       string `json:"vmid"`
	Name       string `json:"name"`
	PowerState string `json:"power_state"`
	Provider   string `json:"provider"`
	NativeID   string `json:"native_id"`
}

type listData struct {
	Total int     `json:"total"`
	VMs   []vmRow `json:"vms"`
	Stale []struct {
		Provider, State string
		LastError       string `json:"last_error"`
	} `json:"stale_providers"`
}

func list(t *testing.T, b *harness.Broker) listData {
	t.Helper()
	code, body := b.Post(t, "/api/vm/list", harness.AdminToken, map[string]any{"limit": 1000})
	if code != 200 {
		t.Fatalf("vm/list: %d %s", code, body)
	}
	var r struct{ Data listData }
	json.Unmarshal(body, &r)
	return r.Data
}

// fast makes watches short and schedules them often, so tests see reconciles in seconds.
func fast(c *config.Config) {
	c.Inventory.Period = config.Duration(2 * time.Second)
	c.Inventory.ScheduleInterval = config.Duration(200 * time.Millisecond)
}

// Two vCenters whose VMs have equal MoRefs (both simulators number VMs alike) give distinct
// broker uuids, and both copies are listed.
func TestEqualMoRefsDistinctUUIDs(t *testing.T) {
	b := harness.Start(t, harness.Options{Simulators: 2, Tune: fast})
	b.WaitSynced(t)
	byNative := map[string]map[string]string{} // native id → provider → vmid
	for _, vm := range list(t, b).VMs {
		if byNative[vm.NativeID] == nil {
			byNative[vm.NativeID] = map[string]string{}
		}
		byNative[vm.NativeID][vm.Provider] = vm.VMID
	}
	shared := 0
	for native, per := range byNative {
		if len(per) == 2 {
			shared++
			if per["vc1"] == per["vc2"] {
				t.Errorf("%s on vc1 and vc2 share uuid %s", native, per["vc1"])
			}
		}
	}
	if shared == 0 {
		t.Fatalf("no MoRef is shared by the two simulators: %+v", byNative)
	}
}

// A provider whose sync fails is visible as such; its last good inventory stays readable,
// marked stale, instead of vanishing.
func TestFailedSyncKeepsLastInventoryMarkedStale(t *testing.T) {
	b := harness.Start(t, harness.Options{Tune: fast})
	b.WaitSynced(t)
	before := list(t, b)
	if before.Total == 0 || len(before.Stale) != 0 {
		t.Fatalf("before the failure: %+v", before)
	}
	b.Sims[0].Close() // the vCenter goes away

	deadline := time.Now().Add(30 * time.Second)
	for {
		after := list(t, b)
		if len(after.Stale) == 1 {
			if after.Total != before.Total {
				t.Errorf("stale inventory lists %d VMs, had %d", after.Total, before.Total)
			}
			if s := after.Stale[0]; s.Provider != "vc1" || s.State != broker.SyncError || s.LastError == "" {
				t.Errorf("stale entry = %+v, want vc1 in state error with a reason", s)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("sync failure never became visible: %+v", after)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
