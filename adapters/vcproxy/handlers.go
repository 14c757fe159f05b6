package vcproxy

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"cloudbroker/adapters"
	"cloudbroker/broker"
	"cloudbroker/broker/model"
)

// diskInfo is POST /api/vm/diskinfo.
func (s *Server) diskInfo(c *gin.Context) {
	var req diskInfoRequest
	if !s.bind(c, &req) {
		return
	}
	if err := req.validate(); err != nil {
		s.fail(c, err)
		return
	}
	caller := callerOf(c)
	async := req.Mode == nil || *req.Mode == ModeAsync
	var opts []broker.SubmitOption
	if !async {
		opts = append(opts, broker.Waited())
	}
	t, err := s.Broker.SubmitDiskInfo(c.Request.Context(), caller, req.VMID, req.ClientID, opts...)
	if err != nil {
		s.fail(c, err)
		return
	}
	if async {
		c.JSON(http.StatusOK, ok(gin.H{"vmid": req.VMID, "taskid": t.ID}))
		return
	}
	s.waitAndRender(c, caller, t.ID)
}

// taskInfo is POST /api/task/info: the envelope of any task, pending or done.
func (s *Server) taskInfo(c *gin.Context) {
	var req taskInfoRequest
	if !s.bind(c, &req) {
		return
	}
	t, err := s.Broker.Task(c.Request.Context(), callerOf(c), req.TaskID)
	if err != nil {
		s.fail(c, err)
		return
	}
	if !t.State.Done() {
		c.JSON(s.TaskEnvelope(c, t))
		return
	}
	body, err := s.rendered.of(t)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", body)
}

// TaskEnvelope is the status and body POST /api/task/info answers for t (the console shows it
// next to the other dialects').
func (s *Server) TaskEnvelope(_ *gin.Context, t broker.Task) (int, any) {
	return http.StatusOK, toEnvelope(t)
}

// vmList is POST /api/vm/list: the VMs of every provider the caller sees, paged.
func (s *Server) vmList(c *gin.Context) {
	var req vmListRequest
	if !s.bind(c, &req) {
		return
	}
	page, err := s.Broker.ListVMs(c.Request.Context(), callerOf(c), broker.ListVMsQuery{
		ClientID: req.ClientID, Provider: req.Provider, Offset: req.Offset, Limit: req.Limit,
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	if page.Total == 0 && len(page.Failed) > 0 {
		// Nothing to show and something broke: say what, rather than an empty success.
		s.fail(c, page.Failed[0].Err)
		return
	}
	c.JSON(http.StatusOK, ok(toVMList(page, req, s.Broker.Providers())))
}

// waitAndRender answers a sync request: the finished envelope, or a timeout error carrying the
// taskid so the caller can keep polling.
func (s *Server) waitAndRender(c *gin.Context, caller model.Caller, id string) {
	t, err := s.Broker.Wait(c.Request.Context(), caller, id)
	if errors.Is(err, model.ErrTimeout) {
		adapters.Fail(c, timedOut{id}, err)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toEnvelope(t))
}

// taskCancel is POST /api/task/cancel: a queued task is removed, a running one stopped. The
// answer is the task's envelope after the cancellation.
func (s *Server) taskCancel(c *gin.Context) {
	var req taskInfoRequest
	if !s.bind(c, &req) {
		return
	}
	t, err := s.Broker.Cancel(c.Request.Context(), callerOf(c), req.TaskID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toEnvelope(t))
}
