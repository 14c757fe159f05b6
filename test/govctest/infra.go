package govctest

import "testing"

// Hosts maps each host's name to its MoRef value, as govc reads the vCenter at url.
func Hosts(t testing.TB, url string) map[string]string {
	t.Helper()
	var hosts struct {
		HostSystems []struct {
			Self struct{ Value string } `json:"self"`
			Name string                 `json:"name"`
		} `json:"hostSystems"`
	}
	run(t, url, &hosts, append([]string{"host.info", "-json"}, find(t, url, "h")...)...)
	out := map[string]string{}
	for _, h := range hosts.HostSystems {
		out[h.Name] = h.Self.Value
	}
	return out
}

// Datastores maps each datastore's name to its capacity and free space in bytes.
func Datastores(t testing.TB, url string) map[string][2]int64 {
	t.Helper()
	var ds struct {
		Datastores []struct {
			Name    string `json:"name"`
			Summary struct {
				Capacity  int64 `json:"capacity"`
				FreeSpace int64 `json:"freeSpace"`
			} `json:"summary"`
		} `json:"datastores"`
	}
	run(t, url, &ds, append([]string{"datastore.info", "-json"}, find(t, url, "s")...)...)
	out := map[string][2]int64{}
	for _, d := range ds.Datastores {
		out[d.Name] = [2]int64{d.Summary.Capacity, d.Summary.FreeSpace}
	}
	return out
}

// VMNames lists the VMs (templates left out) of the vCenter at url.
func VMNames(t testing.TB, url string) []string {
	t.Helper()
	var out []string
	for name := range VMHosts(t, url) {
		out = append(out, name)
	}
	return out
}

// Networks lists the names of the networks, port groups and opaque networks in the
// datacenter DC0's network folder of the vCenter at url.
func Networks(t testing.TB, url string) []string {
	t.Helper()
	var ls struct {
		Elements []struct {
			Object struct {
				Self struct{ Type string } `json:"self"`
				Name string                `json:"name"`
			} `json:"Object"`
		} `json:"elements"`
	}
	run(t, url, &ls, "ls", "-json", "/DC0/network")
	var out []string
	for _, e := range ls.Elements {
		switch e.Object.Self.Type {
		case "Network", "DistributedVirtualPortgroup", "OpaqueNetwork":
			out = append(out, e.Object.Name)
		}
	}
	return out
}
