package redistest_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"cloudbroker/test/redistest"
)

func TestSlot(t *testing.T) {
	// Values as CLUSTER KEYSLOT answers them (the Redis Cluster specification's examples).
	for key, want := range map[string]int{
		"foo": 12182, "123456789": 12739, "{user1000}.following": 3443, "foo{}{bar}": 8363, "foo{{bar}}": 4015,
	} {
		if got := redistest.Slot(key); got != want {
			t.Errorf("Slot(%q) = %d, want %d", key, got, want)
		}
	}
}

func TestSlotChecker(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		run   func(c redis.UniversalClient)
		cross bool // a violation is recorded
	}{
		{"one key", func(c redis.UniversalClient) { c.Set(ctx, "a", 1, 0) }, false},
		{"DEL across slots", func(c redis.UniversalClient) { c.Del(ctx, "a", "b") }, true},
		{"DEL in one tag", func(c redis.UniversalClient) { c.Del(ctx, "x:{t}:a", "x:{t}:b") }, false},
		{"MSET across slots", func(c redis.UniversalClient) { c.MSet(ctx, "a", 1, "b", 2) }, true},
		{"MULTI across slots", func(c redis.UniversalClient) {
			c.TxPipelined(ctx, func(p redis.Pipeliner) error { p.Set(ctx, "a", 1, 0); p.Set(ctx, "b", 1, 0); return nil })
		}, true},
		{"MULTI in one tag", func(c redis.UniversalClient) {
			c.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, "{t}a", 1, 0)
				p.Set(ctx, "{t}b", 1, 0)
				p.Publish(ctx, "chan", "x") // no key
				return nil
			})
		}, false},
		{"pipeline across slots", func(c redis.UniversalClient) {
			c.Pipelined(ctx, func(p redis.Pipeliner) error { p.Set(ctx, "a", 1, 0); p.Set(ctx, "b", 1, 0); return nil })
		}, false},
		{"EVAL across slots", func(c redis.UniversalClient) {
			redis.NewScript(`return 1`).Run(ctx, c, []string{"a", "b"}, "arg")
		}, true},
		{"EVAL in one tag", func(c redis.UniversalClient) {
			redis.NewScript(`return 2`).Run(ctx, c, []string{"{t}a", "{t}b"}, "a", "b")
		}, false},
		{"XREAD across slots", func(c redis.UniversalClient) {
			c.XRead(ctx, &redis.XReadArgs{Streams: []string{"a", "b", "0", "0"}, Count: 1, Block: -1})
		}, true},
		{"ZUNIONSTORE across slots", func(c redis.UniversalClient) {
			c.ZUnionStore(ctx, "a", &redis.ZStore{Keys: []string{"{b}1", "a"}})
		}, true},
	}
	srv := redistest.Start(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := srv.Client(t)
			sc, err := redistest.NewSlotChecker(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			tc.run(c)
			if diff := cmp.Diff(tc.cross, len(sc.Violations()) > 0); diff != "" {
				t.Errorf("violations (-want +got):\n%s\n%q", diff, sc.Violations())
			}
		})
	}
}
