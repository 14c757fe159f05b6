package redistest_test

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"

	"cloudbroker/test/redistest"
)

// The cluster serves all slots from three masters, refuses a cross-slot transaction as a real
// one does, and agrees with Slot on where keys go.
func TestStartCluster(t *testing.T) {
	cl := redistest.StartCluster(t)
	c := cl.Client(t)
	ctx := context.Background()
	var masters atomic.Int32 // ForEachMaster calls at once
	if err := c.ForEachMaster(ctx, func(context.Context, *redis.Client) error { masters.Add(1); return nil }); err != nil {
		t.Fatal(err)
	}
	if n := masters.Load(); n != 3 {
		t.Errorf("%d masters, want 3", n)
	}
	for _, k := range []string{"a", "b", "cb:task:{0123}", "asynq:{default}:pending", "foo{}{bar}"} {
		got, err := c.ClusterKeySlot(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if want := redistest.Slot(k); int(got) != want {
			t.Errorf("CLUSTER KEYSLOT %q = %d, Slot = %d", k, got, want)
		}
	}
	// A key on every master, so a cross-slot script reaches a node that owns one of its keys.
	for i := range 20 {
		if err := c.Set(ctx, "k"+strconv.Itoa(i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	err := redis.NewScript(`return 1`).Run(ctx, c, []string{"a", "b"}).Err()
	if err == nil {
		t.Error("a script over two slots ran; want CROSSSLOT")
	}
	_, err = c.TxPipelined(ctx, func(p redis.Pipeliner) error { p.Set(ctx, "a", 1, 0); p.Set(ctx, "b", 1, 0); return nil })
	if !errors.Is(err, redis.ErrCrossSlot) {
		t.Errorf("a transaction over two slots: %v, want %v", err, redis.ErrCrossSlot)
	}
}
