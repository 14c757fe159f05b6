package broker

import (
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker/model"
)

// Concurrent requests for one snapshot share one listing; another key, or a request after the
// listing ended, lists again.
func TestLiveSnapshotsShareOneListing(t *testing.T) {
	s := &liveSnapshots{flights: map[string]*liveFlight{}}
	release := make(chan struct{})
	var calls atomic.Int32
	list := func() (LiveSnapshot, error) {
		calls.Add(1)
		<-release
		return LiveSnapshot{VMs: []model.VM{{Name: "a"}}}, nil
	}
	f1, f2, other := s.share("k", list), s.share("k", list), s.share("other", list)
	if f1 != f2 || f1 == other {
		t.Fatalf("flights: same key shared %v, other key separate %v", f1 == f2, f1 != other)
	}
	close(release)
	<-f1.done
	<-other.done
	if diff := cmp.Diff([]model.VM{{Name: "a"}}, f2.res.VMs); diff != "" {
		t.Errorf("shared result (-want +got):\n%s", diff)
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("listings = %d, want 2 (one per key)", got)
	}
	<-s.share("k", list).done
	if got := calls.Load(); got != 3 {
		t.Errorf("listings after the first ended = %d, want 3", got)
	}
}

// A snapshot's name depends on the caller's name and scope, the providers listed and the
// query, never on the order they come in.
func TestLiveSnapshotKey(t *testing.T) {
	vc1, vc2 := model.Provider{Name: "vc1"}, model.Provider{Name: "vc2"}
	a := model.Caller{Name: "a", Providers: []string{"vc1", "vc2"}}
	base := liveSnapshotKey(a, []model.Provider{vc1, vc2}, ListVMsQuery{})
	for _, tc := range []struct {
		name string
		key  string
		same bool
	}{
		{"providers in another order", liveSnapshotKey(model.Caller{Name: "a", Providers: []string{"vc2", "vc1"}}, []model.Provider{vc2, vc1}, ListVMsQuery{}), true},
		{"another caller, same scope", liveSnapshotKey(model.Caller{Name: "b", Providers: []string{"vc1", "vc2"}}, []model.Provider{vc1, vc2}, ListVMsQuery{}), false},
		{"same name, all providers", liveSnapshotKey(model.Caller{Name: "a", AllProviders: true}, []model.Provider{vc1, vc2}, ListVMsQuery{}), false},
		{"same name, narrower scope", liveSnapshotKey(model.Caller{Name: "a", Providers: []string{"vc1"}}, []model.Provider{vc1, vc2}, ListVMsQuery{}), false},
		{"fewer providers listed", liveSnapshotKey(a, []model.Provider{vc1}, ListVMsQuery{}), false},
		{"another query", liveSnapshotKey(a, []model.Provider{vc1, vc2}, ListVMsQuery{Provider: "vc1"}), false},
		{"another query type", liveSnapshotKey(a, []model.Provider{vc1, vc2}, struct{}{}), false},
	} {
		if got := tc.key == base; got != tc.same {
			t.Errorf("%s: same key = %v, want %v", tc.name, got, tc.same)
		}
	}
}
