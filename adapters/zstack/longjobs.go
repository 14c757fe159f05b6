package zstack

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"cloudbroker/adapters"
	"cloudbroker/broker"
	"cloudbroker/broker/longjobs"
	"cloudbroker/broker/model"
)

// Long jobs (SubmitLongJob, QueryLongJob, CancelLongJob, DeleteLongJob) are broker tasks
// submitted through the VM actions' own path (routing, agents, concurrency, webhooks), plus the
// metadata the submitter gave (longjobs.Job). A long job's uuid is its task's id, which is
// also its apiId for GetTaskProgress.

// longJobKind is a jobName the broker runs: the VM action it is, and the jobData field that
// names the VM (the field of the ZStack message: APICloneVmInstanceMsg.vmInstanceUuid,
// APIStartVmInstanceMsg.uuid ...).
type longJobKind struct {
	action  string
	vmField string
}

var longJobKinds = map[string]longJobKind{
	"APICloneVmInstanceMsg":  {actClone, "vmInstanceUuid"},
	"APIStartVmInstanceMsg":  {actStart, "uuid"},
	"APIStopVmInstanceMsg":   {actStop, "uuid"},
	"APIRebootVmInstanceMsg": {actReboot, "uuid"},
}

var longJobNames = slices.Sorted(maps.Keys(longJobKinds))

// longJobInventory is ZStack's LongJobInventory. state is LongJobState's name, as the SDK
// reads it; fields with no value are left out, as ZStack leaves out nulls.
type longJobInventory struct {
	UUID               string `json:"uuid"`
	Name               string `json:"name,omitempty"`
	Description        string `json:"description,omitempty"`
	APIID              string `json:"apiId"`
	JobName            string `json:"jobName"`
	JobData            string `json:"jobData"`
	JobResult          string `json:"jobResult,omitempty"`
	TargetResourceUUID string `json:"targetResourceUuid,omitempty"`
	ManagementNodeUUID string `json:"managementNodeUuid,omitempty"`
	CreateDate         string `json:"createDate"`
	LastOpDate         string `json:"lastOpDate"`
	State              string `json:"state"`
}

// longJobState maps a task's state to LongJobState. A task retrying after a transient failure
// is still Running as a job: it runs again by itself. Canceling never shows: a cancel takes
// effect in the task's record at once (the worker stops the task behind it).
func longJobState(s broker.TaskState) string {
	switch s {
	case broker.TaskPending:
		return "Waiting"
	case broker.TaskRunning, broker.TaskRetrying:
		return "Running"
	case broker.TaskSucceeded:
		return "Succeeded"
	case broker.TaskCanceled:
		return "Canceled"
	}
	return "Failed"
}

// longJob renders a long job. jobResult is, once the job is done, what its API's job would
// answer when polled: the API's result, or {"error":{...}}.
func (s *Server) longJob(ctx context.Context, caller model.Caller, e longjobs.Entry) longJobInventory {
	inv := longJobInventory{
		UUID: e.Job.ID, Name: e.Job.Name, Description: e.Job.Description, APIID: e.Job.ID,
		JobName: e.Job.JobName, JobData: e.Job.JobData, TargetResourceUUID: e.Job.TargetResourceUUID,
		ManagementNodeUUID: e.Job.Node, CreateDate: s.r.date(e.Job.CreateTime),
		LastOpDate: s.r.date(e.Task.UpdateTime), State: longJobState(e.Task.State),
	}
	var result any
	switch {
	case e.Task.State == broker.TaskSucceeded:
		body, err := s.result(ctx, caller, e.Task)
		if err != nil {
			body = errorBody{Error: toErrorCode(err)}
		}
		result = body
	case e.Task.State.Done() && e.Task.Err != nil:
		result = errorBody{Error: toErrorCode(e.Task.Err)}
	}
	if result != nil {
		b, _ := json.Marshal(result)
		inv.JobResult = string(b)
	}
	return inv
}

// submitLongJobParams are SubmitLongJob's params. jobData is a string holding a JSON object,
// as in the manual; an object itself is taken too.
type submitLongJobParams struct {
	Name               *string         `json:"name"`
	Description        *string         `json:"description"`
	JobName            string          `json:"jobName"`
	JobData            json.RawMessage `json:"jobData"`
	ResourceUUID       *string         `json:"resourceUuid"`
	TargetResourceUUID *string         `json:"targetResourceUuid"`
	TagUUIDs           []string        `json:"tagUuids"`
}

