package redisstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/queue/internal/keys"
	"cloudbroker/queue/internal/rediserr"
)

// Listings is the listings inventory (issues 16 and 17): each provider's images, hosts,
// networks and storage, every (kind, provider) list a field "<kind>:<provider>" of one Redis
// hash (keys.ListLists), announced on keys.ListEvents when it changes, and followed into this
// replica's memory, decoded (each list sorted by name), which the broker's listings read. It
// is kept apart from the VM inventory (inventory.go, broker/inventory): these lists are small
// and replaced whole.
type Listings struct {
	rdb    redis.UniversalClient
	reload time.Duration

	mu    sync.RWMutex
	lists map[listKey]broker.ProviderList
}

type listKey struct {
	kind     broker.ListKind
	provider string
}

func keyOf(l broker.ProviderList) listKey { return listKey{l.Kind, l.Provider} }

// NewListings returns the listings inventory; its follower (Run) loads every list again each
// reload, which bounds how long a missed announcement could leave a list stale.
func NewListings(rdb redis.UniversalClient, reload time.Duration) *Listings {
	return &Listings{rdb: rdb, reload: reload, lists: map[listKey]broker.ProviderList{}}
}

// ClaimListing implements broker.ListingStore: SET NX with the period as its expiry.
func (s *Listings) ClaimListing(ctx context.Context, kind broker.ListKind, provider string, period time.Duration) (bool, error) {
	ok, err := s.rdb.SetNX(ctx, keys.ListLease(string(kind), provider), "1", period).Result()
	return ok, rediserr.Wrap("listing refresh claim", err)
}

// PutListing implements broker.ListingStore: the list is written, then announced; this
// replica holds it at once.
func (s *Listings) PutListing(ctx context.Context, l broker.ProviderList) error {
	sortList(&l)
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	field := keys.ListField(string(l.Kind), l.Provider)
	if err := s.rdb.HSet(ctx, keys.ListLists, field, b).Err(); err != nil {
		return rediserr.Wrap("list write", err)
	}
	s.hold(l)
	return rediserr.Wrap("list announce", s.rdb.Publish(ctx, keys.ListEvents, field).Err())
}

// FollowedListing implements broker.ListingStore.
func (s *Listings) FollowedListing(kind broker.ListKind, provider string) (broker.ProviderList, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	l, ok := s.lists[listKey{kind, provider}]
	return l, ok
}

// Reload is an Epoch hook: Redis lost its data, and the lists of every kind with it; what this
// replica holds goes, so providers are listed live until their next refresh.
func (s *Listings) Reload(context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.lists)
}

// hold keeps a list unless a newer one is held (announcements of two refreshes may cross).
func (s *Listings) hold(l broker.ProviderList) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.lists[keyOf(l)]; !ok || !old.Listed.After(l.Listed) {
		s.lists[keyOf(l)] = l
	}
}

// sortList orders the list's items by name, then native id, so every replica serves one order
// whatever order the provider enumerated them in.
func sortList(l *broker.ProviderList) {
	sortNamed(l.Images, func(i model.Image) (string, string) { return i.Name, i.NativeID })
	sortNamed(l.Hosts, func(h model.Host) (string, string) { return h.Name, h.NativeID })
	sortNamed(l.Networks, func(n model.Network) (string, string) { return n.Name, n.NativeID })
	sortNamed(l.Storage, func(s model.Storage) (string, string) { return s.Name, s.NativeID })
}

func sortNamed[T any](items []T, key func(T) (name, nativeID string)) {
	slices.SortFunc(items, func(a, b T) int {
		an, aid := key(a)
		bn, bid := key(b)
		return cmp.Or(cmp.Compare(an, bn), cmp.Compare(aid, bid))
	})
}

// Run follows the announcements until ctx ends: a full load once subscribed and after every
// quiet reload interval, and the announced list on each announcement.
func (s *Listings) Run(ctx context.Context, log *slog.Logger) {
	runFollower(ctx, log, "listings inventory follower", func(ctx context.Context) error {
		return subscribe(ctx, s.rdb, keys.ListEvents, s.reload, func(e event) error {
			if e.subscribed || e.idle {
				return s.loadAll(ctx)
			}
			return s.load(ctx, e.payload)
		})
	}, func() {})
}

func (s *Listings) load(ctx context.Context, field string) error {
	b, err := s.rdb.HGet(ctx, keys.ListLists, field).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil
	}
	if err != nil {
		return rediserr.Wrap("list read", err)
	}
	var l broker.ProviderList
	if json.Unmarshal(b, &l) == nil {
		s.hold(l)
	}
	return nil
}

func (s *Listings) loadAll(ctx context.Context) error {
	m, err := s.rdb.HGetAll(ctx, keys.ListLists).Result()
	if err != nil {
		return rediserr.Wrap("lists read", err)
	}
	lists := make(map[listKey]broker.ProviderList, len(m))
	for _, v := range m {
		var l broker.ProviderList
		if json.Unmarshal([]byte(v), &l) == nil {
			lists[keyOf(l)] = l
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// What Redis does not hold is dropped (its data was lost); a list this replica holds
	// that is newer than Redis's (written meanwhile) stays.
	for k, l := range s.lists {
		if r, ok := lists[k]; ok && l.Listed.After(r.Listed) {
			lists[k] = l
		}
	}
	s.lists = lists
	return nil
}
