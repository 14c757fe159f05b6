package zstack_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker/model"
	"cloudbroker/config"
)

type vmList struct {
	Inventories []map[string]any `json:"inventories"`
	Total       *int             `json:"total"`
}

func (l vmList) names() []string {
	out := []string{}
	for _, m := range l.Inventories {
		out = append(out, fmt.Sprint(m["name"]))
	}
	return out
}

// query runs GET /zstack/v1/vm-instances?<raw>.
func (m *memBroker) query(t *testing.T, session, raw string) (response, vmList) {
	t.Helper()
	res := m.do(t, http.MethodGet, "/zstack/v1/vm-instances?"+raw, session, "")
	var l vmList
	if res.Code == http.StatusOK {
		res.json(t, &l)
	}
	return res, l
}

func q(conds ...string) string {
	v := url.Values{}
	for _, c := range conds {
		v.Add("q", c)
	}
	return v.Encode()
}

func zoneOrCluster(kind, name string) string {
	sum := sha256.Sum256([]byte(kind + "\x00" + name))
	return hex.EncodeToString(sum[:16])
}

// Every operator of the query language, on plain, nested, scaled, enum, provider-derived,
// constant, date, absent and tag fields. Results are compared as sorted name lists.
func TestQueryOperators(t *testing.T) {
	m := newMemBroker(t, fixtureVMs(), nil)
	s := m.login(t, "admin", adminPass)
	all := []string{"IntelCoreI7", "IntelCoreM7", "db-1", "web-1", "web-2"}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", all},
		{q("name=web-1"), []string{"web-1"}},
		{q("name!=web-1"), []string{"IntelCoreI7", "IntelCoreM7", "db-1", "web-2"}},
		{q("cpuNum>2"), []string{"db-1", "web-2"}},
		{q("cpuNum<2"), []string{"IntelCoreI7", "IntelCoreM7"}},
		{q("cpuNum>=4"), []string{"db-1", "web-2"}},
		{q("cpuNum<=2"), []string{"IntelCoreI7", "IntelCoreM7", "web-1"}},
		{q("name?=web-1,db-1,nope"), []string{"db-1", "web-1"}},
		{q("name!?=web-1,db-1"), []string{"IntelCoreI7", "IntelCoreM7", "web-2"}},
		{q("name~=IntelCore%"), []string{"IntelCoreI7", "IntelCoreM7"}},
		{q("name~=IntelCore_7"), []string{"IntelCoreI7", "IntelCoreM7"}},
		{q("name~=web%"), []string{"web-1", "web-2"}},
		{q("name!~=IntelCore%"), []string{"db-1", "web-1", "web-2"}},
		{q("name is null"), []string{}},
		{q("name not null"), all},
		// Nested paths: a list field matches when any element does.
		{q("vmNics.ip=10.0.0.2"), []string{"web-2"}},
		{q("vmNics.ip=fe80::1"), []string{"web-1"}},
		{q("vmNics.ip~=10.0.0.%"), []string{"web-1", "web-2"}},
		{q("vmNics.ip is null"), []string{"IntelCoreI7", "IntelCoreM7"}},
		{q("vmNics.ip not null"), []string{"db-1", "web-1", "web-2"}},
		{q("vmNics.mac=52:54:00:00:00:03"), []string{"db-1"}},
		{q("allVolumes.size>53687091200"), []string{"db-1"}},
		{q("allVolumes.size>=53687091200"), []string{"db-1", "web-2"}},
		{q("allVolumes.size<20000000000"), []string{"web-1", "web-2"}},
		{q("allVolumes.format=qcow2"), []string{"db-1"}},
		{q("allVolumes.installPath~=[ds2]%"), []string{"web-2"}},
		// memorySize is bytes; the inventory holds MB.
		{q("memorySize>2147483648"), []string{"db-1", "web-2"}},
		{q("memorySize=1073741824"), []string{"IntelCoreM7"}},
		{q("memorySize?=536870912,1073741824"), []string{"IntelCoreI7", "IntelCoreM7"}},
		// state is ZStack's: Running, Stopped, Paused, Unknown.
		{q("state=Running"), []string{"db-1", "web-1"}},
		{q("state!=Running"), []string{"IntelCoreI7", "IntelCoreM7", "web-2"}},
		{q("state?=Paused,Unknown"), []string{"IntelCoreI7", "IntelCoreM7"}},
		{q("state~=Run%"), []string{"db-1", "web-1"}},
		{q("state!~=Run%"), []string{"IntelCoreI7", "IntelCoreM7", "web-2"}},
		{q("state=Bogus"), []string{}},
		{q("state not null"), all},
		// Provider-derived fields.
		{q("hypervisorType=KVM"), []string{"IntelCoreI7", "IntelCoreM7", "db-1"}},
		{q("hypervisorType!=KVM"), []string{"web-1", "web-2"}},
		{q("hypervisorType?=ESX,Xen"), []string{"web-1", "web-2"}},
		{q("clusterUuid=" + zoneOrCluster("cluster", "vc1")), []string{"web-1", "web-2"}},
		{q("zoneUuid=" + zoneOrCluster("zone", "r2")), []string{"IntelCoreI7", "IntelCoreM7", "db-1"}},
		{q("type=UserVm"), all},
		{q("type=ApplianceVm"), []string{}},
		// Dates, in any of the accepted forms (the fixture broker renders in UTC).
		{q("createDate>Jan 15, 2024 12:00:00 AM"), []string{"db-1", "web-2"}},
		{q("createDate<2024-02-01 00:00:00"), []string{"web-1"}},
		{q("createDate>=2024-02-01"), []string{"db-1", "web-2"}},
		{q("createDate<=2024-01-01T00:00:00Z"), []string{"web-1"}},
		{q("createDate is null"), []string{"IntelCoreI7", "IntelCoreM7"}},
		// Fields no VM has a value for, tags included, until the broker keeps them.
		{q("description is null"), all},
		{q("description=x"), []string{}},
		{q("__systemTag__=staticIp:10.10.1.20"), []string{}},
		{q("__userTag__!=x"), all},
		{q("__systemTag__ not null"), []string{}},
		{q("guestOsType~=%Linux%"), []string{"web-1"}},
		// Conditions are ANDed.
		{q("name~=web%", "state=Running"), []string{"web-1"}},
		{q("hypervisorType=KVM", "cpuNum>1", "vmNics.ip not null"), []string{"db-1"}},
	} {
		m.wantNames(t, s, tc.query, tc.want)
	}
}

