package broker

import (
	"context"
	"encoding/json"
	"fmt"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

// TypeVMISOs lists the ISO images a VM could mount (ZStack's GetCandidateIsoForAttachingVm):
// on vCenter the ISO files on the VM's datastores, on KVM the ISO volumes of the host's pools.
const TypeVMISOs = "vm:isos"

// ISOListResult is the Result of a TypeVMISOs task.
type ISOListResult struct {
	VMID   string        `json:"vmid"`
	Images []model.Image `json:"images"`
}

// SubmitISOs starts listing the ISO images a VM could mount and returns the pending task; a
// provider whose driver cannot list them fails the task with model.ErrUnsupported.
func (b *Broker) SubmitISOs(ctx context.Context, c model.Caller, vmid string) (Task, error) {
	return b.submitOnVM(ctx, c, TypeVMISOs, vmid, "", nil)
}

// ISOResult decodes the result of a succeeded ISO listing. Each image's Provider and ID come
// from the task's own spec, as for clones: a worker cannot hand out another provider's ids.
func (t Task) ISOResult() (ISOListResult, error) {
	if t.Spec.Type != TypeVMISOs || t.State != TaskSucceeded {
		return ISOListResult{}, fmt.Errorf("task %s is a %s task in state %s, not a succeeded %s task", t.ID, t.Spec.Type, t.State, TypeVMISOs)
	}
	var res ISOListResult
	if err := json.Unmarshal(t.Result, &res); err != nil {
		return ISOListResult{}, fmt.Errorf("task %s: decoding ISO list: %w", t.ID, err)
	}
	for i := range res.Images {
		res.Images[i].Provider = t.Spec.Provider
		res.Images[i].ID = ImageUUID(t.Spec.Provider, res.Images[i].NativeID)
	}
	return res, nil
}

func runISOs(ctx context.Context, c drivers.Conn, spec TaskSpec) (any, error) {
	il, ok := c.(drivers.ISOLister)
	if !ok {
		return nil, drivers.Unsupported(spec.Provider, "list ISO images")
	}
	isos, err := il.ListISOs(ctx, spec.NativeID)
	if err != nil {
		return nil, err
	}
	if isos == nil {
		isos = []model.Image{}
	}
	return ISOListResult{VMID: spec.VMID, Images: isos}, nil
}
