package inventory

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker/model"
)

func vms() []model.VM {
	return []model.VM{
		{ID: "a1", Provider: "vc1", NativeID: "vm-1", Name: "web-1", PowerState: model.PoweredOn, CPUs: 2, MemoryMB: 2048,
			NICs:      []model.NIC{{MAC: "00:50:56:00:00:01", IPs: []string{"10.0.0.1", "fe80::1"}}},
			Disks:     []model.Disk{{Label: "d1", CapacityBytes: 10 << 30}, {Label: "d2", CapacityBytes: 100 << 30}},
			CreatedAt: time.UnixMilli(1000)},
		{ID: "a2", Provider: "vc1", NativeID: "vm-2", Name: "web-2", PowerState: model.PoweredOff, CPUs: 4, MemoryMB: 4096,
			NICs:  []model.NIC{{MAC: "00:50:56:00:00:02", IPs: []string{"10.0.0.2"}}},
			Disks: []model.Disk{{Label: "d1", CapacityBytes: 20 << 30}}},
		{ID: "b1", Provider: "kvm1", NativeID: "uuid-1", Name: "db-1", PowerState: model.PoweredOn, CPUs: 8, MemoryMB: 16384, GuestOS: "CentOS 7"},
		{ID: "b2", Provider: "kvm1", NativeID: "uuid-2", Name: "db_2", PowerState: model.Suspended, CPUs: 1, MemoryMB: 512, Template: true},
	}
}

func ids(r Result) []string {
	out := []string{}
	for _, vm := range r.VMs {
		out = append(out, vm.ID)
	}
	return out
}

