package vcsim

import (
	"context"
	"fmt"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// Template describes a template for MakeTemplate.
type Template struct {
	// Source is the name of the VM to clone (any datacenter); Name the template's name.
	Source, Name string
	// GuestID is the vSphere guest id ("centos7_64Guest"), Annotation its description.
	GuestID, Annotation string
	// DiskBytes, if set, makes a new VM with one thin disk of that size in Source's folder,
	// pool and datastore instead of cloning Source (a clone's disks can only grow).
	DiskBytes int64
}

// MakeTemplate makes a template next to Source, as an administrator does with "Clone to
// Template", and returns its moref value. Image catalogs list such templates.
func (s *Sim) MakeTemplate(ctx context.Context, t Template) (string, error) {
	var id string
	err := s.with(ctx, func(c *govmomi.Client) error {
		srcID, err := s.VMID(ctx, t.Source)
		if err != nil {
			return err
		}
		src := object.NewVirtualMachine(c.Client, types.ManagedObjectReference{Type: "VirtualMachine", Value: srcID})
		var props mo.VirtualMachine
		if err := src.Properties(ctx, src.Reference(), []string{"parent", "resourcePool", "datastore"}, &props); err != nil {
			return err
		}
		var vm *object.VirtualMachine
		if t.DiskBytes > 0 {
			vm, err = createWithDisk(ctx, c, props, t)
		} else {
			vm, err = cloneReconfigured(ctx, c, src, props, t)
		}
		if err != nil {
			return err
		}
		if err := vm.MarkAsTemplate(ctx); err != nil {
			return fmt.Errorf("vcsim: mark %s as template: %w", t.Name, err)
		}
		id = vm.Reference().Value
		return nil
	})
	return id, err
}

func cloneReconfigured(ctx context.Context, c *govmomi.Client, src *object.VirtualMachine, props mo.VirtualMachine, t Template) (*object.VirtualMachine, error) {
	task, err := src.Clone(ctx, object.NewFolder(c.Client, *props.Parent), t.Name,
		types.VirtualMachineCloneSpec{Location: types.VirtualMachineRelocateSpec{Pool: props.ResourcePool}})
	if err != nil {
		return nil, err
	}
	info, err := task.WaitForResult(ctx)
	if err != nil {
		return nil, fmt.Errorf("vcsim: clone %s: %w", t.Name, err)
	}
	vm := object.NewVirtualMachine(c.Client, info.Result.(types.ManagedObjectReference))
	task, err = vm.Reconfigure(ctx, types.VirtualMachineConfigSpec{GuestId: t.GuestID, Annotation: t.Annotation})
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("vcsim: reconfigure %s: %w", t.Name, err)
	}
	return vm, nil
}

func createWithDisk(ctx context.Context, c *govmomi.Client, props mo.VirtualMachine, t Template) (*object.VirtualMachine, error) {
	if len(props.Datastore) == 0 {
		return nil, fmt.Errorf("vcsim: %s has no datastore", t.Source)
	}
	ds := object.NewDatastore(c.Client, props.Datastore[0])
	dsName, err := ds.ObjectName(ctx)
	if err != nil {
		return nil, err
	}
	var devices object.VirtualDeviceList
	ctl, err := devices.CreateSCSIController("pvscsi")
	if err != nil {
		return nil, err
	}
	devices = append(devices, ctl)
	disk := devices.CreateDisk(ctl.(types.BaseVirtualController), ds.Reference(), "")
	disk.CapacityInBytes, disk.CapacityInKB = t.DiskBytes, t.DiskBytes/1024
	devices = append(devices, disk)
	changes, err := devices.ConfigSpec(types.VirtualDeviceConfigSpecOperationAdd)
	if err != nil {
		return nil, err
	}
	spec := types.VirtualMachineConfigSpec{
		Name: t.Name, GuestId: t.GuestID, Annotation: t.Annotation, NumCPUs: 1, MemoryMB: 64,
		Files: &types.VirtualMachineFileInfo{VmPathName: "[" + dsName + "]"}, DeviceChange: changes,
	}
	task, err := object.NewFolder(c.Client, *props.Parent).CreateVM(ctx, spec, object.NewResourcePool(c.Client, *props.ResourcePool), nil)
	if err != nil {
		return nil, err
	}
	info, err := task.WaitForResult(ctx)
	if err != nil {
		return nil, fmt.Errorf("vcsim: create %s: %w", t.Name, err)
	}
	return object.NewVirtualMachine(c.Client, info.Result.(types.ManagedObjectReference)), nil
}
