package vcsim

import (
	"fmt"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// SetToolsRunning sets whether VMware Tools run in a VM's guest (id is its MoRef value). The
// simulator's own VMs never run them (only its container-backed ones do), yet guest shutdown
// and guest reboot need them: tests of those set the field directly.
func (s *Sim) SetToolsRunning(id string, running bool) error {
	if s.proc != nil {
		return s.proc.do(command{ToolsRunning: &toolsRunning{VM: id, Running: running}})
	}
	reg := s.model.Map()
	vm, ok := reg.Get(types.ManagedObjectReference{Type: "VirtualMachine", Value: id}).(*simulator.VirtualMachine)
	if !ok {
		return fmt.Errorf("no simulated vm %s", id)
	}
	status := types.VirtualMachineToolsRunningStatusGuestToolsNotRunning
	if running {
		status = types.VirtualMachineToolsRunningStatusGuestToolsRunning
	}
	reg.WithLock(simulator.NewContext(), vm, func() { vm.Guest.ToolsRunningStatus = string(status) })
	return nil
}
