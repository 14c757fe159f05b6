package govctest

import "testing"

// VM is what `govc vm.info -e` reports of one VM: power, size, annotation and extraConfig.
type VM struct {
	PowerState, Annotation string
	CPUs                   int32
	MemoryMB               int64
	Extra                  map[string]string
}

// VMInfo returns the VM named vm on the vCenter at url, or nil when there is none; more than
// one such VM fails the test.
func VMInfo(t testing.TB, url, vm string) *VM {
	t.Helper()
	var info struct {
		VirtualMachines []struct {
			Runtime struct{ PowerState string } `json:"runtime"`
			Config  struct {
				Annotation string `json:"annotation"`
				Hardware   struct {
					NumCPU   int32 `json:"numCPU"`
					MemoryMB int64 `json:"memoryMB"`
				} `json:"hardware"`
				ExtraConfig []struct{ Key, Value string } `json:"extraConfig"`
			} `json:"config"`
		} `json:"virtualMachines"`
	}
	run(t, url, &info, "vm.info", "-json", "-e", vm)
	switch len(info.VirtualMachines) {
	case 0:
		return nil
	case 1:
	default:
		t.Fatalf("govc vm.info %s: %d VMs of that name", vm, len(info.VirtualMachines))
	}
	v := info.VirtualMachines[0]
	out := &VM{PowerState: v.Runtime.PowerState, Annotation: v.Config.Annotation, CPUs: v.Config.Hardware.NumCPU, MemoryMB: v.Config.Hardware.MemoryMB, Extra: map[string]string{}}
	for _, o := range v.Config.ExtraConfig {
		out.Extra[o.Key] = o.Value
	}
	return out
}
