// Package livelist_test shows live listing (inventory off) paging within one snapshot per
// query: one listing per provider for every page, pages from one moment, never another
// tenant's snapshot.
package livelist_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"cloudbroker/config"
	"cloudbroker/drivers/vcenter/vcsim"
	"cloudbroker/test/harness"
)

// tenantBToken sees the same provider as harness.TenantToken, under another name.
const tenantBToken = "tenant-b-token-0123456789"

// live starts a broker without an inventory over sims (new ones of 4+bulk VMs each when nil).
func live(t testing.TB, sims, bulk int, tune func(*config.Config)) (*harness.Broker, *harness.LogBuffer) {
	t.Helper()
	var ss []*vcsim.Sim
	for range sims {
		sim, err := vcsim.Start(vcsim.WithBulkVMs(bulk))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(sim.Close)
		ss = append(ss, sim)
	}
	log := &harness.LogBuffer{}
	b := harness.Start(t, harness.Options{Sims: ss, Log: log, Tune: func(c *config.Config) {
		c.Inventory.Enabled = new(false)
		c.Auth.Tokens = append(c.Auth.Tokens, config.Token{Name: "tenant-b", Token: tenantBToken, Providers: []string{"vc1"}})
		if tune != nil {
			tune(c)
		}
	}})
	waitStartupListing(t, log)
	return b, log
}

// waitStartupListing lets the broker's start-up listing (if it still has one) end before a
// test counts listings.
func waitStartupListing(t testing.TB, log *harness.LogBuffer) {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if s := log.String(); strings.Contains(s, "VM ids loaded") || strings.Contains(s, "initial VM listing failed") {
			return
		}
	}
}

var listingDone = regexp.MustCompile(`msg="task done" .*type=vm:list provider=(\S+)`)

// listings counts the live listings each provider ran so far.
func listings(log *harness.LogBuffer) map[string]int {
	n := map[string]int{}
	for _, m := range listingDone.FindAllStringSubmatch(log.String(), -1) {
		n[m[1]]++
	}
	return n
}

func since(before, after map[string]int) map[string]int {
	d := map[string]int{}
	for p, n := range after {
		if n != before[p] {
			d[p] = n - before[p]
		}
	}
	return d
}

type vmRow struct {
	VMID     string `json:"vmid"`
	Name     string `json:"name"`
	Provider string `json:"provider"`
}

type page struct {
	Total int     `json:"total"`
	VMs   []vmRow `json:"vms"`
}

func listPage(t testing.TB, b *harness.Broker, token string, offset, limit int) page {
	t.Helper()
	code, body := b.Post(t, "/api/vm/list", token, map[string]any{"offset": offset, "limit": limit})
	if code != http.StatusOK {
		t.Fatalf("vm/list offset %d: %d %s", offset, code, body)
	}
	var r struct{ Data page }
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatal(err)
	}
	return r.Data
}

// pageThrough reads pages of limit from offset 0 until total, checking each page's total.
func pageThrough(t testing.TB, b *harness.Broker, token string, limit int, between func()) (total int, ids []string, names []string) {
	t.Helper()
	first := listPage(t, b, token, 0, limit)
	if between != nil {
		between()
	}
	p := first
	for offset := 0; ; {
		if p.Total != first.Total {
			t.Fatalf("page at offset %d: total %d, first page's %d", offset, p.Total, first.Total)
		}
		for _, vm := range p.VMs {
			ids, names = append(ids, vm.VMID), append(names, vm.Name)
		}
		if offset += limit; offset >= first.Total {
			return first.Total, ids, names
		}
		p = listPage(t, b, token, offset, limit)
	}
}

