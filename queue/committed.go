package queue

import (
	"context"
	"sync"
)

// committedHere remembers the tasks this process is submitting to a queue, and whether each
// one's record was written (submitAs): when this process's own worker takes one for its first
// attempt (ServeInline ties the two), it learns that in memory instead of reading the record,
// waiting for the submitting call if the worker took the task before the call heard Redis's
// answer. The read stays where it can matter: a task submitted by another process, a retry (an
// earlier attempt may have recorded an outcome or been canceled), and anything this bounded
// memory dropped.
//
// A cancellation needs no read here. Cancel marks the record, then deletes a waiting task
// from its queue (it can no longer be taken) or cancels a running one's context through asynq,
// and the worker reads the record once that context ends (handle); asynq retries a canceled
// attempt, and a retry reads the record.
type committedHere struct {
	mu   sync.Mutex
	ids  map[string]*commitState
	ring []string // insertion order, to drop the oldest when full
	next int
}

// commitState is one submission's: done is closed once its call knows whether the record was
// written (ok).
type commitState struct {
	once sync.Once
	done chan struct{}
	ok   bool
}

// resolve tells the worker waiting on s, if any, whether the record was written; the first
// call counts. A nil s (nobody here can take the task) needs no answer.
func (s *commitState) resolve(ok bool) {
	if s == nil {
		return
	}
	s.once.Do(func() {
		s.ok = ok
		close(s.done)
	})
}

// committedCap bounds the memory: tasks taken by another replica's worker are never removed by
// a take, and go when the ring comes round (about 100 bytes each).
const committedCap = 16384

func newCommittedHere() *committedHere {
	return &committedHere{ids: make(map[string]*commitState, committedCap), ring: make([]string, committedCap)}
}

// submitting remembers task id as being submitted from here; resolve the answer.
func (c *committedHere) submitting(id string) *commitState {
	s := &commitState{done: make(chan struct{})}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.ring[c.next]; old != "" {
		delete(c.ids, old)
	}
	c.ring[c.next] = id
	c.next = (c.next + 1) % len(c.ring)
	c.ids[id] = s
	return s
}

// take reports whether task id's record was written by a submission from here, and forgets
// it: only a task's first attempt may skip the read. It waits for that submission's answer,
// until ctx ends.
func (c *committedHere) take(ctx context.Context, id string) bool {
	c.mu.Lock()
	s, ok := c.ids[id]
	delete(c.ids, id)
	c.mu.Unlock()
	if !ok {
		return false
	}
	select {
	case <-s.done:
		return s.ok
	case <-ctx.Done():
		return false
	}
}
