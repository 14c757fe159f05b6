package broker_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/config"
	"cloudbroker/queue/redisstore"
	"cloudbroker/test/harness"
	"cloudbroker/test/redistest"
	"cloudbroker/test/wait"
)

// infraProviders tunes a harness broker: the fake providers named, and a refresh period so long
// that each list is refreshed once, at start; what follows is the tests' doing.
func infraProviders(names ...string) func(*config.Config) {
	return func(c *config.Config) {
		for _, n := range names {
			c.Providers = append(c.Providers, config.Provider{Name: n, Driver: infraFake, URL: "fake://" + n})
		}
		c.Inventory.ListingRefresh = config.Duration(time.Hour)
	}
}

// infraNames is what a caller gets of the four listings: each item as "provider/name", and the
// providers that failed.
type infraNames struct {
	Images, Hosts, Networks, Storage []string
	Failed                           []string
}

func infraOf(ctx context.Context, t *testing.T, b *broker.Broker, c model.Caller, providers []string) infraNames {
	t.Helper()
	var out infraNames
	hosts, err := b.Hosts(ctx, c, providers)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hosts.Hosts {
		out.Hosts = append(out.Hosts, h.Provider+"/"+h.Name)
	}
	imgs, nets, storage := b.Images(ctx, c, providers), b.Networks(ctx, c, providers), b.Storage(ctx, c, providers)
	for _, i := range imgs.Items {
		if i.ID != broker.ImageUUID(i.Provider, i.NativeID) {
			t.Errorf("image %s/%s has id %q", i.Provider, i.NativeID, i.ID)
		}
		out.Images = append(out.Images, i.Provider+"/"+i.Name)
	}
	for _, n := range nets.Items {
		out.Networks = append(out.Networks, n.Provider+"/"+n.Name)
	}
	for _, s := range storage.Items {
		out.Storage = append(out.Storage, s.Provider+"/"+s.Name)
	}
	for _, f := range slices.Concat(imgs.Failed, hosts.Failed, nets.Failed, storage.Failed) {
		out.Failed = append(out.Failed, f.Provider+": "+model.KindOf(f.Err))
	}
	return out
}

func infraWant(providers ...string) infraNames {
	var w infraNames
	for _, p := range providers {
		w.Images = append(w.Images, p+"/img-"+p)
		w.Hosts = append(w.Hosts, p+"/esx-"+p)
		w.Networks = append(w.Networks, p+"/net-"+p)
		w.Storage = append(w.Storage, p+"/ds-"+p)
	}
	return w
}

// TestListingsInventory: two replicas on one Redis. Each provider's images, hosts, networks and
// storage are listed once (by whichever replica claims the refresh) and then served by both from the
// followed lists without reaching the provider; a caller gets its own providers' lists only;
// when Redis loses its data (FLUSHALL), every kind's lists go and the next request lists live.
func TestListingsInventory(t *testing.T) {
	fa, fb := fakeInfra("inv-a", false), fakeInfra("inv-b", false)
	tune := infraProviders("inv-a", "inv-b")
	a := harness.Start(t, harness.Options{Tune: tune})
	b := harness.Start(t, harness.Options{Redis: a.Redis, Sims: a.Sims, Tune: tune})
	admin := model.Caller{Name: "admin", AllProviders: true}
	fakes := []string{"inv-a", "inv-b"}
	for _, s := range []*infraState{fa, fb} {
		wait.For(t, 30*time.Second, "every kind refreshed", func() bool {
			return len(s.counts()) == len(broker.ListKinds())
		})
	}
	// Settled: both replicas follow every list (a request before a list's announcement
	// arrived lists live, once).
	replicas := map[string]*broker.Broker{"A": a.App.Broker(), "B": b.App.Broker()}
	wait.For(t, 10*time.Second, "both replicas serve without listing", func() bool {
		before := []map[broker.ListKind]int{fa.counts(), fb.counts()}
		for _, r := range replicas {
			infraOf(ctx(t), t, r, admin, fakes)
		}
		return cmp.Equal(before, []map[broker.ListKind]int{fa.counts(), fb.counts()})
	})

	before := []map[broker.ListKind]int{fa.counts(), fb.counts()}
	for _, tc := range []struct {
		name      string
		caller    model.Caller
		providers []string
		want      infraNames
	}{
		{"admin, both", admin, fakes, infraWant("inv-a", "inv-b")},
		{"admin, one", admin, []string{"inv-b"}, infraWant("inv-b")},
		{"tenant of inv-a", model.Caller{Name: "t", Providers: []string{"inv-a"}}, fakes, infraWant("inv-a")},
		{"tenant of inv-a asks for inv-b", model.Caller{Name: "t", Providers: []string{"inv-a"}}, []string{"inv-b"}, infraNames{}},
		{"no caller", model.Caller{}, fakes, infraNames{}},
	} {
		for name, r := range replicas {
			t.Run(tc.name+" on "+name, func(t *testing.T) {
				for range 10 {
					if d := cmp.Diff(tc.want, infraOf(ctx(t), t, r, tc.caller, tc.providers)); d != "" {
						t.Fatalf("(-want +got):\n%s", d)
					}
				}
			})
		}
	}
	if d := cmp.Diff(before, []map[broker.ListKind]int{fa.counts(), fb.counts()}); d != "" {
		t.Errorf("listings served from the inventory reached the providers (-before +after):\n%s", d)
	}

	// vc1 is a govmomi simulator: its driver's lists are served alike by both replicas.
	vc := infraOf(ctx(t), t, a.App.Broker(), admin, []string{"vc1"})
	if len(vc.Hosts) == 0 || len(vc.Networks) == 0 || len(vc.Storage) == 0 || len(vc.Failed) > 0 {
		t.Errorf("vc1 on A: %+v, want its hosts, networks and storage", vc)
	}
	if d := cmp.Diff(vc, infraOf(ctx(t), t, b.App.Broker(), admin, []string{"vc1"})); d != "" {
		t.Errorf("vc1 on B (-A +B):\n%s", d)
	}

	// Redis loses its data: each replica's Epoch hook drops the lists of every kind, so each
	// kind is listed live again (and stored for the next request).
	if err := a.Redis.Client(t).FlushAll(ctx(t)).Err(); err != nil {
		t.Fatal(err)
	}
	flushed := fa.counts()
	wait.For(t, 15*time.Second, "every kind listed live on B after the flush", func() bool {
		infraOf(ctx(t), t, b.App.Broker(), admin, []string{"inv-a"})
		now := fa.counts()
		for _, k := range broker.ListKinds() {
			if now[k] == flushed[k] {
				return false
			}
		}
		return true
	})
}

