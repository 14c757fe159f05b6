package vcsim

import (
	"context"
	"fmt"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"
)

// Rename renames the VM called name, as an administrator does in the vSphere client: a second
// simulator then holds VMs that cannot be mistaken for the first one's.
func (s *Sim) Rename(ctx context.Context, name, newName string) error {
	id, err := s.VMID(ctx, name)
	if err != nil {
		return err
	}
	return s.with(ctx, func(c *govmomi.Client) error {
		vm := object.NewVirtualMachine(c.Client, types.ManagedObjectReference{Type: "VirtualMachine", Value: id})
		task, err := vm.Rename(ctx, newName)
		if err == nil {
			err = task.Wait(ctx)
		}
		if err != nil {
			return fmt.Errorf("vcsim: rename %s: %w", name, err)
		}
		return nil
	})
}
