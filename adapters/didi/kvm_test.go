package didi_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/config"
	"cloudbroker/drivers/kvm/kvmtest"
	"cloudbroker/drivers/vcenter/vcsim"
	"cloudbroker/test/harness"
)

// imagesNode is a libvirt test-driver host whose images pool holds a qcow2 image sized like the
// seed's (a 524 MiB file for an 8 GiB disk) and an ISO, which is not a custom image.
const imagesNode = `<node>
  <cpu><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads>
    <active>2</active><mhz>2400</mhz><model>x86_64</model></cpu>
  <memory>4194304</memory>
  <pool type='dir'>
    <name>images</name>
    <uuid>7d5e0a7c-2f1b-4a43-9a36-3c1f0b6e5d21</uuid>
    <capacity>53687091200</capacity><allocation>0</allocation><available>53687091200</available>
    <target><path>/images</path></target>
    <volume type='file'>
      <name>centos-7-base.qcow2</name>
      <capacity>8589934592</capacity>
      <allocation>549899264</allocation>
      <target><path>/images/centos-7-base.qcow2</path><format type='qcow2'/></target>
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

// Images come from a vCenter's templates and a KVM host's images pool, each under its own
// provider's region: regionId selects the provider.
func TestImagesFromVCenterAndKVMByRegion(t *testing.T) {
	kvmtest.RequireDaemon(t)
	node := kvmtest.NodeURI(t, imagesNode)
	b := harness.Start(t, harness.Options{
		Templates: map[int][]vcsim.Template{0: {{Name: "tpl-centos", GuestID: "centos7_64Guest"}}},
		KVM:       []harness.KVMProvider{{Name: "kvm1", URI: node, Options: map[string]string{"images_pool": "images"}}},
		Tune: func(c *config.Config) {
			seedRegion(c)
			for i := range c.Providers {
				if c.Providers[i].Driver == "kvm" {
					c.Providers[i].Region, c.Providers[i].Zones = "gz", []string{"gz01", "gz02"}
				}
			}
		},
	})

	type row struct {
		Name    string
		Regions []string
		Zones   []string
	}
	rows := func(d listData) []row {
		out := []row{}
		for _, it := range d.Items {
			out = append(out, row{it.Name, it.Regions, it.Zones})
		}
		return out
	}
	for _, tc := range []struct {
		region string
		want   []row
	}{
		{"gz", []row{{"centos-7-base.qcow2", []string{"gz"}, []string{"gz01", "gz02"}}}},
		{"bj", []row{{"tpl-centos", []string{"bj"}, []string{"bj01"}}}},
	} {
		t.Run(tc.region, func(t *testing.T) {
			d := list(t, b, map[string]any{"regionId": tc.region, "limit": 10})
			if diff := cmp.Diff(tc.want, rows(d)); diff != "" {
				t.Errorf("images of region %s (-want +got):\n%s", tc.region, diff)
			}
		})
	}
	goldenJSON(t, "cimg_list_kvm", call(t, b, http.MethodPost, listPath, admin, map[string]any{"regionId": "gz", "limit": 10}).body)
}
