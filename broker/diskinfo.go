package broker

import (
	"context"

	"cloudbroker/drivers"
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
	return b.submit(ctx, TaskSpec{Type: TypeVMDiskInfo, Provider: ref.Provider, ClientID: owner, VMID: vmid, NativeID: ref.NativeID})
}

func runDiskInfo(ctx context.Context, c drivers.Conn, spec TaskSpec) (any, error) {
	dl, ok := c.(drivers.DiskLister)
	if !ok {
		return nil, drivers.Unsupported(spec.Provider, "list disks")
	}
	disks, err := dl.ListDisks(ctx, spec.NativeID)
	if err != nil {
		return nil, err
	}
	return DiskInfoResult{VMID: spec.VMID, Disks: disks}, nil
}
