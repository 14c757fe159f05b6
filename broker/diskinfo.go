package broker

import (
	"context"
)

// SubmitDiskInfo starts reading a VM's disks and returns the pending task.
func (b *Broker) SubmitDiskInfo(ctx context.Context, c Caller, vmid, clientid string) (Task, error) {
	ref, err := b.resolveVM(ctx, c, vmid)
	if err != nil {
		return Task{}, err
	}
	owner, err := b.checkClientID(ref.Provider, clientid)
	if err != nil {
		return Task{}, err
	}
	return b.tasks.Submit(ctx, TaskSpec{Type: TypeVMDiskInfo, Provider: ref.Provider, ClientID: owner, VMID: vmid, NativeID: ref.NativeID})
}
