package broker

import (
	"errors"
	"fmt"
	"sync"

	"cloudbroker/drivers"
)

// ErrProviderBusy means a provider already runs its maximum of tasks at once. The worker puts
// the task back for a moment without counting it as a failed attempt, so its slot goes to a
// task of another provider: one slow vCenter cannot take every worker.
var ErrProviderBusy = errors.New("provider busy")

// DefaultMaxPerProvider bounds a provider's concurrent tasks when its config sets none.
const DefaultMaxPerProvider = drivers.DefaultConcurrency

// slots is a counting semaphore per provider that never blocks.
type slots struct {
	mu    sync.Mutex
	max   map[string]int
	inUse map[string]int
}

func (s *slots) acquire(provider string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	limit := s.max[provider]
	if limit <= 0 {
		limit = DefaultMaxPerProvider
	}
	if s.inUse[provider] >= limit {
		return fmt.Errorf("provider %q runs %d tasks already: %w", provider, limit, ErrProviderBusy)
	}
	s.inUse[provider]++
	return nil
}

func (s *slots) release(provider string) {
	s.mu.Lock()
	s.inUse[provider]--
	s.mu.Unlock()
}
