package didi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/config"
	"cloudbroker/drivers/catalog"
	"cloudbroker/test/harness"
	"cloudbroker/test/wait"
)

// refresh is the tests' inventory.image_refresh; freshness is the bound it gives: a change
// shows within a refresh period plus one listing (here a second, for a loaded machine).
const (
	refresh   = 300 * time.Millisecond
	freshness = refresh + time.Second
)

// upstreamCatalog is a DiDi image catalog (the wire format drivers/catalog reads) whose images
// a test changes, counting the listings it answers.
type upstreamCatalog struct {
	mu     sync.Mutex
	names  []string
	listed atomic.Int64
}

func (u *upstreamCatalog) add(name string) {
	u.mu.Lock()
	u.names = append(u.names, name)
	u.mu.Unlock()
}

func (u *upstreamCatalog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.listed.Add(1)
	u.mu.Lock()
	defer u.mu.Unlock()
	items := []map[string]any{}
	for _, n := range u.names {
		items = append(items, map[string]any{"cimgUuid": "uuid-" + n, "name": n, "status": "Ready", "size": 1 << 20})
	}
	json.NewEncoder(w).Encode(map[string]any{"errno": 0, "errmsg": "ok", "data": map[string]any{"count": len(items), "items": items}})
}

// TestImageInventoryFreshOnEveryReplica: cimg/list is served from the image inventory on two
// replicas sharing one Redis. A new image in the provider shows on both within the freshness
// bound, and listings between refreshes do not reach the provider.
func TestImageInventoryFreshOnEveryReplica(t *testing.T) {
	up := &upstreamCatalog{names: []string{"img-a"}}
	srv := httptest.NewServer(up)
	t.Cleanup(srv.Close)
	tune := func(c *config.Config) {
		c.Providers = append(c.Providers, config.Provider{Name: "cat", Driver: catalog.DriverName, URL: srv.URL, Password: "t",
			Region: "bj", Zones: []string{"bj01"}, Options: map[string]string{catalog.OptRegion: "up"}})
		c.Inventory.ImageRefresh = config.Duration(refresh)
	}
	a := harness.Start(t, harness.Options{Tune: tune})
	b := harness.Start(t, harness.Options{Redis: a.Redis, Sims: a.Sims, Tune: tune})
	names := func(br *harness.Broker) []string {
		var out []string
		for _, it := range list(t, br, map[string]any{"regionId": "bj", "limit": 10}).Items {
			out = append(out, it.Name)
		}
		return out
	}
	shows := func(want ...string) func() bool {
		return func() bool { return cmp.Equal(names(a), want) && cmp.Equal(names(b), want) }
	}
	wait.For(t, freshness, "img-a on both replicas", shows("img-a"))

	up.add("img-b")
	wait.For(t, freshness, "the new img-b on both replicas", shows("img-a", "img-b"))

	// Served from memory: 50 listings on each replica ask the provider at most once per
	// refresh (and per replica's first listing), not once each.
	before, start := up.listed.Load(), time.Now()
	for range 50 {
		names(a)
		names(b)
	}
	periods := int64(time.Since(start)/refresh) + 2
	if got := up.listed.Load() - before; got > periods {
		t.Errorf("100 listings made %d upstream listings; want at most %d (one per refresh)", got, periods)
	}
}
