package vcenter

import "github.com/vmware/govmomi/vim25/types"

// A clone's mark (drivers.CloneSpec.Mark) lives in the VM's extraConfig under cloneMarkKey.
// It is part of the CloneVM_Task's own config spec, so the VM never exists unmarked, and it
// survives renames and moves; a VM made any other way has no such key.
const cloneMarkKey = "cloudbroker.task"

// cloneMarkSpec sets the mark on the clone. The key is always sent, empty when there is no
// mark: vSphere copies the source's extraConfig, and a clone must never carry its source's
// mark (an empty value removes the key).
func cloneMarkSpec(mark string) *types.VirtualMachineConfigSpec {
	return &types.VirtualMachineConfigSpec{
		// A clone is not made from an image, nor destroyed: its source's keys are not its own.
		ExtraConfig: extraSpec(cloneMarkKey, mark, imageKey, "", destroyedKey, ""),
	}
}

// cloneMarkOf reads the mark from a VM's config; "" when it has none.
func cloneMarkOf(cfg *types.VirtualMachineConfigInfo) string { return extraOf(cfg, cloneMarkKey) }
