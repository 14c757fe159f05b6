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

func imagesReplica(t *testing.T, r *redistest.Server) *Images {
	s := NewImages(r.Client(t), time.Hour) // no periodic reload: only announcements can pass
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	t.Cleanup(func() { cancel(); <-done })
	return s
}

// TestImagesFollowed: a list one replica puts is held by the other on its announcement (sorted
// by name); an older list never replaces a newer one; a replica started later loads what Redis
// holds; Reload (Redis lost its data) drops what is held.
func TestImagesFollowed(t *testing.T) {
	r := redistest.Start(t)
	a, b := imagesReplica(t, r), imagesReplica(t, r)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	l := broker.ImageList{Provider: "p", Listed: now, Images: []model.Image{{NativeID: "2", Name: "zeta"}, {NativeID: "1", Name: "alpha"}}}
	wait.For(t, 5*time.Second, "B subscribed", func() bool { return r.Client(t).PubSubNumSub(ctx, "cb:img-events").Val()["cb:img-events"] == 2 })
	if err := a.PutImages(ctx, l); err != nil {
		t.Fatal(err)
	}
	want := broker.ImageList{Provider: "p", Listed: now, Images: []model.Image{{NativeID: "1", Name: "alpha"}, {NativeID: "2", Name: "zeta"}}}
	for name, s := range map[string]*Images{"A": a, "B": b} {
		wait.For(t, 5*time.Second, name+" holds p's list", func() bool { _, ok := s.FollowedImages("p"); return ok })
		got, _ := s.FollowedImages("p")
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", name, d)
		}
	}

	a.PutImages(ctx, broker.ImageList{Provider: "p", Listed: now.Add(-time.Minute)})
	if got, _ := a.FollowedImages("p"); !got.Listed.Equal(now) {
		t.Errorf("an older list replaced the newer: %v", got.Listed)
	}

	c := imagesReplica(t, r)
	wait.For(t, 5*time.Second, "a later replica loads p's list", func() bool { _, ok := c.FollowedImages("p"); return ok })

	b.Reload(ctx)
	if _, ok := b.FollowedImages("p"); ok {
		t.Error("Reload kept p's list")
	}
}
