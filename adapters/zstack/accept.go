package zstack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"cloudbroker/broker"
)

// apiTypePrefix marks the tasks of APIs that run within the request (accept): their result is
// the API's answer as it is to be polled.
const apiTypePrefix = "zstack:"

// accept answers an asynchronous API whose work is done within the request (every non-GET API
// but login is asynchronous in ZStack, tag and licence APIs included): op runs once, its answer
// (or error) becomes the api-job's outcome, and the caller gets 202 with the job's location,
// exactly as for a job a worker runs; X-Job-UUID and X-Web-Hook work the same. An op error
// wrapping model.ErrInvalid is answered at once (400) and no job is made: op must refuse bad
// input before it changes anything. request is what the call asked (it makes a repeated
// X-Job-UUID with another request an error).
func (s *Server) accept(c *gin.Context, api string, request any, op func(ctx context.Context) (any, error)) {
	jobID, err := jobUUID(c.GetHeader("X-Job-UUID"))
	if err != nil {
		fail(c, err)
		return
	}
	var hook string
	if h := c.GetHeader("X-Web-Hook"); h != "" {
		if hook, err = s.webHook(h); err != nil {
			fail(c, err)
			return
		}
	}
	args, err := json.Marshal(struct {
		Path    string `json:"path"`
		Request any    `json:"request,omitempty"`
	}{c.Request.URL.Path, request})
	if err != nil {
		fail(c, err)
		return
	}
	spec := broker.TaskSpec{Type: apiTypePrefix + api, Args: args}
	ctx := broker.WithTaskID(c.Request.Context(), spec.Type, jobID)
	t, err := s.b.RunNow(ctx, callerOf(c), spec, op)
	if err != nil {
		fail(c, err)
		return
	}
	if hook != "" {
		// The job is already done: Register looks at it once at once and delivers it.
		if err := s.o.Hooks.Register(c.Request.Context(), t.ID, hook); err != nil {
			fail(c, fmt.Errorf("job %s was accepted but its X-Web-Hook could not be recorded: %w", t.ID, err))
			return
		}
	}
	c.JSON(http.StatusAccepted, gin.H{"location": s.location(c, t.ID)})
}

// isAPIJob reports whether a task is an accept job, whose result is its answer verbatim.
func isAPIJob(t broker.Task) bool { return strings.HasPrefix(t.Spec.Type, apiTypePrefix) }

// empty is the answer of APIs that return nothing on success: "{}".
type empty struct{}