// longJobRequest is a SubmitLongJob request, checked.
type longJobRequest struct {
	Job    longjobs.Job `json:"job"`
	VMID   string       `json:"vmid"`
	TaskID string       `json:"taskId,omitempty"`
	action vmAction
}

// parseSubmitLongJob reads and checks SubmitLongJob's body; every refusal names the field.
func parseSubmitLongJob(body []byte) (longJobRequest, error) {
	var top map[string]json.RawMessage
	if err := decodeJSON(body, &top); err != nil {
		return longJobRequest{}, err
	}
	for _, k := range slices.Sorted(maps.Keys(top)) {
		if k != "params" && !slices.Contains(bodyExtras, k) {
			return longJobRequest{}, model.Errorf(model.ErrInvalid, "unexpected key %q next to params", shorten(k))
		}
	}
	if t := bytes.TrimSpace(top["params"]); len(t) == 0 || t[0] != '{' {
		return longJobRequest{}, model.Errorf(model.ErrInvalid, `params is required: an object with jobName and jobData, as in {"params":{"jobName":"APIStartVmInstanceMsg","jobData":"{\"uuid\":\"...\"}"}}`)
	}
	var p submitLongJobParams
	if err := decodeStrict("params", top["params"], &p); err != nil {
		return longJobRequest{}, err
	}
	if len(p.TagUUIDs) > 0 {
		return longJobRequest{}, model.Errorf(model.ErrInvalid, "params.tagUuids is not supported: tag the job's VM with CreateUserTag instead")
	}
	// A fully qualified message name (org.zstack.header.vm.APIStartVmInstanceMsg) is the same job.
	name := p.JobName[strings.LastIndex(p.JobName, ".")+1:]
	kind, ok := longJobKinds[name]
	switch {
	case p.JobName == "":
		return longJobRequest{}, model.Errorf(model.ErrInvalid, "jobName is required: one of %s", strings.Join(longJobNames, ", "))
	case !ok:
		return longJobRequest{}, model.Errorf(model.ErrInvalid, "jobName %q is not supported: the supported jobs are %s", shorten(p.JobName), strings.Join(longJobNames, ", "))
	}
	data, text, err := jobDataObject(p.JobData)
	if err != nil {
		return longJobRequest{}, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return longJobRequest{}, model.Errorf(model.ErrInvalid, "jobData must hold a JSON object: %s", adapters.DescribeJSONError(err))
	}
	var vmid string
	if raw, ok := fields[kind.vmField]; !ok || json.Unmarshal(raw, &vmid) != nil || strings.TrimSpace(vmid) == "" {
		return longJobRequest{}, model.Errorf(model.ErrInvalid, "jobData.%s is required for %s: the uuid of the VM, as a string", kind.vmField, name)
	}
	delete(fields, kind.vmField) // the VM is the job's target, not a parameter of its action
	params, err := json.Marshal(fields)
	if err != nil {
		return longJobRequest{}, err
	}
	a, err := parseActionParams("jobData", kind.action, params)
	if err != nil {
		return longJobRequest{}, err
	}
	req := longJobRequest{VMID: strings.ToLower(strings.TrimSpace(vmid)), action: a,
		Job: longjobs.Job{Name: deref(p.Name), Description: deref(p.Description), JobName: name, JobData: text}}
	if id := strings.ToLower(strings.TrimSpace(deref(p.ResourceUUID))); id != "" {
		if !broker.IsUUID(id) {
			return longJobRequest{}, model.Errorf(model.ErrInvalid, "resourceUuid %q must be 32 hexadecimal characters", shorten(deref(p.ResourceUUID)))
		}
		req.TaskID = id
	}
	// Without a target the job's target is its VM: that is what it acts on.
	req.Job.TargetResourceUUID = cmp.Or(strings.TrimSpace(deref(p.TargetResourceUUID)), req.VMID)
	return req, nil
}

