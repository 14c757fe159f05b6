package vcenter_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker/model"
	"cloudbroker/drivers/vcenter"
	"cloudbroker/drivers/vcenter/vcsim"
	"cloudbroker/test/govctest"
)

// TestNetworksMatchGovc checks ListNetworks against `govc ls -json` of the datacenter's network
// folder, and that every VM NIC names a listed network.
func TestNetworksMatchGovc(t *testing.T) {
	bin, sim, c := govcSim(t)
	var ls struct {
		Elements []struct {
			Object struct {
				Self    struct{ Type, Value string } `json:"self"`
				Name    string                       `json:"name"`
				Summary struct {
					Accessible bool `json:"accessible"`
				} `json:"summary"`
			} `json:"Object"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(govc(t, bin, sim, "ls", "-json", "/DC0/network"), &ls); err != nil {
		t.Fatal(err)
	}
	want := []model.Network{}
	for _, e := range ls.Elements {
		o := e.Object
		if slices.Contains([]string{"Network", "DistributedVirtualPortgroup", "OpaqueNetwork"}, o.Self.Type) {
			want = append(want, model.Network{Provider: "test", NativeID: o.Self.Value, Name: o.Name, Type: o.Self.Type, Active: o.Summary.Accessible})
		}
	}
	slices.SortFunc(want, func(a, b model.Network) int { return strings.Compare(a.Name, b.Name) })
	if len(want) < 3 {
		t.Fatalf("govc lists %d networks, want the model's network, port group and uplink group", len(want))
	}
	got, err := c.ListNetworks(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListNetworks mismatch with govc ls (-want +got):\n%s", diff)
	}

	// A NIC on a standard network (the model's are on the port group) names it too.
	govc(t, bin, sim, "vm.network.add", "-vm", "DC0_H0_VM0", "-net", "VM Network")
	vms, err := c.ListVMs(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	on := map[string]bool{}
	for _, vm := range vms {
		for _, nic := range vm.NICs {
			on[nic.Network] = true
		}
	}
	if diff := cmp.Diff(map[string]bool{"DC0_DVPG0": true, "VM Network": true}, on); diff != "" {
		t.Errorf("networks VM NICs are on (-want +got):\n%s", diff)
	}
}

// TestStorageMatchGovc checks ListStorage against `govc datastore.info -json`, and that disks
// name their datastore.
func TestStorageMatchGovc(t *testing.T) {
	bin, sim, c := govcSim(t)
	var info struct {
		Datastores []struct {
			Self    struct{ Value string } `json:"self"`
			Summary struct {
				Name       string `json:"name"`
				URL        string `json:"url"`
				Capacity   int64  `json:"capacity"`
				FreeSpace  int64  `json:"freeSpace"`
				Accessible bool   `json:"accessible"`
				Type       string `json:"type"`
			} `json:"summary"`
		} `json:"datastores"`
	}
	if err := json.Unmarshal(govc(t, bin, sim, "datastore.info", "-json"), &info); err != nil {
		t.Fatal(err)
	}
	var want []model.Storage
	for _, d := range info.Datastores {
		s := d.Summary
		want = append(want, model.Storage{Provider: "test", NativeID: d.Self.Value, Name: s.Name, Type: s.Type, URL: s.URL,
			CapacityBytes: s.Capacity, FreeBytes: s.FreeSpace, Active: s.Accessible})
	}
	slices.SortFunc(want, func(a, b model.Storage) int { return strings.Compare(a.Name, b.Name) })
	got, err := c.ListStorage(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListStorage mismatch with govc datastore.info (-want +got):\n%s", diff)
	}

	disks, err := c.ListDisks(testContext(t), vmID(t, sim, fixtureVM))
	if err != nil {
		t.Fatal(err)
	}
	if len(disks) == 0 || disks[0].Storage != "LocalDS_0" {
		t.Errorf("ListDisks(%s) = %+v, want disks on LocalDS_0", fixtureVM, disks)
	}
}

// TestHostManagementIP checks ListHosts' address and status against the host's first VMkernel
// NIC as `govc object.collect` reads it.
func TestHostManagementIP(t *testing.T) {
	bin, sim, c := govcSim(t)
	hosts, err := c.ListHosts(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hosts {
		var props []struct {
			Val struct {
				Value []struct {
					Spec struct {
						IP struct {
							IPAddress string `json:"ipAddress"`
						} `json:"ip"`
					} `json:"spec"`
				} `json:"_value"`
			} `json:"val"`
		}
		out := govc(t, bin, sim, "object.collect", "-json", "-s=false", "HostSystem:"+h.NativeID, "config.network.vnic")
		if err := json.Unmarshal(out, &props); err != nil {
			t.Fatalf("decode govc object.collect: %v\n%s", err, out)
		}
		if len(props) != 1 || len(props[0].Val.Value) == 0 {
			t.Fatalf("govc object.collect %s config.network.vnic = %s", h.NativeID, out)
		}
		if want := props[0].Val.Value[0].Spec.IP.IPAddress; h.ManagementIP != want || want == "" {
			t.Errorf("host %s management IP %q, govc reads vmk0's %q", h.Name, h.ManagementIP, want)
		}
		if h.Status != "Connected" {
			t.Errorf("host %s status %q, want Connected", h.Name, h.Status)
		}
	}
}

// govcSim starts a parallel test's simulator, with govc and a connection to cross-check.
func govcSim(t *testing.T) (bin string, sim *vcsim.Sim, c *vcenter.Conn) {
	t.Helper()
	t.Parallel()
	bin = govctest.Path(t)
	sim = startSim(t)
	return bin, sim, openConn(t, sim)
}
