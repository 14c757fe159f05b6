package zstack

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
)

// createVMParams are the CreateVmInstance params this broker honours. The manual's others are
// in refusedCreate: given a value, each is refused naming it; any other key is unknown (400).
type createVMParams struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	ImageUUID   string `json:"imageUuid"`
	CPUNum      int64  `json:"cpuNum"`
	MemorySize  int64  `json:"memorySize"`
	Strategy    string `json:"strategy"`
	Type        string `json:"type"`
	// L3NetworkUUIDs give the VM one NIC on each; DefaultL3NetworkUUID is one of them.
	L3NetworkUUIDs       []string `json:"l3NetworkUuids"`
	DefaultL3NetworkUUID string   `json:"defaultL3NetworkUuid"`
	placementParams
}

// placementParams say where the new VM goes; each left empty means anywhere the caller sees.
type placementParams struct {
	ZoneUUID    string `json:"zoneUuid"`
	ClusterUUID string `json:"clusterUuid"`
	HostUUID    string `json:"hostUuid"`
}

// refusedCreate are the parameters the broker cannot honour, each with why and what to do.
var refusedCreate = map[string]string{
	"resourceUuid":                    "this broker derives a VM's uuid from its provider and the provider's own id for it (so no agent can claim another provider's uuid) and cannot take a chosen one; leave it out and read the uuid from the answer",
	"instanceOfferingUuid":            "this broker keeps no instance offerings; give cpuNum and memorySize instead",
	"rootDiskOfferingUuid":            "this broker keeps no disk offerings; the root disk is the image's",
	"rootDiskSize":                    "the root disk is a copy of the image, of its size",
	"dataDiskOfferingUuids":           "this broker keeps no disk offerings and adds no data disks",
	"dataDiskSizes":                   "this broker adds no data disks",
	"primaryStorageUuidForRootVolume": "the root disk goes where the provider puts the image's copies (the template's datastore, the KVM disks pool)",
	"primaryStorageUuidForDataVolume": "this broker adds no data disks",
	"tagUuids":                        "attach tags after the VM exists (CreateUserTag)",
	"rootVolumeSystemTags":            "this broker keeps no volume tags",
	"dataVolumeSystemTags":            "this broker adds no data disks",
}

// createBody is the whole body: params plus the extras every ZStack API body may carry.
type createBody struct {
	Params     json.RawMessage `json:"params"`
	SystemTags []string        `json:"systemTags"`
	UserTags   []string        `json:"userTags"`
	RequestIP  string          `json:"requestIp"`
}

// parseCreateVM reads CreateVmInstance's body into the broker's request, the placement
// (zone, cluster) still as ZStack uuids. Every refusal names the option.
func parseCreateVM(body []byte) (broker.CreateRequest, placement, error) {
	var b createBody
	if err := decodeStrict("the body", body, &b); err != nil {
		return broker.CreateRequest{}, placement{}, err
	}
	if len(b.SystemTags) > 0 || len(b.UserTags) > 0 {
		return broker.CreateRequest{}, placement{}, model.Errorf(model.ErrInvalid, "systemTags/userTags: tags are not put on a VM at creation here; create them once the VM exists (CreateSystemTag, CreateUserTag)")
	}
	if t := strings.TrimSpace(string(b.Params)); !strings.HasPrefix(t, "{") {
		return broker.CreateRequest{}, placement{}, model.Errorf(model.ErrInvalid, "params is required: an object with name, imageUuid, cpuNum and memorySize")
	}
	var raw map[string]json.RawMessage
	if err := decodeStrict("params", b.Params, &raw); err != nil {
		return broker.CreateRequest{}, placement{}, err
	}
	for _, k := range slices.Sorted(maps.Keys(refusedCreate)) {
		if !unset(raw[k]) {
			return broker.CreateRequest{}, placement{}, model.Errorf(model.ErrInvalid, "params.%s is not supported: %s", k, refusedCreate[k])
		}
		delete(raw, k) // left out, null or zero: the SDK sends every field
	}
	honoured, _ := json.Marshal(raw)
	var p createVMParams
	if err := decodeStrict("params", honoured, &p); err != nil {
		return broker.CreateRequest{}, placement{}, err
	}
	req := broker.CreateRequest{Name: p.Name, Description: p.Description, Image: strings.ToLower(p.ImageUUID), Host: strings.ToLower(p.HostUUID)}
	switch p.Type {
	case "", "UserVm":
	default:
		return req, placement{}, model.Errorf(model.ErrInvalid, "params.type %q is not supported: only UserVm", shorten(p.Type))
	}
	switch p.Strategy {
	case "", "InstantStart":
		req.PowerOn = true
	case "CreateStopped":
	default:
		return req, placement{}, model.Errorf(model.ErrInvalid, "params.strategy %q is not one of InstantStart, CreateStopped", shorten(p.Strategy))
	}
	switch {
	case p.Name == "":
		return req, placement{}, model.Errorf(model.ErrInvalid, "params.name is required")
	case p.ImageUUID == "":
		return req, placement{}, model.Errorf(model.ErrInvalid, "params.imageUuid is required: the image to make the VM from")
	case p.CPUNum <= 0 || p.CPUNum > 1024:
		return req, placement{}, model.Errorf(model.ErrInvalid, "params.cpuNum must be between 1 and 1024 (this broker keeps no instance offerings), got %d", p.CPUNum)
	case p.MemorySize < 1<<20 || p.MemorySize%(1<<20) != 0:
		return req, placement{}, model.Errorf(model.ErrInvalid, "params.memorySize must be a positive number of bytes in whole MiB (1048576), got %d", p.MemorySize)
	}
	req.CPUs, req.MemoryMB = int32(p.CPUNum), p.MemorySize>>20
	for _, u := range []struct{ name, v string }{{"imageUuid", p.ImageUUID}, {"zoneUuid", p.ZoneUUID}, {"clusterUuid", p.ClusterUUID}, {"hostUuid", p.HostUUID}} {
		if u.v != "" && !broker.IsUUID(strings.ToLower(u.v)) {
			return req, placement{}, model.Errorf(model.ErrInvalid, "params.%s %q is not a uuid (32 hexadecimal characters)", u.name, shorten(u.v))
		}
	}
	l3, err := l3Order(p.L3NetworkUUIDs, p.DefaultL3NetworkUUID)
	if err != nil {
		return req, placement{}, err
	}
	return req, placement{zone: strings.ToLower(p.ZoneUUID), cluster: strings.ToLower(p.ClusterUUID), l3: l3}, nil
}

