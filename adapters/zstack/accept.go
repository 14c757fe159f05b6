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
	call, err := s.asyncHeaders(c)
	if err != nil {
		fail(c, err)
		return
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
	t, err := s.b.RunNow(c.Request.Context(), callerOf(c), spec, op, broker.WithID(call.jobID))
	if err != nil {
		fail(c, err)
		return
	}
	s.accepted(c, call, t.ID) // the job is already done: the hook's registration delivers it
}

// asyncCall is what the headers of an asynchronous call ask: the job's id (X-Job-UUID; ""
// for a fresh one) and where its result goes (X-Web-Hook; "" for nowhere).
type asyncCall struct{ jobID, hook string }

func (s *Server) asyncHeaders(c *gin.Context) (asyncCall, error) {
	var call asyncCall
	var err error
	if call.jobID, err = jobUUID(c.GetHeader("X-Job-UUID")); err != nil {
		return call, err
	}
	if h := c.GetHeader("X-Web-Hook"); h != "" {
		call.hook, err = s.webHook(h)
	}
	return call, err
}

// accepted records the call's hook for job id and answers 202 with the job's location. It runs
// after the submit: a refused call must not replace the hook of the job it collided with.
func (s *Server) accepted(c *gin.Context, call asyncCall, id string) {
	if call.hook != "" {
		if err := s.o.Hooks.Register(c.Request.Context(), id, call.hook); err != nil {
			fail(c, fmt.Errorf("job %s was accepted but its X-Web-Hook could not be recorded: %w", id, err))
			return
		}
	}
	c.JSON(http.StatusAccepted, gin.H{"location": s.location(c, id)})
}

// isAPIJob reports whether a task is an accept job, whose result is its answer verbatim.
func isAPIJob(t broker.Task) bool { return strings.HasPrefix(t.Spec.Type, apiTypePrefix) }

// empty is the answer of APIs that return nothing on success: "{}".
type empty struct{}
