package config

import (
	"fmt"
	"time"
)

// GC configures the broker's periodic clean-up jobs (ZStack's GC jobs: QueryGCJob,
// TriggerGCJob, DeleteGCJob). Every broker process schedules them; one run per interval
// happens across all replicas.
type GC struct {
	// ExpiredTaskIndexes removes index entries that point to task records that expired or
	// never were written (job index, pending webhooks, asynq's archive). Default every 1h.
	ExpiredTaskIndexes GCJob `yaml:"expired_task_indexes"`
	// CloneLeftovers looks for VMs left behind by failed clones and reports them (it deletes
	// nothing). Default every 30m.
	CloneLeftovers GCJob `yaml:"clone_leftovers"`
}

// GCJob tunes one clean-up job.
type GCJob struct {
	// Enabled schedules the job. Default true. A job deleted with DeleteGCJob stays deleted
	// until a broker process starts with it enabled.
	Enabled *bool `yaml:"enabled"`
	// Interval between runs. Minimum 1s.
	Interval Duration `yaml:"interval"`
}

func (g *GC) setDefaults() {
	for _, j := range []struct {
		job *GCJob
		d   time.Duration
	}{{&g.ExpiredTaskIndexes, time.Hour}, {&g.CloneLeftovers, 30 * time.Minute}} {
		if j.job.Enabled == nil {
			t := true
			j.job.Enabled = &t
		}
		if j.job.Interval == 0 {
			j.job.Interval = Duration(j.d)
		}
	}
}

func (g *GC) validate() []error {
	var errs []error
	for _, j := range []struct {
		name string
		job  GCJob
	}{{"expired_task_indexes", g.ExpiredTaskIndexes}, {"clone_leftovers", g.CloneLeftovers}} { // in file order, not a map's
		if j.job.Interval.D() < time.Second {
			errs = append(errs, fmt.Errorf("config: gc.%s.interval: %s must be at least 1s", j.name, j.job.Interval.D()))
		}
	}
	return errs
}
