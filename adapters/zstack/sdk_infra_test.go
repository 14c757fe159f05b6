package zstack_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/terraform-zstack-modules/zstack-sdk-go/pkg/client"
	sdkerrors "github.com/terraform-zstack-modules/zstack-sdk-go/pkg/errors"
	"github.com/terraform-zstack-modules/zstack-sdk-go/pkg/param"
	"github.com/terraform-zstack-modules/zstack-sdk-go/pkg/view"

	"cloudbroker/broker"
	"cloudbroker/drivers/vcenter/vcsim"
	"cloudbroker/test/govctest"
)

// The infrastructure query APIs driven by the public ZStack Go SDK v1.0.1, unchanged, against
// a harness broker (two govmomi simulators, vc1 and vc2, in one region), cross-checked with
// govc.

func qp(conds ...string) param.QueryParam {
	p := param.NewQueryParam()
	for _, c := range conds {
		p.AddQ(c)
	}
	return p
}

func TestSDKQueryZoneClusterHost(t *testing.T) {
	b := startBroker(t, brokerOpts{})
	cli := sdkClient(t, b, "admin", adminPass)

	zones, err := cli.QueryZone(qp())
	if err != nil || len(zones) != 1 || zones[0].Name != "region-1" || zones[0].State != "Enabled" {
		t.Fatalf("QueryZone = %+v, %v; want the one zone region-1", zones, err)
	}
	if z, err := cli.GetZone(zones[0].UUID); err != nil || z.Name != "region-1" {
		t.Errorf("GetZone(%s) = %+v, %v", zones[0].UUID, z, err)
	}
	clusters, err := cli.QueryCluster(qp("zoneUuid="+zones[0].UUID, "hypervisorType=ESX"))
	var names []string
	for _, c := range clusters {
		names = append(names, c.Name)
	}
	if diff := cmp.Diff([]string{"vc1", "vc2"}, names); err != nil || diff != "" {
		t.Fatalf("QueryCluster: %v (-want +got):\n%s", err, diff)
	}
	if c, err := cli.QueryCluster(qp("name=vc2")); err != nil || len(c) != 1 || c[0].Uuid != clusterUUID("vc2") {
		t.Errorf("QueryCluster(name=vc2) = %+v, %v", c, err)
	}

	// Hosts: govc's names per simulator; capacities sum to what govc reads.
	for i, sim := range b.Sims {
		provider := "vc" + string(rune('1'+i))
		url := sim.URL().String()
		want := govctest.Hosts(t, url)
		hosts, err := cli.QueryHost(qp("clusterUuid=" + clusterUUID(provider)))
		if err != nil {
			t.Fatalf("QueryHost(%s): %v", provider, err)
		}
		got := map[string]string{}
		var c govctest.Capacity
		for _, h := range hosts {
			got[h.Name] = h.UUID
			if h.UUID != broker.HostUUID(provider, want[h.Name]) || h.ZoneUuid != zones[0].UUID || h.HypervisorType != "ESX" || h.Status != "Connected" || h.State != "Enabled" {
				t.Errorf("%s host %+v", provider, h)
			}
			c.CPUs += h.TotalCpuCapacity
			c.AllocatedCPUs += h.TotalCpuCapacity - h.AvailableCpuCapacity
			c.MemoryBytes += h.TotalMemoryCapacity
			c.AllocatedMemory += h.TotalMemoryCapacity - h.AvailableMemoryCapacity
		}
		if diff := cmp.Diff(slices.Sorted(mapKeys(want)), slices.Sorted(mapKeys(got))); diff != "" {
			t.Errorf("%s: host names, govc (-want +got):\n%s", provider, diff)
		}
		if diff := cmp.Diff(govctest.HostCapacity(t, url), c); diff != "" {
			t.Errorf("%s: host capacities, govc (-want +got):\n%s", provider, diff)
		}
		// Each VM's hostUuid is a host QueryHost answers, and QueryVmInstance finds the VMs on a
		// host both by hostUuid= and by the host.* join.
		for vm, moref := range govctest.VMHosts(t, url) {
			id := broker.HostUUID(provider, moref)
			for _, cond := range []string{"hostUuid=" + id, "host.uuid=" + id} {
				vms, err := cli.QueryVmInstance(qp(cond, "name="+vm))
				if err != nil || len(vms) != 1 || vms[0].HostUUID != id {
					t.Errorf("QueryVmInstance(%s, name=%s) = %d VMs, %v", cond, vm, len(vms), err)
				}
			}
		}
	}
	// The host.* join on a host field; paging with a total; GetHost.
	hp := param.NewQueryParam()
	hp.Start(1).Limit(2).Sort("-name")
	all, total, err := cli.PageHost(hp)
	if err != nil || len(all) != 2 || total < 3 {
		t.Fatalf("PageHost(start 1, limit 2) = %d hosts, total %d, %v", len(all), total, err)
	}
	h, err := cli.GetHost(all[0].UUID)
	if err != nil || h.Name != all[0].Name {
		t.Errorf("GetHost(%s) = %+v, %v", all[0].UUID, h, err)
	}
	named, err := cli.QueryHost(qp("name=" + h.Name))
	if err != nil || len(named) == 0 {
		t.Fatalf("QueryHost(name=%s) = %d, %v", h.Name, len(named), err)
	}
	var ids []string
	for _, n := range named {
		ids = append(ids, n.UUID)
	}
	vms, err := cli.QueryVmInstance(qp("host.name="+h.Name, "cluster.name?=vc1,vc2"))
	if err != nil || len(vms) == 0 {
		t.Fatalf("QueryVmInstance(host.name=%s) = %d, %v", h.Name, len(vms), err)
	}
	for _, vm := range vms {
		if !slices.Contains(ids, vm.HostUUID) {
			t.Errorf("host.name=%s matched %s on host %s, not one of %v", h.Name, vm.Name, vm.HostUUID, ids)
		}
	}
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestSDKQueryVolumeImage(t *testing.T) {
	b := startBroker(t, brokerOpts{templates: map[int][]vcsim.Template{0: {{Source: "DC0_H0_VM1", Name: "tpl-query", Annotation: "a template"}}}})
	cli := sdkClient(t, b, "admin", adminPass)

	// Volumes: each VM's disks as govc reads them (path and size), Root first.
	for i, sim := range b.Sims {
		provider := "vc" + string(rune('1'+i))
		for _, name := range govctest.VMNames(t, sim.URL().String()) {
			vm := uuidOf(t, b, i, name)
			vols, err := cli.QueryVolume(qp("vmInstanceUuid=" + vm))
			if err != nil {
				t.Fatalf("QueryVolume(%s): %v", name, err)
			}
			type disk struct {
				Path string
				Size int64
			}
			var want, got []disk
			for _, d := range govctest.Disks(t, sim.URL().String(), name) {
				want = append(want, disk{d.Backing.FileName, d.CapacityInBytes})
			}
			for j, v := range vols {
				got = append(got, disk{v.InstallPath, int64(v.Size)})
				if wantType := map[bool]string{true: "Root", false: "Data"}[j == 0]; v.Type != wantType || v.PrimaryStorageUUID == "" {
					t.Errorf("%s/%s volume %d: type %q primaryStorageUuid %q", provider, name, j, v.Type, v.PrimaryStorageUUID)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s/%s: disks, govc (-want +got):\n%s", provider, name, diff)
			}
		}
	}
	vp := qp("type=Root")
	vp.Sort("+installPath").Start(0).Limit(3)
	vols, total, err := cli.PageVolume(vp)
	if err != nil || len(vols) != 3 || total != 8 {
		t.Fatalf("PageVolume(type=Root, limit 3) = %d, total %d, %v; want 3 of 8", len(vols), total, err)
	}
	if !slices.IsSortedFunc(vols, func(a, b view.VolumeView) int { return strings.Compare(a.InstallPath, b.InstallPath) }) {
		t.Errorf("volumes not sorted by installPath: %+v", vols)
	}
	one, err := cli.GetVolume(vols[0].UUID)
	if err != nil || one.InstallPath != vols[0].InstallPath {
		t.Errorf("GetVolume(%s) = %+v, %v", vols[0].UUID, one, err)
	}
	// A VM condition on its volumes' primary storage finds the VM the volume is on.
	onDS, err := cli.QueryVmInstance(qp("allVolumes.primaryStorageUuid="+one.PrimaryStorageUUID, "uuid="+one.VMInstanceUUID))
	if err != nil || len(onDS) != 1 {
		t.Errorf("QueryVmInstance(allVolumes.primaryStorageUuid=...) = %d, %v", len(onDS), err)
	}

	// Images: the template made on vc1, found by name and by uuid.
	imgs, err := cli.QueryImage(qp("name=tpl-query"))
	tpl := b.TemplateIDs[0]["tpl-query"]
	if err != nil || len(imgs) != 1 || imgs[0].UUID != broker.ImageUUID("vc1", tpl) || imgs[0].MediaType != "RootVolumeTemplate" {
		t.Fatalf("QueryImage(name=tpl-query) = %+v, %v", imgs, err)
	}
	if img, err := cli.GetImage(imgs[0].UUID); err != nil || img.Name != "tpl-query" {
		t.Errorf("GetImage = %+v, %v", img, err)
	}
	if none, err := cli.QueryImage(qp("name=tpl-query", "mediaType=ISO")); err != nil || len(none) != 0 {
		t.Errorf("QueryImage(name=tpl-query, mediaType=ISO) = %d, %v", len(none), err)
	}
}

// Tenant A (vc1) never sees tenant B's (vc2) clusters, hosts or volumes; B's uuids answer as
// missing ones do.
func TestSDKInfraScoped(t *testing.T) {
	b := startBroker(t, brokerOpts{})
	a := sdkClient(t, b, "tenant-a", passA)
	bb := sdkClient(t, b, "tenant-b", passB)
	type seen struct{ clusters, hosts, volumes []string }
	of := func(cli *client.ZSClient) seen {
		var s seen
		cs, err1 := cli.QueryCluster(qp())
		hs, err2 := cli.QueryHost(qp())
		vs, err3 := cli.QueryVolume(qp())
		if err := errors.Join(err1, err2, err3); err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			s.clusters = append(s.clusters, c.Uuid)
		}
		for _, h := range hs {
			s.hosts = append(s.hosts, h.UUID)
		}
		for _, v := range vs {
			s.volumes = append(s.volumes, v.UUID)
		}
		return s
	}
	sa, sb := of(a), of(bb)
	if !slices.Equal(sa.clusters, []string{clusterUUID("vc1")}) || !slices.Equal(sb.clusters, []string{clusterUUID("vc2")}) {
		t.Errorf("clusters: A %v, B %v", sa.clusters, sb.clusters)
	}
	if len(sa.hosts) == 0 || len(sa.volumes) == 0 {
		t.Fatalf("tenant A sees %d hosts, %d volumes", len(sa.hosts), len(sa.volumes))
	}
	for _, h := range sb.hosts {
		if slices.Contains(sa.hosts, h) {
			t.Errorf("host %s seen by both tenants", h)
		}
		if _, err := a.GetHost(h); !errors.Is(err, sdkerrors.ErrNotFound) {
			t.Errorf("A: GetHost(B's %s) = %v, want not found", h, err)
		}
	}
	for _, v := range sb.volumes {
		if slices.Contains(sa.volumes, v) {
			t.Errorf("volume %s seen by both tenants", v)
		}
		if _, err := a.GetVolume(v); !errors.Is(err, sdkerrors.ErrNotFound) {
			t.Errorf("A: GetVolume(B's %s) = %v, want not found", v, err)
		}
	}
	if _, err := a.GetHost(strings.Repeat("0", 32)); !errors.Is(err, sdkerrors.ErrNotFound) {
		t.Errorf("A: GetHost(unknown) = %v, want not found", err)
	}
}

// The answers of QueryHost and QueryImage on the simulators, as goldens.
func TestQueryHostImageGolden(t *testing.T) {
	b := startBroker(t, brokerOpts{templates: map[int][]vcsim.Template{0: {{Source: "DC0_H0_VM1", Name: "tpl-golden", Annotation: "t"}}}})
	s := login(t, b, "tenant-a", passA)
	for name, path := range map[string]string{
		// Which host the simulator places a VM on varies: available capacities are left to the govc cross-check.
		"query_hosts":  "/zstack/v1/hosts?sort=name&replyWithCount=true&fields=uuid,name,zoneUuid,clusterUuid,hypervisorType,state,status,cpuNum,totalCpuCapacity,totalMemoryCapacity",
		"query_images": "/zstack/v1/images?" + q("name=tpl-golden"),
	} {
		res := call(t, b, "GET", path, s, nil)
		if res.Code != 200 {
			t.Fatalf("%s: %d %s", path, res.Code, res.Body)
		}
		goldenJSON(t, name, maskVolatile(res.Body))
	}
}

// QueryL3Network and QueryPrimaryStorage on the simulators: govc's networks and datastores per
// tenant; the VMs' NICs and volumes name them; another tenant's answer as missing ones do.
func TestSDKQueryL3NetworkPrimaryStorage(t *testing.T) {
	b := startBroker(t, brokerOpts{})
	a := sdkClient(t, b, "tenant-a", passA) // vc1
	other := sdkClient(t, b, "tenant-b", passB)
	url := b.Sims[0].URL().String()

	l3s, err := a.QueryL3Network(qp())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	l3IDs := map[string]bool{}
	for _, n := range l3s {
		names = append(names, n.Name)
		l3IDs[n.UUID] = true
		if n.UUID != broker.DerivedUUID("l3", "vc1", n.Name) {
			t.Errorf("network %s: uuid %s", n.Name, n.UUID)
		}
	}
	if diff := cmp.Diff(slices.Sorted(slices.Values(govctest.Networks(t, url))), slices.Sorted(slices.Values(names))); diff != "" {
		t.Errorf("L3 networks, govc (-want +got):\n%s", diff)
	}
	ps, total, err := a.PagePrimaryStorage(qp("status=Connected", "totalCapacity>0"))
	if err != nil || total != len(ps) {
		t.Fatalf("PagePrimaryStorage = %d, total %d, %v", len(ps), total, err)
	}
	got := map[string][2]int64{}
	psIDs := map[string]bool{}
	for _, p := range ps {
		got[p.Name] = [2]int64{p.TotalCapacity, p.AvailableCapacity}
		psIDs[p.UUID] = true
		if !slices.Equal(p.AttachedClusterUuids, []string{clusterUUID("vc1")}) {
			t.Errorf("datastore %s attached to %v", p.Name, p.AttachedClusterUuids)
		}
	}
	if diff := cmp.Diff(govctest.Datastores(t, url), got); diff != "" {
		t.Errorf("primary storage, govc (-want +got):\n%s", diff)
	}

	// Every NIC and volume of the tenant's VMs names a listed network and storage, and the
	// VM conditions on them find the VM.
	vms, err := a.QueryVmInstance(qp())
	if err != nil || len(vms) == 0 {
		t.Fatalf("QueryVmInstance = %d, %v", len(vms), err)
	}
	for _, vm := range vms {
		for _, nic := range vm.VMNics {
			if !l3IDs[nic.L3NetworkUUID] {
				t.Errorf("%s: NIC on %q, not a listed L3 network", vm.Name, nic.L3NetworkUUID)
			}
		}
		for _, v := range vm.AllVolumes {
			if !psIDs[v.PrimaryStorageUUID] {
				t.Errorf("%s: volume on %q, not listed primary storage", vm.Name, v.PrimaryStorageUUID)
			}
		}
		if len(vm.VMNics) > 0 {
			found, err := a.QueryVmInstance(qp("vmNics.l3NetworkUuid="+vm.VMNics[0].L3NetworkUUID, "uuid="+vm.UUID))
			if err != nil || len(found) != 1 {
				t.Errorf("QueryVmInstance(vmNics.l3NetworkUuid=...) for %s = %d, %v", vm.Name, len(found), err)
			}
		}
	}

	// The joins on a NIC's network and a volume's storage: VMs on the port group, on LocalDS_0.
	for _, tc := range []struct {
		cond string
		want int
	}{
		{"vmNics.l3Network.name=DC0_DVPG0", len(vms)}, {"vmNics.l3Network.name=nowhere", 0},
		{"allVolumes.primaryStorage.name=LocalDS_0", len(vms)}, {"allVolumes.primaryStorage.totalCapacity<0", 0},
	} {
		if got, err := a.QueryVmInstance(qp(tc.cond)); err != nil || len(got) != tc.want {
			t.Errorf("QueryVmInstance(%s) = %d VMs, %v; want %d", tc.cond, len(got), err, tc.want)
		}
	}

	// Tenant B's networks are its own (the same names, other uuids); A cannot read them.
	theirs, err := other.QueryL3Network(qp())
	if err != nil || len(theirs) != len(l3s) {
		t.Fatalf("tenant B: %d networks, %v", len(theirs), err)
	}
	for _, n := range theirs {
		if l3IDs[n.UUID] {
			t.Errorf("network %s seen by both tenants", n.UUID)
		}
		if _, err := a.GetL3Network(n.UUID); !errors.Is(err, sdkerrors.ErrNotFound) {
			t.Errorf("A: GetL3Network(B's %s) = %v, want not found", n.UUID, err)
		}
	}
	theirPS, err := other.QueryPrimaryStorage(qp())
	if err != nil || len(theirPS) == 0 {
		t.Fatalf("tenant B: %d primary storage, %v", len(theirPS), err)
	}
	if mine, err := a.QueryPrimaryStorage(qp("uuid=" + theirPS[0].UUID)); err != nil || len(mine) != 0 {
		t.Errorf("A: QueryPrimaryStorage(uuid=B's) = %d, %v", len(mine), err)
	}
}