// Paging through 5 pages of two providers lists each provider once; the pages are disjoint
// and together are the whole listing, in order.
func TestLivePagesListEachProviderOnce(t *testing.T) {
	b, log := live(t, 2, 20, nil)
	before := listings(log)
	total, ids, _ := pageThrough(t, b, harness.AdminToken, 10, nil)
	if diff := cmp.Diff(map[string]int{"vc1": 1, "vc2": 1}, since(before, listings(log))); diff != "" {
		t.Errorf("listings while paging (-want +got):\n%s", diff)
	}
	if total != 48 || len(ids) != total {
		t.Fatalf("paged %d VMs of total %d, want 48", len(ids), total)
	}
	if dup := len(ids) - len(slices.Compact(slices.Sorted(slices.Values(ids)))); dup != 0 {
		t.Errorf("%d VMs on more than one page", dup)
	}
	var whole []string
	for _, vm := range listPage(t, b, harness.AdminToken, 0, 1000).VMs {
		whole = append(whole, vm.VMID)
	}
	if diff := cmp.Diff(whole, ids); diff != "" {
		t.Errorf("pages vs one whole listing (-want +got):\n%s", diff)
	}
}

// A VM created in the simulator after the first page is not on the later pages (they read the
// first page's snapshot); a new query from offset 0 has it.
func TestLiveSnapshotIsOneMoment(t *testing.T) {
	b, log := live(t, 1, 20, nil)
	before := listings(log)
	total, _, names := pageThrough(t, b, harness.AdminToken, 10, func() { createVM(t, b.Sims[0], "made-mid-paging") })
	if total != 24 || slices.Contains(names, "made-mid-paging") {
		t.Errorf("paging: total %d (want 24), new VM listed %v", total, slices.Contains(names, "made-mid-paging"))
	}
	if diff := cmp.Diff(map[string]int{"vc1": 1}, since(before, listings(log))); diff != "" {
		t.Errorf("listings while paging (-want +got):\n%s", diff)
	}
	ttl := b.Redis.Client(t).PTTL(context.Background(), snapshotKeys(t, b)[0]).Val()
	if ttl <= 0 || ttl > 30*time.Second {
		t.Errorf("snapshot TTL %s, want in (0, 30s] (inventory.live_snapshot_ttl's default)", ttl)
	}
	if p := listPage(t, b, harness.AdminToken, 20, 10); p.Total != 24 {
		t.Errorf("a later page within the TTL: total %d, want the snapshot's 24", p.Total)
	}
	if p := listPage(t, b, harness.AdminToken, 0, 1000); p.Total != 25 {
		t.Errorf("new query from offset 0: total %d, want 25", p.Total)
	}
}

// Once the snapshot's lifetime is over, the next page lists again and has the new VM.
func TestLiveSnapshotExpires(t *testing.T) {
	b, log := live(t, 1, 20, func(c *config.Config) { c.Inventory.LiveSnapshotTTL = config.Duration(time.Second) })
	before := listings(log)
	if p := listPage(t, b, harness.AdminToken, 0, 10); p.Total != 24 {
		t.Fatalf("first page: total %d, want 24", p.Total)
	}
	createVM(t, b.Sims[0], "made-mid-paging")
	for deadline := time.Now().Add(15 * time.Second); len(snapshotKeys(t, b)) > 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("snapshot of a 1s lifetime still kept after 15s")
		}
	}
	p := listPage(t, b, harness.AdminToken, 20, 10)
	if p.Total != 25 || !slices.ContainsFunc(p.VMs, func(vm vmRow) bool { return vm.Name == "made-mid-paging" }) {
		t.Errorf("page after the TTL: total %d (want 25), %v", p.Total, p.VMs)
	}
	if diff := cmp.Diff(map[string]int{"vc1": 2}, since(before, listings(log))); diff != "" {
		t.Errorf("listings (-want +got):\n%s", diff)
	}
}

// Tenant B, seeing the same provider as tenant A, never reads A's snapshot: its later page
// lists for itself (and so sees a VM created after A's first page), while A's reads A's.
func TestLiveSnapshotNotSharedAcrossTenants(t *testing.T) {
	b, log := live(t, 2, 20, nil)
	before := listings(log)
	if p := listPage(t, b, harness.TenantToken, 0, 10); p.Total != 24 {
		t.Fatalf("A's first page: total %d, want vc1's 24", p.Total)
	}
	createVM(t, b.Sims[0], "made-mid-paging")
	pb := listPage(t, b, tenantBToken, 10, 10)
	pa := listPage(t, b, harness.TenantToken, 10, 10)
	if pb.Total != 25 || pa.Total != 24 {
		t.Errorf("second pages: B's total %d (want its own listing's 25), A's %d (want its snapshot's 24)", pb.Total, pa.Total)
	}
	for _, vm := range append(pa.VMs, pb.VMs...) {
		if vm.Provider != "vc1" {
			t.Errorf("a tenant of vc1 was shown %s on %s", vm.Name, vm.Provider)
		}
	}
	if diff := cmp.Diff(map[string]int{"vc1": 2}, since(before, listings(log))); diff != "" {
		t.Errorf("listings: one for A, one for B (-want +got):\n%s", diff)
	}
}

