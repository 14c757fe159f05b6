package zstack_test

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/terraform-zstack-modules/zstack-sdk-go/pkg/client"
	"github.com/terraform-zstack-modules/zstack-sdk-go/pkg/param"

	"cloudbroker/test/govctest"
	"cloudbroker/test/harness"
)

// The public ZStack Go SDK v1.0.1, unchanged, against harness brokers (real redis-server, two
// govmomi simulators). Power states are cross-checked with govc, an independent client.

var simVMs = []string{"DC0_C0_RP0_VM0", "DC0_C0_RP0_VM1", "DC0_H0_VM0", "DC0_H0_VM1"}

func TestSDKLoginQueryAndPaging(t *testing.T) {
	b := startBroker(t, brokerOpts{})
	cli := sdkClient(t, b, "admin", adminPass)

	all, err := cli.QueryVmInstance(param.NewQueryParam())
	if err != nil {
		t.Fatalf("QueryVmInstance: %v", err)
	}
	var names []string
	for _, vm := range all {
		names = append(names, vm.Name)
		if vm.State != "Running" || vm.HypervisorType != "ESX" || vm.Type != "UserVm" || len(vm.AllVolumes) == 0 || vm.CreateDate.IsZero() {
			t.Errorf("VM %s: state %q hypervisor %q type %q volumes %d createDate %v", vm.Name, vm.State, vm.HypervisorType, vm.Type, len(vm.AllVolumes), vm.CreateDate)
		}
	}
	slices.Sort(names)
	want := slices.Sorted(slices.Values(append(slices.Clone(simVMs), simVMs...)))
	if diff := cmp.Diff(want, names); diff != "" {
		t.Fatalf("QueryVmInstance names (-want +got):\n%s", diff)
	}

	// Conditions: AND of several, nested paths.
	p := param.NewQueryParam()
	p.AddQ("name~=DC0_H0%").AddQ("state=Running").AddQ("allVolumes.size>0")
	got, err := cli.QueryVmInstance(p)
	if err != nil || len(got) != 4 {
		t.Fatalf("QueryVmInstance(name~=DC0_H0%%, state=Running, allVolumes.size>0) = %d VMs, %v; want 4", len(got), err)
	}

	// Paging with total, sorted by name descending.
	var paged []string
	for start := 0; start < 8; start += 3 {
		p := param.NewQueryParam()
		p.Start(start).Limit(3).Sort("-name")
		page, total, err := cli.PageVmInstance(p)
		if err != nil {
			t.Fatalf("PageVmInstance(start %d): %v", start, err)
		}
		if total != 8 {
			t.Errorf("PageVmInstance total = %d, want 8", total)
		}
		for _, vm := range page {
			paged = append(paged, vm.Name)
		}
	}
	desc := slices.Clone(want)
	slices.Reverse(desc)
	if diff := cmp.Diff(desc, paged); diff != "" {
		t.Errorf("pages of 3 sorted by -name (-want +got):\n%s", diff)
	}

	// GetVmInstance answers the one VM; a user login sees its account's VMs only.
	one, err := cli.GetVmInstance(all[0].UUID)
	if err != nil || one.UUID != all[0].UUID || one.Name != all[0].Name {
		t.Errorf("GetVmInstance(%s) = %+v, %v", all[0].UUID, one, err)
	}
	alice := sdkUser(t, b, "tenant-a", "alice", passAlice)
	mine, err := alice.QueryVmInstance(param.NewQueryParam())
	if err != nil || len(mine) != 4 {
		t.Fatalf("alice (tenant-a, vc1 only) sees %d VMs, %v; want 4", len(mine), err)
	}
	for _, vm := range mine {
		if vm.ClusterUUID != clusterUUID("vc1") {
			t.Errorf("alice sees %s of cluster %s, want only vc1's", vm.Name, vm.ClusterUUID)
		}
	}

	if err := cli.Logout(); err != nil {
		t.Fatalf("Logout: %v", err)
	}
}

