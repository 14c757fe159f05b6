package zstack

import (
	"context"

	"cloudbroker/broker/gc"

	"github.com/gin-gonic/gin"
)

// GC jobs are the broker's periodic clean-up jobs (queue/gc.go): expired-task-indexes and
// clone-leftovers. Every account may query them, reading only its part of a run's result (the
// clone-leftovers findings on its providers; gc.Report) and not why a run failed; only an
// account that sees every provider may trigger or delete one: another gets the dialect's
// answer for a refused operation, 503 SYS.1006 (errors.go maps model.ErrUnauthorized so).
// A deleted job is no longer listed and its uuid is not found (404), as in ZStack; a broker
// process that starts with the job enabled in its configuration brings it back.

// gcJobInventory is ZStack's GarbageCollectorInventory, plus state (Enabled, Disabled: the
// manual's query example filters on it) and the last run's outcome.
type gcJobInventory struct {
	UUID               string `json:"uuid"`
	Name               string `json:"name"`
	RunnerClass        string `json:"runnerClass"`
	Context            string `json:"context"`
	Status             string `json:"status"`
	State              string `json:"state"`
	ManagementNodeUUID string `json:"managementNodeUuid"`
	Type               string `json:"type"`
	CreateDate         string `json:"createDate"`
	LastOpDate         string `json:"lastOpDate"`
	LastRunDate        string `json:"lastRunDate,omitempty"`
	LastResult         string `json:"lastResult,omitempty"`
	LastError          string `json:"lastError,omitempty"`
	Runs               int    `json:"runs"`
}

// queryGCJobs is GET /zstack/v1/gc-jobs[/{uuid}] (QueryGCJob).
func (s *Server) queryGCJobs(c *gin.Context) {
	queryListed(c, "GCJob", s.o.GC.Jobs, func(j gc.Job) gcJobInventory {
		inv := gcJobInventory{
			UUID: j.UUID, Name: j.Name, RunnerClass: j.Runner, Context: j.Context, Status: j.Status,
			State: j.State, ManagementNodeUUID: j.Node, Type: "TimeBased", // every job runs on its interval
			CreateDate: s.r.date(j.CreateDate), LastOpDate: s.r.date(j.LastOpDate),
			LastResult: j.LastResult, LastError: j.LastError, Runs: j.Runs,
		}
		if !j.LastRun.IsZero() {
			inv.LastRunDate = s.r.date(j.LastRun)
		}
		return inv
	})
}

const actTriggerGCJob = "triggerGCJob"

// gcJobActions is PUT /zstack/v1/gc-jobs/{uuid}/actions (TriggerGCJob): {"triggerGCJob":{}}
// enqueues a run now → {} once it is queued (the run itself follows on the gc queue).
func (s *Server) gcJobActions(c *gin.Context) {
	raw, ok := s.body(c)
	if !ok {
		return
	}
	if _, _, err := pickAction(raw, []string{actTriggerGCJob}, "GC jobs"); err != nil {
		fail(c, err)
		return
	}
	id, caller := c.Param("uuid"), callerOf(c)
	s.accept(c, "TriggerGCJob", gin.H{"uuid": id}, func(ctx context.Context) (any, error) {
		return empty{}, s.o.GC.Trigger(ctx, caller, id)
	})
}

// deleteGCJob is DELETE /zstack/v1/gc-jobs/{uuid} (DeleteGCJob): every replica stops
// scheduling the job → {}.
func (s *Server) deleteGCJob(c *gin.Context) {
	if _, err := deleteModeParam(c); err != nil {
		fail(c, err)
		return
	}
	id, caller := c.Param("uuid"), callerOf(c)
	s.accept(c, "DeleteGCJob", gin.H{"uuid": id}, func(ctx context.Context) (any, error) {
		return empty{}, s.o.GC.Delete(ctx, caller, id)
	})
}