// Malformed or unknown parts answer 400 with ZStack's error shape, naming the bad part.
func TestQueryErrors(t *testing.T) {
	m := newMemBroker(t, fixtureVMs(), nil)
	s := m.login(t, "admin", adminPass)
	for _, tc := range []struct{ query, mention string }{
		{q("bogus=1"), `unknown field "bogus"`},
		{q("vmNics.eip.ip=1.2.3.4"), `unknown field "vmNics.eip.ip"`},
		{q("uuid = x"), "no spaces are allowed"},
		{q("name"), `no operator after field "name"`},
		{q("memorySize~=1%"), "~= cannot be used on memorySize"},
		{q("memorySize=lots"), "memorySize takes a number"},
		{q("createDate>yesterday"), "is not a date"},
		{"limit=x", "'limit' must be an integer"},
		{"start=-2", "'start' must be >= 0"},
		{"sort=-zoneUuid", "cannot sort by zoneUuid"},
		{"sort=bogus", `cannot sort by unknown field "bogus"`},
		{"fields=vmNics", `"vmNics" is not a primitive field`},
		{"groupBy=allVolumes", `"allVolumes" is not a primitive field`},
	} {
		res, _ := m.query(t, s, tc.query)
		var e struct {
			Error struct{ Code, Description, Details string }
		}
		res.json(t, &e)
		if res.Code != http.StatusBadRequest || e.Error.Code != "SYS.1007" || !strings.Contains(e.Error.Details, tc.mention) {
			t.Errorf("%s: %d %s; want 400 SYS.1007 mentioning %q", tc.query, res.Code, res.Body, tc.mention)
		}
	}
}

