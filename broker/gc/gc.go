// Package gc is the broker's periodic clean-up jobs as callers see them: listing, triggering
// and deleting them (the queue package schedules and runs them), each caller reading only its
// part of a run's result (report.go), and the jobs' work that looks into the broker
// (clones.go).
package gc

import (
	"context"
	"log/slog"
	"time"

	"cloudbroker/broker/model"
)

// Job is one of the broker's periodic clean-up jobs.
type Job struct {
	UUID    string
	Name    string
	Runner  string // the task type that runs it
	Context string // JSON of its settings: {"interval":"1h0m0s"}
	Status  string // Idle, Processing
	State   string // Enabled, Disabled
	// Node is the broker process that last ran it ("" until known).
	Node       string
	CreateDate time.Time
	LastOpDate time.Time
	LastRun    time.Time
	LastResult string
	LastError  string
	Runs       int
}

// Store lists, triggers and deletes clean-up jobs; the queue package implements it.
type Store interface {
	GCJobs(ctx context.Context) ([]Job, error)
	// TriggerGCJob runs the job now; DeleteGCJob stops its scheduling on every replica. An
	// unknown (or deleted) uuid is an error wrapping model.ErrNotFound.
	TriggerGCJob(ctx context.Context, uuid string) error
	DeleteGCJob(ctx context.Context, uuid string) error
}

// Deps are the service's dependencies besides its store.
type Deps struct {
	// Core is the broker whose inventory the clone-leftovers job looks in.
	Core Core
	// Clones is the log of clone names that ended without a VM (the executor writes it).
	Clones CloneLog
	// Notes records what the jobs find; nil records nothing.
	Notes model.Notifier
	Log   *slog.Logger
}

// Service is the clean-up jobs' service. A nil store runs no jobs: listing, triggering or
// deleting them is unsupported.
type Service struct {
	store  Store
	core   Core
	clones CloneLog
	notes  model.Notifier
	log    *slog.Logger
}

// New returns the clean-up jobs' service over a store.
func New(store Store, d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	return &Service{store: store, core: d.Core, clones: d.Clones, notes: d.Notes, log: d.Log}
}

func (s *Service) jobs() (Store, error) {
	if s == nil || s.store == nil {
		return nil, model.Errorf(model.ErrUnsupported, "this broker runs no clean-up jobs")
	}
	return s.store, nil
}

// Jobs lists the clean-up jobs. Every caller may read them, but a run's result and error may
// name tenants' resources, so each caller reads only its part (see Report): a result that is
// not a Report, and the text of a failed run, are for callers that see every provider only.
func (s *Service) Jobs(ctx context.Context, c model.Caller) ([]Job, error) {
	store, err := s.jobs()
	if err != nil {
		return nil, err
	}
	jobs, err := store.GCJobs(ctx)
	if err != nil {
		return nil, err
	}
	for i, j := range jobs {
		if r, ok := DecodeReport(j.LastResult); ok {
			jobs[i].LastResult = r.Text(c)
		} else if !c.AllProviders {
			jobs[i].LastResult = ""
		}
		if j.LastError != "" && !c.AllProviders {
			jobs[i].LastError = "the last run failed; an operator can read why"
		}
	}
	return jobs, nil
}

// Trigger runs a clean-up job now.
func (s *Service) Trigger(ctx context.Context, c model.Caller, uuid string) error {
	store, err := s.jobs()
	if err == nil {
		err = c.RequireAll("trigger gc job " + uuid)
	}
	if err != nil {
		return err
	}
	return store.TriggerGCJob(ctx, uuid)
}

// Delete stops scheduling a clean-up job.
func (s *Service) Delete(ctx context.Context, c model.Caller, uuid string) error {
	store, err := s.jobs()
	if err == nil {
		err = c.RequireAll("delete gc job " + uuid)
	}
	if err != nil {
		return err
	}
	return store.DeleteGCJob(ctx, uuid)
}
