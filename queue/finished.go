package queue

import (
	"container/list"
	"sync"
	"time"

	"cloudbroker/broker"
)

// finishedCache holds finished tasks as Get read them, so polling a finished task (task/info,
// a ZStack api-job, a DiDi job) costs no Redis read after the first (issue 17).
//
// Why it cannot serve a stale answer: a record's outcome is written once. A worker that finds
// one before a run only completes the task (handle's recordState), Cancel and the inline cancel
// script answer "finished first", a stray outcome is moved in only when the record has none
// (lost.go), and no code deletes a record; it only expires, at the task's ExpireTime (its
// insertion plus the retention: commit.go, record.go), when its entry ends too. Redis losing its
// data is the one other way a record goes: every entry read before the loss the Epoch noticed
// is dropped (the task then answers lost, as without the cache).
// Bounded: the least recently read entry goes first.
type finishedCache struct {
	mu    sync.Mutex
	max   int
	order *list.List // of *finishedEntry, most recently read first
	byID  map[string]*list.Element
	// lost is the Epoch's loss time when the entries were read: a newer one empties the cache.
	lost int64
}

type finishedEntry struct {
	t     broker.Task
	until time.Time
}

// finishedCacheSize bounds the entries: a few KB each at most (a disk list), a few MB in all.
const finishedCacheSize = 4096

func newFinishedCache(max int) *finishedCache {
	return &finishedCache{max: max, order: list.New(), byID: map[string]*list.Element{}}
}

// get returns id's task if held and its record has not expired by now. lost is the Epoch's
// current loss time (0 if none known, or no Epoch).
func (c *finishedCache) get(id string, now time.Time, lost int64) (broker.Task, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sync(lost)
	el, ok := c.byID[id]
	if !ok {
		return broker.Task{}, false
	}
	e := el.Value.(*finishedEntry)
	if !now.Before(e.until) {
		c.order.Remove(el)
		delete(c.byID, id)
		return broker.Task{}, false
	}
	c.order.MoveToFront(el)
	return e.t, true
}

// put holds finished task t until its record expires, read while the Epoch's loss time was lost.
func (c *finishedCache) put(t broker.Task, lost int64) {
	until := t.ExpireTime
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sync(lost)
	if el, ok := c.byID[t.ID]; ok {
		el.Value = &finishedEntry{t: t, until: until}
		c.order.MoveToFront(el)
		return
	}
	c.byID[t.ID] = c.order.PushFront(&finishedEntry{t: t, until: until})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.byID, last.Value.(*finishedEntry).t.ID)
	}
}

// sync empties the cache when Redis lost its data since its entries were read.
func (c *finishedCache) sync(lost int64) {
	if lost == c.lost {
		return
	}
	c.lost = lost
	c.order.Init()
	clear(c.byID)
}

// lostMs is the Epoch's last known loss time in unix ms, 0 without one.
func (q *Queue) lostMs() int64 {
	if q.cfg.Epoch == nil {
		return 0
	}
	at, known := q.cfg.Epoch.LostBefore()
	if !known {
		return 0
	}
	return at.UnixMilli()
}

// forget drops id's entry, if held.
func (c *finishedCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byID[id]; ok {
		c.order.Remove(el)
		delete(c.byID, id)
	}
}
