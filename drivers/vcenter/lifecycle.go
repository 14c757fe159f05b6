package vcenter

import (
	"context"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

var _ interface {
	drivers.Creator
	drivers.Destroyer
	drivers.Recoverer
	drivers.Expunger
} = (*Conn)(nil)

// Create implements drivers.Creator: a CloneVM_Task of the template spec.Image names into the
// template's folder, sized by spec (CPUs, memory), described by spec.Description, marked with
// spec.Mark and the template's id in the same call. spec.Host places it on that host (in its
// cluster's root pool); otherwise it goes where the template's host is. spec.Networks, if set,
// replace the template's NICs in the same clone spec (nicChanges).
func (c *Conn) Create(ctx context.Context, spec drivers.CreateSpec) (model.VM, error) {
	if spec.Name == "" || spec.CPUs <= 0 || spec.MemoryMB <= 0 {
		return model.VM{}, model.Errorf(model.ErrInvalid, "vcenter: create needs a name, cpus and memory (got %q, %d, %d MB)", spec.Name, spec.CPUs, spec.MemoryMB)
	}
	vm, err := c.create(ctx, spec)
	if err != nil {
		return vm, wrapErr(err, "create vm %q from template %q", spec.Name, spec.Image)
	}
	return vm, nil
}

func (c *Conn) create(ctx context.Context, spec drivers.CreateSpec) (model.VM, error) {
	src, err := c.vmProps(ctx, spec.Image, "parent", "datastore", "runtime.host", "config.template", "config.hardware.device")
	if err != nil {
		return model.VM{}, err
	}
	if src.Config == nil || !src.Config.Template {
		return model.VM{}, model.Errorf(model.ErrNotFound, "image %q is not a template", spec.Image)
	}
	if src.Parent == nil || src.Parent.Type != "Folder" {
		return model.VM{}, model.Errorf(model.ErrUnsupported, "template %q is not in a folder", spec.Image)
	}
	host := src.Runtime.Host
	if spec.Host != "" {
		host = &types.ManagedObjectReference{Type: "HostSystem", Value: spec.Host}
	}
	pool, err := c.hostPool(ctx, host)
	if err != nil {
		return model.VM{}, err
	}
	loc := types.VirtualMachineRelocateSpec{Pool: pool}
	if spec.Host != "" {
		loc.Host = host
	}
	if len(src.Datastore) > 0 {
		loc.Datastore = &src.Datastore[0]
	}
	cfg := &types.VirtualMachineConfigSpec{
		NumCPUs: spec.CPUs, MemoryMB: spec.MemoryMB, Annotation: spec.Description,
		ExtraConfig: extraSpec(cloneMarkKey, spec.Mark, imageKey, spec.Image, destroyedKey, ""),
	}
	if cfg.DeviceChange, err = c.nicChanges(ctx, src.Config.Hardware.Device, spec.Networks); err != nil {
		return model.VM{}, err
	}
	ref, err := c.cloneTask(ctx, spec.Image, *src.Parent, spec.Name,
		types.VirtualMachineCloneSpec{Location: loc, PowerOn: spec.PowerOn, Config: cfg}, spec.Progress)
	if err != nil {
		return model.VM{}, err
	}
	vm, err := c.vm(ctx, ref)
	if err == nil && vm.Description != spec.Description {
		// Not every vCenter (nor vcsim) applies the clone spec's annotation: set it again.
		task, err := object.NewVirtualMachine(c.client, ref).Reconfigure(ctx, types.VirtualMachineConfigSpec{Annotation: spec.Description})
		if err == nil {
			err = task.Wait(ctx)
		}
		if err != nil {
			return vm, err
		}
		return c.vm(ctx, ref)
	}
	return vm, err
}

// Destroy implements drivers.Destroyer: the VM is powered off, then marked in its extraConfig
// (lifecyclemark.go). A VM already marked keeps its first mark.
func (c *Conn) Destroy(ctx context.Context, nativeVMID string, at time.Time) error {
	cur, err := c.vmProps(ctx, nativeVMID, "config.extraConfig")
	if err != nil {
		return wrapErr(err, "destroy vm %q", nativeVMID)
	}
	if err := c.SetPower(ctx, nativeVMID, model.PowerOff); err != nil {
		return err
	}
	if !destroyedAt(cur.Config).IsZero() {
		return nil
	}
	return c.reconfigure(ctx, nativeVMID, "destroy", destroyedKey, at.UTC().Format(time.RFC3339))
}

// Recover implements drivers.Recoverer: the destroyed mark is removed; the VM stays off.
func (c *Conn) Recover(ctx context.Context, nativeVMID string) error {
	if err := c.mustBeDestroyed(ctx, nativeVMID, "recover"); err != nil {
		return err
	}
	return c.reconfigure(ctx, nativeVMID, "recover", destroyedKey, "")
}

// Expunge implements drivers.Expunger with Destroy_Task, which deletes the VM's files (its
// disks included) from the datastore.
func (c *Conn) Expunge(ctx context.Context, nativeVMID string) error {
	if err := c.mustBeDestroyed(ctx, nativeVMID, "expunge"); err != nil {
		return err
	}
	if err := c.SetPower(ctx, nativeVMID, model.PowerOff); err != nil {
		return err
	}
	task, err := object.NewVirtualMachine(c.client, vmRef(nativeVMID)).Destroy(ctx)
	if err == nil {
		err = task.Wait(ctx)
	}
	return wrapErr(err, "expunge vm %q", nativeVMID)
}

func (c *Conn) mustBeDestroyed(ctx context.Context, id, what string) error {
	cur, err := c.vmProps(ctx, id, "config.extraConfig")
	if err != nil {
		return wrapErr(err, "%s vm %q", what, id)
	}
	if destroyedAt(cur.Config).IsZero() {
		return model.Errorf(model.ErrConflict, "vcenter: %s vm %q: it is not destroyed; destroy it first", what, id)
	}
	return nil
}

// reconfigure sets extraConfig keys with ReconfigVM_Task and waits for it.
func (c *Conn) reconfigure(ctx context.Context, id, what string, kv ...string) error {
	task, err := object.NewVirtualMachine(c.client, vmRef(id)).Reconfigure(ctx, types.VirtualMachineConfigSpec{ExtraConfig: extraSpec(kv...)})
	if err == nil {
		err = task.Wait(ctx)
	}
	return wrapErr(err, "%s vm %q", what, id)
}
