package broker

import (
	"context"
	"fmt"

	"cloudbroker/broker/model"
)

// TaskHistory is an optional TaskQueue capability, discovered by type assertion: the tasks
// submitted most recently, newest first, for a console's list. The queue package reads them
// from its queues (pending, running, retrying and finished tasks it still keeps).
type TaskHistory interface {
	// Recent returns up to n tasks whose spec keep accepts, newest first. keep is asked
	// before a task is read in full, so a caller that sees few tasks still gets its n newest
	// at the cost of the few it sees.
	Recent(ctx context.Context, n int, keep func(TaskSpec) bool) ([]Task, error)
}

// MaxRecentTasks bounds one RecentTasks call.
const MaxRecentTasks = 200

// RecentTasks returns the caller's n most recent tasks, newest first (n is capped at
// MaxRecentTasks). A queue without a history answers unsupported.
func (b *Broker) RecentTasks(ctx context.Context, c model.Caller, n int) ([]Task, error) {
	h, ok := b.tasks.(TaskHistory)
	if !ok {
		return nil, fmt.Errorf("this task queue keeps no history: %w", model.ErrUnsupported)
	}
	if n <= 0 || n > MaxRecentTasks {
		n = MaxRecentTasks
	}
	return h.Recent(ctx, n, func(s TaskSpec) bool { return c.SeesTask(s.Provider, s.Owner) })
}