func TestSDKISOCandidates(t *testing.T) {
	b := startBroker(t, brokerOpts{})
	if _, err := b.Sims[0].AddISO("LocalDS_0", "isos/tiny-linux.iso", 1<<20); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Sims[0].AddISO("LocalDS_0", "other.iso", 64<<10); err != nil {
		t.Fatal(err)
	}
	cli := sdkClient(t, b, "admin", adminPass)
	vm := uuidOf(t, b, 0, "DC0_H0_VM0")
	isos, err := cli.GetCandidateIsoForAttachingVm(vm, ptr(param.NewQueryParam()))
	if err != nil {
		t.Fatalf("GetCandidateIsoForAttachingVm: %v", err)
	}
	type iso struct {
		Name, MediaType, Format, Path string
		Size                          int64
	}
	var got []iso
	for _, i := range isos {
		if len(i.BackupStorageRefs) != 1 {
			t.Fatalf("ISO %s: backupStorageRefs %+v", i.Name, i.BackupStorageRefs)
		}
		got = append(got, iso{i.Name, i.MediaType, i.Format, i.BackupStorageRefs[0].InstallPath, i.Size})
	}
	want := []iso{
		{"tiny-linux.iso", "ISO", "iso", "[LocalDS_0] isos/tiny-linux.iso", 1 << 20},
		{"other.iso", "ISO", "iso", "[LocalDS_0] other.iso", 64 << 10},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ISO candidates (-want +got):\n%s", diff)
	}
	// The query language applies to the candidates too.
	q := param.NewQueryParam()
	q.AddQ("name~=tiny%")
	if isos, err := cli.GetCandidateIsoForAttachingVm(vm, &q); err != nil || len(isos) != 1 || isos[0].Name != "tiny-linux.iso" {
		t.Errorf("GetCandidateIsoForAttachingVm(name~=tiny%%) = %+v, %v", isos, err)
	}
}

func TestSDKCloneAndPower(t *testing.T) {
	b := startBroker(t, brokerOpts{})
	cli := sdkClient(t, b, "tenant-a", passA)
	src := uuidOf(t, b, 0, "DC0_H0_VM0")

	full := false
	res, err := cli.CloneVmInstance(src, param.CloneVmInstanceParam{CloneVmInstance: param.CloneVmInstanceDetailParam{
		Names: []string{"sdk-clone-1", "sdk-clone-2"}, Strategy: "JustCreate", Full: &full,
	}})
	if err != nil {
		t.Fatalf("CloneVmInstance: %v", err)
	}
	if res.NumberOfClonedVm != 2 || len(res.Inventories) != 2 {
		t.Fatalf("CloneVmInstance result %+v", res)
	}
	for i, want := range []string{"sdk-clone-1", "sdk-clone-2"} {
		inv := res.Inventories[i]
		if inv.Error != nil || inv.Inventory.Name != want || len(inv.Inventory.UUID) != 32 || inv.Inventory.State != "Stopped" {
			t.Errorf("clone %d: error %+v inventory %s %s %s", i, inv.Error, inv.Inventory.Name, inv.Inventory.UUID, inv.Inventory.State)
		}
	}
	clone := res.Inventories[0].Inventory.UUID
	if got := govctest.PowerState(t, b.Sims[0].URL().String(), "sdk-clone-1"); got != "poweredOff" {
		t.Errorf("govc: clone is %s, want poweredOff (JustCreate)", got)
	}

	// The clone is addressable at once, by its new uuid.
	vm, err := cli.StartVmInstance(clone, nil)
	if err != nil || vm.State != "Running" || vm.UUID != clone {
		t.Fatalf("StartVmInstance(clone) = %+v, %v", vm, err)
	}
	if got := govctest.PowerState(t, b.Sims[0].URL().String(), "sdk-clone-1"); got != "poweredOn" {
		t.Errorf("govc: clone is %s after start, want poweredOn", got)
	}
	vm, err = cli.StopVmInstance(clone, param.StopVmInstanceParam{StopVmInstance: param.StopVmInstanceDetailParam{Type: param.Cold}})
	if err != nil || vm.State != "Stopped" {
		t.Fatalf("StopVmInstance = %+v, %v", vm, err)
	}
	if got := govctest.PowerState(t, b.Sims[0].URL().String(), "sdk-clone-1"); got != "poweredOff" {
		t.Errorf("govc: clone is %s after stop, want poweredOff", got)
	}
	if vm, err = cli.RebootVmInstance(src); err != nil || vm.State != "Running" {
		t.Fatalf("RebootVmInstance = %+v, %v", vm, err)
	}

	// tenant-a cannot act on tenant-b's VMs: the job is refused as for a VM that does not exist.
	other := uuidOf(t, b, 1, "DC0_H0_VM0")
	if _, err := cli.StopVmInstance(other, param.StopVmInstanceParam{}); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("tenant-a stopping vc2's VM: %v, want a 404", err)
	}
}

func ptr[T any](v T) *T { return &v }

// sdkUser logs in with logInByUser.
func sdkUser(t *testing.T, b *harness.Broker, account, user, password string) *client.ZSClient {
	t.Helper()
	u, _ := url.Parse(b.URL)
	port, _ := strconv.Atoi(u.Port())
	cli := client.NewZSClient(client.NewZSConfig(u.Hostname(), port, "zstack").
		LoginAccountUser(account, user, password).RetryInterval(1).RetryTimes(60))
	if _, err := cli.Login(); err != nil {
		t.Fatalf("SDK login as %s/%s: %v", account, user, err)
	}
	t.Cleanup(func() { cli.Logout() })
	return cli
}
