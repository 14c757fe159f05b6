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
		ExtraConfig: []types.BaseOptionValue{&types.OptionValue{Key: cloneMarkKey, Value: mark}},
	}
}

// cloneMarkOf reads the mark from a VM's config; "" when it has none.
func cloneMarkOf(cfg *types.VirtualMachineConfigInfo) string {
	if cfg == nil {
		return ""
	}
	for _, o := range cfg.ExtraConfig {
		if v := o.GetOptionValue(); v != nil && v.Key == cloneMarkKey {
			s, _ := v.Value.(string)
			return s
		}
	}
	return ""
}
