package queue

import (
	"sync"
	"time"
)

// hooked is what a replica's dispatcher knows of the jobs that have a webhook: those registered
// here, those other replicas announced (keys.HookAdded), and those its sweeps found pending. A
// task's end is looked at only if its job is here: the completion channel carries every task
// of the system, and a Redis read for each, in every replica, grew with tasks × replicas. A job
// whose announcement this replica missed is delivered by a sweep, as a missed end always was.
type hooked struct {
	mu  sync.Mutex
	ids map[string]time.Time // job id → when its hook expires
}

func newHooked() *hooked { return &hooked{ids: map[string]time.Time{}} }

// add remembers that jobID has a hook until expires.
func (h *hooked) add(jobID string, expires time.Time) {
	h.mu.Lock()
	h.ids[jobID] = expires
	h.mu.Unlock()
}

// has tells whether jobID may have a hook.
func (h *hooked) has(jobID string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.ids[jobID]
	return ok
}

// drop forgets jobID: its hook was dispatched or is gone.
func (h *hooked) drop(jobID string) {
	h.mu.Lock()
	delete(h.ids, jobID)
	h.mu.Unlock()
}

// prune forgets the hooks expired by now: those whose job ended while this replica was not
// listening, and never came back through a sweep.
func (h *hooked) prune(now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, exp := range h.ids {
		if exp.Before(now) {
			delete(h.ids, id)
		}
	}
}
