package redisstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/queue/redisstore"
	"cloudbroker/test/redistest"
)

// A snapshot reads back as stored, with its failures' kinds, and expires after its TTL.
func TestLiveSnapshotRoundTrip(t *testing.T) {
	rdb := redistest.Start(t).CheckedClient(t)
	s := redisstore.NewLiveSnapshots(rdb)
	ctx := context.Background()
	if _, ok, err := s.GetLiveSnapshot(ctx, "none"); ok || err != nil {
		t.Fatalf("missing snapshot: ok %v, err %v", ok, err)
	}
	want := broker.LiveSnapshot{
		VMs:    []model.VM{{ID: "id-1", Provider: "vc1", NativeID: "vm-1", Name: "a", CPUs: 2}},
		Failed: []broker.LiveFailure{{Provider: "vc2", Err: model.NewTaskError(model.Errorf(model.ErrTimeout, "list vms: slow"))}},
	}
	if err := s.PutLiveSnapshot(ctx, "k", want, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.GetLiveSnapshot(ctx, "k")
	if !ok || err != nil {
		t.Fatalf("stored snapshot: ok %v, err %v", ok, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if ttl := rdb.PTTL(ctx, "cb:{livesnap}:k").Val(); ttl <= 0 || ttl > 30*time.Second {
		t.Errorf("snapshot TTL = %s, want in (0, 30s]", ttl)
	}
}

// Past MaxLiveSnapshots, the snapshots closest to expiring are dropped.
func TestLiveSnapshotsBounded(t *testing.T) {
	rdb := redistest.Start(t).CheckedClient(t)
	s := redisstore.NewLiveSnapshots(rdb)
	ctx := context.Background()
	extra := 3
	for i := range redisstore.MaxLiveSnapshots + extra {
		// Later ones live longer, so the first ones are closest to expiring.
		if err := s.PutLiveSnapshot(ctx, fmt.Sprint(i), broker.LiveSnapshot{}, time.Minute+time.Duration(i)*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	var kept []int
	for i := range redisstore.MaxLiveSnapshots + extra {
		if _, ok, err := s.GetLiveSnapshot(ctx, fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		} else if ok {
			kept = append(kept, i)
		}
	}
	if len(kept) != redisstore.MaxLiveSnapshots || kept[0] != extra {
		t.Errorf("kept %d snapshots from %v, want %d from %d", len(kept), kept[:1], redisstore.MaxLiveSnapshots, extra)
	}
	if n := rdb.ZCard(ctx, "cb:{livesnap}:index").Val(); n != int64(redisstore.MaxLiveSnapshots) {
		t.Errorf("index holds %d, want %d", n, redisstore.MaxLiveSnapshots)
	}
}
