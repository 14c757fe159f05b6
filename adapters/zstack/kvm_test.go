package zstack_test

import (
	"net/http"
	"slices"
	"testing"

	"cloudbroker/drivers/kvm/kvmtest"
	"cloudbroker/test/harness"
)

// kvmNode is a libvirt test-driver host: one domain, and two pools holding ISO volumes among
// other images. libvirtd loads it per connection, so the test's state is private.
const kvmNode = `<node>
  <cpu><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads><active>2</active><mhz>2400</mhz><model>x86_64</model></cpu>
  <memory>4194304</memory>
  <domain type='test'>
    <name>kvm-web</name>
    <uuid>6695eb01-f6a4-4304-89aa-97f2502e193f</uuid>
    <memory unit='MiB'>512</memory>
    <vcpu>2</vcpu>
    <os><type arch='x86_64'>hvm</type></os>
    <devices>
      <disk type='volume' device='disk'>
        <driver name='qemu' type='qcow2'/>
        <source pool='data' volume='kvm-web.qcow2'/>
        <target dev='vda' bus='virtio'/>
      </disk>
    </devices>
  </domain>
  <pool type='dir'>
    <name>data</name>
    <uuid>35bb2ad9-388a-cdfe-461a-b8907f6e5300</uuid>
    <capacity>107374182400</capacity><allocation>0</allocation><available>107374182400</available>
    <target><path>/data</path></target>
    <volume type='file'>
      <name>kvm-web.qcow2</name><capacity>5368709120</capacity><allocation>536870912</allocation>
      <target><path>/data/kvm-web.qcow2</path><format type='qcow2'/></target>
    </volume>
    <volume type='file'>
      <name>debian-12.iso</name><capacity>658505728</capacity><allocation>658505728</allocation>
      <target><path>/data/debian-12.iso</path><format type='iso'/></target>
    </volume>
  </pool>
  <pool type='dir'>
    <name>images</name>
    <uuid>9b1c3f4e-5a6d-4e7f-8a9b-0c1d2e3f4a5b</uuid>
    <capacity>53687091200</capacity><allocation>0</allocation><available>53687091200</available>
    <target><path>/images</path></target>
    <volume type='file'>
      <name>alpine-3.20.iso</name><capacity>216006656</capacity><allocation>216006656</allocation>
      <target><path>/images/alpine-3.20.iso</path><format type='iso'/></target>
    </volume>
  </pool>
</node>
`

// On KVM, the candidates are the ISO volumes of the host's pools, and the VM is a KVM one.
func TestKVMISOCandidatesAndQuery(t *testing.T) {
	kvmtest.RequireDaemon(t)
	node := kvmtest.NodeURI(t, kvmNode)
	b := startBroker(t, brokerOpts{kvm: []harness.KVMProvider{{Name: "kvm1", URI: node}}})
	s := login(t, b, "admin", adminPass)
	res := call(t, b, http.MethodGet, "/zstack/v1/vm-instances?q=hypervisorType=KVM", s, nil)
	var l vmList
	res.json(t, &l)
	if res.Code != http.StatusOK || !slices.Equal(l.names(), []string{"kvm-web"}) {
		t.Fatalf("KVM VMs: %d %s", res.Code, res.Body)
	}
	vm := l.Inventories[0]["uuid"].(string)
	res = call(t, b, http.MethodGet, "/zstack/v1/vm-instances/"+vm+"/iso-candidates?sort=name", s, nil)
	if res.Code != http.StatusOK {
		t.Fatalf("iso-candidates: %d %s", res.Code, res.Body)
	}
	goldenJSON(t, "iso_candidates_kvm", res.Body)
	var isos struct {
		Inventories []struct {
			Name              string
			Size              int64
			BackupStorageRefs []struct{ InstallPath string }
		}
	}
	res.json(t, &isos)
	var got []string
	for _, i := range isos.Inventories {
		got = append(got, i.Name+" "+i.BackupStorageRefs[0].InstallPath)
	}
	if want := []string{"alpine-3.20.iso /images/alpine-3.20.iso", "debian-12.iso /data/debian-12.iso"}; !slices.Equal(got, want) {
		t.Errorf("KVM ISO candidates %v, want %v", got, want)
	}
}