// TestListingsStaleAndFailed: a list older than the inventory's maxAge (its refresher stopped)
// is not served: the provider is listed live; a listing that failed is served as that failure,
// not as the older list it replaced.
func TestListingsStaleAndFailed(t *testing.T) {
	r := redistest.Start(t)
	store := redisstore.NewListings(r.Client(t), time.Hour)
	fresh, failing := fakeInfra("inv-fresh", false), fakeInfra("inv-down", true)
	// Nobody refreshes inv-fresh's networks and storage: the test writes their lists.
	for _, k := range []broker.ListKind{broker.ListNetworks, broker.ListStorage} {
		if _, err := store.ClaimListing(ctx(t), k, "inv-fresh", time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	// inv-down's storage was listed fine before; its refresh at start fails.
	old := broker.ProviderList{Kind: broker.ListStorage, Provider: "inv-down", Listed: time.Now().Add(-time.Minute),
		Storage: []model.Storage{{Provider: "inv-down", Name: "ds-old"}}}
	if err := store.PutListing(ctx(t), old); err != nil {
		t.Fatal(err)
	}
	a := harness.Start(t, harness.Options{Redis: r, Tune: infraProviders("inv-fresh", "inv-down")})
	br, admin := a.App.Broker(), model.Caller{Name: "admin", AllProviders: true}
	wait.For(t, 5*time.Second, "the follower subscribed", func() bool {
		return r.Client(t).PubSubNumSub(ctx(t), "cb:list-events").Val()["cb:list-events"] == 1
	})

	// Announced in this order, so once the replica serves the second it holds the first.
	maxAge := 2*time.Hour + a.Config.Tasks.SyncTimeout.D() // cmd/app: two refreshes and a listing
	stale := broker.ProviderList{Kind: broker.ListNetworks, Provider: "inv-fresh", Listed: time.Now().Add(-maxAge - time.Minute),
		Networks: []model.Network{{Provider: "inv-fresh", Name: "net-stale"}}}
	young := broker.ProviderList{Kind: broker.ListStorage, Provider: "inv-fresh", Listed: time.Now().Add(-maxAge + time.Minute),
		Storage: []model.Storage{{Provider: "inv-fresh", Name: "ds-young"}}}
	for _, l := range []broker.ProviderList{stale, young} {
		if err := store.PutListing(ctx(t), l); err != nil {
			t.Fatal(err)
		}
	}
	// A canceled request is served from a fresh list, and lists nothing it would store.
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	wait.For(t, 5*time.Second, "the young list followed", func() bool {
		s := br.Storage(gone, admin, []string{"inv-fresh"})
		return len(s.Items) == 1 && s.Items[0].Name == "ds-young"
	})
	networks := fresh.count(broker.ListNetworks)
	if d := cmp.Diff([]string{"inv-fresh/net-inv-fresh"}, infraOf(ctx(t), t, br, admin, []string{"inv-fresh"}).Networks); d != "" {
		t.Errorf("stale list: networks (-want +got):\n%s", d)
	}
	if fresh.count(broker.ListNetworks) != networks+1 {
		t.Errorf("the stale list was not replaced by a live listing: %d listings, want %d", fresh.count(broker.ListNetworks), networks+1)
	}

	wait.For(t, 30*time.Second, "inv-down's failed refresh stored", func() bool {
		f := br.Storage(gone, admin, []string{"inv-down"}).Failed // not the canceled call's failure
		return len(f) == 1 && errors.Is(f[0].Err, model.ErrUnavailable)
	})
	storage := failing.count(broker.ListStorage)
	got := br.Storage(ctx(t), admin, []string{"inv-down"})
	if len(got.Items) != 0 || len(got.Failed) != 1 || !errors.Is(got.Failed[0].Err, model.ErrUnavailable) {
		t.Errorf("failed listing served as %+v, want no items and inv-down failed as unavailable", got)
	}
	if n := failing.count(broker.ListStorage); n != storage {
		t.Errorf("the stored failure was listed again (%d listings, want %d)", n, storage)
	}
	// The failed refreshes are the broker's own work: kept as the lists, not notified.
	notes, err := a.App.Notifications().List(ctx(t), admin)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range notes {
		if n.Name == model.NoticeTaskFailed {
			t.Errorf("a background listing's failure was notified: %+v", n)
		}
	}
}
