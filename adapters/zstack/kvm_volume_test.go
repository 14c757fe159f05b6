package zstack_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/drivers/kvm/kvmtest"
	"cloudbroker/test/harness"
)

// kvmVolumeNode is kvmNode with a second, file-backed disk in the data pool.
var kvmVolumeNode = strings.Replace(strings.Replace(kvmNode, `</devices>
  </domain>`, `  <disk type='file' device='disk'>
        <driver name='qemu' type='raw'/>
        <source file='/data/kvm-web-data.img'/>
        <target dev='sdb' bus='scsi'/>
      </disk>
    </devices>
  </domain>`, 1), `<volume type='file'>
      <name>debian-12.iso</name>`, `<volume type='file'>
      <name>kvm-web-data.img</name><capacity>2147483648</capacity><allocation>2147483648</allocation>
      <target><path>/data/kvm-web-data.img</path><format type='raw'/></target>
    </volume>
    <volume type='file'>
      <name>debian-12.iso</name>`, 1)

// QueryVolume on a libvirt host: the VM's disks in domain order (Root first), with the pool and
// size virsh gives; a condition on the type and paging pick among them.
func TestSDKQueryVolumeKVM(t *testing.T) {
	kvmtest.RequireDaemon(t, "virsh")
	node := kvmtest.NodeURI(t, kvmVolumeNode)
	b := startBroker(t, brokerOpts{kvm: []harness.KVMProvider{{Name: "kvm1", URI: node}}})
	b.WaitSynced(t) // the VM inventory, disks included, comes from the providers' listing
	cli := sdkClient(t, b, "admin", adminPass)

	vms, err := cli.QueryVmInstance(qp("name=kvm-web"))
	if err != nil || len(vms) != 1 {
		t.Fatalf("QueryVmInstance(name=kvm-web) = %+v, %v", vms, err)
	}
	vm := vms[0].UUID
	ps, err := cli.QueryPrimaryStorage(qp("attachedClusterUuids=" + clusterUUID("kvm1")))
	if err != nil {
		t.Fatalf("QueryPrimaryStorage: %v", err)
	}
	poolOf := map[string]string{}
	for _, p := range ps {
		poolOf[p.UUID] = p.Name
	}

	vols, err := cli.QueryVolume(qp("vmInstanceUuid=" + vm))
	if err != nil {
		t.Fatalf("QueryVolume(vmInstanceUuid): %v", err)
	}
	type disk struct {
		Source, Pool, Type string
		Size               int64
	}
	var got, want []disk
	for _, v := range vols {
		pool := poolOf[v.PrimaryStorageUUID]
		// A volume disk's installPath is pool/volume; domblklist shows the volume's name.
		got = append(got, disk{strings.TrimPrefix(v.InstallPath, pool+"/"), pool, v.Type, int64(v.Size)})
	}
	for i, r := range kvmtest.DomBlkList(t, node, "kvm-web") {
		var pool string
		var vol []string
		if strings.HasPrefix(r.Source, "/") { // a file disk: virsh finds its pool from the path
			pool, vol = virshOn(t, node, "vol-pool", r.Source), []string{r.Source}
		} else { // a volume disk names its pool in the domain XML
			attr := virshOn(t, node, "dumpxml", "--xpath", "//disk[target/@dev='"+r.Target+"']/source/@pool", "kvm-web")
			pool = strings.Trim(strings.TrimPrefix(attr, "pool="), `"`)
			vol = []string{"--pool", pool, r.Source}
		}
		info := virshOn(t, node, append([]string{"vol-info", "--bytes"}, vol...)...)
		want = append(want, disk{r.Source, pool, map[bool]string{true: "Root", false: "Data"}[i == 0], virshBytes(t, info, "Capacity")})
	}
	if len(want) != 2 {
		t.Fatalf("virsh domblklist kvm-web = %+v, want the fixture's two disks", want)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("QueryVolume(vmInstanceUuid) vs virsh domblklist/vol-info (-want +got):\n%s", diff)
	}

	root, err := cli.QueryVolume(qp("vmInstanceUuid="+vm, "type=Root"))
	if err != nil || len(root) != 1 || root[0].UUID != vols[0].UUID {
		t.Errorf("QueryVolume(type=Root) = %+v, %v; want the first disk %s", root, err, vols[0].UUID)
	}
	vp := qp("vmInstanceUuid=" + vm)
	vp.Sort("+deviceId").Start(1).Limit(1)
	page, total, err := cli.PageVolume(vp)
	if err != nil || total != 2 || len(page) != 1 || page[0].UUID != vols[1].UUID || page[0].Type != "Data" {
		t.Errorf("PageVolume(start 1, limit 1) = %+v, total %d, %v; want the Data disk %s of 2", page, total, err, vols[1].UUID)
	}
}
