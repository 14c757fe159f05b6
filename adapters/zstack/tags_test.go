package zstack_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/terraform-zstack-modules/zstack-sdk-go/pkg/client"
	"github.com/terraform-zstack-modules/zstack-sdk-go/pkg/param"

	"cloudbroker/test/harness"
)

// vmNames queries VMs through the SDK with conditions and returns their names, sorted.
func vmNames(t *testing.T, cli *client.ZSClient, conds ...string) []string {
	t.Helper()
	p := param.NewQueryParam()
	for _, c := range conds {
		p.AddQ(c)
	}
	vms, err := cli.QueryVmInstance(p)
	if err != nil {
		t.Fatalf("QueryVmInstance(%q): %v", conds, err)
	}
	names := []string{}
	for _, vm := range vms {
		names = append(names, vm.Name)
	}
	slices.Sort(names)
	return names
}

// rawVMUUIDs queries VMs over raw HTTP and returns their uuids, sorted.
func rawVMUUIDs(t *testing.T, b *harness.Broker, session string, conds ...string) []string {
	t.Helper()
	v := url.Values{"q": conds}
	res := call(t, b, http.MethodGet, "/zstack/v1/vm-instances?"+v.Encode(), session, nil)
	if res.Code != http.StatusOK {
		t.Fatalf("GET vm-instances?%s: %d %s", v.Encode(), res.Code, res.Body)
	}
	var out struct{ Inventories []struct{ UUID string } }
	res.json(t, &out)
	ids := []string{}
	for _, vm := range out.Inventories {
		ids = append(ids, vm.UUID)
	}
	slices.Sort(ids)
	return ids
}

func createTagParam(resourceType, resourceUUID, tag string) param.CreateTagParam {
	return param.CreateTagParam{Params: param.CreateTagDetailParam{ResourceType: resourceType, ResourceUuid: resourceUUID, Tag: tag}}
}

