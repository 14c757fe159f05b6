package govctest

import "testing"

// VMHosts maps each VM's name (templates left out) to the MoRef value of the host govc says it
// is placed on.
func VMHosts(t testing.TB, url string) map[string]string {
	t.Helper()
	var vms struct {
		VirtualMachines []struct {
			Name   string `json:"name"`
			Config struct {
				Template bool `json:"template"`
			} `json:"config"`
			Runtime struct {
				Host struct{ Value string } `json:"host"`
			} `json:"runtime"`
		} `json:"virtualMachines"`
	}
	run(t, url, &vms, append([]string{"vm.info", "-json"}, find(t, url, "m")...)...)
	out := map[string]string{}
	for _, vm := range vms.VirtualMachines {
		if !vm.Config.Template {
			out[vm.Name] = vm.Runtime.Host.Value
		}
	}
	return out
}
