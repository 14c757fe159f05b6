package broker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cloudbroker/broker/model"
)

// A long job (ZStack's SubmitLongJob) is an ordinary task submitted through the usual Submit*
// path (routing, agents, concurrency, webhooks all apply) plus the metadata its submitter gave
// it. The job's id is the task's id; the metadata lives as long as the task's record.

// LongJob is a long job's metadata.
type LongJob struct {
	// ID is the task's id.
	ID          string `json:"id"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	// JobName and JobData are what the submitter asked for, in the dialect's words.
	JobName            string `json:"jobName"`
	JobData            string `json:"jobData"`
	TargetResourceUUID string `json:"targetResourceUuid,omitempty"`
	// ManagementNode is the broker replica that accepted the job, if replicas have ids.
	ManagementNode string    `json:"managementNode,omitempty"`
	CreateTime     time.Time `json:"createTime"`
}

// LongJobStore is the TaskQueue's part that keeps long jobs' metadata next to their tasks'
// records.
type LongJobStore interface {
	// PutLongJob stores j for the task j.ID, to expire with the task's record; a job already
	// stored under that id is kept and returned instead. A task that does not exist (or
	// expired) is an error wrapping model.ErrNotFound.
	PutLongJob(ctx context.Context, j LongJob) (LongJob, error)
	// LongJob returns one job, or an error wrapping model.ErrNotFound.
	LongJob(ctx context.Context, id string) (LongJob, error)
	// LongJobs lists every job not yet expired, oldest first.
	LongJobs(ctx context.Context) ([]LongJob, error)
	// DeleteLongJob removes a job's metadata (not its task); a missing one is no error.
	DeleteLongJob(ctx context.Context, id string) error
}

// LongJobEntry is a long job and its task as it stands.
type LongJobEntry struct {
	Job  LongJob
	Task Task
}

// SubmitLongJob submits a task with submit (one of the Submit* methods, for the caller) and
// records j as its long job. submit's errors are returned as they are, so a refused request
// (model.ErrInvalid) submits nothing. If the metadata cannot be recorded, the task is canceled:
// a job nobody can list must not go on changing the cloud.
func (b *Broker) SubmitLongJob(ctx context.Context, c model.Caller, j LongJob, submit func(context.Context) (Task, error)) (LongJobEntry, error) {
	t, err := submit(ctx)
	if err != nil {
		return LongJobEntry{}, err
	}
	j.ID, j.CreateTime = t.ID, t.InsertTime
	stored, err := b.tasks.PutLongJob(ctx, j)
	if err != nil {
		if _, cerr := b.Cancel(context.WithoutCancel(ctx), c, t.ID); cerr != nil && !errors.Is(cerr, model.ErrConflict) {
			err = errors.Join(err, fmt.Errorf("canceling its task %s: %w", t.ID, cerr))
		}
		return LongJobEntry{}, fmt.Errorf("long job %s: recording it: %w", t.ID, err)
	}
	return LongJobEntry{Job: stored, Task: t}, nil
}

// LongJob returns a long job whose task the caller may see.
func (b *Broker) LongJob(ctx context.Context, c model.Caller, id string) (LongJobEntry, error) {
	notFound := model.Errorf(model.ErrNotFound, "long job %s not found or expired", id)
	if !IsUUID(id) {
		return LongJobEntry{}, notFound
	}
	j, err := b.tasks.LongJob(ctx, id)
	if errors.Is(err, model.ErrNotFound) {
		return LongJobEntry{}, notFound
	}
	if err != nil {
		return LongJobEntry{}, err
	}
	t, err := b.Task(ctx, c, id)
	if errors.Is(err, model.ErrNotFound) { // expired, or another tenant's: the same answer
		return LongJobEntry{}, notFound
	}
	if err != nil {
		return LongJobEntry{}, err
	}
	return LongJobEntry{Job: j, Task: t}, nil
}

// LongJobs lists the long jobs whose tasks the caller may see, oldest first.
func (b *Broker) LongJobs(ctx context.Context, c model.Caller) ([]LongJobEntry, error) {
	jobs, err := b.tasks.LongJobs(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]LongJobEntry, 0, len(jobs))
	for _, j := range jobs {
		t, err := b.Task(ctx, c, j.ID)
		switch {
		case errors.Is(err, model.ErrNotFound):
			continue // another tenant's, or its task expired a moment before its metadata
		case err != nil:
			return nil, err
		}
		out = append(out, LongJobEntry{Job: j, Task: t})
	}
	return out, nil
}

// CancelLongJob cancels a long job's task, queued or running. Canceling a job already canceled
// succeeds; one that succeeded or failed cannot be canceled (model.ErrConflict).
func (b *Broker) CancelLongJob(ctx context.Context, c model.Caller, id string) (LongJobEntry, error) {
	e, err := b.LongJob(ctx, c, id)
	if err != nil {
		return LongJobEntry{}, err
	}
	switch {
	case e.Task.State == TaskCanceled:
		return e, nil
	case e.Task.State.Done():
		return e, model.Errorf(model.ErrConflict, "long job %s already %s: only a waiting or running job can be canceled", id, e.Task.State)
	}
	if e.Task, err = b.Cancel(ctx, c, id); err != nil {
		return e, err
	}
	return e, nil
}

// DeleteLongJob removes a finished long job. A job still waiting or running is refused
// (model.ErrConflict) rather than canceled on the way: deleting it would hide a task that is
// still changing the cloud, so the caller cancels it first, explicitly.
func (b *Broker) DeleteLongJob(ctx context.Context, c model.Caller, id string) error {
	e, err := b.LongJob(ctx, c, id)
	if err != nil {
		return err
	}
	if !e.Task.State.Done() {
		return model.Errorf(model.ErrConflict, "long job %s is still %s: cancel it first (CancelLongJob), then delete it", id, e.Task.State)
	}
	return b.tasks.DeleteLongJob(ctx, id)
}