// The acceptance test: a tag made with the SDK on a VM selects it in QueryVmInstance, through
// the SDK and raw HTTP, with ZStack's semantics for each operator; system tags are matched by
// __systemTag__ only; an update moves the match; a delete ends it.
func TestTagsFilterQueryVmInstance(t *testing.T) {
	b := startBroker(t, brokerOpts{})
	cli := sdkClient(t, b, "tenant-a", passA) // sees vc1's 4 VMs
	session := login(t, b, "tenant-a", passA)
	vm0, vm1 := uuidOf(t, b, 0, "DC0_H0_VM0"), uuidOf(t, b, 0, "DC0_H0_VM1")

	foo, err := cli.CreateUserTag(createTagParam("VmInstanceVO", vm0, "foo"))
	if err != nil {
		t.Fatalf("CreateUserTag: %v", err)
	}
	if foo.Uuid == "" || foo.ResourceUuid != vm0 || foo.ResourceType != "VmInstanceVO" || foo.Tag != "foo" || foo.Type != "User" || foo.CreateDate == "" {
		t.Errorf("CreateUserTag = %+v", foo)
	}
	if _, err := cli.CreateUserTag(createTagParam("VmInstanceVO", vm1, "bar")); err != nil {
		t.Fatalf("CreateUserTag: %v", err)
	}
	if _, err := cli.CreateUserTag(createTagParam("VmInstanceVO", vm1, "food")); err != nil {
		t.Fatalf("CreateUserTag: %v", err)
	}
	sys, err := cli.CreateSystemTag(createTagParam("VmInstanceVO", vm0, "reservedMemory::1G"))
	if err != nil {
		t.Fatalf("CreateSystemTag: %v", err)
	}

	rp := []string{"DC0_C0_RP0_VM0", "DC0_C0_RP0_VM1"}
	all := []string{"DC0_C0_RP0_VM0", "DC0_C0_RP0_VM1", "DC0_H0_VM0", "DC0_H0_VM1"}
	for _, tc := range []struct {
		cond string
		want []string
	}{
		{"__userTag__=foo", []string{"DC0_H0_VM0"}},
		{"__userTag__!=foo", []string{"DC0_C0_RP0_VM0", "DC0_C0_RP0_VM1", "DC0_H0_VM1"}},
		{"__userTag__!=bar", []string{"DC0_C0_RP0_VM0", "DC0_C0_RP0_VM1", "DC0_H0_VM0"}}, // VM1 has bar and food
		{"__userTag__~=foo%", []string{"DC0_H0_VM0", "DC0_H0_VM1"}},
		{"__userTag__!~=foo%", rp},
		{"__userTag__?=foo,bar", []string{"DC0_H0_VM0", "DC0_H0_VM1"}},
		{"__userTag__!?=foo,nope", append(slices.Clone(rp), "DC0_H0_VM1")},
		{"__userTag__ is null", rp},
		{"__userTag__ not null", []string{"DC0_H0_VM0", "DC0_H0_VM1"}},
		{"__userTag__=nope", []string{}},
		{"__userTag__!=nope", all},
		{"__userTag__=reservedMemory::1G", []string{}}, // a system tag is not a user tag
		{"__systemTag__=reservedMemory::1G", []string{"DC0_H0_VM0"}},
		{"__systemTag__ is null", append(slices.Clone(rp), "DC0_H0_VM1")},
	} {
		if diff := cmp.Diff(tc.want, vmNames(t, cli, tc.cond)); diff != "" {
			t.Errorf("SDK QueryVmInstance(%s) (-want +got):\n%s", tc.cond, diff)
		}
	}
	// With other conditions, and over raw HTTP.
	if diff := cmp.Diff([]string{"DC0_H0_VM1"}, vmNames(t, cli, "__userTag__=bar", "state=Running", "name~=DC0%")); diff != "" {
		t.Errorf("tag AND other conditions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{vm0}, rawVMUUIDs(t, b, session, "__userTag__=foo")); diff != "" {
		t.Errorf("raw GET q=__userTag__=foo (-want +got):\n%s", diff)
	}
	// The admin sees every provider's tags: the same VM.
	admin := sdkClient(t, b, "admin", adminPass)
	if diff := cmp.Diff([]string{"DC0_H0_VM0"}, vmNames(t, admin, "__userTag__=foo")); diff != "" {
		t.Errorf("admin __userTag__=foo (-want +got):\n%s", diff)
	}

	// UpdateSystemTag moves the match.
	upd, err := cli.UpdateSystemTag(sys.UUID, param.UpdateSystemTagParam{UpdateSystemTag: param.UpdateTagDetailParam{Tag: "reservedMemory::2G"}})
	if err != nil || upd.Tag != "reservedMemory::2G" || upd.UUID != sys.UUID || upd.ResourceUuid != vm0 {
		t.Fatalf("UpdateSystemTag = %+v, %v", upd, err)
	}
	if got := vmNames(t, cli, "__systemTag__=reservedMemory::1G"); len(got) != 0 {
		t.Errorf("__systemTag__=reservedMemory::1G after the update = %v, want none", got)
	}
	if diff := cmp.Diff([]string{"DC0_H0_VM0"}, vmNames(t, cli, "__systemTag__~=reservedMemory::%")); diff != "" {
		t.Errorf("__systemTag__ like after the update (-want +got):\n%s", diff)
	}
	q := param.NewQueryParam()
	q.AddQ("resourceUuid=" + vm0)
	systags, err := cli.QuerySystemTags(q)
	if err != nil || len(systags) != 1 || systags[0].Tag != "reservedMemory::2G" || systags[0].Inherent {
		t.Errorf("QuerySystemTags(resourceUuid=vm0) = %+v, %v", systags, err)
	}
	q = param.NewQueryParam()
	q.AddQ("tag~=foo%")
	usertags, err := cli.QueryUserTag(q)
	var texts []string
	for _, u := range usertags {
		texts = append(texts, u.Tag)
	}
	slices.Sort(texts)
	if err != nil || !cmp.Equal([]string{"foo", "food"}, texts) {
		t.Errorf("QueryUserTag(tag~=foo%%) = %v, %v; want [foo food]", texts, err)
	}

	// DeleteTag: the filter no longer matches.
	if err := cli.DeleteTag(foo.Uuid, param.DeleteModePermissive); err != nil {
		t.Fatalf("DeleteTag: %v", err)
	}
	if got := vmNames(t, cli, "__userTag__=foo"); len(got) != 0 {
		t.Errorf("__userTag__=foo after DeleteTag = %v, want none", got)
	}
	if diff := cmp.Diff(all, vmNames(t, cli, "__userTag__!=foo")); diff != "" {
		t.Errorf("__userTag__!=foo after DeleteTag (-want +got):\n%s", diff)
	}
}

// Tags on hosts and images: a host uuid as the VM inventory gives it is taggable; an image the
// caller cannot see is refused like a resource that does not exist.
func TestTagsOnHostsAndImages(t *testing.T) {
	b := startBroker(t, brokerOpts{})
	cli := sdkClient(t, b, "tenant-a", passA)
	vm, err := cli.GetVmInstance(uuidOf(t, b, 0, "DC0_H0_VM0"))
	if err != nil || vm.HostUUID == "" {
		t.Fatalf("GetVmInstance: %+v, %v", vm, err)
	}
	tag, err := cli.CreateSystemTag(createTagParam("HostVO", vm.HostUUID, "reservedMemory::1G"))
	if err != nil || tag.ResourceType != "HostVO" || tag.ResourceUuid != vm.HostUUID {
		t.Fatalf("CreateSystemTag(HostVO) = %+v, %v", tag, err)
	}
	// tenant-b does not see vc1's hosts.
	other := sdkClient(t, b, "tenant-b", passB)
	if _, err := other.CreateSystemTag(createTagParam("HostVO", vm.HostUUID, "x")); err == nil || !strings.Contains(err.Error(), "no host with that uuid that you can see") {
		t.Errorf("tenant-b CreateSystemTag on tenant-a's host: %v, want refused", err)
	}
	if _, err := cli.CreateUserTag(createTagParam("ImageVO", "0123456789abcdef0123456789abcdef", "x")); err == nil || !strings.Contains(err.Error(), "no image with that uuid that you can see") {
		t.Errorf("CreateUserTag on an unknown image: %v, want refused", err)
	}
}

// tenant-b can neither tag, see, update nor delete tenant-a's tags, and learns nothing about
// whether a resource or tag of tenant-a exists.
func TestTagsTenantIsolation(t *testing.T) {
	b := startBroker(t, brokerOpts{})
	a := sdkClient(t, b, "tenant-a", passA)
	bcli := sdkClient(t, b, "tenant-b", passB)
	vmA := uuidOf(t, b, 0, "DC0_H0_VM0")
	userTag, err := a.CreateUserTag(createTagParam("VmInstanceVO", vmA, "foo"))
	if err != nil {
		t.Fatal(err)
	}
	sysTag, err := a.CreateSystemTag(createTagParam("VmInstanceVO", vmA, "k::v"))
	if err != nil {
		t.Fatal(err)
	}
	sb := login(t, b, "tenant-b", passB)

	// Tagging a VM of another tenant and a VM that does not exist: the same refusal.
	seen := map[string]string{}
	for _, id := range []string{vmA, "0123456789abcdef0123456789abcdef"} {
		res := call(t, b, http.MethodPost, "/zstack/v1/user-tags", sb, map[string]any{"params": map[string]string{"resourceType": "VmInstanceVO", "resourceUuid": id, "tag": "mine"}})
		if res.Code != http.StatusBadRequest {
			t.Fatalf("tenant-b CreateUserTag on %s: %d %s, want 400", id, res.Code, res.Body)
		}
		seen[id] = strings.ReplaceAll(string(res.Body), id, "<id>")
	}
	if seen[vmA] != seen["0123456789abcdef0123456789abcdef"] {
		t.Errorf("refusals differ between another tenant's VM and no VM:\n%s\n%s", seen[vmA], seen["0123456789abcdef0123456789abcdef"])
	}
	// Nothing to see.
	if got, err := bcli.QueryUserTag(param.NewQueryParam()); err != nil || len(got) != 0 {
		t.Errorf("tenant-b QueryUserTag = %+v, %v; want none", got, err)
	}
	if got, err := bcli.QuerySystemTags(param.NewQueryParam()); err != nil || len(got) != 0 {
		t.Errorf("tenant-b QuerySystemTags = %+v, %v; want none", got, err)
	}
	res := call(t, b, http.MethodGet, "/zstack/v1/user-tags/"+userTag.Uuid, sb, nil)
	if res.Code != http.StatusOK || !strings.Contains(string(res.Body), `"inventories":[]`) {
		t.Errorf("tenant-b GET user-tags/{uuid}: %d %s, want an empty list", res.Code, res.Body)
	}
	if got := vmNames(t, bcli, "__userTag__=foo"); len(got) != 0 {
		t.Errorf("tenant-b __userTag__=foo = %v, want none", got)
	}
	if got := vmNames(t, bcli, "__userTag__ is null"); len(got) != 4 {
		t.Errorf("tenant-b __userTag__ is null = %v, want its 4 VMs", got)
	}
	// Updating fails as for a tag that does not exist; deleting succeeds and changes nothing.
	if _, err := bcli.UpdateSystemTag(sysTag.UUID, param.UpdateSystemTagParam{UpdateSystemTag: param.UpdateTagDetailParam{Tag: "k::w"}}); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("tenant-b UpdateSystemTag: %v, want not found", err)
	}
	if err := bcli.DeleteTag(userTag.Uuid, param.DeleteModeEnforcing); err != nil {
		t.Errorf("tenant-b DeleteTag: %v, want success that changes nothing", err)
	}
	if got, err := a.QueryUserTag(param.NewQueryParam()); err != nil || len(got) != 1 {
		t.Errorf("tenant-a's tags after tenant-b's delete = %+v, %v; want its one tag", got, err)
	}
	if got, err := a.QuerySystemTags(param.NewQueryParam()); err != nil || len(got) != 1 || got[0].Tag != "k::v" {
		t.Errorf("tenant-a's system tags after tenant-b's update = %+v, %v", got, err)
	}
	if diff := cmp.Diff([]string{"DC0_H0_VM0"}, vmNames(t, a, "__userTag__=foo")); diff != "" {
		t.Errorf("tenant-a __userTag__=foo (-want +got):\n%s", diff)
	}
}

