package vcenter

import (
	"time"

	"github.com/vmware/govmomi/vim25/types"
)

// What the broker keeps on a VM beside the clone mark, in its extraConfig (as cloneMarkKey):
// the image a created VM was made from, and when it was destroyed. Both live on vCenter, so
// every broker replica reads them, and a broker whose Redis lost its data still knows which
// VMs are destroyed. An empty value removes a key.
const (
	imageKey     = "cloudbroker.image"
	destroyedKey = "cloudbroker.destroyed" // RFC 3339, UTC
)

// extraOf reads one extraConfig key; "" when the VM has none.
func extraOf(cfg *types.VirtualMachineConfigInfo, key string) string {
	if cfg == nil {
		return ""
	}
	for _, o := range cfg.ExtraConfig {
		if v := o.GetOptionValue(); v != nil && v.Key == key {
			s, _ := v.Value.(string)
			return s
		}
	}
	return ""
}

// destroyedAt reads the destroyed mark; zero when there is none or it is unreadable.
func destroyedAt(cfg *types.VirtualMachineConfigInfo) time.Time {
	t, err := time.Parse(time.RFC3339, extraOf(cfg, destroyedKey))
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// extraSpec sets extraConfig keys (an empty value removes the key).
func extraSpec(kv ...string) []types.BaseOptionValue {
	var out []types.BaseOptionValue
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, &types.OptionValue{Key: kv[i], Value: kv[i+1]})
	}
	return out
}
