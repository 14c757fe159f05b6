package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// QueueDepth reports the number of tasks per queue and state at scrape time.
type QueueDepth func(ctx context.Context) (map[string]map[string]int, error)

// SyncAges reports, per provider, the time since its inventory was last known complete and
// whether its last sync succeeded.
type SyncAges func(ctx context.Context) (map[string]SyncAge, error)

// SyncAge is one provider's inventory freshness.
type SyncAge struct {
	Age time.Duration
	OK  bool
}

var (
	queueDepthDesc = prometheus.NewDesc("cloudbroker_queue_tasks", "Tasks per queue (site:<clientid> or default) and state.", []string{"queue", "state"}, nil)
	syncAgeDesc    = prometheus.NewDesc("cloudbroker_provider_sync_age_seconds", "Seconds since the provider's inventory was last known complete.", []string{"provider"}, nil)
	syncOKDesc     = prometheus.NewDesc("cloudbroker_provider_sync_ok", "1 if the provider's last inventory sync succeeded, else 0.", []string{"provider"}, nil)
)

// stateTTL is how long a read of the queue depths and sync ages serves scrapes: reading them
// costs a few Redis commands per queue and provider (~230 on a broker with many queues), and
// several Prometheus servers, or a tight scrape interval, would otherwise repeat that each time.
const stateTTL = 5 * time.Second

// stateCollector reads queue depths and sync ages from Redis when scraped, at most once per
// stateTTL.
type stateCollector struct {
	// mu guards everything below and is held during a read, so concurrent scrapes wait for
	// one read rather than each making its own.
	mu    sync.Mutex
	depth QueueDepth
	ages  SyncAges
	// The last read and when it was made (zero: never, or the sources changed since).
	readAt  time.Time
	depths  map[string]map[string]int
	ageVals map[string]SyncAge
}

var state = &stateCollector{}

func init() { Registry.MustRegister(state) }

// SetState sets where the queue-depth and sync-age metrics are read from (one broker per
// process; tests that start several keep the last).
func SetState(depth QueueDepth, ages SyncAges) {
	state.mu.Lock()
	defer state.mu.Unlock()
	state.depth, state.ages = depth, ages
	state.readAt, state.depths, state.ageVals = time.Time{}, nil, nil
}

func (s *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueDepthDesc
	ch <- syncAgeDesc
	ch <- syncOKDesc
}

// read returns the depths and ages, from Redis if the last read is older than stateTTL. A
// failed read is not kept: the next scrape tries again.
func (s *stateCollector) read() (map[string]map[string]int, map[string]SyncAge) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.readAt.IsZero() && time.Since(s.readAt) < stateTTL {
		return s.depths, s.ageVals
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var depths map[string]map[string]int
	var ages map[string]SyncAge
	ok := true
	if s.depth != nil {
		d, err := s.depth(ctx)
		depths, ok = d, ok && err == nil
	}
	if s.ages != nil {
		a, err := s.ages(ctx)
		ages, ok = a, ok && err == nil
	}
	if ok {
		s.readAt, s.depths, s.ageVals = time.Now(), depths, ages
	}
	return depths, ages
}

func (s *stateCollector) Collect(ch chan<- prometheus.Metric) {
	depths, ages := s.read()
	for q, states := range depths {
		for st, n := range states {
			ch <- prometheus.MustNewConstMetric(queueDepthDesc, prometheus.GaugeValue, float64(n), q, st)
		}
	}
	for p, a := range ages {
		ok := 0.0
		if a.OK {
			ok = 1
		}
		ch <- prometheus.MustNewConstMetric(syncAgeDesc, prometheus.GaugeValue, a.Age.Seconds(), p)
		ch <- prometheus.MustNewConstMetric(syncOKDesc, prometheus.GaugeValue, ok, p)
	}
}
