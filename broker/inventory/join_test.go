package inventory

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker/model"
)

// A condition on a related table's path ("host.ip") selects the rows whose related row meets it.
func TestJoinedConditions(t *testing.T) {
	type host struct {
		ID string `json:"id"`
		IP string `json:"ip"`
	}
	hosts := NewTable(Schema[host]{})
	hosts.Reset([]host{{"h1", "192.168.0.1"}, {"h2", "192.168.0.2"}, {"h3", "10.0.0.3"}})
	ix := NewIndex()
	ix.Reset([]model.VM{
		{ID: "a", Provider: "p", Name: "a", HostID: "h1"},
		{ID: "b", Provider: "p", Name: "b", HostID: "h2"},
		{ID: "c", Provider: "p", Name: "c", HostID: "h3"},
		{ID: "d", Provider: "p", Name: "d"},
	})
	joins := []Join{{Prefix: "host", Key: "hostId", Related: hosts, RelatedKey: "id"}}
	for _, tc := range []struct {
		cond Condition
		want []string
	}{
		{Condition{Field: "host.ip", Op: OpEq, Values: []string{"192.168.0.2"}}, []string{"b"}},
		{Condition{Field: "host.ip", Op: OpLike, Values: []string{"192.168.%"}}, []string{"a", "b"}},
		{Condition{Field: "host.ip", Op: OpNe, Values: []string{"10.0.0.3"}}, []string{"a", "b"}}, // d has no host
		{Condition{Field: "host.ip", Op: OpEq, Values: []string{"nope"}}, []string{}},
	} {
		r, err := ix.Query(Query{Conditions: []Condition{tc.cond}, Joins: joins})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, ids(r)); diff != "" {
			t.Errorf("%s%s%v (-want +got):\n%s", tc.cond.Field, tc.cond.Op, tc.cond.Values, diff)
		}
	}
	if _, err := ix.Query(Query{Sort: []SortKey{{Field: "host.ip"}}, Joins: joins}); !errors.Is(err, model.ErrInvalid) {
		t.Errorf("sort by a joined path: %v, want ErrInvalid", err)
	}
}
