package inventory

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker/model"
)

// Rows whose list fields grow, shrink and go away keep answering as a fresh load of the same
// rows does (the column turns list-valued, reuses and compacts its values).
func TestUpdatesMatchFreshLoad(t *testing.T) {
	ix := NewIndex()
	ix.Reset(synthetic(3000))
	want := map[string]model.VM{}
	for _, vm := range synthetic(3000) {
		want[vm.ID] = vm
	}
	var cs []Change
	for i := range 3000 {
		vm := want[fmt.Sprintf("%032x", i)]
		switch i % 4 {
		case 0: // more IPs: nics.ips becomes list-valued
			vm.NICs = []model.NIC{{MAC: vm.NICs[0].MAC, IPs: []string{"10.9.9.9", fmt.Sprint("192.168.0.", i%250)}}}
		case 1:
			vm.NICs, vm.Disks = nil, nil
		case 2:
			cs = append(cs, Change{Op: Delete, ID: vm.ID})
			delete(want, vm.ID)
			continue
		}
		vm.Name = fmt.Sprintf("renamed-%d", i%7)
		want[vm.ID] = vm
		cs = append(cs, Change{Op: Upsert, ID: vm.ID, VM: &vm})
	}
	for len(cs) > 0 { // in batches, as the change stream delivers them
		k := min(len(cs), 97)
		ix.Apply(cs[:k])
		cs = cs[k:]
	}
	fresh := NewIndex()
	all := make([]model.VM, 0, len(want))
	for _, vm := range want {
		all = append(all, vm)
	}
	fresh.Reset(all)
	for _, q := range []Query{
		{},
		{Conditions: []Condition{{Field: "nics.ips", Op: OpEq, Values: []string{"10.9.9.9"}}}, Sort: []SortKey{{Field: "nics.ips", Desc: true}}},
		{Conditions: []Condition{{Field: "nics.ips", Op: OpIsNull}}, Limit: 20, Start: 5},
		{Conditions: []Condition{{Field: "nics.ips", Op: OpNotLike, Values: []string{"10.%"}}}},
		{Conditions: []Condition{{Field: "name", Op: OpIn, Values: []string{"renamed-3", "renamed-4"}}}, Sort: []SortKey{{Field: "disks.capacityBytes"}}},
	} {
		got, err := ix.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		exp, _ := fresh.Query(q)
		if diff := cmp.Diff(ids(exp), ids(got)); diff != "" || got.Total != exp.Total {
			t.Errorf("%+v: total %d want %d (-fresh +updated):\n%s", q, got.Total, exp.Total, diff)
		}
	}
	if ix.Len() != len(want) {
		t.Errorf("len %d, want %d", ix.Len(), len(want))
	}
}

// Queries run while changes are applied (go test -race checks the locking).
func TestConcurrentQueriesAndChanges(t *testing.T) {
	ix := NewIndex()
	vms := synthetic(2000)
	ix.Reset(vms)
	var wg sync.WaitGroup
	for g := range 3 {
		wg.Go(func() {
			for i := range 50 {
				q := Query{Conditions: []Condition{{Field: "cpus", Op: OpGe, Values: []string{fmt.Sprint(1 << (i % 5))}}},
					Sort: []SortKey{{Field: "name", Desc: g%2 == 0}}, Limit: 10}
				if _, err := ix.QueryContext(context.Background(), q); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for i := range 200 {
		vm := vms[i]
		vm.Name = fmt.Sprint("new-", i)
		ix.Apply([]Change{{Op: Upsert, ID: vm.ID, VM: &vm}, {Op: Delete, ID: vms[1999-i].ID}})
	}
	wg.Wait()
}

// A table of any rows: maps (fields found at run time), derived columns, load order on ties.
func TestTableOfMaps(t *testing.T) {
	rows := []map[string]any{
		{"uuid": "a", "name": "x", "n": 2, "tags": []any{"t1", "t2"}},
		{"uuid": "b", "name": "y", "n": 10},
		{"uuid": "c", "name": "x", "n": 1.5},
	}
	tb := NewTable(Schema[map[string]any]{Derived: map[string]func(*map[string]any) []string{
		"upper": func(m *map[string]any) []string { return []string{fmt.Sprint((*m)["uuid"], "!")} },
	}})
	tb.Reset(rows)
	for _, tc := range []struct {
		s    Selection
		want []string
	}{
		{Selection{Conditions: []Condition{{Field: "n", Op: OpGt, Values: []string{"1.9"}}}}, []string{"a", "b"}},
		{Selection{Conditions: []Condition{{Field: "tags", Op: OpNe, Values: []string{"t2"}}}}, []string{"b", "c"}},
		{Selection{Conditions: []Condition{{Field: "upper", Op: OpEq, Values: []string{"c!"}}}}, []string{"c"}},
		{Selection{Sort: []SortKey{{Field: "name", Desc: true}}}, []string{"b", "a", "c"}},
		{Selection{Sort: []SortKey{{Field: "n"}}, Start: 1}, []string{"a", "b"}},
	} {
		total, page, err := tb.Select(context.Background(), tc.s)
		if err != nil {
			t.Fatal(err)
		}
		got := []string{}
		for _, m := range page {
			got = append(got, m["uuid"].(string))
		}
		if diff := cmp.Diff(tc.want, got); diff != "" || total < len(got) {
			t.Errorf("%+v: total %d (-want +got):\n%s", tc.s, total, diff)
		}
	}
}

// An index following renames keeps a dictionary the size of its rows, and answers as before.
func TestDictionaryStaysBounded(t *testing.T) {
	ix := NewIndex()
	vms := synthetic(10)
	ix.Reset(vms)
	for i := range 6000 {
		vm := vms[i%10]
		vm.Name = fmt.Sprint("name-", i)
		ix.Apply([]Change{{Op: Upsert, ID: vm.ID, VM: &vm}})
		if i == 3000 { // ranks built before a recode must not survive it
			if _, err := ix.Query(Query{Sort: []SortKey{{Field: "name"}}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := len(ix.t.cols[ix.t.colOf["name"]].dict); n > 2*10+4096 {
		t.Errorf("name dictionary holds %d entries for 10 rows", n)
	}
	r, err := ix.Query(Query{Sort: []SortKey{{Field: "name", Desc: true}}, Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, vm := range r.VMs {
		names = append(names, vm.Name)
	}
	if diff := cmp.Diff([]string{"name-5999", "name-5998", "name-5997"}, names); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if r, _ := ix.Query(Query{Conditions: []Condition{{Field: "name", Op: OpEq, Values: []string{"name-5995"}}}}); r.Total != 1 {
		t.Errorf("name-5995 matched %d", r.Total)
	}
}
