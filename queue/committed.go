package queue

import "sync"

// committedHere remembers the tasks whose record this process wrote at submission and that
// were enqueued for a worker (submitAs): when this process's own worker takes one for its first
// attempt (ServeInline ties the two), it knows the record exists without reading it. The read
// stays where it can matter: a task submitted by another process, a retry (an earlier attempt
// may have recorded an outcome or been canceled), and anything this bounded memory dropped.
//
// A cancellation needs no read here. Cancel marks the record, then deletes a waiting task
// from its queue (it can no longer be taken) or cancels a running one's context through asynq,
// and the worker reads the record once that context ends (handle); asynq retries a canceled
// attempt, and a retry reads the record.
type committedHere struct {
	mu   sync.Mutex
	ids  map[string]struct{}
	ring []string // insertion order, to drop the oldest when full
	next int
}

// committedCap bounds the memory: tasks taken by another replica's worker are never removed by
// a take, and go when the ring comes round (about 100 bytes each).
const committedCap = 16384

func newCommittedHere() *committedHere {
	return &committedHere{ids: make(map[string]struct{}, committedCap), ring: make([]string, committedCap)}
}

// add remembers that task id's record was written.
func (c *committedHere) add(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.ring[c.next]; old != "" {
		delete(c.ids, old)
	}
	c.ring[c.next] = id
	c.next = (c.next + 1) % len(c.ring)
	c.ids[id] = struct{}{}
}

// take reports whether task id's record was written here, and forgets it: only a task's
// first attempt may skip the read.
func (c *committedHere) take(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.ids[id]
	delete(c.ids, id)
	return ok
}
