package zstack

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
)

// The VM actions this broker runs, by the body key that names them.
const (
	actClone  = "cloneVmInstance"
	actStart  = "startVmInstance"
	actStop   = "stopVmInstance"
	actReboot = "rebootVmInstance"
	// The lifecycle after DestroyVmInstance (create.go).
	actExpunge = "expungeVmInstance"
	actRecover = "recoverVmInstance"
)

var vmActionNames = []string{actClone, actExpunge, actReboot, actRecover, actStart, actStop}

// bodyExtras may accompany any action, as in ZStack.
var bodyExtras = []string{"systemTags", "userTags", "requestIp"}

// cloneParams are cloneVmInstance's parameters. A clone goes where its source is: ZStack's
// placement options (primary storages, volume tags) are refused when given a value
// (refusedClone), never ignored.
type cloneParams struct {
	Names                []string        `json:"names"`
	Strategy             string          `json:"strategy"`
	Full                 *bool           `json:"full"`
	PrimaryStorageRoot   json.RawMessage `json:"primaryStorageUuidForRootVolume"`
	PrimaryStorageData   json.RawMessage `json:"primaryStorageUuidForDataVolume"`
	RootVolumeSystemTags json.RawMessage `json:"rootVolumeSystemTags"`
	DataVolumeSystemTags json.RawMessage `json:"dataVolumeSystemTags"`
}

// refusedClone names cloneParams' placement options in the order they are checked.
var refusedClone = []string{"primaryStorageUuidForRootVolume", "primaryStorageUuidForDataVolume", "rootVolumeSystemTags", "dataVolumeSystemTags"}

func (p cloneParams) placement() []json.RawMessage {
	return []json.RawMessage{p.PrimaryStorageRoot, p.PrimaryStorageData, p.RootVolumeSystemTags, p.DataVolumeSystemTags}
}

// stopParams: stopHa asks ZStack's HA not to start the VM again; the broker runs no HA, so a
// stopped VM stays stopped either way and the option is honoured as it stands.
type stopParams struct {
	Type   string `json:"type"`
	StopHA bool   `json:"stopHa"`
}

// startParams: hostUuid is honoured only as the host the VM is on (checkStartHost): the broker
// does not move a VM when it starts it.
type startParams struct {
	HostUUID string `json:"hostUuid"`
}

// vmAction is a parsed actions body.
type vmAction struct {
	Name  string
	Clone broker.CloneRequest // for cloneVmInstance
	Power model.PowerOp       // for the power actions
	// Host is startVmInstance's hostUuid ("" for any).
	Host string
}

// parseAction reads the body of PUT /vm-instances/{uuid}/actions: one action key whose value
// holds its parameters, plus systemTags/userTags. An unknown action is a 400 that names it.
// The clone seed's own example sends cloneVmInstance's parameters unwrapped
// ({"names":[...],"strategy":...}); that form is read as cloneVmInstance too.
func parseAction(body []byte) (vmAction, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return vmAction{}, model.Errorf(model.ErrInvalid, `the body must name one action, as in {"startVmInstance":{}}; actions are %s`, strings.Join(vmActionNames, ", "))
	}
	var top map[string]json.RawMessage
	if err := decodeJSON(body, &top); err != nil {
		return vmAction{}, err
	}
	var found []string
	for k := range top {
		if slices.Contains(vmActionNames, k) {
			found = append(found, k)
		}
	}
	var name string
	var params json.RawMessage
	switch {
	case len(found) == 0 && top["names"] != nil:
		// The extras sit beside the parameters here: they are not clone options.
		for _, k := range bodyExtras {
			delete(top, k)
		}
		name = actClone
		var err error
		if params, err = json.Marshal(top); err != nil {
			return vmAction{}, err
		}
	case len(found) == 0:
		for _, k := range slices.Sorted(maps.Keys(top)) {
			if !slices.Contains(bodyExtras, k) {
				return vmAction{}, model.Errorf(model.ErrInvalid, "unknown action %q for a VM instance; actions are %s", shorten(k), strings.Join(vmActionNames, ", "))
			}
		}
		return vmAction{}, model.Errorf(model.ErrInvalid, "the body names no action; actions are %s", strings.Join(vmActionNames, ", "))
	case len(found) > 1:
		slices.Sort(found)
		return vmAction{}, model.Errorf(model.ErrInvalid, "the body names %d actions (%s); send one per call", len(found), strings.Join(found, ", "))
	default:
		name, params = found[0], top[found[0]]
		for _, k := range slices.Sorted(maps.Keys(top)) {
			if k != name && !slices.Contains(bodyExtras, k) {
				return vmAction{}, model.Errorf(model.ErrInvalid, "unexpected key %q next to %s", shorten(k), name)
			}
		}
	}
	return parseActionParams(name, name, params)
}

