package vcenter_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"cloudbroker/broker/model"
	"cloudbroker/drivers/vcenter"
	"cloudbroker/drivers/vcenter/vcsim"
)

var macPattern = regexp.MustCompile(`^([0-9a-f]{2}:){5}[0-9a-f]{2}$`)

// TestListVMs checks ListVMs against what the VPX model is known to contain.
func TestListVMs(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	c := openConn(t, sim)
	ctx := testContext(t)
	got, err := c.ListVMs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var want []model.VM
	for _, name := range []string{"DC0_C0_RP0_VM0", "DC0_C0_RP0_VM1", "DC0_H0_VM0", "DC0_H0_VM1"} {
		want = append(want, model.VM{
			Provider: "test", NativeID: vmID(t, sim, name), Name: name,
			PowerState: model.PoweredOn, CPUs: 1, MemoryMB: 32, GuestOS: "otherGuest",
			NICs: []model.NIC{{Network: "DC0_DVPG0", Device: "ethernet-0"}},
		})
	}
	opts := cmp.Options{
		cmpopts.IgnoreFields(model.VM{}, "HostID", "CreatedAt", "ModifiedAt", "Disks"),
		cmpopts.IgnoreFields(model.NIC{}, "MAC"),
	}
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("ListVMs (-want +got):\n%s", diff)
	}

	hosts, err := c.ListHosts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hostName := map[string]string{}
	for _, h := range hosts {
		hostName[h.NativeID] = h.Name
	}
	// Standalone-host VMs run on DC0_H0, cluster VMs on one of DC0_C0's hosts.
	hostPrefix := map[string]string{
		"DC0_H0_VM0": "DC0_H0", "DC0_H0_VM1": "DC0_H0",
		"DC0_C0_RP0_VM0": "DC0_C0_H", "DC0_C0_RP0_VM1": "DC0_C0_H",
	}
	for _, vm := range got {
		if h := hostName[vm.HostID]; !strings.HasPrefix(h, hostPrefix[vm.Name]) {
			t.Errorf("%s: host %s (%s), want %s*", vm.Name, vm.HostID, h, hostPrefix[vm.Name])
		}
		if vm.CreatedAt.IsZero() {
			t.Errorf("%s: no CreatedAt", vm.Name)
		}
		for _, nic := range vm.NICs {
			if !macPattern.MatchString(nic.MAC) {
				t.Errorf("%s: MAC %q", vm.Name, nic.MAC)
			}
		}
		disks, err := c.ListDisks(ctx, vm.NativeID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(disks, vm.Disks); diff != "" {
			t.Errorf("%s: ListVMs disks differ from ListDisks (-ListDisks +ListVMs):\n%s", vm.Name, diff)
		}
	}
}

