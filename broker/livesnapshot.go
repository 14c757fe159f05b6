package broker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"cloudbroker/broker/model"
)

// LiveSnapshot is one live listing of the providers a query had to list (no inventory, or not
// loaded yet): their VMs, with ids, and the providers that failed. Paging through a query reads
// the snapshot its first page took, so the pages come from one moment and cost one listing.
type LiveSnapshot struct {
	VMs    []model.VM    `json:"vms"`
	Failed []LiveFailure `json:"failed,omitempty"`
}

// LiveFailure is a provider the snapshot could not list, and why (its error kind kept).
type LiveFailure struct {
	Provider string           `json:"provider"`
	Err      *model.TaskError `json:"err"`
}

// LiveSnapshotStore keeps snapshots for a bounded time where every replica reads them, so a
// page landing on another replica behind the load balancer reads the same snapshot.
type LiveSnapshotStore interface {
	// GetLiveSnapshot answers false when key has no snapshot (never taken, or expired).
	GetLiveSnapshot(ctx context.Context, key string) (LiveSnapshot, bool, error)
	// PutLiveSnapshot keeps s under key for ttl, replacing any; the store bounds how many it keeps.
	PutLiveSnapshot(ctx context.Context, key string, s LiveSnapshot, ttl time.Duration) error
}

// liveSnapshots is a broker's use of a LiveSnapshotStore, plus the listings in progress here,
// which concurrent requests for the same snapshot share.
type liveSnapshots struct {
	store LiveSnapshotStore
	ttl   time.Duration

	mu      sync.Mutex
	flights map[string]*liveFlight
}

// liveFlight is one listing in progress; done closes when res/err are set.
type liveFlight struct {
	done chan struct{}
	res  LiveSnapshot
	err  error
	kept sync.Once // the snapshot is stored once, by whichever sharer learns it has more pages
}

// liveListing is what one request gets: its own copy of the VMs (it sorts and appends to
// them), and, when the listing is new, the flight through which it may keep it.
type liveListing struct {
	vms    []model.VM
	failed []ProviderError
	key    string
	fresh  *liveFlight // nil when read from the store
}

// WithLiveSnapshots makes live listings page within one snapshot per query, kept in store for
// ttl. Without it every page lists its providers again.
func (b *Broker) WithLiveSnapshots(store LiveSnapshotStore, ttl time.Duration) *Broker {
	b.live = &liveSnapshots{store: store, ttl: ttl, flights: map[string]*liveFlight{}}
	return b
}

// liveVMs lists providers live for c, or, for a page after the first (offset > 0), reads the
// snapshot an earlier page of the same query took, if it has not expired. query is the query
// without its paging: with c's scope and the providers, it names the snapshot.
func (b *Broker) liveVMs(ctx context.Context, c model.Caller, providers []model.Provider, query any, offset int) (liveListing, error) {
	if b.live == nil {
		vms, failed, err := b.listLive(ctx, c, providers)
		return liveListing{vms: vms, failed: failed}, err
	}
	key := liveSnapshotKey(c, providers, query)
	if offset > 0 {
		s, ok, err := b.live.store.GetLiveSnapshot(ctx, key)
		if err != nil {
			// Listing again gives a correct page, only not from the first page's moment.
			b.log.Warn("live snapshot not read; listing again", "err", err)
		}
		if ok {
			return liveListing{vms: s.VMs, failed: failuresOf(s.Failed), key: key}, nil
		}
	}
	f := b.live.share(key, func() (LiveSnapshot, error) { return b.takeLiveSnapshot(ctx, c, providers) })
	select {
	case <-f.done:
	case <-ctx.Done():
		return liveListing{}, fmt.Errorf("live listing: %w: %w", ctx.Err(), model.ErrTimeout)
	}
	if f.err != nil {
		return liveListing{}, f.err
	}
	return liveListing{vms: slices.Clone(f.res.VMs), failed: failuresOf(f.res.Failed), key: key, fresh: f}, nil
}

// keepLive stores a new listing for the pages after this one, when there are any: a query
// answered in one page (a VM looked up by id) keeps nothing.
func (b *Broker) keepLive(ctx context.Context, l liveListing, more bool) {
	if l.fresh == nil || !more {
		return
	}
	l.fresh.kept.Do(func() {
		if err := b.live.store.PutLiveSnapshot(context.WithoutCancel(ctx), l.key, l.fresh.res, b.live.ttl); err != nil {
			b.log.Warn("live snapshot not kept; the next page lists again", "err", err)
		}
	})
}

// takeLiveSnapshot runs one listing. It outlives the request that started it (others may be
// waiting for it), bounded by the sync timeout like any listing.
func (b *Broker) takeLiveSnapshot(ctx context.Context, c model.Caller, providers []model.Provider) (LiveSnapshot, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.syncTimeout)
	defer cancel()
	vms, failed, err := b.listLive(ctx, c, providers)
	if err != nil {
		return LiveSnapshot{}, err
	}
	s := LiveSnapshot{VMs: vms}
	for _, f := range failed {
		s.Failed = append(s.Failed, LiveFailure{Provider: f.Provider, Err: model.NewTaskError(f.Err)})
	}
	return s, nil
}

// share returns the flight listing key, starting one with list unless one is in progress.
func (s *liveSnapshots) share(key string, list func() (LiveSnapshot, error)) *liveFlight {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.flights[key]; ok {
		return f
	}
	f := &liveFlight{done: make(chan struct{})}
	s.flights[key] = f
	go func() {
		res, err := list()
		s.mu.Lock()
		delete(s.flights, key) // later requests list again (first pages) or read the store
		s.mu.Unlock()
		f.res, f.err = res, err
		close(f.done)
	}()
	return f
}

func failuresOf(fs []LiveFailure) []ProviderError {
	var out []ProviderError
	for _, f := range fs {
		out = append(out, ProviderError{Provider: f.Provider, Err: f.Err})
	}
	return out
}

// liveSnapshotKey names the snapshot of query as c lists it from providers. The caller's name
// and scope are part of it, so a snapshot is never served to another tenant, even one seeing
// the same providers.
func liveSnapshotKey(c model.Caller, providers []model.Provider, query any) string {
	scope := slices.Sorted(slices.Values(c.Providers))
	var listed []string
	for _, p := range providers {
		listed = append(listed, p.ClientID+"/"+p.Name)
	}
	slices.Sort(listed)
	b, _ := json.Marshal(struct {
		Caller string
		All    bool
		Scope  []string
		Listed []string
		Kind   string
		Query  any
	}{c.Name, c.AllProviders, scope, listed, fmt.Sprintf("%T", query), query})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