// parseActionParams reads the parameters of the VM action name (a JSON object; empty or null
// is none). label names the parameters in errors: the action's key in a VM actions body, the
// jobData of a long job.
func parseActionParams(label, name string, params json.RawMessage) (vmAction, error) {
	if t := bytes.TrimSpace(params); len(t) == 0 || bytes.Equal(t, []byte("null")) {
		params = json.RawMessage("{}")
	} else if t[0] != '{' {
		return vmAction{}, model.Errorf(model.ErrInvalid, "%s must be an object of parameters, got %s", label, shorten(string(t)))
	}
	a := vmAction{Name: name}
	switch name {
	case actClone:
		var p cloneParams
		if err := decodeParams(label, params, &p); err != nil {
			return vmAction{}, err
		}
		for i, v := range p.placement() {
			if !unset(v) {
				return vmAction{}, model.Errorf(model.ErrInvalid, "%s: %s is not supported: a clone is made where its source is (same datastore or storage pool)", label, refusedClone[i])
			}
		}
		a.Clone = broker.CloneRequest{Names: p.Names, Full: p.Full != nil && *p.Full}
		switch p.Strategy {
		case "", "InstantStart":
			a.Clone.PowerOn = true
		case "JustCreate", "CreateStopped":
		default:
			return vmAction{}, model.Errorf(model.ErrInvalid, "%s: strategy %q is not one of InstantStart, JustCreate, CreateStopped", label, shorten(p.Strategy))
		}
	case actStart:
		var p startParams
		if err := decodeParams(label, params, &p); err != nil {
			return vmAction{}, err
		}
		a.Power, a.Host = model.PowerOn, strings.ToLower(p.HostUUID)
		if a.Host != "" && !broker.IsUUID(a.Host) {
			return vmAction{}, model.Errorf(model.ErrInvalid, "%s: hostUuid %q is not a uuid (32 hexadecimal characters)", label, shorten(p.HostUUID))
		}
	case actExpunge, actRecover:
		var p struct{}
		if err := decodeParams(label, params, &p); err != nil {
			return vmAction{}, err
		}
	case actStop:
		var p stopParams
		if err := decodeParams(label, params, &p); err != nil {
			return vmAction{}, err
		}
		switch p.Type {
		case "", "grace": // ZStack's default: the guest shuts down, forced off after the provider's bound
			a.Power = model.Shutdown
		case "cold":
			a.Power = model.PowerOff
		default:
			return vmAction{}, model.Errorf(model.ErrInvalid, "%s: type %q is not grace or cold", label, shorten(p.Type))
		}
	case actReboot:
		a.Power = model.Reboot // the guest reboots, or the VM is reset
	}
	return a, nil
}

// decodeParams reads an action's parameters strictly: an unknown key is a 400 naming it.
func decodeParams(action string, raw json.RawMessage, v any) error {
	return decodeStrict(action, raw, v)
}

// vmActions is PUT /zstack/v1/vm-instances/{uuid}/actions: an async API. The answer is 202 with
// the job's location; the job's id is X-Job-UUID when given, so a retried call finds the job it
// made the first time instead of making another.
func (s *Server) vmActions(c *gin.Context) {
	raw, ok := s.body(c)
	if !ok {
		return
	}
	a, err := parseAction(raw)
	if err != nil {
		fail(c, err)
		return
	}
	call, err := s.asyncHeaders(c)
	if err != nil {
		fail(c, err)
		return
	}
	caller, vmid := callerOf(c), strings.ToLower(c.Param("uuid"))
	t, err := s.submitVMAction(c.Request.Context(), caller, vmid, a, call.jobID)
	if err != nil {
		fail(c, err)
		return
	}
	s.accepted(c, call, t.ID)
}

// submitVMAction submits a parsed VM action on vmid as the task jobID ("" for a fresh id).
func (s *Server) submitVMAction(ctx context.Context, caller model.Caller, vmid string, a vmAction, jobID string) (broker.Task, error) {
	switch a.Name {
	case actClone:
		return s.b.SubmitClone(ctx, caller, vmid, a.Clone, broker.WithID(jobID))
	case actExpunge, actRecover:
		return s.submitLifecycle(ctx, caller, vmid, a.Name, jobID)
	}
	if err := s.checkStartHost(ctx, caller, vmid, a.Host); err != nil {
		return broker.Task{}, err
	}
	return s.b.SubmitPower(ctx, caller, vmid, a.Power, broker.WithID(jobID))
}