// TestDatacenterOption: the datacenter option limits every inventory listing to that datacenter.
func TestDatacenterOption(t *testing.T) {
	t.Parallel()
	sim := startSim(t, vcsim.WithDatacenters(2))
	tests := []struct {
		dc                string
		wantVMs, wantHost int
		prefix            string
	}{
		{"", 8, 8, "DC"},
		{"DC1", 4, 4, "DC1_"},
		{"/DC0", 4, 4, "DC0_"},
	}
	for _, tt := range tests {
		t.Run("dc="+tt.dc, func(t *testing.T) {
			cfg := sim.Config("test")
			if tt.dc != "" {
				cfg = withOptions(cfg, vcenter.OptDatacenter, tt.dc)
			}
			c, err := vcenter.Open(testContext(t), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			vms, err := c.ListVMs(testContext(t))
			if err != nil {
				t.Fatal(err)
			}
			hosts, err := c.ListHosts(testContext(t))
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, vm := range vms {
				names = append(names, vm.Name)
			}
			for _, h := range hosts {
				names = append(names, h.Name)
			}
			if len(vms) != tt.wantVMs || len(hosts) != tt.wantHost {
				t.Errorf("got %d VMs and %d hosts, want %d and %d: %v", len(vms), len(hosts), tt.wantVMs, tt.wantHost, names)
			}
			for _, n := range names {
				if !strings.HasPrefix(n, tt.prefix) {
					t.Errorf("%s listed under datacenter %q", n, tt.dc)
				}
			}
		})
	}
}

func TestListHosts(t *testing.T) {
	t.Parallel()
	c := openConn(t, startSim(t, vcsim.WithHosts(2)))
	got, err := c.ListHosts(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, h := range got {
		names = append(names, h.Name)
		if h.State != "connected" || h.CPUs <= 0 || h.CPUMHz <= 0 || h.MemoryBytes <= 0 ||
			h.FreeMemoryBytes <= 0 || h.FreeMemoryBytes > h.MemoryBytes || !strings.HasPrefix(h.NativeID, "host-") {
			t.Errorf("host %+v", h)
		}
	}
	if diff := cmp.Diff([]string{"DC0_C0_H0", "DC0_C0_H1", "DC0_H0"}, names); diff != "" {
		t.Errorf("host names (-want +got):\n%s", diff)
	}
}

// TestListImages: templates become images whose OS fields come from the guest id.
func TestListImages(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	gc := govmomiClient(t, sim)
	const tenGiB = 10 << 30 // the model's one disk
	tests := []struct {
		guestID                         string
		platform, family, version, arch string
	}{
		{"centos7_64Guest", "Linux", "CentOS", "7", "64bit"},
		{"rhel8_64Guest", "Linux", "RHEL", "8", "64bit"},
		{"ubuntu64Guest", "Linux", "Ubuntu", "", "64bit"},
		{"debian10Guest", "Linux", "Debian", "10", "32bit"},
		{"sles15_64Guest", "Linux", "SLES", "15", "64bit"},
		{"otherLinuxGuest", "Linux", "Linux", "", "32bit"},
		{"windows9_64Guest", "Windows", "Windows", "10", "64bit"},
		{"windows2019srv_64Guest", "Windows", "Windows", "Server 2019", "64bit"},
		{"freebsd13_64Guest", "Other", "FreeBSD", "13", "64bit"},
		{"otherGuest", "Other", "Other", "", "32bit"},
	}
	var want []model.Image
	for _, tt := range tests {
		name := "tpl-" + tt.guestID
		id := makeTemplate(t, sim, gc, fixtureVM, name, tt.guestID, "from "+tt.guestID)
		want = append(want, model.Image{
			Provider: "test", NativeID: id, Name: name, Description: "from " + tt.guestID,
			MediaType: "RootVolumeTemplate", Format: "vmdk", Platform: tt.platform,
			OSFamily: tt.family, OSVersion: tt.version, OSArch: tt.arch,
			SizeBytes: tenGiB, Status: "Ready",
		})
	}
	got, err := openConn(t, sim).ListImages(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	sortImages := cmpopts.SortSlices(func(a, b model.Image) bool { return a.Name < b.Name })
	if diff := cmp.Diff(want, got, sortImages, cmpopts.IgnoreFields(model.Image{}, "CreatedAt")); diff != "" {
		t.Errorf("ListImages (-want +got):\n%s", diff)
	}
}

func TestListISOs(t *testing.T) {
	t.Parallel()
	sim := startSim(t, vcsim.WithDatacenters(2))
	for _, f := range []struct {
		ds, rel string
		size    int64
	}{
		{"LocalDS_0", "top.iso", 40000},
		{"LocalDS_0", "iso/centos/CentOS-7-x86_64-Minimal.iso", 50000},
		{"LocalDS_0", "iso/readme.txt", 100},     // not an ISO
		{"DC1/LocalDS_0", "other-dc.iso", 60000}, // on a datastore DC0's VMs do not use
	} {
		if _, err := sim.AddISO(f.ds, f.rel, f.size); err != nil {
			t.Fatal(err)
		}
	}
	c := openConn(t, sim)
	got, err := c.ListISOs(testContext(t), vmID(t, sim, fixtureVM))
	if err != nil {
		t.Fatal(err)
	}
	iso := func(path, name string, size int64) model.Image {
		return model.Image{Provider: "test", NativeID: path, Name: name, MediaType: "ISO", Format: "iso",
			SizeBytes: size, URL: path, Status: "Ready"}
	}
	want := []model.Image{
		iso("[LocalDS_0] iso/centos/CentOS-7-x86_64-Minimal.iso", "CentOS-7-x86_64-Minimal.iso", 50000),
		iso("[LocalDS_0] top.iso", "top.iso", 40000),
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(model.Image{}, "UpdatedAt")); diff != "" {
		t.Errorf("ListISOs (-want +got):\n%s", diff)
	}
	for _, im := range got {
		if im.UpdatedAt.IsZero() {
			t.Errorf("%s: no modification time", im.NativeID)
		}
	}
}
