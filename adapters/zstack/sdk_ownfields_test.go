package zstack_test

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/terraform-zstack-modules/zstack-sdk-go/pkg/param"

	"cloudbroker/broker"
	"cloudbroker/test/govctest"
)

// "VMs on host X", asked through the ZStack SDK with hostUuid=, answers the VMs govc places on
// that host; the VM's other own fields select it too, and cluster.name= its cluster's VMs.
func TestSDKQueryVMByHost(t *testing.T) {
	b := startBroker(t, brokerOpts{})
	cli := sdkClient(t, b, "admin", adminPass)
	onHost := map[string][]string{} // host uuid → VM names, as govc sees vc1
	for name, host := range govctest.VMHosts(t, b.Sims[0].URL().String()) {
		h := broker.HostUUID("vc1", host)
		onHost[h] = append(onHost[h], name)
	}
	if len(onHost) < 2 {
		t.Fatalf("govc sees VMs on %d hosts; the test needs VMs on at least two", len(onHost))
	}
	for host, want := range onHost {
		p := param.NewQueryParam()
		p.AddQ("hostUuid=" + host)
		vms, err := cli.QueryVmInstance(p)
		if err != nil {
			t.Fatalf("QueryVmInstance(hostUuid=%s): %v", host, err)
		}
		var got []string
		for _, vm := range vms {
			got = append(got, vm.Name)
			if vm.HostUUID != host || vm.LastHostUUID != host {
				t.Errorf("%s: hostUuid %s lastHostUuid %s, want %s", vm.Name, vm.HostUUID, vm.LastHostUUID, host)
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("hostUuid=%s (-govc +broker):\n%s", host, diff)
		}
	}

	all, err := cli.QueryVmInstance(param.NewQueryParam())
	if err != nil || len(all) == 0 {
		t.Fatalf("QueryVmInstance: %d VMs, %v", len(all), err)
	}
	vm := all[0]
	p := param.NewQueryParam()
	p.AddQ("rootVolumeUuid=" + vm.RootVolumeUUID).AddQ("lastHostUuid=" + vm.LastHostUUID).AddQ("platform=" + vm.Platform)
	if vm.DefaultL3NetworkUUID != "" {
		p.AddQ("defaultL3NetworkUuid=" + vm.DefaultL3NetworkUUID)
	}
	got, err := cli.QueryVmInstance(p)
	if err != nil || len(got) != 1 || got[0].UUID != vm.UUID {
		t.Errorf("QueryVmInstance(its own root volume, host, platform, network) = %d VMs, %v; want %s", len(got), err, vm.Name)
	}

	// The manual's main cross-table example: the VMs of a cluster, by its name.
	p = param.NewQueryParam()
	p.AddQ("cluster.name=vc1")
	inCluster, err := cli.QueryVmInstance(p)
	if err != nil || len(inCluster) != 4 {
		t.Fatalf("QueryVmInstance(cluster.name=vc1) = %d VMs, %v; want vc1's 4", len(inCluster), err)
	}
	for _, vm := range inCluster {
		if vm.ClusterUUID != clusterUUID("vc1") {
			t.Errorf("cluster.name=vc1 answered %s of cluster %s", vm.Name, vm.ClusterUUID)
		}
	}
}
