// Package longjobs keeps long jobs: ordinary tasks that carry the metadata their submitter
// gave, listed, canceled and deleted as jobs.
package longjobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
)

// A long job is an ordinary task submitted through the usual Submit*
// path (routing, agents, concurrency, webhooks all apply) plus the metadata its submitter gave
// it. The job's id is the task's id; the metadata lives as long as the task's record.

// Job is a long job's metadata.
type Job struct {
	// ID is the task's id.
	ID          string `json:"id"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	// JobName and JobData are what the submitter asked for, in the dialect's words.
	JobName            string `json:"jobName"`
	JobData            string `json:"jobData"`
	TargetResourceUUID string `json:"targetResourceUuid,omitempty"`
	// Node is the broker replica that accepted the job, if replicas have ids.
	Node       string    `json:"managementNode,omitempty"`
	CreateTime time.Time `json:"createTime"`
}

// Store keeps long jobs' metadata next to their tasks' records; the queue package implements
// it on its task queue.
type Store interface {
	// PutLongJob stores j for the task j.ID, to expire with the task's record; a job already
	// stored under that id is kept and returned instead. A task that does not exist (or
	// expired) is an error wrapping model.ErrNotFound.
	PutLongJob(ctx context.Context, j Job) (Job, error)
	// Job returns one job, or an error wrapping model.ErrNotFound.
	LongJob(ctx context.Context, id string) (Job, error)
	// List lists every job not yet expired, oldest first.
	LongJobs(ctx context.Context) ([]Job, error)
	// DeleteLongJob removes a job's metadata (not its task); a missing one is no error.
	DeleteLongJob(ctx context.Context, id string) error
}

// Entry is a long job and its task as it stands.
type Entry struct {
	Job  Job
	Task broker.Task
}

// Core is what long jobs need from the broker (*broker.Broker): their tasks, as the caller
// may see them.
type Core interface {
	Task(ctx context.Context, c model.Caller, id string) (broker.Task, error)
	Cancel(ctx context.Context, c model.Caller, id string) (broker.Task, error)
}

// Deps are the service's dependencies besides its store.
type Deps struct {
	Core Core
}

// Service is the long job service. A nil store keeps no long jobs: every call is unsupported.
type Service struct {
	store Store
	core  Core
}

// New returns the long job service over a store.
func New(store Store, d Deps) *Service { return &Service{store: store, core: d.Core} }

func (s *Service) jobs() (Store, error) {
	if s == nil || s.store == nil {
		return nil, model.Errorf(model.ErrUnsupported, "this task queue keeps no long jobs")
	}
	return s.store, nil
}

// Submit submits a task with submit (one of the Submit* methods, for the caller) and
// records j as its long job. submit's errors are returned as they are, so a refused request
// (model.ErrInvalid) submits nothing. If the metadata cannot be recorded, the task is canceled:
// a job nobody can list must not go on changing the cloud.
func (s *Service) Submit(ctx context.Context, c model.Caller, j Job, submit func(context.Context) (broker.Task, error)) (Entry, error) {
	store, err := s.jobs()
	if err != nil {
		return Entry{}, err
	}
	t, err := submit(ctx)
	if err != nil {
		return Entry{}, err
	}
	j.ID, j.CreateTime = t.ID, t.InsertTime
	stored, err := store.PutLongJob(ctx, j)
	if err != nil {
		if _, cerr := s.core.Cancel(context.WithoutCancel(ctx), c, t.ID); cerr != nil && !errors.Is(cerr, model.ErrConflict) {
			err = errors.Join(err, fmt.Errorf("canceling its task %s: %w", t.ID, cerr))
		}
		return Entry{}, fmt.Errorf("long job %s: recording it: %w", t.ID, err)
	}
	return Entry{Job: stored, Task: t}, nil
}

// Job returns a long job whose task the caller may see.
func (s *Service) Get(ctx context.Context, c model.Caller, id string) (Entry, error) {
	store, err := s.jobs()
	if err != nil {
		return Entry{}, err
	}
	notFound := model.Errorf(model.ErrNotFound, "long job %s not found or expired", id)
	if !broker.IsUUID(id) {
		return Entry{}, notFound
	}
	j, err := store.LongJob(ctx, id)
	if errors.Is(err, model.ErrNotFound) {
		return Entry{}, notFound
	}
	if err != nil {
		return Entry{}, err
	}
	t, err := s.core.Task(ctx, c, id)
	if errors.Is(err, model.ErrNotFound) { // expired, or another tenant's: the same answer
		return Entry{}, notFound
	}
	if err != nil {
		return Entry{}, err
	}
	return Entry{Job: j, Task: t}, nil
}

// List lists the long jobs whose tasks the caller may see, oldest first.
func (s *Service) List(ctx context.Context, c model.Caller) ([]Entry, error) {
	store, err := s.jobs()
	if err != nil {
		return nil, err
	}
	jobs, err := store.LongJobs(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(jobs))
	for _, j := range jobs {
		t, err := s.core.Task(ctx, c, j.ID)
		switch {
		case errors.Is(err, model.ErrNotFound):
			continue // another tenant's, or its task expired a moment before its metadata
		case err != nil:
			return nil, err
		}
		out = append(out, Entry{Job: j, Task: t})
	}
	return out, nil
}

// Cancel cancels a long job's task, queued or running. Canceling a job already canceled
// succeeds; one that succeeded or failed cannot be canceled (model.ErrConflict).
func (s *Service) Cancel(ctx context.Context, c model.Caller, id string) (Entry, error) {
	e, err := s.Get(ctx, c, id)
	if err != nil {
		return Entry{}, err
	}
	switch {
	case e.Task.State == broker.TaskCanceled:
		return e, nil
	case e.Task.State.Done():
		return e, model.Errorf(model.ErrConflict, "long job %s already %s: only a waiting or running job can be canceled", id, e.Task.State)
	}
	if e.Task, err = s.core.Cancel(ctx, c, id); err != nil {
		return e, err
	}
	return e, nil
}

// Delete removes a finished long job. A job still waiting or running is refused
// (model.ErrConflict) rather than canceled on the way: deleting it would hide a task that is
// still changing the cloud, so the caller cancels it first, explicitly.
func (s *Service) Delete(ctx context.Context, c model.Caller, id string) error {
	e, err := s.Get(ctx, c, id)
	if err != nil {
		return err
	}
	if !e.Task.State.Done() {
		return model.Errorf(model.ErrConflict, "long job %s is still %s: cancel it first (CancelLongJob), then delete it", id, e.Task.State)
	}
	store, err := s.jobs()
	if err != nil {
		return err
	}
	return store.DeleteLongJob(ctx, id)
}
