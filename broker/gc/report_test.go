package gc_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker/gc"
	"cloudbroker/broker/model"
)

// A stored GC report renders, for each caller, the totals and findings of its providers only;
// a plain-text result is not a report.
func TestGCReportText(t *testing.T) {
	r := gc.Report{CheckedWhat: "failed clone names checked", FoundWhat: "leftover VMs found"}
	r.SetProvider("vc1", gc.ProviderReport{Checked: 2, Found: []string{"a (vm 1, task 2)"}})
	r.SetProvider("vc2", gc.ProviderReport{Checked: 1, Skipped: "inventory not synced"})
	r.SetProvider("vc3", gc.ProviderReport{Checked: 1, Skipped: "inventory not synced"})
	stored, ok := gc.DecodeReport(r.Encode())
	if !ok {
		t.Fatalf("an encoded report does not decode: %s", r.Encode())
	}
	for _, tc := range []struct {
		name   string
		caller model.Caller
		want   string
	}{
		{"all", model.System, "4 failed clone names checked, 1 leftover VMs found; vc1/a (vm 1, task 2); skipped (inventory not synced): vc2, vc3"},
		{"vc1", model.Caller{Name: "a", Providers: []string{"vc1"}}, "2 failed clone names checked, 1 leftover VMs found; vc1/a (vm 1, task 2)"},
		{"vc2", model.Caller{Name: "b", Providers: []string{"vc2"}}, "1 failed clone names checked, 0 leftover VMs found; skipped (inventory not synced): vc2"},
		{"zero caller", model.Caller{}, "0 failed clone names checked, 0 leftover VMs found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, stored.Text(tc.caller)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	summary, _ := gc.DecodeReport(gc.Report{Summary: "removed 3 entries"}.Encode())
	if got := summary.Text(model.Caller{}); got != "removed 3 entries" {
		t.Errorf("summary for the zero caller = %q", got)
	}
	for _, plain := range []string{"", "removed 3 entries", `{"summary":"no version"}`, "{not json"} {
		if _, ok := gc.DecodeReport(plain); ok {
			t.Errorf("DecodeGCReport(%q) took a plain result for a report", plain)
		}
	}
}
