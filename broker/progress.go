package broker

import (
	"context"
	"time"

	"cloudbroker/broker/model"
)

// Progress is how far a running task is: a percentage and the step it is in. Current and
// Total count the steps of an operation made of several (the n clones of a clone task), when
// it has them.
type Progress struct {
	Percent int       `json:"percent"`
	Step    string    `json:"step,omitempty"`
	Current int       `json:"currentStep,omitempty"`
	Total   int       `json:"totalSteps,omitempty"`
	At      time.Time `json:"at"`
}

// ProgressFunc receives a task's progress reports (At is left to the receiver).
type ProgressFunc func(p Progress)

type progressKey struct{}

// WithProgress returns a context whose task operations report progress to fn. The worker
// sets it per task attempt; it is request-scoped data, so a context value is its place.
func WithProgress(ctx context.Context, fn ProgressFunc) context.Context {
	return context.WithValue(ctx, progressKey{}, fn)
}

// ReportProgress reports progress from inside a task operation; without a reporter it does
// nothing.
func ReportProgress(ctx context.Context, percent int, step string) {
	ReportSteps(ctx, percent, step, 0, 0)
}

// ReportSteps reports progress in step current of total (1-based), for an operation made of
// several steps.
func ReportSteps(ctx context.Context, percent int, step string, current, total int) {
	if fn, ok := ctx.Value(progressKey{}).(ProgressFunc); ok && fn != nil {
		fn(Progress{Percent: min(max(percent, 0), 100), Step: step, Current: current, Total: total})
	}
}

// ProgressLog is the TaskQueue's part that keeps the history of a task's progress reports (as throttled when recorded), kept as long as the task's record.
type ProgressLog interface {
	// ProgressHistory returns the task's recorded reports, oldest first (none for a task that
	// reported nothing, or that expired).
	ProgressHistory(ctx context.Context, id string) ([]Progress, error)
}

// TaskProgress returns a task the caller may see and its progress reports, oldest first. A
// task that reported nothing has none; one whose history is empty gives its last report only.
func (b *Broker) TaskProgress(ctx context.Context, c model.Caller, id string) (Task, []Progress, error) {
	t, err := b.Task(ctx, c, id)
	if err != nil {
		return Task{}, nil, err
	}
	events, err := b.tasks.ProgressHistory(ctx, id)
	if err != nil {
		return Task{}, nil, err
	}
	if len(events) == 0 && t.Progress != nil {
		events = []Progress{*t.Progress}
	}
	return t, events, nil
}