func TestQueryOperators(t *testing.T) {
	ix := NewIndex()
	ix.Reset(vms())
	c := func(field string, op Op, vals ...string) Condition {
		return Condition{Field: field, Op: op, Values: vals}
	}
	for _, tc := range []struct {
		name string
		cond Condition
		want []string // default order: provider, name, id
	}{
		{"eq", c("name", OpEq, "web-1"), []string{"a1"}},
		{"eq number", c("cpus", OpEq, "4"), []string{"a2"}},
		{"ne", c("powerState", OpNe, "poweredOn"), []string{"b2", "a2"}},
		{"gt numeric not lexical", c("memoryMB", OpGt, "4096"), []string{"b1"}},
		{"lt", c("cpus", OpLt, "2"), []string{"b2"}},
		{"ge", c("cpus", OpGe, "4"), []string{"b1", "a2"}},
		{"le", c("memoryMB", OpLe, "2048"), []string{"b2", "a1"}},
		{"in", c("name", OpIn, "web-2", "db-1", "nope"), []string{"b1", "a2"}},
		{"not in", c("name", OpNotIn, "web-2", "db-1"), []string{"b2", "a1"}},
		{"like", c("name", OpLike, "web%"), []string{"a1", "a2"}},
		{"like underscore is one char", c("name", OpLike, "db_1"), []string{"b1"}},
		{"like regexp chars are literal", c("name", OpLike, "db.%"), []string{}},
		{"not like", c("name", OpNotLike, "web%"), []string{"b1", "b2"}},
		{"is null", c("guestOS", OpIsNull), []string{"b2", "a1", "a2"}},
		{"not null", c("guestOS", OpNotNull), []string{"b1"}},
		{"nested list any element", c("nics.ips", OpEq, "fe80::1"), []string{"a1"}},
		{"nested numeric", c("disks.capacityBytes", OpGt, fmt.Sprint(50<<30)), []string{"a1"}},
		{"nested not equal means no element equals", c("disks.label", OpNe, "d2"), []string{"b1", "b2", "a2"}},
		{"bool", c("template", OpEq, "true"), []string{"b2"}},
		{"time as unix ms", c("createdAt", OpLt, "2000"), []string{"a1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ix.Query(Query{Conditions: []Condition{tc.cond}})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, ids(r)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestQuerySortPageScope(t *testing.T) {
	ix := NewIndex()
	ix.Reset(vms())
	for _, tc := range []struct {
		name      string
		q         Query
		want      []string
		wantTotal int
	}{
		{"sort desc", Query{Sort: []SortKey{{Field: "memoryMB", Desc: true}}}, []string{"b1", "a2", "a1", "b2"}, 4},
		{"page", Query{Sort: []SortKey{{Field: "cpus"}}, Start: 1, Limit: 2}, []string{"a1", "a2"}, 4},
		{"page past end", Query{Start: 10, Limit: 2}, []string{}, 4},
		{"scope", Query{Providers: []string{"kvm1"}}, []string{"b1", "b2"}, 2},
		{"empty scope sees nothing", Query{Providers: []string{}}, []string{}, 0},
		{"conditions and", Query{Conditions: []Condition{{Field: "powerState", Op: OpEq, Values: []string{"poweredOn"}}, {Field: "cpus", Op: OpGt, Values: []string{"2"}}}}, []string{"b1"}, 1},
		{"missing sort field sorts first", Query{Sort: []SortKey{{Field: "guestOS", Desc: true}}}, []string{"b1", "a1", "a2", "b2"}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ix.Query(tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, ids(r)); diff != "" || r.Total != tc.wantTotal {
				t.Errorf("total %d want %d; (-want +got):\n%s", r.Total, tc.wantTotal, diff)
			}
		})
	}
}

func TestQueryErrors(t *testing.T) {
	ix := NewIndex()
	for _, q := range []Query{
		{Conditions: []Condition{{Field: "name", Op: "=~", Values: []string{"x"}}}},
		{Conditions: []Condition{{Field: "", Op: OpEq, Values: []string{"x"}}}},
		{Conditions: []Condition{{Field: "name", Op: OpEq}}},
		{Conditions: []Condition{{Field: "name", Op: OpIsNull, Values: []string{"x"}}}},
		{Conditions: []Condition{{Field: "name", Op: OpIn}}},
		{Start: -1},
	} {
		if _, err := ix.Query(q); !errors.Is(err, model.ErrInvalid) {
			t.Errorf("Query(%+v) error = %v, want ErrInvalid", q, err)
		}
	}
}

func TestApply(t *testing.T) {
	ix := NewIndex()
	ix.Reset(vms())
	renamed := vms()[0]
	renamed.Name = "web-renamed"
	ix.Apply([]Change{{Op: Upsert, ID: "a1", VM: &renamed}, {Op: Delete, ID: "b2"}})
	if vm, _ := ix.Get("a1"); vm.Name != "web-renamed" {
		t.Errorf("after upsert name = %q", vm.Name)
	}
	if _, ok := ix.Get("b2"); ok || ix.Len() != 3 {
		t.Errorf("after delete: len %d, b2 present %v", ix.Len(), ok)
	}
	r, _ := ix.Query(Query{Conditions: []Condition{{Field: "name", Op: OpEq, Values: []string{"web-1"}}}})
	if r.Total != 0 {
		t.Errorf("old name still matches")
	}
}

// The bounded-heap page equals the same page of a full sort, for many pages and orders.
func TestPageSelectionMatchesFullSort(t *testing.T) {
	ix := NewIndex()
	ix.Reset(synthetic(5000))
	for _, sortKeys := range [][]SortKey{{{Field: "name"}}, {{Field: "memoryMB", Desc: true}, {Field: "name"}}, {{Field: "guestOS"}},
		{{Field: "name", Desc: true}}, {{Field: "memoryMB", Desc: true}}, {{Field: "disks.capacityBytes"}}} {
		all, err := ix.Query(Query{Sort: sortKeys})
		if err != nil {
			t.Fatal(err)
		}
		for _, page := range []struct{ start, limit int }{{0, 1}, {0, 10}, {37, 50}, {4990, 50}, {0, 999}} {
			got, err := ix.Query(Query{Sort: sortKeys, Start: page.start, Limit: page.limit})
			if err != nil {
				t.Fatal(err)
			}
			want := all.VMs[min(page.start, len(all.VMs)):min(page.start+page.limit, len(all.VMs))]
			if diff := cmp.Diff(ids(Result{VMs: want}), ids(got)); diff != "" || got.Total != all.Total {
				t.Errorf("sort %v page %+v: total %d/%d (-full sort +heap):\n%s", sortKeys, page, got.Total, all.Total, diff)
			}
		}
	}
}

// CountOnly counts what the same query would page through, and returns no VMs.
func TestCountOnly(t *testing.T) {
	ix := NewIndex()
	ix.Reset(vms())
	q := Query{Conditions: []Condition{{Field: "powerState", Op: OpEq, Values: []string{"poweredOn"}}}, Limit: 1}
	full, _ := ix.Query(q)
	q.CountOnly = true
	r, err := ix.Query(q)
	if err != nil || r.Total != full.Total || r.Total != 2 || len(r.VMs) != 0 {
		t.Errorf("count only: total %d (want %d), %d VMs, %v", r.Total, full.Total, len(r.VMs), err)
	}
}
