package vcenter_test

import (
	"sync"
	"sync/atomic"
	"testing"

	"cloudbroker/drivers/vcenter"
	"cloudbroker/drivers/vcenter/vcsim"
)

// Calls made at the provider's concurrency reuse their connections instead of handshaking TLS
// again: govmomi's transport kept 2 idle connections per host, so every call past the second
// closed its connection. A connection is dialed only while fewer exist than calls are running
// (plus, at most, one dial per waiting call that an idle connection then beat), so the count
// stays within twice the concurrency however many calls run.
func TestConnectionsReusedUnderLoad(t *testing.T) {
	const concurrency, calls = 8, 40
	var handshakes atomic.Int64
	sim := startSim(t, vcsim.WithHandshakeCounter(&handshakes))
	native := vmID(t, sim, fixtureVM)
	cfg := sim.Config("test")
	cfg.Concurrency = concurrency
	c, err := vcenter.Open(testContext(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	before := handshakes.Load()
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for range calls {
				if _, err := c.ListDisks(testContext(t), native); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if got, limit := handshakes.Load()-before, int64(2*concurrency); got > limit {
		t.Errorf("%d TLS handshakes for %d calls, %d at a time: want at most %d", got, concurrency*calls, concurrency, limit)
	}
}
