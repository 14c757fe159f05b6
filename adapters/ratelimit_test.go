package adapters

import (
	"fmt"
	"testing"
)

// Buckets of callers who came once are forgotten once the map is large, so anonymous callers
// (one bucket per address) cannot grow it without bound; a caller still over its rate is kept.
func TestLimiterForgetsFullBuckets(t *testing.T) {
	l := NewLimiter(Rate{RPS: 1e6, Burst: 1}, map[string]Rate{"slow": {RPS: 1e-6, Burst: 1}})
	if err := l.Allow("slow"); err != nil {
		t.Fatal(err)
	}
	for i := range 3 * sweepAt {
		l.Allow(fmt.Sprint("anon@10.0.", i/256, ".", i%256))
	}
	if n := len(l.buckets); n > sweepAt {
		t.Errorf("%d buckets kept, want at most %d", n, sweepAt)
	}
	if err := l.Allow("slow"); err == nil {
		t.Error("the slow caller's spent bucket was forgotten: it got a new burst")
	}
}
