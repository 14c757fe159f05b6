package kvm_test

import (
	"context"
	"testing"
	"time"

	"cloudbroker/drivers"
	"cloudbroker/drivers/kvm"
	"cloudbroker/drivers/kvm/kvmtest"
)

// The fixture host for libvirt's test driver. libvirtd loads the node file per connection, so
// every connection starts from this state and changes stay private to it.
const (
	web1UUID = "6695eb01-f6a4-8304-79aa-97f2502e193f"
	db1UUID  = "4dea22b3-1d52-d8f3-2516-782e98ab3fa0"
	// orphanUUID's disk is a file in no storage pool.
	orphanUUID = "0f0e0d0c-0b0a-4908-8706-050403020100"
)

const nodeXML = `<node>
  <cpu>
    <nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>1</threads>
    <active>4</active><mhz>2400</mhz><model>x86_64</model>
  </cpu>
  <memory>8388608</memory>
  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <name>web-1</name>
    <uuid>` + web1UUID + `</uuid>
    <metadata>
      <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">
        <libosinfo:os id="http://debian.org/debian/12"/>
      </libosinfo:libosinfo>
    </metadata>
    <memory unit='MiB'>512</memory>
    <vcpu>2</vcpu>
    <os><type arch='x86_64'>hvm</type></os>
    <devices>
      <disk type='volume' device='disk'>
        <driver name='qemu' type='qcow2'/>
        <source pool='data' volume='web-1-root.qcow2'/>
        <target dev='vda' bus='virtio'/>
      </disk>
      <disk type='file' device='disk'>
        <driver name='qemu' type='raw'/>
        <source file='/data/web-1-data.img'/>
        <target dev='sdb' bus='scsi'/>
        <serial>DATA-0001</serial>
        <address type='drive' controller='0' bus='0' target='0' unit='1'/>
      </disk>
      <disk type='file' device='cdrom'>
        <source file='/data/debian-12.iso'/>
        <target dev='hdc' bus='ide'/>
        <readonly/>
      </disk>
      <interface type='network'>
        <mac address='52:54:00:11:22:33'/>
        <source network='default'/>
        <model type='virtio'/>
      </interface>
    </devices>
  </domain>
  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <name>db-1</name>
    <uuid>` + db1UUID + `</uuid>
    <memory unit='GiB'>1</memory>
    <vcpu current='1'>4</vcpu>
    <os><type arch='x86_64'>hvm</type></os>
    <devices>
      <disk type='volume' device='disk'>
        <driver name='qemu' type='qcow2'/>
        <source pool='data' volume='db-1-root.qcow2'/>
        <target dev='vda' bus='virtio'/>
      </disk>
      <interface type='bridge'>
        <mac address='52:54:00:44:55:66'/>
        <source bridge='br0'/>
        <model type='e1000'/>
      </interface>
    </devices>
    <test:runstate>5</test:runstate>
  </domain>
  <domain type='test'>
    <name>orphan-1</name>
    <uuid>0f0e0d0c-0b0a-4908-8706-050403020100</uuid>
    <memory unit='MiB'>256</memory>
    <vcpu>1</vcpu>
    <os><type arch='x86_64'>hvm</type></os>
    <devices>
      <disk type='file' device='disk'>
        <driver name='qemu' type='raw'/>
        <source file='/scratch/orphan.img'/>
        <target dev='hda' bus='ide'/>
      </disk>
    </devices>
  </domain>
  <network>
    <name>default</name>
    <uuid>004b96e1-2d78-c30f-5aa5-f03c87d21e69</uuid>
    <bridge name='virbr0'/>
    <forward/>
    <ip address='192.168.122.1' netmask='255.255.255.0'>
      <dhcp><range start='192.168.122.2' end='192.168.122.254'/></dhcp>
    </ip>
  </network>
  <pool type='dir'>
    <name>data</name>
    <uuid>35bb2ad9-388a-cdfe-461a-b8907f6e53fe</uuid>
    <capacity>107374182400</capacity>
    <allocation>0</allocation>
    <available>107374182400</available>
    <target><path>/data</path></target>
    <volume type='file'>
      <name>web-1-root.qcow2</name>
      <capacity>10737418240</capacity>
      <allocation>1073741824</allocation>
      <target><path>/data/web-1-root.qcow2</path><format type='qcow2'/></target>
    </volume>
    <volume type='file'>
      <name>web-1-data.img</name>
      <capacity>21474836480</capacity>
      <allocation>21474836480</allocation>
      <target><path>/data/web-1-data.img</path><format type='raw'/></target>
    </volume>
    <volume type='file'>
      <name>db-1-root.qcow2</name>
      <capacity>5368709120</capacity>
      <allocation>536870912</allocation>
      <target><path>/data/db-1-root.qcow2</path><format type='qcow2'/></target>
    </volume>
    <volume type='file'>
      <name>stale-sdb.img</name>
      <capacity>1048576</capacity>
      <allocation>1048576</allocation>
      <target><path>/data/stale-sdb.img</path><format type='raw'/></target>
    </volume>
    <volume type='file'>
      <name>debian-12.iso</name>
      <capacity>658505728</capacity>
      <allocation>658505728</allocation>
      <target><path>/data/debian-12.iso</path><format type='iso'/></target>
    </volume>
  </pool>
  <pool type='dir'>
    <name>images</name>
    <uuid>9b1c3f4e-5a6d-4e7f-8a9b-0c1d2e3f4a5b</uuid>
    <capacity>53687091200</capacity>
    <allocation>0</allocation>
    <available>53687091200</available>
    <target><path>/images</path></target>
    <volume type='file'>
      <name>debian-12-genericcloud.qcow2</name>
      <capacity>2147483648</capacity>
      <allocation>429916160</allocation>
      <target><path>/images/debian-12-genericcloud.qcow2</path><format type='qcow2'/></target>
    </volume>
    <volume type='file'>
      <name>alpine-3.20.iso</name>
      <capacity>216006656</capacity>
      <allocation>216006656</allocation>
      <target><path>/images/alpine-3.20.iso</path><format type='iso'/></target>
    </volume>
  </pool>
</node>
`

// nodeURI writes the fixture node file into a fresh temp dir and returns its test:/// URI.
func nodeURI(t *testing.T) string {
	t.Helper()
	return kvmtest.NodeURI(t, nodeXML)
}

// openNode opens a connection to a private copy of the fixture host, closed at cleanup.
func openNode(t *testing.T, opts ...map[string]string) *kvm.Conn {
	t.Helper()
	requireDaemon(t)
	cfg := drivers.Config{Name: "lab", URL: nodeURI(t), Timeout: 20 * time.Second}
	if len(opts) > 0 {
		cfg.Options = opts[0]
	}
	c, err := drivers.Open(ctx(t), "kvm", cfg)
	if err != nil {
		t.Fatalf("open %s: %v", cfg.URL, err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*kvm.Conn)
}

// ctx is a per-test context bounded well below go test's own timeout.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}
