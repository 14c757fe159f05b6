package redisstore_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"cloudbroker/broker"
	"cloudbroker/broker/inventory"
	"cloudbroker/broker/model"
	"cloudbroker/queue/redisstore"
	"cloudbroker/test/redistest"
)

// A follower never reports a provider synced before its index holds the VMs written before
// that status: a replica that did would answer an empty list for a loaded provider. A reader
// samples both as fast as it can while a watch writes batches and then the synced status.
func TestFollowedStatusNeverAheadOfTheIndex(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { rdb.Close() })
	redistest.CheckSlots(t, rdb)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	inv, ix := redisstore.NewInventory(rdb), inventory.NewIndex()

	if _, ok := inv.FollowedStatuses(); ok {
		t.Fatal("FollowedStatuses answered before Follow started")
	}
	go inv.Follow(ctx, ix, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)

	const providers, batches, perBatch = 8, 10, 50
	want := batches * perBatch
	violations := make(chan string, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			st, ok := inv.FollowedStatuses()
			if !ok {
				continue
			}
			synced := 0
			for p, s := range st {
				if s.State != broker.SyncSynced {
					continue
				}
				synced++
				if n := countOf(ix, p); n != want {
					select {
					case violations <- fmt.Sprintf("%s synced with %d of %d VMs in the index", p, n, want):
					default:
					}
				}
			}
			if synced == providers {
				return
			}
		}
	}()
	for i := range providers {
		p := fmt.Sprintf("p%d", i)
		if err := inv.SetStatus(ctx, broker.SyncStatus{Provider: p, State: broker.SyncLoading}); err != nil {
			t.Fatal(err)
		}
		for b := range batches {
			var changes []inventory.Change
			for j := range perBatch {
				id := fmt.Sprintf("%s-vm-%d-%d", p, b, j)
				changes = append(changes, inventory.Change{Op: inventory.Upsert, ID: id, VM: &model.VM{ID: id, Provider: p, Name: id}})
			}
			if err := inv.Apply(ctx, p, changes); err != nil {
				t.Fatal(err)
			}
		}
		if err := inv.SetStatus(ctx, broker.SyncStatus{Provider: p, State: broker.SyncSynced, LastSync: time.Now(), VMs: want}); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the follower did not report every provider synced within 30s")
	}
	select {
	case v := <-violations:
		t.Fatal(v)
	default:
	}

	// A second follower starting now (a replica started later) loads the same state at once.
	inv2, ix2 := redisstore.NewInventory(rdb), inventory.NewIndex()
	loaded := make(chan struct{})
	go inv2.Follow(ctx, ix2, slog.New(slog.NewTextHandler(io.Discard, nil)), func() { close(loaded) })
	<-loaded
	st, _ := inv2.FollowedStatuses()
	if len(st) != providers || ix2.Len() != providers*want {
		t.Errorf("late follower: %d statuses, %d VMs; want %d, %d", len(st), ix2.Len(), providers, providers*want)
	}
}

func countOf(ix *inventory.Index, provider string) int {
	r, err := ix.Query(inventory.Query{Providers: []string{provider}, Limit: 1})
	if err != nil {
		return -1
	}
	return r.Total
}
