package broker

import (
	"context"

	"cloudbroker/broker/model"
)

// A dialect can choose a task's id: ZStack's X-Job-UUID names the job a call creates, and a
// retried call with the same id must find the job it created the first time. The id travels
// in the request's context rather than through every Submit* signature; it is bound to one task
// type, because a request may submit other tasks first (an unknown vmid triggers a VM
// listing), and those must not take the id.

type taskIDKey struct{}

type chosenID struct {
	id, taskType string
}

// WithTaskID returns ctx asking that the task of taskType submitted under it take id. Submitting
// twice with the same id and the same spec returns the first task (a retry); an id that names
// any other task (another spec, another caller, any queue or state, even one whose record
// expired) fails with an error wrapping model.ErrInvalid that says nothing of that task, and
// leaves it as it was.
func WithTaskID(ctx context.Context, taskType, id string) context.Context {
	return context.WithValue(ctx, taskIDKey{}, chosenID{id: id, taskType: taskType})
}

// IDSubmitter is an optional TaskQueue capability, discovered by type assertion: submitting
// under a caller-chosen id, idempotently.
type IDSubmitter interface {
	// SubmitWithID enqueues spec as task id, or returns the task already submitted under id
	// when its spec is the same; an id naming any other task is an error wrapping
	// model.ErrInvalid, and changes nothing.
	SubmitWithID(ctx context.Context, id string, spec TaskSpec) (Task, error)
}

// enqueue submits spec under the id ctx chose for its type, if any, else under a fresh id.
func (b *Broker) enqueue(ctx context.Context, spec TaskSpec) (Task, error) {
	chosen, ok := ctx.Value(taskIDKey{}).(chosenID)
	if !ok || chosen.taskType != spec.Type || chosen.id == "" {
		return b.tasks.Submit(ctx, spec)
	}
	s, ok := b.tasks.(IDSubmitter)
	if !ok {
		return Task{}, model.Errorf(model.ErrUnsupported, "this task queue cannot take caller-chosen task ids")
	}
	return s.SubmitWithID(ctx, chosen.id, spec)
}
