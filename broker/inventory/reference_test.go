package inventory

import (
	"cmp"
	"reflect"
	"slices"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"cloudbroker/broker/model"
)

// reference evaluates a query the plain way, row by row over each VM's leaves: the semantics
// the engine must keep (any element of a list, negations when none does, numbers as numbers).
func reference(vms []model.VM, q Query) []string {
	type row struct {
		id   string
		vals map[string][]value
	}
	var rows []row
	for _, vm := range vms {
		vals := map[string][]value{}
		walk("", reflect.ValueOf(vm), func(path, text string) { vals[path] = append(vals[path], newValue(text)) })
		rows = append(rows, row{vm.ID, vals})
	}
	holds := func(c Condition, vs []value) bool {
		anyOf := func(pred func(value) bool) bool { return slices.ContainsFunc(vs, pred) }
		want := value{}
		if len(c.Values) > 0 {
			want = newValue(c.Values[0])
		}
		switch c.Op {
		case OpIsNull:
			return len(vs) == 0
		case OpNotNull:
			return len(vs) > 0
		case OpIn, OpNotIn:
			in := anyOf(func(v value) bool { return slices.Contains(c.Values, v.s) })
			return in == (c.Op == OpIn)
		case OpLike, OpNotLike:
			l, _ := ParseLike(c.Values[0])
			return anyOf(func(v value) bool { return l.Match(v.s) }) == (c.Op == OpLike)
		case OpEq, OpNe:
			return anyOf(func(v value) bool { return equal(v, want) }) == (c.Op == OpEq)
		case OpGt:
			return anyOf(func(v value) bool { return compare(v, want) > 0 })
		case OpLt:
			return anyOf(func(v value) bool { return compare(v, want) < 0 })
		case OpGe:
			return anyOf(func(v value) bool { return compare(v, want) >= 0 })
		case OpLe:
			return anyOf(func(v value) bool { return compare(v, want) <= 0 })
		}
		return false
	}
	var hits []row
	for _, r := range rows {
		ok := true
		for _, c := range q.Conditions {
			ok = ok && holds(c, r.vals[c.Field])
		}
		if ok {
			hits = append(hits, r)
		}
	}
	keys := append(slices.Clone(q.Sort), SortKey{Field: "id"})
	slices.SortStableFunc(hits, func(a, b row) int {
		for _, k := range keys {
			x, y := a.vals[k.Field], b.vals[k.Field]
			r := cmp.Compare(min(len(x), 1), min(len(y), 1)) // rows without the field first
			if len(x) > 0 && len(y) > 0 {
				r = compare(x[0], y[0])
			}
			if k.Desc {
				r = -r
			}
			if r != 0 {
				return r
			}
		}
		return 0
	})
	out := []string{}
	for _, r := range hits {
		out = append(out, r.id)
	}
	return out
}

var refFields = []string{"name", "cpus", "memoryMB", "nics.ips", "disks.capacityBytes", "disks.label", "guestOS", "powerState", "template", "createdAt", "nativeId", "no.such"}
var refOps = []Op{OpEq, OpNe, OpGt, OpLt, OpGe, OpLe, OpIn, OpNotIn, OpLike, OpNotLike, OpIsNull, OpNotNull}

// FuzzQueryMatchesReference: any condition and sort answer what the row-by-row reference does,
// over VMs with list fields, numbers, nulls and mixed texts.
func FuzzQueryMatchesReference(f *testing.F) {
	f.Add(uint8(0), uint8(0), "web-1", uint8(1), false)
	f.Add(uint8(3), uint8(1), "fe80::1", uint8(4), true)
	f.Add(uint8(4), uint8(2), "10737418240", uint8(2), false)
	f.Add(uint8(1), uint8(6), "4", uint8(0), true)
	f.Add(uint8(5), uint8(9), "d%", uint8(5), false)
	f.Add(uint8(6), uint8(10), "", uint8(6), true)
	f.Add(uint8(2), uint8(4), "2048.0", uint8(3), false)
	vms := append(vms(), model.VM{ID: "c1", Provider: "kvm1", Name: "42", CPUs: 2, NICs: []model.NIC{{IPs: []string{"7", "x"}}}, Disks: []model.Disk{{Label: "d2"}, {Label: "10"}}})
	vms = append(vms, synthetic(40)...)
	ix := NewIndex()
	ix.Reset(vms)
	f.Fuzz(func(t *testing.T, field, op uint8, val string, sortField uint8, desc bool) {
		c := Condition{Field: refFields[int(field)%len(refFields)], Op: refOps[int(op)%len(refOps)]}
		switch c.Op {
		case OpIsNull, OpNotNull:
		case OpIn, OpNotIn:
			c.Values = []string{val, "web-2", "4"}
		default:
			c.Values = []string{val}
		}
		if _, err := ParseLike(val); err != nil && (c.Op == OpLike || c.Op == OpNotLike) {
			return
		}
		q := Query{Conditions: []Condition{c}, Sort: []SortKey{{Field: refFields[int(sortField)%len(refFields)], Desc: desc}}}
		got, err := ix.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		if diff := gocmp.Diff(reference(vms, q), ids(got)); diff != "" {
			t.Errorf("%+v (-reference +engine):\n%s", q, diff)
		}
	})
}
