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

// Images is the image inventory (issue 17): each provider's image list in one Redis hash,
// announced on keys.ImgEvents when it changes, and followed into this replica's memory (a map
// of provider → list, each list sorted by name), which image listings read. It is kept apart
// from the VM inventory (inventory.go, broker/inventory): image lists are small and replaced
// whole.
type Images struct {
	rdb    redis.UniversalClient
	reload time.Duration

	mu    sync.RWMutex
	lists map[string]broker.ImageList
}

// NewImages returns the image inventory; its follower (Run) loads every list again each
// reload, which bounds how long a missed announcement could leave a list stale.
func NewImages(rdb redis.UniversalClient, reload time.Duration) *Images {
	return &Images{rdb: rdb, reload: reload, lists: map[string]broker.ImageList{}}
}

// ClaimImageRefresh implements broker.ImageStore: SET NX with the period as its expiry.
func (s *Images) ClaimImageRefresh(ctx context.Context, provider string, period time.Duration) (bool, error) {
	ok, err := s.rdb.SetNX(ctx, keys.ImgLease(provider), "1", period).Result()
	return ok, rediserr.Wrap("image refresh claim", err)
}

// PutImages implements broker.ImageStore: the list is written, then announced; this replica
// holds it at once.
func (s *Images) PutImages(ctx context.Context, l broker.ImageList) error {
	sortImages(l.Images)
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	if err := s.rdb.HSet(ctx, keys.ImgLists, l.Provider, b).Err(); err != nil {
		return rediserr.Wrap("image list write", err)
	}
	s.hold(l)
	return rediserr.Wrap("image list announce", s.rdb.Publish(ctx, keys.ImgEvents, l.Provider).Err())
}

// FollowedImages implements broker.ImageStore.
func (s *Images) FollowedImages(provider string) (broker.ImageList, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	l, ok := s.lists[provider]
	return l, ok
}

// Reload is an Epoch hook: Redis lost its data, and the lists with it; what this replica holds
// goes, so providers are listed live until their next refresh.
func (s *Images) Reload(context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.lists)
}

// hold keeps a list unless a newer one is held (announcements of two refreshes may cross).
func (s *Images) hold(l broker.ImageList) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.lists[l.Provider]; !ok || !old.Listed.After(l.Listed) {
		s.lists[l.Provider] = l
	}
}

func sortImages(imgs []model.Image) {
	slices.SortFunc(imgs, func(a, b model.Image) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.NativeID, b.NativeID))
	})
}

// Run follows the announcements until ctx ends: a full load once subscribed and after every
// quiet reload interval, and the provider's list on each announcement.
func (s *Images) Run(ctx context.Context, log *slog.Logger) {
	runFollower(ctx, log, "image inventory follower", func(ctx context.Context) error {
		return subscribe(ctx, s.rdb, keys.ImgEvents, s.reload, func(e event) error {
			if e.subscribed || e.idle {
				return s.loadAll(ctx)
			}
			return s.load(ctx, e.payload)
		})
	}, func() {})
}

func (s *Images) load(ctx context.Context, provider string) error {
	b, err := s.rdb.HGet(ctx, keys.ImgLists, provider).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil
	}
	if err != nil {
		return rediserr.Wrap("image list read", err)
	}
	var l broker.ImageList
	if json.Unmarshal(b, &l) == nil {
		s.hold(l)
	}
	return nil
}

func (s *Images) loadAll(ctx context.Context) error {
	m, err := s.rdb.HGetAll(ctx, keys.ImgLists).Result()
	if err != nil {
		return rediserr.Wrap("image lists read", err)
	}
	lists := make(map[string]broker.ImageList, len(m))
	for p, v := range m {
		var l broker.ImageList
		if json.Unmarshal([]byte(v), &l) == nil {
			lists[p] = l
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// What Redis does not hold is dropped (its data was lost); a list this replica holds
	// that is newer than Redis's (written meanwhile) stays.
	for p, l := range s.lists {
		if r, ok := lists[p]; ok && l.Listed.After(r.Listed) {
			lists[p] = l
		}
	}
	s.lists = lists
	return nil
}
