package zstack_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker"
)

// QueryZone, QueryCluster and QueryVolume over the in-memory broker: functions of the
// providers and of the VM inventory, so the whole query language runs here without a cloud.

func psUUID(provider, storage string) string {
	return broker.DerivedUUID("primary-storage", provider, storage)
}

func TestQueryInfraInMemory(t *testing.T) {
	m := newMemBroker(t, fixtureVMs(), nil)
	admin := m.login(t, "admin", adminPass)
	kvm := m.login(t, "kvm-only", passA)
	web1Disk := broker.DerivedUUID("volume", "vc1", "6000c298111122223333444455556666") // from web-1's vSphere disk uuid
	for _, tc := range []struct {
		name, session, path string
		want                []string
		total               int // -1: no total asked
	}{
		{"zones", admin, "/zones", []string{"r1", "r2"}, -1},
		{"zones of a tenant", kvm, "/zones", []string{"r2"}, -1},
		{"zone by name", admin, "/zones?" + q("name=r2"), []string{"r2"}, -1},
		{"clusters by hypervisor", admin, "/clusters?" + q("hypervisorType=KVM"), []string{"kvm1"}, -1},
		{"clusters of a zone", admin, "/clusters?" + q("zoneUuid="+broker.DerivedUUID("zone", "r1")), []string{"vc1"}, -1},
		{"cluster by uuid", admin, "/clusters/" + clusterUUID("vc1"), []string{"vc1"}, -1},
		{"another tenant's cluster", kvm, "/clusters/" + clusterUUID("vc1"), []string{}, -1},
		{"volumes", admin, "/volumes?sort=name&" + q("size>0"), []string{"Hard disk 1", "Hard disk 1", "Hard disk 2", "vda"}, -1},
		{"root volumes", admin, "/volumes?sort=-size&" + q("type=Root"), []string{"vda", "Hard disk 1", "Hard disk 1"}, -1},
		{"volumes on a datastore", admin, "/volumes?" + q("primaryStorageUuid="+psUUID("vc1", "ds2")), []string{"Hard disk 2"}, -1},
		{"volumes by format and size", admin, "/volumes?" + q("format?=qcow2,raw", "size>=100"), []string{"vda"}, -1},
		{"volumes of a tenant", kvm, "/volumes", []string{"vda"}, -1},
		{"volume by uuid", admin, "/volumes/" + web1Disk, []string{"Hard disk 1"}, -1},
		{"another tenant's volume", kvm, "/volumes/" + web1Disk, []string{}, -1},
		{"volumes paged", admin, "/volumes?sort=-size&start=1&limit=2&replyWithCount=true", []string{"Hard disk 2", "Hard disk 1"}, 4},
		{"volumes counted", admin, "/volumes?count=true&" + q("type=Data"), []string{}, 1},
		{"volumes grouped by VM", admin, "/volumes?groupBy=vmInstanceUuid&replyWithCount=true&fields=name", []string{"Hard disk 1", "Hard disk 1", "vda"}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := m.do(t, http.MethodGet, "/zstack/v1"+tc.path, tc.session, "")
			if res.Code != http.StatusOK {
				t.Fatalf("%d %s", res.Code, res.Body)
			}
			var l vmList
			res.json(t, &l)
			got := l.names()
			if tc.name == "zones" || tc.name == "volumes grouped by VM" {
				slices.Sort(got)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" && !(tc.total >= 0 && len(tc.want) == 0) {
				t.Errorf("names (-want +got):\n%s", diff)
			}
			if tc.total >= 0 && (l.Total == nil || *l.Total != tc.total) {
				t.Errorf("total = %v, want %d", l.Total, tc.total)
			}
		})
	}
}

// Each new query API refuses what it cannot express with a 400 naming it, before listing.
func TestQueryInfraRefusals(t *testing.T) {
	m := newMemBroker(t, fixtureVMs(), nil)
	s := m.login(t, "admin", adminPass)
	for _, path := range []string{"/zones", "/clusters", "/hosts", "/l3-networks", "/images", "/volumes", "/primary-storage"} {
		for _, bad := range []struct{ query, mention string }{
			{q("bogus=1"), `unknown field \"bogus\"`},
			{"sort=bogus", `unknown field \"bogus\"`},
			{"fields=bogus", `\"bogus\" is not a primitive field`},
			{"limit=x", "'limit' must be an integer"},
		} {
			res := m.do(t, http.MethodGet, "/zstack/v1"+path+"?"+bad.query, s, "")
			expectError(t, path+"?"+bad.query, res, http.StatusBadRequest, "SYS.1007")
			if !strings.Contains(string(res.Body), bad.mention) {
				t.Errorf("%s?%s: %s; want it to mention %q", path, bad.query, res.Body, bad.mention)
			}
		}
	}
}

// A VM's volumes and NICs name their primary storage and L3 network: both are VM conditions.
func TestQueryVMByStorageAndNetwork(t *testing.T) {
	m := newMemBroker(t, fixtureVMs(), nil)
	s := m.login(t, "admin", adminPass)
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{q("allVolumes.primaryStorageUuid=" + psUUID("vc1", "ds2")), []string{"web-2"}},
		{q("allVolumes.primaryStorageUuid=" + psUUID("vc1", "ds1")), []string{"web-1", "web-2"}},
		{q("vmNics.l3NetworkUuid=" + broker.DerivedUUID("l3", "kvm1", "default")), []string{"db-1"}},
		{q("vmNics.l3NetworkUuid is null"), []string{"IntelCoreI7", "IntelCoreM7"}},
		{q("allVolumes.uuid=" + broker.DerivedUUID("volume", "vc1", "6000c298111122223333444455556666")), []string{"web-1"}},
	} {
		m.wantNames(t, s, tc.query, tc.want)
	}
}

// The answers of QueryZone, QueryCluster and QueryVolume, as goldens.
func TestQueryInfraGolden(t *testing.T) {
	m := newMemBroker(t, fixtureVMs(), nil)
	s := m.login(t, "admin", adminPass)
	for name, path := range map[string]string{
		"query_zones":    "/zones",
		"query_clusters": "/clusters?sort=name",
		"query_volumes":  "/volumes?sort=name&replyWithCount=true",
	} {
		res := m.do(t, http.MethodGet, "/zstack/v1"+path, s, "")
		if res.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", path, res.Code, res.Body)
		}
		goldenJSON(t, name, res.Body)
	}
}
