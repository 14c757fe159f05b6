package broker

import (
	"context"

	"cloudbroker/broker/model"
)

// TaskHistory is the TaskQueue's part that lists the tasks submitted most recently, newest
// first, for a console's list. The queue package reads them from its queues (pending, running,
// retrying and finished tasks it still keeps).
type TaskHistory interface {
	// Recent returns up to n tasks whose spec keep accepts, newest first. keep is asked
	// before a task is read in full, so a caller that sees few tasks still gets its n newest
	// at the cost of the few it sees.
	Recent(ctx context.Context, n int, keep func(TaskSpec) bool) ([]Task, error)
}

// MaxRecentTasks bounds one RecentTasks call.
const MaxRecentTasks = 200

// RecentTasks returns the caller's n most recent tasks, newest first (n is capped at
// MaxRecentTasks). The broker's own background tasks (TaskSpec.Background) are left out.
func (b *Broker) RecentTasks(ctx context.Context, c model.Caller, n int) ([]Task, error) {
	if n <= 0 || n > MaxRecentTasks {
		n = MaxRecentTasks
	}
	return b.tasks.Recent(ctx, n, func(s TaskSpec) bool { return !s.Background && c.SeesTask(s.Provider, s.Owner) })
}
