package redisstore

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/test/redistest"
	"cloudbroker/test/wait"
)

func listingsReplica(t *testing.T, r *redistest.Server) *Listings {
	s := NewListings(r.Client(t), time.Hour) // no periodic reload: only announcements can pass
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	t.Cleanup(func() { cancel(); <-done })
	return s
}

// TestListingsFollowed: a list of any kind one replica puts is held by the other on its
// announcement (sorted by name), under its own kind only; an older list never replaces a newer
// one; a replica started later loads what Redis holds; Reload (Redis lost its data) drops what
// is held of every kind.
func TestListingsFollowed(t *testing.T) {
	r := redistest.Start(t)
	a, b := listingsReplica(t, r), listingsReplica(t, r)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	wait.For(t, 5*time.Second, "both subscribed", func() bool {
		return r.Client(t).PubSubNumSub(ctx, "cb:list-events").Val()["cb:list-events"] == 2
	})
	put := []broker.ProviderList{
		{Kind: broker.ListImages, Provider: "p", Listed: now, Images: []model.Image{{NativeID: "2", Name: "zeta"}, {NativeID: "1", Name: "alpha"}}},
		{Kind: broker.ListHosts, Provider: "p", Listed: now, Hosts: []model.Host{{NativeID: "h2", Name: "b"}, {NativeID: "h1", Name: "a"}}},
		{Kind: broker.ListNetworks, Provider: "p:x", Listed: now, Networks: []model.Network{{Name: "net", Active: true}}},
		{Kind: broker.ListStorage, Provider: "p", Listed: now, Err: &model.TaskError{Kind: "unavailable", Message: "down"}},
	}
	for _, l := range put {
		if err := a.PutListing(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	want := map[listKey]broker.ProviderList{
		{broker.ListImages, "p"}:     {Kind: broker.ListImages, Provider: "p", Listed: now, Images: []model.Image{{NativeID: "1", Name: "alpha"}, {NativeID: "2", Name: "zeta"}}},
		{broker.ListHosts, "p"}:      {Kind: broker.ListHosts, Provider: "p", Listed: now, Hosts: []model.Host{{NativeID: "h1", Name: "a"}, {NativeID: "h2", Name: "b"}}},
		{broker.ListNetworks, "p:x"}: put[2],
		{broker.ListStorage, "p"}:    put[3],
	}
	held := func(s *Listings) map[listKey]broker.ProviderList {
		out := map[listKey]broker.ProviderList{}
		for _, k := range broker.ListKinds() {
			for _, p := range []string{"p", "p:x"} {
				if l, ok := s.FollowedListing(k, p); ok {
					out[listKey{k, p}] = l
				}
			}
		}
		return out
	}
	for name, s := range map[string]*Listings{"A": a, "B": b} {
		wait.For(t, 5*time.Second, name+" holds every list", func() bool { return len(held(s)) == len(want) })
		if d := cmp.Diff(want, held(s), cmp.AllowUnexported(listKey{})); d != "" {
			t.Errorf("%s (-want +got):\n%s", name, d)
		}
	}

	a.PutListing(ctx, broker.ProviderList{Kind: broker.ListImages, Provider: "p", Listed: now.Add(-time.Minute)})
	if got, _ := a.FollowedListing(broker.ListImages, "p"); !got.Listed.Equal(now) {
		t.Errorf("an older list replaced the newer: %v", got.Listed)
	}

	c := listingsReplica(t, r)
	wait.For(t, 5*time.Second, "a later replica loads every list", func() bool { return len(held(c)) == len(want) })

	b.Reload(ctx)
	if got := held(b); len(got) != 0 {
		t.Errorf("Reload kept %v", got)
	}
}
