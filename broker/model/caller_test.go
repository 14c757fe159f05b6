package model

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A caller sees what it was given and nothing more: the zero Caller nothing, an empty list
// nothing, only AllProviders everything; provider-less tasks are read by their owner (never by
// a nameless caller) and by see-all callers.
func TestCallerFailsClosed(t *testing.T) {
	owned := struct{ Provider, Owner string }{Owner: "tenant-a"}
	unowned := struct{ Provider, Owner string }{}
	onVC2 := struct{ Provider, Owner string }{Provider: "vc2"}
	type view struct{ VC1, VC2, Owned, Unowned, OnVC2, All bool }
	for _, tc := range []struct {
		name   string
		caller Caller
		want   view
	}{
		{"zero", Caller{}, view{}},
		{"empty list", Caller{Name: "x", Providers: []string{}}, view{}},
		{"scoped", Caller{Name: "tenant-a", Providers: []string{"vc1"}}, view{VC1: true, Owned: true}},
		{"all", Caller{Name: "ops", AllProviders: true}, view{VC1: true, VC2: true, Owned: true, Unowned: true, OnVC2: true, All: true}},
		{"system", System, view{VC1: true, VC2: true, Owned: true, Unowned: true, OnVC2: true, All: true}},
	} {
		c := tc.caller
		got := view{c.Sees("vc1"), c.Sees("vc2"), c.SeesTask(owned.Provider, owned.Owner), c.SeesTask(unowned.Provider, unowned.Owner), c.SeesTask(onVC2.Provider, onVC2.Owner), c.RequireAll("x") == nil}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}
