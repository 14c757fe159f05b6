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

// stateCollector reads queue depths and sync ages from Redis when scraped.
type stateCollector struct {
	mu    sync.Mutex
	depth QueueDepth
	ages  SyncAges
}

var state = &stateCollector{}

func init() { Registry.MustRegister(state) }

// SetState sets where the queue-depth and sync-age metrics are read from at each scrape
// (one broker per process; tests that start several keep the last).
func SetState(depth QueueDepth, ages SyncAges) {
	state.mu.Lock()
	defer state.mu.Unlock()
	state.depth, state.ages = depth, ages
}

func (s *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueDepthDesc
	ch <- syncAgeDesc
	ch <- syncOKDesc
}

func (s *stateCollector) Collect(ch chan<- prometheus.Metric) {
	s.mu.Lock()
	depthFn, agesFn := s.depth, s.ages
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if depthFn != nil {
		if depths, err := depthFn(ctx); err == nil {
			for q, states := range depths {
				for st, n := range states {
					ch <- prometheus.MustNewConstMetric(queueDepthDesc, prometheus.GaugeValue, float64(n), q, st)
				}
			}
		}
	}
	if agesFn != nil {
		if ages, err := agesFn(ctx); err == nil {
			for p, a := range ages {
				ok := 0.0
				if a.OK {
					ok = 1
				}
				ch <- prometheus.MustNewConstMetric(syncAgeDesc, prometheus.GaugeValue, a.Age.Seconds(), p)
				ch <- prometheus.MustNewConstMetric(syncOKDesc, prometheus.GaugeValue, ok, p)
			}
		}
	}
}
