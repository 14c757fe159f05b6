package zstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
)

// An api-job is a broker task: its uuid is the task id, it lives as long as the task's record
// (tasks.retention; ZStack keeps jobs about two days, so 48h matches it), and the caller reads
// only jobs on providers it sees.

// location is the polling address of a job.
func (s *Server) location(c *gin.Context, id string) string {
	base := s.o.PublicURL
	if base == "" {
		scheme := "http"
		if c.Request.TLS != nil || strings.EqualFold(c.GetHeader("X-Forwarded-Proto"), "https") {
			scheme = "https"
		}
		base = scheme + "://" + c.Request.Host
	}
	return strings.TrimRight(base, "/") + "/zstack/v1/api-jobs/" + id
}

// job is GET /zstack/v1/api-jobs/{uuid}: 202 while the job runs, 200 with the API's result,
// 503 with {"error":{...}} when it failed, 404 once it expired (or for a job the caller cannot
// see, so no tenant learns another's job ids). Without a session it is always 404 and reads
// nothing: session-less APIs keep no job (nodes.go), so there is nothing such a poll may read.
func (s *Server) job(c *gin.Context) {
	id, err := jobID(c, "uuid")
	if err != nil {
		fail(c, err)
		return
	}
	if isAnonymous(c) {
		fail(c, jobError(id, model.ErrNotFound))
		return
	}
	t, err := s.b.Task(c.Request.Context(), callerOf(c), id)
	if err != nil {
		fail(c, jobError(id, err))
		return
	}
	c.JSON(s.TaskEnvelope(c, t))
}

// TaskEnvelope is the status and body an api-jobs poll answers for t, read by the request's
// caller: 202 and its location while it runs, then its API's result (200) or the error (503).
func (s *Server) TaskEnvelope(c *gin.Context, t broker.Task) (int, any) {
	if !t.State.Done() {
		return http.StatusAccepted, gin.H{"location": s.location(c, t.ID)}
	}
	body, ok := s.outcome(c.Request.Context(), callerOf(c), t)
	if !ok {
		return http.StatusServiceUnavailable, body
	}
	return http.StatusOK, body
}

// jobID reads a job's uuid from the path parameter; a malformed one names no job, so it is
// answered as one that expired.
func jobID(c *gin.Context, param string) (string, error) {
	id := strings.ToLower(c.Param(param))
	if !broker.IsUUID(id) {
		return "", model.Errorf(model.ErrNotFound, "the job %q has expired or does not exist", shorten(c.Param(param)))
	}
	return id, nil
}

// jobError words a job the caller cannot read (expired, never was, another tenant's) as
// api-jobs does; other errors pass unchanged.
func jobError(id string, err error) error {
	if errors.Is(err, model.ErrNotFound) {
		return model.Errorf(model.ErrNotFound, "the job %s has expired or does not exist", id)
	}
	return err
}

// outcome is what a finished job answers: its API's result, or {"error":{...}} and false.
func (s *Server) outcome(ctx context.Context, caller model.Caller, t broker.Task) (any, bool) {
	if t.State == broker.TaskFailed || t.State == broker.TaskCanceled {
		var err error = t.Err
		if t.Err == nil {
			err = fmt.Errorf("the job ended %s for an unknown reason", t.State)
		}
		return errorBody{Error: toErrorCode(err)}, false
	}
	body, err := s.result(ctx, caller, t)
	if err != nil {
		return errorBody{Error: toErrorCode(err)}, false
	}
	return body, true
}

// cloneResult is CloneVmInstanceResults.
type cloneResult struct {
	NumberOfClonedVM int          `json:"numberOfClonedVm"`
	Inventories      []cloneEntry `json:"inventories"`
}

type cloneEntry struct {
	Inventory *vmInventory `json:"inventory,omitempty"`
	Error     *errorCode   `json:"error,omitempty"`
}

// result renders a succeeded task as its API's answer.
func (s *Server) result(ctx context.Context, caller model.Caller, t broker.Task) (any, error) {
	if isAPIJob(t) {
		return json.RawMessage(t.Result), nil
	}
	switch t.Spec.Type {
	case broker.TypeVMClone:
		res, err := t.CloneResult()
		if err != nil {
			return nil, err
		}
		out := cloneResult{NumberOfClonedVM: res.Created(), Inventories: []cloneEntry{}}
		for _, cl := range res.Clones {
			var e cloneEntry
			if cl.VM != nil {
				inv := s.r.vm(*cl.VM)
				e.Inventory = &inv
			}
			if cl.Error != nil {
				ec := toErrorCode(cl.Error)
				e.Error = &ec
			}
			out.Inventories = append(out.Inventories, e)
		}
		return gin.H{"result": out}, nil
	case broker.TypeVMPower:
		res, err := t.PowerResult()
		if err != nil {
			return nil, err
		}
		vm, err := s.b.VM(ctx, caller, t.Spec.VMID)
		if err != nil { // the VM's row is not readable now: answer with what the job knows
			vm = model.VM{ID: t.Spec.VMID, Provider: t.Spec.Provider, NativeID: t.Spec.NativeID}
		}
		vm.PowerState = res.PowerState // the inventory may not have seen the change yet
		if res.How == "" {
			return gin.H{"inventory": s.r.vm(vm)}, nil
		}
		// powerOutcome is the broker's own: whether the guest acted or the change was forced.
		return gin.H{"inventory": s.r.vm(vm), "powerOutcome": res.How}, nil
	case broker.TypeVMCreate:
		res, err := t.CreateResult()
		if err != nil {
			return nil, err
		}
		out := gin.H{"inventory": s.r.vm(res.VM)}
		if res.StartError != nil { // the VM exists but did not start: say so beside it
			out["startError"] = toErrorCode(res.StartError)
		}
		return out, nil
	case broker.TypeVMDestroy, broker.TypeVMExpunge:
		return empty{}, nil // APIDestroyVmInstanceEvent and APIExpungeVmInstanceEvent carry nothing
	case broker.TypeVMRecover:
		vm, err := s.b.VM(ctx, caller, t.Spec.VMID)
		if err != nil {
			vm = model.VM{ID: t.Spec.VMID, Provider: t.Spec.Provider, NativeID: t.Spec.NativeID}
		}
		vm.DestroyedAt, vm.PowerState = time.Time{}, model.PoweredOff // the inventory may lag
		return gin.H{"inventory": s.r.vm(vm)}, nil
	case broker.TypeVMISOs:
		res, err := t.ISOResult()
		if err != nil {
			return nil, err
		}
		invs := make([]imageInventory, 0, len(res.Images))
		for _, img := range res.Images {
			invs = append(invs, s.r.image(img))
		}
		return gin.H{"inventories": invs}, nil
	}
	// A task another dialect submitted: its result as the broker has it.
	return gin.H{"result": json.RawMessage(t.Result)}, nil
}

// RenderJob renders a job for its X-Web-Hook callback: the body a poll would answer and
// whether the job succeeded; done is false while it runs. A job that expired is an error
// wrapping model.ErrNotFound.
func (s *Server) RenderJob(ctx context.Context, id string) (body []byte, success, done bool, err error) {
	t, err := s.b.Task(ctx, model.System, id)
	if err != nil || !t.State.Done() {
		return nil, false, false, err
	}
	out, ok := s.outcome(ctx, model.System, t)
	body, err = json.Marshal(out)
	return body, ok, err == nil, err
}