// Bad input is 400 at once, names what is wrong, and stores nothing; the answers' shapes are
// the manual's (golden files).
func TestTagsBadInputAndGolden(t *testing.T) {
	b := startBroker(t, brokerOpts{})
	s := login(t, b, "admin", adminPass)
	vm := uuidOf(t, b, 0, "DC0_H0_VM0")
	create := func(path string, body any) response {
		t.Helper()
		return call(t, b, http.MethodPost, "/zstack/v1/"+path, s, body)
	}
	params := func(rt, id, tag string) map[string]any {
		return map[string]any{"params": map[string]string{"resourceType": rt, "resourceUuid": id, "tag": tag}, "systemTags": []string{}, "userTags": []string{}}
	}

	// Good calls first: their answers' shapes.
	done := func(name string, res response) []byte {
		t.Helper()
		if res.Code != http.StatusAccepted {
			t.Fatalf("%s: %d %s, want 202", name, res.Code, res.Body)
		}
		var acc struct{ Location string }
		res.json(t, &acc)
		out := pollJob(t, b, s, acc.Location)
		if out.Code != http.StatusOK {
			t.Fatalf("%s job: %d %s", name, out.Code, out.Body)
		}
		goldenJSON(t, name, out.Body)
		return out.Body
	}
	var created struct{ Inventory struct{ UUID string } }
	response{Body: done("tag_create_system", create("system-tags", params("VmInstanceVO", vm, "reservedMemory::1G")))}.json(t, &created)
	done("tag_create_user", create("user-tags", params("VmInstanceVO", vm, "for-large-DB")))
	done("tag_update_system", call(t, b, http.MethodPut, "/zstack/v1/system-tags/"+created.Inventory.UUID+"/actions", s,
		map[string]any{"updateSystemTag": map[string]string{"tag": "for-large-DB"}}))
	for name, path := range map[string]string{
		"tag_query_system": "system-tags", "tag_query_user": "user-tags", "tag_query_system_uuid": "system-tags/" + created.Inventory.UUID,
		"tag_query_user_count": "user-tags?q=tag=for-large-DB&replyWithCount=true",
	} {
		res := call(t, b, http.MethodGet, "/zstack/v1/"+path, s, nil)
		if res.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, res.Code, res.Body)
		}
		goldenJSON(t, name, res.Body)
	}

	long := strings.Repeat("x", 2049)
	for _, tc := range []struct {
		name, path string
		body       any
		want       string
	}{
		{"no params", "user-tags", map[string]any{}, "params is required"},
		{"params not an object", "user-tags", map[string]any{"params": "x"}, "params is required"},
		{"unknown key", "user-tags", map[string]any{"params": map[string]string{}, "tags": 1}, `unexpected key \"tags\"`},
		{"no resourceType", "user-tags", params("", vm, "x"), "params.resourceType is required"},
		{"unknown resourceType", "system-tags", params("DiskOfferingVO", vm, "x"), "HostVO, ImageVO, VmInstanceVO"},
		{"no resourceUuid", "user-tags", params("VmInstanceVO", "", "x"), "params.resourceUuid is required"},
		{"bad resourceUuid", "user-tags", params("VmInstanceVO", "vm-42", "x"), "32 lowercase hexadecimal"},
		{"empty tag", "user-tags", params("VmInstanceVO", vm, ""), "tag is required"},
		{"blank tag", "user-tags", params("VmInstanceVO", vm, "   "), "tag is required"},
		{"long tag", "user-tags", params("VmInstanceVO", vm, long), "at most 2048"},
		{"newline in tag", "user-tags", params("VmInstanceVO", vm, "a\nb"), "control characters"},
		{"tag not a string", "user-tags", map[string]any{"params": map[string]any{"resourceType": "VmInstanceVO", "resourceUuid": vm, "tag": 3}}, `field \"tag\" must be string`},
		{"duplicate user tag", "user-tags", params("VmInstanceVO", vm, "for-large-DB"), "already on vm"},
		{"duplicate system tag", "system-tags", params("VmInstanceVO", vm, "for-large-DB"), "already on vm"},
		{"unknown VM", "user-tags", params("VmInstanceVO", "0123456789abcdef0123456789abcdef", "x"), "no vm with that uuid"},
		{"malformed JSON", "user-tags", `{"params":`, "malformed JSON"},
	} {
		res := create(tc.path, tc.body)
		if res.Code != http.StatusBadRequest || !strings.Contains(string(res.Body), tc.want) {
			t.Errorf("%s: %d %s, want 400 with %q", tc.name, res.Code, res.Body, tc.want)
		}
		if res.Header.Get("Location") != "" || strings.Contains(string(res.Body), "location") {
			t.Errorf("%s: a job was made: %s", tc.name, res.Body)
		}
		if tc.name == "unknown resourceType" {
			goldenJSON(t, "tag_error_resource_type", res.Body)
		}
	}
	for _, tc := range []struct {
		name, method, path string
		body               any
		want               string
	}{
		{"update: empty tag", http.MethodPut, "system-tags/" + created.Inventory.UUID + "/actions", map[string]any{"updateSystemTag": map[string]string{"tag": ""}}, "tag is required"},
		{"update: no action", http.MethodPut, "system-tags/" + created.Inventory.UUID + "/actions", map[string]any{"tag": "x"}, "unexpected key"},
		{"update: bad uuid", http.MethodPut, "system-tags/nope/actions", map[string]any{"updateSystemTag": map[string]string{"tag": "x"}}, "32 lowercase hexadecimal"},
		{"delete: bad uuid", http.MethodDelete, "tags/nope", nil, "32 lowercase hexadecimal"},
		{"delete: bad mode", http.MethodDelete, "tags/" + created.Inventory.UUID + "?deleteMode=Always", nil, "Permissive or Enforcing"},
		{"delete: bad mode in body", http.MethodDelete, "tags/" + created.Inventory.UUID, map[string]string{"deleteMode": "Always"}, "Permissive or Enforcing"},
	} {
		res := call(t, b, tc.method, "/zstack/v1/"+tc.path, s, tc.body)
		if res.Code != http.StatusBadRequest || !strings.Contains(string(res.Body), tc.want) {
			t.Errorf("%s: %d %s, want 400 with %q", tc.name, res.Code, res.Body, tc.want)
		}
	}

	// Nothing was stored or changed by the refusals.
	for path, want := range map[string]int{"user-tags": 1, "system-tags": 1} {
		res := call(t, b, http.MethodGet, "/zstack/v1/"+path, s, nil)
		var out struct {
			Inventories []struct{ Tag string }
		}
		res.json(t, &out)
		if len(out.Inventories) != want || out.Inventories[0].Tag != "for-large-DB" {
			t.Errorf("GET %s after the refusals: %s", path, res.Body)
		}
	}
	// An unknown field in a tag query is refused too.
	if res := call(t, b, http.MethodGet, "/zstack/v1/user-tags?q=color=red", s, nil); res.Code != http.StatusBadRequest {
		t.Errorf("QueryUserTag q=color=red: %d %s, want 400", res.Code, res.Body)
	}

	// Delete with the manual's body; the job answers {}.
	res := call(t, b, http.MethodDelete, "/zstack/v1/tags/"+created.Inventory.UUID, s, map[string]string{"deleteMode": "Permissive"})
	done("tag_delete", res)
	if got := rawVMUUIDs(t, b, s, "__systemTag__=for-large-DB"); len(got) != 0 {
		t.Errorf("__systemTag__=for-large-DB after DeleteTag = %v", got)
	}
}
