package zstack

import (
	"errors"

	"net/http"
	"testing"
	"time"

	"cloudbroker/adapters"

	"cloudbroker/broker"
	"cloudbroker/broker/inventory"
	"cloudbroker/broker/model"
)

var fuzzHosts = []hostInventory{{UUID: broker.HostUUID("vc1", "host-1"), Name: "h1", Status: "Connected", TotalCPUCapacity: 4}}

// FuzzTranslateCondition: any condition that parses either translates to an inventory query
// that the engine runs (own fields, derived fields, joins) or is a 400; never a panic, never
// another error.
func FuzzTranslateCondition(f *testing.F) {
	for _, s := range []string{
		"hostUuid=0123456789abcdef0123456789abcdef", "lastHostUuid is null", "platform?=Linux,Windows",
		"rootVolumeUuid~=%ab%", "defaultL3NetworkUuid!=x", "cluster.name=vc1", "zone.name!~=r%",
		"cluster.hypervisorType?=KVM,ESX", "host.managementIp=1.2.3.4", "zone.cluster.l2Network.l3Network.uuid=x",
		"state=Running", "memorySize>1073741824", "createDate<2024-01-01", "type!=UserVm", "vmNics.eip.ip=1.2.3.4",
		"cluster.=x", "cluster.bogus not null", "host.name=h1", "lastHost.totalCpuCapacity>2", "host.status!=Connected",
		"vmNics.l3NetworkUuid=x", "allVolumes.primaryStorageUuid?=a,b", "allVolumes.uuid is null", "host.bogus=1",
		"vmNics.l3Network.name=VM Network", "vmNics.l3Network.ipRanges.startIp~=10.%", "allVolumes.primaryStorage.totalCapacity>1",
		"allVolumes.primaryStorage.attachedClusterUuids!=x", "vmNics.l3Network.bogus=1",
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
		joins := append(append(tr.joins(), hostJoins(fuzzHosts)...), l3Joins([]l3NetworkInventory{{UUID: "n", Name: "VM Network"}})...)
		q := inventory.Query{Joins: append(joins, storageJoins([]primaryStorageInventory{{UUID: "p", Name: "ds1", TotalCapacity: 2}})...)}
		if !always {
			q.Conditions = []inventory.Condition{ic}
		}
		if _, err := ix.Query(q); err != nil {
			t.Fatalf("condition(%q) translates to %+v, which the engine refuses: %v", s, ic, err)
		}
	})
}

// FuzzQueryResources: any query string on any of the infrastructure query APIs either runs in
// the engine over that resource's inventories or is a 400; never a panic, never another error.
func FuzzQueryResources(f *testing.F) {
	for _, s := range []string{
		"q=name=h1&sort=-totalCpuCapacity", "q=ipRanges.startIp~=10.%25", "q=attachedClusterUuids=x&count=true",
		"q=backupStorageRefs.installPath!=a&groupBy=format", "q=size>1e3&fields=name,size&start=1&limit=1",
		"q=zoneUuid is null&replyWithCount=true", "q=__userTag__=a", "sort=bogus", "q=state?=Enabled,Disabled",
	} {
		f.Add(uint8(0), s)
	}
	provider := model.Provider{Name: "vc1", Driver: "vcenter", Region: "r1"}
	r := renderer{providers: broker.NewProviders([]model.Provider{provider}), loc: time.UTC}
	vm := model.VM{ID: "a", Provider: "vc1", Disks: []model.Disk{{Label: "d", FileName: "[ds1] a.vmdk", CapacityBytes: 1 << 30}}}
	run := []func(listQuery) error{
		func(q listQuery) error {
			_, err := listReply(q, []zoneInventory{zoneOf(provider)}, "Zone", nil, nil)
			return err
		},
		func(q listQuery) error {
			_, err := listReply(q, []clusterInventory{clusterOf(provider)}, "Cluster", nil, nil)
			return err
		},
		func(q listQuery) error { _, err := listReply(q, fuzzHosts, "Host", nil, nil); return err },
		func(q listQuery) error {
			n := r.l3Network(model.Network{Provider: "vc1", Name: "n", CIDR: "10.0.0.0/24", RangeFrom: "10.0.0.2", RangeTo: "10.0.0.9", Active: true})
			_, err := listReply(q, []l3NetworkInventory{n}, "L3Network", nil, nil)
			return err
		},
		func(q listQuery) error {
			_, err := listReply(q, []imageInventory{r.image(model.Image{ID: "i", Provider: "vc1", Name: "i"})}, "Image", nil, nil)
			return err
		},
		func(q listQuery) error { _, err := listReply(q, r.volumes(&vm), "Volume", nil, nil); return err },
		func(q listQuery) error {
			ps := r.primaryStorage(model.Storage{Provider: "vc1", Name: "ds1", CapacityBytes: 1 << 40, Active: true})
			_, err := listReply(q, []primaryStorageInventory{ps}, "PrimaryStorage", nil, nil)
			return err
		},
	}
	f.Fuzz(func(t *testing.T, which uint8, raw string) {
		v, err := adapters.ParseQuery(raw)
		if err != nil {
			return // FuzzParseQuery's concern
		}
		q, err := parseQuery(v)
		if err != nil {
			return
		}
		if err := run[int(which)%len(run)](q); err != nil {
			if code, _ := status(err); !errors.Is(err, model.ErrInvalid) || code != http.StatusBadRequest {
				t.Fatalf("resource %d, %q: %v maps to %d, want a 400", int(which)%len(run), raw, err, code)
			}
		}
	})
}