// placement is a create's zone and cluster, as ZStack uuids ("" for any), and its L3 networks.
type placement struct {
	zone, cluster string
	// l3 are the L3 network uuids in NIC order: the default first, as ZStack makes it.
	l3 []string
}

// providers are the providers the caller sees in the placement; nil for no placement. A zone
// or cluster the caller does not see is refused, naming it.
func (s *Server) providersIn(caller model.Caller, pl placement) ([]string, error) {
	if pl.zone == "" && pl.cluster == "" {
		return nil, nil
	}
	var out []string
	for _, p := range s.b.Providers().Visible(caller) {
		if (pl.zone == "" || zoneUUIDOf(p) == pl.zone) && (pl.cluster == "" || clusterUUIDOf(p) == pl.cluster) {
			out = append(out, p.Name)
		}
	}
	if len(out) == 0 {
		return nil, model.Errorf(model.ErrInvalid, "params.zoneUuid %q / clusterUuid %q: no zone and cluster you see match", pl.zone, pl.cluster)
	}
	return out, nil
}

// createVM is POST /zstack/v1/vm-instances (CreateVmInstance): an async API whose job makes
// the VM on the provider of its image.
func (s *Server) createVM(c *gin.Context) {
	raw, ok := s.body(c)
	if !ok {
		return
	}
	req, pl, err := parseCreateVM(raw)
	if err != nil {
		fail(c, err)
		return
	}
	caller := callerOf(c)
	if req.Providers, err = s.providersIn(caller, pl); err != nil {
		fail(c, err)
		return
	}
	if req.Networks, err = s.createNetworks(c.Request.Context(), caller, pl.l3); err != nil {
		fail(c, err)
		return
	}
	call, err := s.asyncHeaders(c)
	if err != nil {
		fail(c, err)
		return
	}
	t, err := s.b.SubmitCreate(c.Request.Context(), caller, req, broker.WithID(call.jobID))
	if err != nil {
		fail(c, err)
		return
	}
	s.accepted(c, call, t.ID)
}

// destroyVM is DELETE /zstack/v1/vm-instances/{uuid} (DestroyVmInstance): the VM is stopped and
// kept in state Destroyed until ExpungeVmInstance or RecoverVmInstance. deleteMode (Permissive,
// Enforcing) changes nothing: the broker has no dependent resources to check.
func (s *Server) destroyVM(c *gin.Context) {
	if _, err := deleteModeParam(c); err != nil {
		fail(c, err)
		return
	}
	call, err := s.asyncHeaders(c)
	if err != nil {
		fail(c, err)
		return
	}
	t, err := s.b.SubmitDestroy(c.Request.Context(), callerOf(c), strings.ToLower(c.Param("uuid")), broker.WithID(call.jobID))
	if err != nil {
		fail(c, err)
		return
	}
	s.accepted(c, call, t.ID)
}

// submitLifecycle submits expungeVmInstance or recoverVmInstance.
func (s *Server) submitLifecycle(ctx context.Context, caller model.Caller, vmid, action, jobID string) (broker.Task, error) {
	if action == actExpunge {
		return s.b.SubmitExpunge(ctx, caller, vmid, broker.WithID(jobID))
	}
	return s.b.SubmitRecover(ctx, caller, vmid, broker.WithID(jobID))
}

// checkStartHost honours startVmInstance's hostUuid the one way the broker can: the VM is
// started where it is, so a hostUuid naming another host (or a VM whose host the provider
// does not report) is refused rather than ignored.
func (s *Server) checkStartHost(ctx context.Context, caller model.Caller, vmid, host string) error {
	if host == "" {
		return nil
	}
	vm, err := s.b.VM(ctx, caller, vmid)
	if err != nil {
		return err
	}
	if vm.HostID == "" || broker.HostUUID(vm.Provider, vm.HostID) != host {
		return model.Errorf(model.ErrInvalid, "startVmInstance: hostUuid %s is not the host vm %s is on: this broker starts a VM where it is and cannot move it", host, vmid)
	}
	return nil
}