// ZStack's vm-instances pages (start/limit) read one snapshot too.
func TestZStackLivePagesListEachProviderOnce(t *testing.T) {
	const pass = "zs-password-0123"
	b, log := live(t, 2, 20, func(c *config.Config) {
		c.ZStack.Accounts = []config.ZStackAccount{{Name: "admin", Password: pass, AllProviders: true}}
	})
	code, body := b.Do(t, http.MethodPut, "/zstack/v1/accounts/login", "", map[string]any{
		"logInByAccount": map[string]string{"accountName": "admin", "password": config.HashPassword(pass)}})
	if code != http.StatusOK {
		t.Fatalf("login: %d %s", code, body)
	}
	var s struct{ Inventory struct{ UUID string } }
	json.Unmarshal(body, &s)
	before := listings(log)
	var uuids []string
	total := -1
	for start := 0; total < 0 || start < total; start += 10 {
		code, _, body := b.Request(t, http.MethodGet, fmt.Sprintf("/zstack/v1/vm-instances?start=%d&limit=10&replyWithCount=true", start), nil,
			"Authorization", "OAuth "+s.Inventory.UUID)
		var r struct {
			Total       int
			Inventories []struct{ UUID string }
		}
		if code != http.StatusOK || json.Unmarshal(body, &r) != nil {
			t.Fatalf("vm-instances start %d: %d %s", start, code, body)
		}
		if total >= 0 && r.Total != total {
			t.Fatalf("start %d: total %d, first page's %d", start, r.Total, total)
		}
		total = r.Total
		for _, vm := range r.Inventories {
			uuids = append(uuids, vm.UUID)
		}
	}
	if diff := cmp.Diff(map[string]int{"vc1": 1, "vc2": 1}, since(before, listings(log))); diff != "" {
		t.Errorf("listings while paging (-want +got):\n%s", diff)
	}
	if distinct := len(slices.Compact(slices.Sorted(slices.Values(uuids)))); len(uuids) != total || distinct != total || total < 30 {
		t.Errorf("paged %d VMs (%d distinct) of total %d", len(uuids), distinct, total)
	}
}

// snapshotKeys are the live snapshots kept in Redis.
func snapshotKeys(t testing.TB, b *harness.Broker) []string {
	t.Helper()
	keys, err := b.Redis.Client(t).Keys(context.Background(), "cb:{livesnap}:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(keys, func(k string) bool { return k == "cb:{livesnap}:index" })
}

// createVM clones DC0_H0_VM0 to name directly in the simulator, not through the broker.
func createVM(t testing.TB, sim *vcsim.Sim, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	u := *sim.URL()
	gc, err := govmomi.NewClient(ctx, &url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, User: u.User}, true)
	if err != nil {
		t.Fatal(err)
	}
	defer gc.Logout(context.Background())
	native, err := sim.VMID(ctx, "DC0_H0_VM0")
	if err != nil {
		t.Fatal(err)
	}
	src := object.NewVirtualMachine(gc.Client, types.ManagedObjectReference{Type: "VirtualMachine", Value: native})
	var props mo.VirtualMachine
	if err := src.Properties(ctx, src.Reference(), []string{"parent"}, &props); err != nil {
		t.Fatal(err)
	}
	task, err := src.Clone(ctx, object.NewFolder(gc.Client, *props.Parent), name, types.VirtualMachineCloneSpec{})
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		t.Fatalf("clone %s in the simulator: %v", name, err)
	}
}
