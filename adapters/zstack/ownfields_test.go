package zstack_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"cloudbroker/broker"
)

// A VM's own fields that ZStack derives (host, root volume, default network, platform) are
// conditions like any other: each value a VM's inventory shows selects exactly the VMs whose
// inventories show it, "is null" those without one.
func TestQueryVMOwnFields(t *testing.T) {
	m := newMemBroker(t, fixtureVMs(), nil)
	s := m.login(t, "admin", adminPass)
	res, all := m.query(t, s, "")
	if res.Code != http.StatusOK {
		t.Fatalf("query all: %d %s", res.Code, res.Body)
	}
	host1 := broker.HostUUID("vc1", "host-1")
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{q("hostUuid=" + host1), []string{"web-1", "web-2"}},
		{q("lastHostUuid=" + host1), []string{"web-1", "web-2"}},
		{q("hostUuid is null"), []string{"IntelCoreI7", "IntelCoreM7", "db-1"}},
		{q("hostUuid!=" + host1), []string{"IntelCoreI7", "IntelCoreM7", "db-1"}},
		{q("platform=Linux"), []string{"db-1", "web-1"}},
		{q("platform?=Linux,Windows", "cpuNum>2"), []string{"db-1"}},
		{q("platform is null"), []string{"IntelCoreI7", "IntelCoreM7", "web-2"}},
		{q("defaultL3NetworkUuid not null", "name~=web%"), []string{"web-1", "web-2"}},
		{"sort=-platform&q=platform+not+null", []string{"db-1", "web-1"}},
	} {
		res, got := m.query(t, s, tc.query)
		if res.Code != http.StatusOK {
			t.Errorf("%s: %d %s", tc.query, res.Code, res.Body)
			continue
		}
		names := got.names()
		if tc.query[:4] != "sort" {
			slices.Sort(names)
		}
		if diff := cmp.Diff(tc.want, names); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.query, diff)
		}
	}
	// The answer of "VMs on host X" (the fields it is about; uuids masked).
	res = m.do(t, http.MethodGet, "/zstack/v1/vm-instances?"+q("hostUuid="+host1)+"&sort=name&fields=name,hostUuid,lastHostUuid,rootVolumeUuid,defaultL3NetworkUuid,platform", s, "")
	goldenJSON(t, "query_vm_by_host", res.Body)

	// Every value an inventory shows selects the VMs showing it.
	for _, field := range []string{"hostUuid", "lastHostUuid", "rootVolumeUuid", "defaultL3NetworkUuid", "platform"} {
		byValue := map[string][]string{}
		for _, inv := range all.Inventories {
			if v, ok := inv[field].(string); ok {
				byValue[v] = append(byValue[v], fmt.Sprint(inv["name"]))
			}
		}
		if len(byValue) == 0 {
			t.Errorf("no fixture VM shows %s", field)
		}
		for v, want := range byValue {
			_, got := m.query(t, s, q(field+"="+v))
			names := got.names()
			slices.Sort(names)
			slices.Sort(want)
			if diff := cmp.Diff(want, names); diff != "" {
				t.Errorf("%s=%s (-want +got):\n%s", field, v, diff)
			}
		}
	}
}

// The manual's cross-resource conditions on clusters and zones are joins; a relation the broker
// keeps no inventory of is a 400 naming the path.
func TestQueryVMJoinedFields(t *testing.T) {
	m := newMemBroker(t, fixtureVMs(), nil)
	s := m.login(t, "admin", adminPass)
	kvm := []string{"IntelCoreI7", "IntelCoreM7", "db-1"}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{q("cluster.name=vc1"), []string{"web-1", "web-2"}},
		{q("cluster.name!=vc1"), kvm},
		{q("cluster.hypervisorType=KVM", "cpuNum>1"), []string{"db-1"}},
		{q("cluster.uuid=" + clusterUUID("kvm1")), kvm},
		{q("zone.name=r2"), kvm},
		{q("zone.name~=r%", "cluster.name?=vc1,nope"), []string{"web-1", "web-2"}},
		{q("zone.name=nowhere"), []string{}},
	} {
		m.wantNames(t, s, tc.query, tc.want)
	}
	for _, tc := range []struct{ query, mention string }{
		{q("rootVolume.size>1"), "rootVolume.size cannot be queried"},
		{q("host.bogus=1"), `unknown field "bogus" of the VM's host`},
		{q("zone.cluster.l2Network.l3Network.uuid=x"), `unknown field "cluster.l2Network.l3Network.uuid" of the VM's zone`},
		{q("cluster.bogus=1"), `unknown field "bogus" of the VM's cluster`},
		{"sort=cluster.name", `cannot sort by unknown field "cluster.name"`},
	} {
		res, _ := m.query(t, s, tc.query)
		var e struct{ Error struct{ Details string } }
		res.json(t, &e)
		if res.Code != http.StatusBadRequest || !strings.Contains(e.Error.Details, tc.mention) {
			t.Errorf("%s: %d %s; want 400 mentioning %q", tc.query, res.Code, res.Body, tc.mention)
		}
	}
	// A tenant's joins see only its providers: kvm-only's cluster.name=vc1 matches nothing.
	k := m.login(t, "kvm-only", passA)
	if _, got := m.query(t, k, q("cluster.name=vc1")); len(got.Inventories) != 0 {
		t.Errorf("kvm-only: cluster.name=vc1 matched %v", got.names())
	}
}

// wantNames runs a query and compares the names it answers, sorted, with want.
func (m *memBroker) wantNames(t *testing.T, session, query string, want []string) {
	t.Helper()
	res, l := m.query(t, session, query)
	if res.Code != http.StatusOK {
		t.Errorf("%s: %d %s", query, res.Code, res.Body)
		return
	}
	got := l.names()
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		unq, _ := url.QueryUnescape(query)
		t.Errorf("%s (-want +got):\n%s", unq, diff)
	}
}

// The lifecycle's fields are conditions too: state Destroyed (kept on the provider) before the
// power state, description, imageUuid (a VM the broker created) and lastOpDate.
func TestQueryVMLifecycleFields(t *testing.T) {
	vms := fixtureVMs()
	modified := time.Date(2024, time.June, 2, 3, 4, 5, 0, time.UTC)
	for i := range vms {
		switch vms[i].Name {
		case "web-1":
			vms[i].Description, vms[i].ModifiedAt = "front end", modified
		case "web-2":
			vms[i].DestroyedAt = modified
		case "db-1":
			vms[i].Image = "centos-image"
		}
	}
	m := newMemBroker(t, vms, nil)
	s := m.login(t, "admin", adminPass)
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{q("state=Destroyed"), []string{"web-2"}},
		{q("state=Stopped"), nil},
		{q("state?=Running,Destroyed", "cpuNum>2"), []string{"db-1", "web-2"}},
		{q("description~=front%"), []string{"web-1"}},
		{q("description is null", "name~=web%"), []string{"web-2"}},
		{q("imageUuid=" + broker.ImageUUID("kvm1", "centos-image")), []string{"db-1"}},
		{q("lastOpDate>2024-06-01 00:00:00"), []string{"web-1"}},
	} {
		res, got := m.query(t, s, tc.query)
		if res.Code != http.StatusOK {
			t.Errorf("%s: %d %s", tc.query, res.Code, res.Body)
			continue
		}
		names := got.names()
		slices.Sort(names)
		if diff := cmp.Diff(tc.want, names, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.query, diff)
		}
	}
}
