package broker

import (
	"context"
	"time"
)

// Progress is how far a running task is: a percentage and the step it is in.
type Progress struct {
	Percent int       `json:"percent"`
	Step    string    `json:"step,omitempty"`
	At      time.Time `json:"at"`
}

// ProgressFunc receives a task's progress reports.
type ProgressFunc func(percent int, step string)

type progressKey struct{}

// WithProgress returns a context whose task operations report progress to fn. The worker
// sets it per task attempt; it is request-scoped data, so a context value is its place.
func WithProgress(ctx context.Context, fn ProgressFunc) context.Context {
	return context.WithValue(ctx, progressKey{}, fn)
}

// ReportProgress reports progress from inside a task operation; without a reporter it does
// nothing.
func ReportProgress(ctx context.Context, percent int, step string) {
	if fn, ok := ctx.Value(progressKey{}).(ProgressFunc); ok && fn != nil {
		fn(min(max(percent, 0), 100), step)
	}
}
