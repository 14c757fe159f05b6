package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"cloudbroker/broker"
	"cloudbroker/broker/inventory"
	"cloudbroker/broker/model"
	"cloudbroker/queue/internal/keys"
	"cloudbroker/queue/internal/rediserr"
)

// invEventsMax bounds the event stream (keys.InvEvents); a follower that falls further behind
// reloads fully.
const invEventsMax = 100_000

// Stream entry fields: a batch of VM changes, or one provider's new sync status.
const (
	invFieldChanges = "c"
	invFieldStatus  = "s"
)

// Inventory is the shared inventory in Redis. It implements broker.InventoryStore, and
// broker.FollowedStatuses once Follow runs.
type Inventory struct {
	rdb redis.UniversalClient
	// followed is the statuses as this process's follower applied them, in stream order with
	// the VMs it put in the index; nil until Follow starts.
	followed atomic.Pointer[followedStatuses]
	// reload ends the follower's current pass, so it loads fully again (Reload).
	reload atomic.Pointer[context.CancelFunc]
}

type followedStatuses struct {
	mu       sync.RWMutex
	statuses map[string]broker.SyncStatus
}

// NewInventory returns the Redis inventory.
func NewInventory(rdb redis.UniversalClient) *Inventory { return &Inventory{rdb: rdb} }

// Apply writes the changes and appends them to the event stream in one transaction, so a
// follower that loads the hash and then reads the stream from before the load misses nothing.
func (s *Inventory) Apply(ctx context.Context, provider string, changes []inventory.Change) error {
	if len(changes) == 0 {
		return nil
	}
	batch, err := json.Marshal(changes)
	if err != nil {
		return err
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, c := range changes {
			switch c.Op {
			case inventory.Upsert:
				b, _ := json.Marshal(c.VM)
				p.HSet(ctx, keys.InvVMs, c.ID, b)
				p.SAdd(ctx, keys.InvIDs(provider), c.ID)
			case inventory.Delete:
				p.HDel(ctx, keys.InvVMs, c.ID)
				p.SRem(ctx, keys.InvIDs(provider), c.ID)
			}
		}
		publish(ctx, p, invFieldChanges, batch)
		return nil
	})
	return rediserr.Wrap("inventory apply", err)
}

// VM reads one VM from the shared inventory.
func (s *Inventory) VM(ctx context.Context, id string) (model.VM, bool, error) {
	b, err := s.rdb.HGet(ctx, keys.InvVMs, id).Bytes()
	if errors.Is(err, redis.Nil) {
		return model.VM{}, false, nil
	}
	if err != nil {
		return model.VM{}, false, rediserr.Wrap("inventory read", err)
	}
	var vm model.VM
	return vm, true, json.Unmarshal(b, &vm)
}

// VMIDs lists the uuids held for a provider.
func (s *Inventory) VMIDs(ctx context.Context, provider string) ([]string, error) {
	ids, err := s.rdb.SMembers(ctx, keys.InvIDs(provider)).Result()
	return ids, rediserr.Wrap("inventory ids", err)
}

// SetStatus records a provider's sync status and appends it to the event stream in one
// transaction: a follower applies it after the changes written before it, so no replica
// reports a provider synced while its index still lacks that provider's VMs.
func (s *Inventory) SetStatus(ctx context.Context, st broker.SyncStatus) error {
	b, _ := json.Marshal(st)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, keys.InvStatus, st.Provider, b)
		publish(ctx, p, invFieldStatus, b)
		return nil
	})
	return rediserr.Wrap("inventory status", err)
}

// publish appends one entry (a field of the stream entry fields above) to the event stream
// followers read, within the caller's transaction.
func publish(ctx context.Context, p redis.Pipeliner, field string, value []byte) {
	p.XAdd(ctx, &redis.XAddArgs{Stream: keys.InvEvents, MaxLen: invEventsMax, Approx: true, Values: []any{field, value}})
}