// limit, start, count, replyWithCount, sort (+/-, sortBy/sortDirection), fields, groupBy.
func TestQueryOptions(t *testing.T) {
	m := newMemBroker(t, fixtureVMs(), nil)
	s := m.login(t, "admin", adminPass)
	for _, tc := range []struct {
		query string
		want  []string // in order
		total int      // -1: no total in the answer
	}{
		{"", []string{"IntelCoreI7", "IntelCoreM7", "db-1", "web-1", "web-2"}, -1}, // provider, then name
		{"limit=2", []string{"IntelCoreI7", "IntelCoreM7"}, -1},
		{"start=1&limit=2&replyWithCount=true", []string{"IntelCoreM7", "db-1"}, 5},
		{"start=4&limit=10&replyWithCount=true", []string{"web-2"}, 5},
		{"start=9&replyWithCount=true", []string{}, 5},
		{"limit=0&replyWithCount=true", []string{}, 5},
		{"sort=%2BmemorySize&limit=3", []string{"IntelCoreI7", "IntelCoreM7", "web-1"}, -1},
		{"sort=-memorySize", []string{"db-1", "web-2", "web-1", "IntelCoreM7", "IntelCoreI7"}, -1},
		{"sort=name", []string{"IntelCoreI7", "IntelCoreM7", "db-1", "web-1", "web-2"}, -1},
		{"sortBy=name&sortDirection=desc", []string{"web-2", "web-1", "db-1", "IntelCoreM7", "IntelCoreI7"}, -1},
		{"sort=-createDate&" + q("createDate not null"), []string{"db-1", "web-2", "web-1"}, -1},
		{"sort=-cpuNum&" + q("hypervisorType=ESX") + "&replyWithCount=true", []string{"web-2", "web-1"}, 2},
		// groupBy keeps the first VM (in order) of each value; total counts groups.
		{"groupBy=hypervisorType&replyWithCount=true", []string{"IntelCoreI7", "web-1"}, 2},
		{"groupBy=state&sort=name&replyWithCount=true", []string{"IntelCoreI7", "IntelCoreM7", "db-1", "web-2"}, 4},
		{"groupBy=state&sort=name&start=1&limit=2&replyWithCount=true", []string{"IntelCoreM7", "db-1"}, 4},
		// Paging at the edges of int cannot overflow.
		{"groupBy=state&sort=name&start=3&limit=9223372036854775807&replyWithCount=true", []string{"web-2"}, 4},
		{"sort=name&start=4&limit=9223372036854775807&replyWithCount=true", []string{"web-2"}, 5},
		{"start=9223372036854775807&limit=9223372036854775807&replyWithCount=true", []string{}, 5},
	} {
		res, l := m.query(t, s, tc.query)
		if res.Code != http.StatusOK {
			t.Errorf("%s: %d %s", tc.query, res.Code, res.Body)
			continue
		}
		if diff := cmp.Diff(tc.want, l.names()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.query, diff)
		}
		switch {
		case tc.total < 0 && l.Total != nil:
			t.Errorf("%s: total %d without replyWithCount", tc.query, *l.Total)
		case tc.total >= 0 && (l.Total == nil || *l.Total != tc.total):
			t.Errorf("%s: total %v, want %d", tc.query, l.Total, tc.total)
		}
	}

	// count=true answers the total alone.
	for query, want := range map[string]string{
		"count=true":                        `{"total":5}`,
		"count=true&" + q("state=Running"):  `{"total":2}`,
		"count=true&groupBy=hypervisorType": `{"total":2}`,
		"count=true&limit=1":                `{"total":5}`,
	} {
		if res, _ := m.query(t, s, query); res.Code != http.StatusOK || string(res.Body) != want {
			t.Errorf("%s: %d %s, want %s", query, res.Code, res.Body, want)
		}
	}

	// fields keeps only the named primitive fields, in both spellings.
	for _, query := range []string{"fields=uuid,name&" + q("name=web-1"), "fields=uuid&fields=name&" + q("name=web-1")} {
		_, l := m.query(t, s, query)
		if len(l.Inventories) != 1 || len(l.Inventories[0]) != 2 || l.Inventories[0]["name"] != "web-1" || len(fmt.Sprint(l.Inventories[0]["uuid"])) != 32 {
			t.Errorf("%s: %+v", query, l.Inventories)
		}
	}
}

// The default page is 1000 VMs, as ZStack's.
func TestQueryDefaultLimit(t *testing.T) {
	var vms []model.VM
	for i := range 1200 {
		vms = append(vms, model.VM{Provider: "kvm1", NativeID: fmt.Sprint(i), Name: fmt.Sprintf("vm-%04d", i), PowerState: model.PoweredOn})
	}
	m := newMemBroker(t, vms, nil)
	s := m.login(t, "admin", adminPass)
	_, l := m.query(t, s, "replyWithCount=true")
	if len(l.Inventories) != 1000 || l.Total == nil || *l.Total != 1200 {
		t.Errorf("no limit: %d inventories, total %v; want 1000 of 1200", len(l.Inventories), l.Total)
	}
}

// GET /vm-instances/{uuid}: the one VM in "inventories", nothing for an unknown uuid or one
// the caller's account does not see; a scoped account's queries cover its providers only.
func TestGetVMAndScope(t *testing.T) {
	vms := fixtureVMs()
	m := newMemBroker(t, vms, nil)
	admin, kvmOnly := m.login(t, "admin", adminPass), m.login(t, "kvm-only", passA)
	web1 := vms[0].ID
	res := m.do(t, http.MethodGet, "/zstack/v1/vm-instances/"+web1, admin, "")
	goldenJSON(t, "vm_inventory", res.Body)
	for _, tc := range []struct {
		session, id string
		want        []string
	}{
		{admin, web1, []string{"web-1"}},
		{admin, strings.Repeat("0", 32), []string{}},
		{kvmOnly, web1, []string{}},
		{kvmOnly, vms[2].ID, []string{"db-1"}},
	} {
		res := m.do(t, http.MethodGet, "/zstack/v1/vm-instances/"+tc.id, tc.session, "")
		var l vmList
		res.json(t, &l)
		if res.Code != http.StatusOK || !slices.Equal(l.names(), tc.want) {
			t.Errorf("GET %s: %d %v, want %v", tc.id, res.Code, l.names(), tc.want)
		}
	}
	_, l := m.query(t, kvmOnly, "replyWithCount=true")
	if got := l.names(); !slices.Equal(got, []string{"IntelCoreI7", "IntelCoreM7", "db-1"}) || *l.Total != 3 {
		t.Errorf("kvm-only account sees %v (total %v)", got, *l.Total)
	}
}