// jobDataObject returns jobData's JSON object and its text as the job keeps it.
func jobDataObject(raw json.RawMessage) (data []byte, text string, err error) {
	t := bytes.TrimSpace(raw)
	switch {
	case len(t) == 0 || bytes.Equal(t, []byte("null")):
		return nil, "", model.Errorf(model.ErrInvalid, `jobData is required: a string holding the job's parameters as a JSON object, as in "{\"uuid\":\"...\"}"`)
	case t[0] == '{':
		var buf bytes.Buffer
		if err := json.Compact(&buf, t); err != nil {
			return nil, "", model.Errorf(model.ErrInvalid, "jobData: %v", err)
		}
		return buf.Bytes(), buf.String(), nil
	case t[0] == '"':
		if err := json.Unmarshal(t, &text); err != nil {
			return nil, "", model.Errorf(model.ErrInvalid, "jobData: %v", err)
		}
		return []byte(text), text, nil
	}
	return nil, "", model.Errorf(model.ErrInvalid, "jobData must be a string holding a JSON object, got %s", shorten(string(t)))
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// submitLongJob is POST /zstack/v1/longjobs (SubmitLongJob). Its job answers the long job as it
// stood once submitted ({"inventory":{...}}, state Waiting or Running); the long job itself goes
// on as its own task.
func (s *Server) submitLongJob(c *gin.Context) {
	raw, ok := s.body(c)
	if !ok {
		return
	}
	req, err := parseSubmitLongJob(raw)
	if err != nil {
		fail(c, err)
		return
	}
	caller := callerOf(c)
	s.accept(c, "SubmitLongJob", req, func(ctx context.Context) (any, error) {
		job := req.Job
		job.Node = s.o.NodeID // not part of the request: a retry may reach another replica
		e, err := s.o.LongJobs.Submit(ctx, caller, job, func(ctx context.Context) (broker.Task, error) {
			return s.submitVMAction(ctx, caller, req.VMID, req.action, req.TaskID)
		})
		if err != nil {
			return nil, err
		}
		return gin.H{"inventory": s.longJob(ctx, caller, e)}, nil
	})
}

// queryLongJobs is GET /zstack/v1/longjobs[/{uuid}] (QueryLongJob): the long jobs on providers
// the caller sees, oldest first.
func (s *Server) queryLongJobs(c *gin.Context) {
	q, err := parseListQuery(c)
	if err != nil {
		fail(c, err)
		return
	}
	ctx, caller := c.Request.Context(), callerOf(c)
	var entries []longjobs.Entry
	if id := c.Param("uuid"); id != "" {
		e, err := s.o.LongJobs.Get(ctx, caller, strings.ToLower(id))
		switch {
		case err == nil:
			entries = append(entries, e)
		case !errors.Is(err, model.ErrNotFound):
			fail(c, err)
			return
		}
	} else if entries, err = s.o.LongJobs.List(ctx, caller); err != nil {
		fail(c, err)
		return
	}
	invs := make([]longJobInventory, 0, len(entries))
	for _, e := range entries {
		invs = append(invs, s.longJob(ctx, caller, e))
	}
	queryList(c, q, invs, "LongJob")
}

// longJobActions is PUT /zstack/v1/longjobs/{uuid}/actions: {"cancelLongJob":{}} (CancelLongJob)
// cancels the job's task, waiting or running. Canceling a job already canceled succeeds; one
// that succeeded or failed, or that the caller cannot see, fails the API's job.
func (s *Server) longJobActions(c *gin.Context) {
	raw, ok := s.body(c)
	if !ok {
		return
	}
	if _, _, err := pickAction(raw, []string{"cancelLongJob"}, "long jobs"); err != nil {
		fail(c, err)
		return
	}
	id := strings.ToLower(c.Param("uuid"))
	caller := callerOf(c)
	s.accept(c, "CancelLongJob", gin.H{"uuid": id}, func(ctx context.Context) (any, error) {
		if _, err := s.o.LongJobs.Cancel(ctx, caller, id); err != nil {
			return nil, err
		}
		return empty{}, nil
	})
}

// deleteLongJob is DELETE /zstack/v1/longjobs/{uuid} (DeleteLongJob): a finished job is
// forgotten (its task's record stays until it expires, for its api-job). A job still waiting or
// running is refused, not canceled on the way: CancelLongJob first.
func (s *Server) deleteLongJob(c *gin.Context) {
	if _, err := deleteModeParam(c); err != nil {
		fail(c, err)
		return
	}
	id := strings.ToLower(c.Param("uuid"))
	caller := callerOf(c)
	s.accept(c, "DeleteLongJob", gin.H{"uuid": id}, func(ctx context.Context) (any, error) {
		if err := s.o.LongJobs.Delete(ctx, caller, id); err != nil {
			return nil, err
		}
		return empty{}, nil
	})
}
