package zstack

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"cloudbroker/broker/inventory"
	"cloudbroker/broker/model"
)

// FuzzTranslateCondition: any condition that parses either translates to an inventory query
// that the engine runs (own fields, derived fields, joins) or is a 400; never a panic, never
// another error.
func FuzzTranslateCondition(f *testing.F) {
	for _, s := range []string{
		"hostUuid=0123456789abcdef0123456789abcdef", "lastHostUuid is null", "platform?=Linux,Windows",
		"rootVolumeUuid~=%ab%", "defaultL3NetworkUuid!=x", "cluster.name=vc1", "zone.name!~=r%",
		"cluster.hypervisorType?=KVM,ESX", "host.managementIp=1.2.3.4", "zone.cluster.l2Network.l3Network.uuid=x",
		"state=Running", "memorySize>1073741824", "createDate<2024-01-01", "type!=UserVm", "vmNics.eip.ip=1.2.3.4",
		"cluster.=x", "cluster.bogus not null",
	} {
		f.Add(s)
	}
	ix := inventory.NewIndex()
	ix.Reset([]model.VM{
		{ID: "a", Provider: "vc1", Name: "a", HostID: "host-1", GuestOS: "Ubuntu Linux", NICs: []model.NIC{{MAC: "m", Network: "VM Network"}}, Disks: []model.Disk{{Label: "d"}}},
		{ID: "b", Provider: "kvm1", Name: "b"},
	})
	tr := translator{providers: []model.Provider{{Name: "vc1", Driver: "vcenter", Region: "r1"}, {Name: "kvm1", Driver: "kvm"}}, loc: time.UTC}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseCondition(s)
		if err != nil {
			return // FuzzParseCondition's concern
		}
		ic, always, err := tr.condition(c)
		if err != nil {
			if code, _ := status(err); !errors.Is(err, model.ErrInvalid) || code != http.StatusBadRequest {
				t.Fatalf("condition(%q): %v maps to %d, want a 400", s, err, code)
			}
			return
		}
		q := inventory.Query{Joins: tr.joins()}
		if !always {
			q.Conditions = []inventory.Condition{ic}
		}
		if _, err := ix.Query(q); err != nil {
			t.Fatalf("condition(%q) translates to %+v, which the engine refuses: %v", s, ic, err)
		}
	})
}
