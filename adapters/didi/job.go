package didi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"cloudbroker/adapters"
	"cloudbroker/broker"
)

// toJob is a task as DiDi's Job shows it, on the resource (uuid) it works on: progress in
// percent, done once finished, success once succeeded, and result the reason it failed (or,
// while it retries, why its last attempt did).
func toJob(t broker.Task, resource string) job {
	j := job{JobUUID: t.ID, ResourceUUID: resource, Type: t.Spec.Type, Done: t.State.Done(),
		Success: t.State == broker.TaskSucceeded, Result: t.LastError}
	if t.Progress != nil {
		j.Progress = float64(t.Progress.Percent)
	}
	switch {
	case j.Success:
		j.Progress, j.Result = 100, ""
	case j.Done && t.Err != nil:
		j.Result = adapters.PublicMessage(t.Err)
	}
	return j
}

// TaskEnvelope is t as a DiDi answer carrying its Job (the console shows it next to the other
// dialects'); the job's resource is the VM it works on.
func (s *Server) TaskEnvelope(c *gin.Context, t broker.Task) (int, any) {
	return http.StatusOK, okBody{Errno: ErrnoOK, Errmsg: "ok", RequestID: requestID(c), Data: toJob(t, t.Spec.VMID)}
}
