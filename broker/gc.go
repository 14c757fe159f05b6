package broker

import (
	"context"
	"time"

	"cloudbroker/broker/model"
)

// GCJob is one of the broker's periodic clean-up jobs (queue.GC runs them).
type GCJob struct {
	UUID        string
	Name        string
	RunnerClass string // the asynq task type that runs it
	Context     string // JSON of its settings: {"interval":"1h0m0s"}
	Status      string // Idle, Processing
	State       string // Enabled, Disabled
	// ManagementNodeUUID is the broker process that last ran it ("" until known).
	ManagementNodeUUID string
	Type               string // TimeBased
	CreateDate         time.Time
	LastOpDate         time.Time
	LastRun            time.Time
	LastResult         string
	LastError          string
	Runs               int
}

// GCService lists, triggers and deletes clean-up jobs; the queue package implements it.
type GCService interface {
	GCJobs(ctx context.Context) ([]GCJob, error)
	// TriggerGCJob runs the job now; DeleteGCJob stops its scheduling on every replica. An
	// unknown (or deleted) uuid is an error wrapping model.ErrNotFound.
	TriggerGCJob(ctx context.Context, uuid string) error
	DeleteGCJob(ctx context.Context, uuid string) error
}

// WithGC gives the broker its clean-up jobs and returns it.
func (b *Broker) WithGC(g GCService) *Broker {
	b.gc = g
	return b
}

func (b *Broker) gcService() (GCService, error) {
	if b.gc == nil {
		return nil, model.Errorf(model.ErrUnsupported, "this broker runs no clean-up jobs")
	}
	return b.gc, nil
}

// GCJobs lists the clean-up jobs. Every caller may read them, but a run's result and error
// may name tenants' resources, so each caller reads only its part (see GCReport): a result
// that is not a GCReport, and the text of a failed run, are for callers that see every
// provider only.
func (b *Broker) GCJobs(ctx context.Context, c model.Caller) ([]GCJob, error) {
	g, err := b.gcService()
	if err != nil {
		return nil, err
	}
	jobs, err := g.GCJobs(ctx)
	if err != nil {
		return nil, err
	}
	for i, j := range jobs {
		if r, ok := DecodeGCReport(j.LastResult); ok {
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

// TriggerGCJob runs a clean-up job now.
func (b *Broker) TriggerGCJob(ctx context.Context, c model.Caller, uuid string) error {
	g, err := b.gcService()
	if err == nil {
		err = c.RequireAll("trigger gc job " + uuid)
	}
	if err != nil {
		return err
	}
	return g.TriggerGCJob(ctx, uuid)
}

// DeleteGCJob stops scheduling a clean-up job.
func (b *Broker) DeleteGCJob(ctx context.Context, c model.Caller, uuid string) error {
	g, err := b.gcService()
	if err == nil {
		err = c.RequireAll("delete gc job " + uuid)
	}
	if err != nil {
		return err
	}
	return g.DeleteGCJob(ctx, uuid)
}
