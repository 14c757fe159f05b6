package vcenter

import (
	"context"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

var _ drivers.DiskLister = (*Conn)(nil)

// ListDisks implements drivers.DiskLister with a single fetch of config.hardware.device.
func (c *Conn) ListDisks(ctx context.Context, nativeVMID string) ([]model.Disk, error) {
	vm, err := c.vmProps(ctx, nativeVMID, "config.hardware.device")
	if err != nil {
		return nil, wrapErr(err, "list disks of vm %q", nativeVMID)
	}
	if vm.Config == nil {
		return []model.Disk{}, nil // config unreadable (VM being created or inaccessible)
	}
	return disksOf(vm.Config.Hardware.Device), nil
}

// vmProps fetches a few properties of one VM; an unknown id fails with ManagedObjectNotFound,
// which wrapErr turns into model.ErrNotFound.
func (c *Conn) vmProps(ctx context.Context, id string, props ...string) (*mo.VirtualMachine, error) {
	if id == "" {
		return nil, model.Errorf(model.ErrInvalid, "empty vm id")
	}
	objs, err := c.retrieve(ctx, types.PropertyFilterSpec{
		ObjectSet: []types.ObjectSpec{{Obj: vmRef(id)}},
		PropSet:   []types.PropertySpec{{Type: "VirtualMachine", PathSet: props}},
	})
	if err != nil {
		return nil, err
	}
	if len(objs) == 0 {
		return nil, model.Errorf(model.ErrNotFound, "vm %q", id)
	}
	var vm mo.VirtualMachine
	if err := load(objs[0], &vm); err != nil {
		return nil, err
	}
	return &vm, nil
}

// disksOf converts the VirtualDisks of a device list, in device order (the order vSphere
// and govc report them).
func disksOf(devices []types.BaseVirtualDevice) []model.Disk {
	list := object.VirtualDeviceList(devices)
	out := []model.Disk{}
	for _, dev := range list {
		disk, ok := dev.(*types.VirtualDisk)
		if !ok {
			continue
		}
		d := model.Disk{
			Key:           disk.Key,
			Label:         deviceLabel(disk),
			CapacityBytes: disk.CapacityInBytes,
			ControllerKey: disk.ControllerKey,
			Format:        "vmdk",
		}
		if d.CapacityBytes <= 0 { // older hosts fill only the KB field
			d.CapacityBytes = disk.CapacityInKB * 1024
		}
		if disk.UnitNumber != nil {
			d.UnitNumber = *disk.UnitNumber
		}
		if ctl := list.FindByKey(disk.ControllerKey); ctl != nil {
			d.ControllerType, d.BusNumber = controllerOf(ctl)
		}
		d.FileName, d.UUID = diskBacking(disk.Backing)
		d.Storage = datastoreOf(d.FileName)
		out = append(out, d)
	}
	return out
}

func deviceLabel(dev types.BaseVirtualDevice) string {
	if info := dev.GetVirtualDevice().DeviceInfo; info != nil {
		return info.GetDescription().Label
	}
	return ""
}

func controllerOf(ctl types.BaseVirtualDevice) (kind string, bus int32) {
	switch ctl.(type) {
	case types.BaseVirtualSCSIController:
		kind = "scsi"
	case types.BaseVirtualSATAController:
		kind = "sata"
	case *types.VirtualIDEController:
		kind = "ide"
	case *types.VirtualNVMEController:
		kind = "nvme"
	}
	if vc, ok := ctl.(types.BaseVirtualController); ok {
		bus = vc.GetVirtualController().BusNumber
	}
	return kind, bus
}

// diskBacking returns the backing file and disk UUID; each backing type declares Uuid itself.
func diskBacking(b types.BaseVirtualDeviceBackingInfo) (file, uuid string) {
	switch b := b.(type) {
	case *types.VirtualDiskFlatVer2BackingInfo:
		return b.FileName, b.Uuid
	case *types.VirtualDiskSeSparseBackingInfo:
		return b.FileName, b.Uuid
	case *types.VirtualDiskSparseVer2BackingInfo:
		return b.FileName, b.Uuid
	case *types.VirtualDiskRawDiskMappingVer1BackingInfo:
		return b.FileName, b.Uuid
	case *types.VirtualDiskLocalPMemBackingInfo:
		return b.FileName, b.Uuid
	case *types.VirtualDiskRawDiskVer2BackingInfo:
		return b.DescriptorFileName, b.Uuid
	case types.BaseVirtualDeviceFileBackingInfo:
		return b.GetVirtualDeviceFileBackingInfo().FileName, ""
	}
	return "", ""
}
