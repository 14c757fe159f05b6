package inventory

import (
	"testing"

	"cloudbroker/broker/model"
)

// A condition or sort on a path no VM has sees no values (it must not index column -1).
func TestUnknownPathSeesNoValues(t *testing.T) {
	ix := NewIndex()
	ix.Reset([]model.VM{{ID: "a", Provider: "p", Name: "a"}, {ID: "b", Provider: "p", Name: "b"}})
	for _, tc := range []struct {
		c    Condition
		want int
	}{
		{Condition{Field: "no.such.path", Op: OpEq, Values: []string{"x"}}, 0},
		{Condition{Field: "no.such.path", Op: OpNe, Values: []string{"x"}}, 2},
		{Condition{Field: "no.such.path", Op: OpIsNull}, 2},
		{Condition{Field: "no.such.path", Op: OpNotNull}, 0},
	} {
		res, err := ix.Query(Query{Conditions: []Condition{tc.c}, Sort: []SortKey{{Field: "no.such.path"}}})
		if err != nil || res.Total != tc.want {
			t.Errorf("%s%s: total %d, err %v; want %d", tc.c.Field, tc.c.Op, res.Total, err, tc.want)
		}
	}
}
