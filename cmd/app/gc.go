package app

import (
	"context"
	"time"

	"cloudbroker/broker/gc"
	"cloudbroker/queue"
	"cloudbroker/queue/redisstore"
)

// The broker's events (notifications) and clean-up jobs (GC), shared by every replica in Redis.

// notifications is the Redis notification store, bounded by the notifications section.
func notifications(a *App) *redisstore.Notifications {
	return redisstore.NewNotifications(a.rdb, a.cfg.Notifications.Retention.D(), a.cfg.Notifications.MaxCount, a.log)
}

// buildGC defines the clean-up jobs (the service that reads them: features.go); Start
// schedules them.
func (a *App) buildGC() {
	g := a.cfg.GC
	jobs := []queue.GCJobSpec{
		// Its result counts entries over the whole broker and names none: every caller reads it.
		{Name: "expired-task-indexes", Interval: g.ExpiredTaskIndexes.Interval.D(), Enabled: *g.ExpiredTaskIndexes.Enabled,
			Run: func(ctx context.Context) (string, error) {
				res, err := a.queue.CleanTaskIndexes(ctx)
				return gc.Report{Summary: res}.Encode(), err
			}},
		// Its result names providers, VMs and tasks: stored per provider, read per caller.
		{Name: "clone-leftovers", Interval: g.CloneLeftovers.Interval.D(), Enabled: *g.CloneLeftovers.Enabled,
			Run: func(ctx context.Context) (string, error) {
				r, err := a.features.gc.FindCloneLeftovers(ctx)
				return r.Encode(), err
			}},
	}
	a.gc = queue.NewGC(a.rdb, jobs, queue.GCConfig{PollInterval: max(a.cfg.Tasks.PollInterval.D(), 50*time.Millisecond), Node: a.NodeID(), Logger: a.log})
}

// GC is this process's part of the clean-up jobs.
func (a *App) GC() *queue.GC { return a.gc }