// FollowedStatuses implements broker.FollowedStatuses: the statuses this process's follower
// has applied, consistent with its index. ok is false when Follow is not running here; the
// map is empty until its first load.
func (s *Inventory) FollowedStatuses() (map[string]broker.SyncStatus, bool) {
	f := s.followed.Load()
	if f == nil {
		return nil, false
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	return maps.Clone(f.statuses), true
}

// Statuses reads every provider's sync status.
func (s *Inventory) Statuses(ctx context.Context) (map[string]broker.SyncStatus, error) {
	m, err := s.rdb.HGetAll(ctx, keys.InvStatus).Result()
	if err != nil {
		return nil, rediserr.Wrap("inventory statuses", err)
	}
	out := make(map[string]broker.SyncStatus, len(m))
	for p, v := range m {
		var st broker.SyncStatus
		if json.Unmarshal([]byte(v), &st) == nil {
			out[p] = st
		}
	}
	return out, nil
}

// Follow keeps ix equal to the shared inventory until ctx ends: a full load, then the event
// stream. After any error (Redis down, stream trimmed past its position) it reloads fully.
// loaded is called after each full load (for readiness).
func (s *Inventory) Follow(ctx context.Context, ix *inventory.Index, log *slog.Logger, loaded func()) {
	f := &followedStatuses{statuses: map[string]broker.SyncStatus{}}
	s.followed.Store(f)
	defer s.followed.Store(nil)
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := s.follow(ctx, ix, f, loaded)
		if ctx.Err() != nil {
			return
		}
		log.Warn("inventory follower restarting with a full load", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

func (s *Inventory) follow(ctx context.Context, ix *inventory.Index, f *followedStatuses, loaded func()) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.reload.Store(&cancel)
	// The stream position goes first: events after it are replayed over the load, and
	// replaying an upsert or delete that the load already holds changes nothing.
	last := "0-0"
	msgs, err := s.rdb.XRevRangeN(ctx, keys.InvEvents, "+", "-", 1).Result()
	if err != nil {
		return rediserr.Wrap("inventory position", err)
	}
	if len(msgs) == 1 {
		last = msgs[0].ID
	}
	statuses, err := s.Statuses(ctx)
	if err != nil {
		return err
	}
	vms, err := s.load(ctx)
	if err != nil {
		return err
	}
	vms, held := keepUnwatched(ix, vms, statuses)
	// VMs before statuses: a reader that sees a provider synced finds its VMs.
	ix.Reset(vms)
	f.mu.Lock()
	f.statuses = statuses
	f.mu.Unlock()
	if loaded != nil {
		loaded()
	}
	for {
		streams, err := s.rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{keys.InvEvents, last}, Block: 5 * time.Second, Count: 1000}).Result()
		if errors.Is(err, redis.Nil) {
			continue // nothing new within the block time
		}
		if err != nil {
			return rediserr.Wrap("inventory events", err)
		}
		for _, st := range streams {
			for _, m := range st.Messages {
				if p := f.apply(ix, m.Values); held[p] {
					return errHeldSynced // load again: the provider's VMs are Redis's again
				}
				last = m.ID
			}
		}
	}
}

// apply applies one stream entry: a batch of changes to the index, or a status. It returns
// the provider whose status became synced, if any.
func (f *followedStatuses) apply(ix *inventory.Index, values map[string]any) (synced string) {
	if raw, ok := values[invFieldChanges].(string); ok {
		var changes []inventory.Change
		if json.Unmarshal([]byte(raw), &changes) == nil {
			ix.Apply(changes)
		}
	}
	if raw, ok := values[invFieldStatus].(string); ok {
		var st broker.SyncStatus
		if json.Unmarshal([]byte(raw), &st) == nil && st.Provider != "" {
			f.mu.Lock()
			f.statuses[st.Provider] = st
			f.mu.Unlock()
			if st.State == broker.SyncSynced {
				synced = st.Provider
			}
		}
	}
	return synced
}

// errHeldSynced ends a follower pass when a provider whose VMs it kept has synced again.
var errHeldSynced = errors.New("a provider Redis had lost has synced again")

// keepUnwatched adds to a fresh load the VMs ix holds of providers that have no status in
// Redis: Redis lost them with its data (the index had them, so a watch had loaded them). They
// stay listed and resolvable while the provider's watch loads it again, and go (held) at the
// next load after it synced, with any VM deleted meanwhile.
func keepUnwatched(ix *inventory.Index, vms []model.VM, statuses map[string]broker.SyncStatus) ([]model.VM, map[string]bool) {
	held := map[string]bool{}
	if ix.Len() == 0 {
		return vms, held
	}
	all, err := ix.Query(inventory.Query{})
	if err != nil {
		return vms, held
	}
	for _, vm := range all.VMs {
		if _, ok := statuses[vm.Provider]; !ok {
			held[vm.Provider] = true
			vms = append(vms, vm)
		}
	}
	return vms, held
}

func (s *Inventory) load(ctx context.Context) ([]model.VM, error) {
	var vms []model.VM
	iter := s.rdb.HScan(ctx, keys.InvVMs, 0, "", 1000).Iterator()
	for iter.Next(ctx) {
		_ = iter.Val() // field (uuid)
		if !iter.Next(ctx) {
			break
		}
		var vm model.VM
		if err := json.Unmarshal([]byte(iter.Val()), &vm); err == nil {
			vms = append(vms, vm)
		}
	}
	return vms, rediserr.Wrap("inventory load", iter.Err())
}

// Reload makes the follower load the inventory fully again. It is an Epoch hook: after Redis
// lost its data, the load keeps the VMs of the providers Redis no longer has a status for
// (keepUnwatched), so requests resolve them while the watches, started again, load every
// provider within seconds; once one has synced, the follower loads again, so no VM deleted
// meanwhile stays.
func (s *Inventory) Reload(context.Context) {
	if cancel := s.reload.Load(); cancel != nil {
		(*cancel)()
	}
}
