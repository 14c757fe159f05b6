package queue

import (
	"sync"
	"sync/atomic"
	"time"
)

// noJobs remembers, for a short while, the targets the job index held no unfinished task for,
// so a listing that shows each item's job (DiDi's cimg/list) reads Redis only for the targets
// that may have one (issue 17: it read the page's targets on every request).
//
// Only "no job" is remembered: a job's task moves on (progress, done) and is always read live.
// A target gets a job only through trackJob, which publishes the target on keys.JobsAdded in
// the same transaction as the index write; every process forgets the target on that message,
// and the submitting one before it returns. A message the subscription missed (it reconnects
// by itself after an outage) is bounded by noJobsTTL. A read that raced a message (its answer
// predates the write the message announced) is not remembered: gen counts the messages.
type noJobs struct {
	gen   atomic.Uint64
	mu    sync.Mutex
	until map[string]time.Time // job index key → when to read it again
}

// noJobsTTL bounds how late a job added on another process can show when its message was lost.
const noJobsTTL = time.Second

// noJobsMax bounds the remembered targets; past it the expired go, then all.
const noJobsMax = 16384

func newNoJobs() *noJobs { return &noJobs{until: map[string]time.Time{}} }

// generation is the count of jobs added so far, for remember.
func (n *noJobs) generation() uint64 {
	if n == nil {
		return 0
	}
	return n.gen.Load()
}

// has reports whether key is known to have no job at now. A nil noJobs (no subscription to
// keys.JobsAdded) knows nothing.
func (n *noJobs) has(key string, now time.Time) bool {
	if n == nil {
		return false
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	until, ok := n.until[key]
	return ok && now.Before(until)
}

// remember notes keys had no job as read from gen (gen's value before the read), unless a job
// was added anywhere since.
func (n *noJobs) remember(keys []string, gen uint64, now time.Time) {
	if n == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.gen.Load() != gen {
		return
	}
	if len(n.until)+len(keys) > noJobsMax {
		for k, u := range n.until {
			if !now.Before(u) {
				delete(n.until, k)
			}
		}
		if len(n.until)+len(keys) > noJobsMax {
			clear(n.until)
		}
	}
	for _, k := range keys {
		n.until[k] = now.Add(noJobsTTL)
	}
}

// added forgets key: a task was just indexed on it.
func (n *noJobs) added(key string) {
	if n == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.gen.Add(1)
	delete(n.until, key)
}
