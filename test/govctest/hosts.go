package govctest

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Capacity is what govc reports of a vCenter's hosts: cores and memory of the connected hosts,
// and the vCPUs and memory of the powered-on VMs (not templates) placed on them.
type Capacity struct {
	CPUs, AllocatedCPUs          int64
	MemoryBytes, AllocatedMemory int64
}

// HostCapacity sums the capacity of every host of the vCenter at url, as govc reads it.
func HostCapacity(t testing.TB, url string) Capacity {
	t.Helper()
	var hosts struct {
		HostSystems []struct {
			Self    struct{ Value string } `json:"self"`
			Summary struct {
				Hardware struct {
					NumCpuCores int64 `json:"numCpuCores"`
					MemorySize  int64 `json:"memorySize"`
				} `json:"hardware"`
			} `json:"summary"`
			Runtime struct {
				ConnectionState string `json:"connectionState"`
			} `json:"runtime"`
		} `json:"hostSystems"`
	}
	run(t, url, &hosts, append([]string{"host.info", "-json"}, find(t, url, "h")...)...)
	connected := map[string]bool{}
	var c Capacity
	for _, h := range hosts.HostSystems {
		if h.Runtime.ConnectionState != "connected" {
			continue
		}
		connected[h.Self.Value] = true
		c.CPUs += h.Summary.Hardware.NumCpuCores
		c.MemoryBytes += h.Summary.Hardware.MemorySize
	}
	var vms struct {
		VirtualMachines []struct {
			Config struct {
				Template bool `json:"template"`
				Hardware struct {
					NumCPU   int64 `json:"numCPU"`
					MemoryMB int64 `json:"memoryMB"`
				} `json:"hardware"`
			} `json:"config"`
			Runtime struct {
				Host       struct{ Value string } `json:"host"`
				PowerState string                 `json:"powerState"`
			} `json:"runtime"`
		} `json:"virtualMachines"`
	}
	run(t, url, &vms, append([]string{"vm.info", "-json"}, find(t, url, "m")...)...)
	for _, vm := range vms.VirtualMachines {
		if vm.Config.Template || vm.Runtime.PowerState != "poweredOn" || !connected[vm.Runtime.Host.Value] {
			continue
		}
		c.AllocatedCPUs += vm.Config.Hardware.NumCPU
		c.AllocatedMemory += vm.Config.Hardware.MemoryMB << 20
	}
	return c
}

// find lists the inventory paths of objects of a govc type letter (h hosts, m VMs).
func find(t testing.TB, url, kind string) []string {
	t.Helper()
	out := govc(t, url, "find", "-type", kind, "/")
	var paths []string
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			paths = append(paths, l)
		}
	}
	return paths
}

func run(t testing.TB, url string, v any, args ...string) {
	t.Helper()
	out := govc(t, url, args...)
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("govc %s: %v\n%s", args[0], err, out)
	}
}

func govc(t testing.TB, url string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(Path(t), args...)
	cmd.Env = append(os.Environ(), "GOVC_URL="+url, "GOVC_INSECURE=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("govc %s: %v", strings.Join(args, " "), err)
	}
	return out
}
