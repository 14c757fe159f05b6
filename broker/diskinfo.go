package broker

import (
	"context"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

// SubmitDiskInfo starts reading a VM's disks and returns the pending task.
func (b *Broker) SubmitDiskInfo(ctx context.Context, c model.Caller, vmid, clientid string, opts ...SubmitOption) (Task, error) {
	return b.submitOnVM(ctx, c, TypeVMDiskInfo, vmid, clientid, nil, opts...)
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
