package zstack_test

import (
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker"
	"cloudbroker/drivers/kvm/kvmtest"
	"cloudbroker/test/harness"
)

// kvmInfraNode is kvmNode with a NAT network the VM's NIC is on.
var kvmInfraNode = strings.Replace(strings.Replace(kvmNode, `</devices>
  </domain>`, `  <interface type='network'><mac address='52:54:00:aa:bb:cc'/><source network='lan'/></interface>
    </devices>
  </domain>`, 1), `</node>`, `  <network>
    <name>lan</name>
    <bridge name='virbr9'/>
    <forward mode='nat'/>
    <ip address='192.168.50.1' netmask='255.255.255.0'><dhcp><range start='192.168.50.10' end='192.168.50.99'/></dhcp></ip>
  </network>
</node>`, 1)

// virshOn runs virsh against the libvirtd URI, an independent client of the same host.
func virshOn(t *testing.T, uri string, args ...string) string {
	t.Helper()
	out, err := exec.Command("virsh", append([]string{"-c", uri}, args...)...).Output()
	if err != nil {
		t.Fatalf("virsh %v: %v", args, err)
	}
	return strings.TrimSpace(string(out))
}

// virshBytes reads "<key>: <n> bytes"-style lines of virsh's --bytes output.
func virshBytes(t *testing.T, out, key string) int64 {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " bytes"), 10, 64)
			if err == nil {
				return n
			}
		}
	}
	t.Fatalf("no %s in %q", key, out)
	return 0
}

// QueryImage, QueryPrimaryStorage and QueryL3Network through the SDK on a libvirt
// host, cross-checked with virsh on the same host.
func TestSDKQueryInfraKVM(t *testing.T) {
	kvmtest.RequireDaemon(t)
	node := kvmtest.NodeURI(t, kvmInfraNode)
	b := startBroker(t, brokerOpts{kvm: []harness.KVMProvider{{Name: "kvm1", URI: node, Options: map[string]string{"images_pool": "images"}}}})
	cli := sdkClient(t, b, "admin", adminPass)
	kvmCluster := clusterUUID("kvm1")

	// Primary storage: the pools, with virsh's sizes.
	ps, err := cli.QueryPrimaryStorage(qp("attachedClusterUuids=" + kvmCluster))
	if err != nil {
		t.Fatalf("QueryPrimaryStorage: %v", err)
	}
	type pool struct {
		Name            string
		Total, Free     int64
		Type, URL, Stat string
	}
	var gotPools, wantPools []pool
	psUUIDs := map[string]string{}
	for _, p := range ps {
		gotPools = append(gotPools, pool{p.Name, p.TotalCapacity, p.AvailableCapacity, p.Type, p.Url, p.Status})
		psUUIDs[p.Name] = p.UUID
	}
	for _, name := range strings.Fields(virshOn(t, node, "pool-list", "--all", "--name")) {
		info := virshOn(t, node, "pool-info", "--bytes", name)
		path := virshOn(t, node, "pool-dumpxml", "--xpath", "//target/path/text()", name)
		wantPools = append(wantPools, pool{name, virshBytes(t, info, "Capacity"), virshBytes(t, info, "Available"), "dir", path, "Connected"})
	}
	if diff := cmp.Diff(wantPools, gotPools); diff != "" {
		t.Errorf("primary storage, virsh (-want +got):\n%s", diff)
	}

	// L3 networks: virsh's networks; the VM's NIC names the one it is on.
	l3s, err := cli.QueryL3Network(qp("name=lan"))
	if err != nil || len(l3s) != 1 {
		t.Fatalf("QueryL3Network(name=lan) = %+v, %v", l3s, err)
	}
	if want := strings.Fields(virshOn(t, node, "net-list", "--all", "--name")); !slices.Equal(want, []string{"lan"}) {
		t.Errorf("virsh net-list = %v", want)
	}
	if r := l3s[0].IpRanges; len(r) != 1 || r[0].Gateway != "192.168.50.1" || r[0].NetworkCidr != "192.168.50.0/24" || r[0].Netmask != "255.255.255.0" {
		t.Errorf("lan's ipRanges = %+v", r)
	}
	vms, err := cli.QueryVmInstance(qp("vmNics.l3NetworkUuid=" + l3s[0].UUID))
	if err != nil || len(vms) != 1 || vms[0].Name != "kvm-web" || vms[0].DefaultL3NetworkUUID != l3s[0].UUID {
		t.Fatalf("QueryVmInstance(vmNics.l3NetworkUuid=lan) = %+v, %v", vms, err)
	}
	if l3, err := cli.GetL3Network(l3s[0].UUID); err != nil || l3.Name != "lan" {
		t.Errorf("GetL3Network = %+v, %v", l3, err)
	}

	// Volumes: TestSDKQueryVolumeKVM.

	// Images: the images pool's volumes, with virsh's sizes.
	imgs, err := cli.QueryImage(qp("mediaType=ISO", "size>0"))
	if err != nil {
		t.Fatal(err)
	}
	var gotImgs, wantImgs []string
	for _, img := range imgs {
		gotImgs = append(gotImgs, img.Name+" "+strconv.FormatInt(img.Size, 10))
	}
	for _, line := range strings.Split(virshOn(t, node, "vol-list", "--pool", "images"), "\n")[2:] {
		vol := strings.Fields(line)[0]
		wantImgs = append(wantImgs, vol+" "+strconv.FormatInt(virshBytes(t, virshOn(t, node, "vol-info", "--bytes", "--pool", "images", vol), "Capacity"), 10))
	}
	if diff := cmp.Diff(wantImgs, gotImgs); diff != "" {
		t.Errorf("images, virsh (-want +got):\n%s", diff)
	}
	if img, err := cli.GetImage(broker.ImageUUID("kvm1", "/images/alpine-3.20.iso")); err != nil || img.Name != "alpine-3.20.iso" {
		t.Errorf("GetImage(alpine) = %+v, %v", img, err)
	}
	s := login(t, b, "admin", adminPass)
	goldenJSON(t, "query_l3networks_kvm", call(t, b, "GET", "/zstack/v1/l3-networks?"+q("name=lan"), s, nil).Body)
	goldenJSON(t, "query_primary_storage_kvm", call(t, b, "GET", "/zstack/v1/primary-storage?sort=name&"+q("attachedClusterUuids="+kvmCluster), s, nil).Body)
}