// A provider whose inventory sync failed is served from its last good inventory and named in
// staleProviders; the answer is not emptied.
func TestQueryReportsStaleProvider(t *testing.T) {
	m := newMemBroker(t, fixtureVMs(), map[string]string{"kvm1": "libvirt: connection refused"})
	s := m.login(t, "admin", adminPass)
	res, l := m.query(t, s, q("cpuNum>=4")+"&fields=name,state")
	if res.Code != http.StatusOK || !slices.Equal(l.names(), []string{"db-1", "web-2"}) {
		t.Fatalf("%d %s", res.Code, res.Body)
	}
	goldenJSON(t, "query_stale_provider", res.Body)
}

// Unknown paths, methods and actions answer in ZStack's error shape.
func TestUnroutedAndMethods(t *testing.T) {
	m := newMemBroker(t, fixtureVMs(), nil)
	s := m.login(t, "admin", adminPass)
	res := m.do(t, http.MethodGet, "/zstack/v1/l2-networks", s, "")
	goldenJSON(t, "error_no_route", res.Body)
	if res.Code != http.StatusNotFound {
		t.Errorf("unknown path: %d", res.Code)
	}
	res = m.do(t, http.MethodPut, "/zstack/v1/vm-instances/"+strings.Repeat("a", 32)+"/actions", s, `{"destroyVmInstance":{}}`)
	goldenJSON(t, "error_unknown_action", res.Body)
	if res.Code != http.StatusBadRequest {
		t.Errorf("unknown action: %d", res.Code)
	}
	for _, tc := range []struct {
		method, path, session string
		code                  int
		zs                    string
	}{
		{http.MethodGet, "/zstack/v1/vm-instances", "", http.StatusBadRequest, "SYS.1007"},
		{http.MethodGet, "/zstack/v1/vm-instances", strings.Repeat("f", 32), http.StatusServiceUnavailable, "ID.1001"},
		{http.MethodGet, "/zstack/v1/api-jobs/nothex", s, http.StatusNotFound, "SYS.1003"},
		{http.MethodGet, "/zstack/v1/api-jobs/" + strings.Repeat("b", 32), s, http.StatusNotFound, "SYS.1003"},
	} {
		res := m.do(t, tc.method, tc.path, tc.session, "")
		var e struct{ Error struct{ Code string } }
		res.json(t, &e)
		if res.Code != tc.code || e.Error.Code != tc.zs {
			t.Errorf("%s %s: %d %s, want %d %s", tc.method, tc.path, res.Code, res.Body, tc.code, tc.zs)
		}
	}
}

// FuzzLoginBody: any login body answers 200 (right password), 400 (malformed) or 503 (wrong
// account or password); never a 500, never a session for a wrong password.
func FuzzLoginBody(f *testing.F) {
	m := newMemBroker(f, fixtureVMs(), nil)
	good := `{"logInByAccount":{"accountName":"admin","password":"` + config.HashPassword(adminPass) + `"}}`
	for _, s := range []string{good, `{"logInByAccount":{"accountName":"admin","password":"x"}}`, `{"logInByAccount":null}`,
		`{"logInByAccount":{"accountName":7}}`, `{}`, `[]`, ``, `{"logInByUser":{}}`, good + ` {}`} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, body []byte, user bool) {
		path := "/zstack/v1/accounts/login"
		if user {
			path = "/zstack/v1/accounts/users/login"
		}
		res := m.do(t, http.MethodPut, path, "", string(body))
		switch res.Code {
		case http.StatusOK:
			var s struct{ Inventory struct{ UUID string } }
			res.json(t, &s)
			// The digest is hex: the right digest in upper or mixed case is the right password.
			if user || len(s.Inventory.UUID) != 32 || !strings.Contains(strings.ToLower(string(body)), config.HashPassword(adminPass)) {
				t.Fatalf("body %q logged in: %s", body, res.Body)
			}
		case http.StatusBadRequest, http.StatusServiceUnavailable:
			var e struct{ Error struct{ Code string } }
			res.json(t, &e)
			if e.Error.Code == "" {
				t.Fatalf("body %q: %d %s", body, res.Code, res.Body)
			}
		default:
			t.Fatalf("body %q: %d %s", body, res.Code, res.Body)
		}
	})
}
