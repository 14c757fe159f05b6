package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/broker/tags"
	"cloudbroker/queue/redisstore"
	"cloudbroker/test/redistest"
)

func tag(uuid, resource, text string, typ tags.Type) tags.Tag {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return tags.Tag{UUID: uuid, Type: typ, Resource: tags.OnVM, ResourceUUID: resource, Text: text, Provider: "vc1", CreatedAt: at, UpdatedAt: at}
}

// Two replicas share the tags; a resource never holds two tags of one type with one text, even
// when many replicas create it at once; a text freed by an update or a delete can be used again.
func TestTagsNoDuplicatesAcrossReplicas(t *testing.T) {
	rdb := redistest.Start(t).CheckedClient(t)
	ctx := context.Background()
	a, b := redisstore.NewTags(rdb), redisstore.NewTags(rdb)
	const vm = "0123456789abcdef0123456789abcdef"

	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Go(func() { errs[i] = s.Create(ctx, tag(fmt.Sprintf("%032x", i+1), vm, "foo", tags.User)) })
	}
	wg.Wait()
	created := 0
	for _, err := range errs {
		switch {
		case err == nil:
			created++
		case !errors.Is(err, tags.ErrDuplicate) || !errors.Is(err, model.ErrInvalid):
			t.Errorf("concurrent Create: %v, want nil or ErrDuplicateTag", err)
		}
	}
	if created != 1 {
		t.Fatalf("%d of 16 concurrent creates of one tag succeeded, want 1", created)
	}
	// The same text as a system tag, or on another resource, is another tag.
	sys := tag("aa000000000000000000000000000001", vm, "foo", tags.System)
	other := tag("aa000000000000000000000000000002", "fedcba9876543210fedcba9876543210", "foo", tags.User)
	for _, x := range []tags.Tag{sys, other} {
		if err := b.Create(ctx, x); err != nil {
			t.Fatalf("Create %s %s on %s: %v", x.Type, x.Text, x.ResourceUUID, err)
		}
	}
	all, err := b.All(ctx)
	if err != nil || len(all) != 3 {
		t.Fatalf("All = %d tags, %v; want 3", len(all), err)
	}

	// Update: a text the resource has is refused; another moves the tag, freeing the old one.
	dup := tag("aa000000000000000000000000000003", vm, "bar", tags.System)
	if err := a.Create(ctx, dup); err != nil {
		t.Fatal(err)
	}
	if _, err := a.SetText(ctx, dup.UUID, "foo", time.Now()); !errors.Is(err, tags.ErrDuplicate) {
		t.Errorf("SetText to a text the resource has: %v, want ErrDuplicateTag", err)
	}
	later := sys.UpdatedAt.Add(time.Hour)
	got, err := b.SetText(ctx, sys.UUID, "baz", later)
	if err != nil {
		t.Fatal(err)
	}
	want := sys
	want.Text, want.UpdatedAt = "baz", later
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SetText (-want +got):\n%s", diff)
	}
	if stored, err := a.Get(ctx, sys.UUID); err != nil || !cmp.Equal(want, stored) {
		t.Errorf("Get after SetText = %+v, %v; want %+v", stored, err, want)
	}
	if _, err := a.SetText(ctx, dup.UUID, "foo", time.Now()); err != nil {
		t.Errorf("SetText to the text the update freed: %v", err)
	}

	// Delete frees the text; deleting again or an unknown tag reports false.
	if ok, err := a.Delete(ctx, got.UUID); !ok || err != nil {
		t.Fatalf("Delete = %v, %v", ok, err)
	}
	if ok, err := b.Delete(ctx, got.UUID); ok || err != nil {
		t.Errorf("second Delete = %v, %v; want false, nil", ok, err)
	}
	if _, err := b.Get(ctx, got.UUID); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("Get of a deleted tag: %v, want ErrNotFound", err)
	}
	if _, err := b.SetText(ctx, got.UUID, "x", time.Now()); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("SetText of a deleted tag: %v, want ErrNotFound", err)
	}
	if err := b.Create(ctx, tag("aa000000000000000000000000000004", vm, "baz", tags.System)); err != nil {
		t.Errorf("Create with the text the delete freed: %v", err)
	}
}

// Redis down: every call fails as unavailable, not as a missing tag.
func TestTagsRedisDown(t *testing.T) {
	srv := redistest.Start(t)
	s := redisstore.NewTags(srv.CheckedClient(t))
	srv.Stop()
	ctx := context.Background()
	if _, err := s.All(ctx); !errors.Is(err, model.ErrUnavailable) {
		t.Errorf("All: %v, want ErrUnavailable", err)
	}
	if err := s.Create(ctx, tag("aa000000000000000000000000000001", "0123456789abcdef0123456789abcdef", "x", tags.User)); !errors.Is(err, model.ErrUnavailable) {
		t.Errorf("Create: %v, want ErrUnavailable", err)
	}
	if _, err := s.Get(ctx, "aa000000000000000000000000000001"); !errors.Is(err, model.ErrUnavailable) {
		t.Errorf("Get: %v, want ErrUnavailable", err)
	}
}

// BenchmarkTagsAll: what a query's tag condition reads, by the number of stored tags.
func BenchmarkTagsAll(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			store := redisstore.NewTags(redistest.Start(b).CheckedClient(b))
			ctx := context.Background()
			for i := range n {
				if err := store.Create(ctx, tag(broker.NewDatedID(time.Now()), broker.NewDatedID(time.Now()), fmt.Sprintf("t-%d", i), tags.User)); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				all, err := store.All(ctx)
				if err != nil || len(all) != n {
					b.Fatalf("%d tags, %v", len(all), err)
				}
			}
		})
	}
}
