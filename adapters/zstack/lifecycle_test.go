package zstack_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/terraform-zstack-modules/zstack-sdk-go/pkg/param"
	"github.com/terraform-zstack-modules/zstack-sdk-go/pkg/view"

	"cloudbroker/broker"
	"cloudbroker/drivers/vcenter/vcsim"
	"cloudbroker/test/govctest"
	"cloudbroker/test/harness"
	"cloudbroker/test/wait"
)

// govcVMInfo reads a VM with govc, independently of the broker (nil when there is none).
func govcVMInfo(t *testing.T, sim *vcsim.Sim, name string) *govctest.VM {
	t.Helper()
	return govctest.VMInfo(t, sim.URL().String(), name)
}

// createParams is a CreateVmInstance request the SDK sends as it is, every field present.
func createParams(name, image string) param.CreateVmInstanceParam {
	return param.CreateVmInstanceParam{Params: param.CreateVmInstanceDetailParam{
		Name: name, Description: "made through the SDK", ImageUUID: image, CpuNum: 2, MemorySize: 256 << 20, Strategy: "CreateStopped",
	}}
}

// The VM lifecycle through the ZStack SDK v1.0.1 on vCenter, cross-checked with govc: create
// from a template, destroy (kept, Destroyed), recover, destroy again, expunge (gone).
func TestSDKCreateDestroyRecoverExpungeVCenter(t *testing.T) {
	b := startBroker(t, brokerOpts{templates: map[int][]vcsim.Template{
		0: {{Source: "DC0_H0_VM1", Name: "tpl-web", GuestID: "centos7_64Guest", Annotation: "web template"}},
	}})
	sim := b.Sims[0]
	tpl := b.TemplateIDs[0]["tpl-web"]
	image := broker.ImageUUID("vc1", tpl)
	cli := sdkClient(t, b, "admin", adminPass)

	vm, err := cli.CreateVmInstance(createParams("made-1", image))
	if err != nil {
		t.Fatalf("CreateVmInstance: %v", err)
	}
	type seen struct {
		Name, Description, ImageUUID, State, ClusterUUID string
		CPUNum                                           int
		MemorySize                                       int64
	}
	want := seen{"made-1", "made through the SDK", image, "Stopped", clusterUUID("vc1"), 2, 256 << 20}
	if diff := cmp.Diff(want, seen{vm.Name, vm.Description, vm.ImageUUID, vm.State, vm.ClusterUUID, vm.CPUNum, vm.MemorySize}); diff != "" {
		t.Errorf("CreateVmInstance answer (-want +got):\n%s", diff)
	}
	g := govcVMInfo(t, sim, "made-1")
	if g == nil || g.PowerState != "poweredOff" || g.CPUs != 2 || g.MemoryMB != 256 || g.Annotation != "made through the SDK" || g.Extra["cloudbroker.image"] != tpl {
		t.Fatalf("govc sees %+v, want made-1 off, 2 CPUs, 256 MB, its description and image %s", g, tpl)
	}
	// The inventory follows the provider's watch, which may first show the clone before its
	// description was set: the listing catches up within the watch's bound.
	queryUntil(t, cli, vm.UUID, "the created VM with its image and description", func(got *view.VmInstanceInventoryView) bool {
		return got != nil && got.ImageUUID == image && got.Description == want.Description
	})

	if err := cli.DestroyVmInstance(vm.UUID, param.DeleteModePermissive); err != nil {
		t.Fatalf("DestroyVmInstance: %v", err)
	}
	queryUntil(t, cli, vm.UUID, "the VM kept as Destroyed", func(got *view.VmInstanceInventoryView) bool {
		return got != nil && got.State == "Destroyed"
	})
	if g := govcVMInfo(t, sim, "made-1"); g == nil || g.PowerState != "poweredOff" || g.Extra["cloudbroker.destroyed"] == "" {
		t.Errorf("govc after destroy: %+v, want the VM kept, off, marked destroyed", g)
	}

	var recovered view.VmInstanceInventoryView
	if err := cli.Put("v1/vm-instances", vm.UUID, map[string]struct{}{"recoverVmInstance": {}}, &recovered); err != nil {
		t.Fatalf("RecoverVmInstance: %v", err)
	}
	if recovered.State != "Stopped" {
		t.Errorf("after RecoverVmInstance: %+v, want Stopped", recovered)
	}
	queryUntil(t, cli, vm.UUID, "the recovered VM Stopped", func(got *view.VmInstanceInventoryView) bool {
		return got != nil && got.State == "Stopped"
	})
	if g := govcVMInfo(t, sim, "made-1"); g == nil || g.Extra["cloudbroker.destroyed"] != "" {
		t.Errorf("govc after recover: %+v, want no destroyed mark", g)
	}

	// Expunge needs a destroyed VM: refused (and nothing changes) until then.
	if err := cli.ExpungeVmInstance(vm.UUID); err == nil {
		t.Error("ExpungeVmInstance of a VM that is not destroyed succeeded")
	}
	if govcVMInfo(t, sim, "made-1") == nil {
		t.Fatal("a refused expunge removed the VM")
	}
	if err := cli.DestroyVmInstance(vm.UUID, param.DeleteModeEnforcing); err != nil {
		t.Fatalf("DestroyVmInstance: %v", err)
	}
	if err := cli.ExpungeVmInstance(vm.UUID); err != nil {
		t.Fatalf("ExpungeVmInstance: %v", err)
	}
	queryUntil(t, cli, vm.UUID, "the expunged VM gone from the listing", func(got *view.VmInstanceInventoryView) bool { return got == nil })
	if g := govcVMInfo(t, sim, "made-1"); g != nil {
		t.Errorf("govc still sees the expunged VM: %+v", g)
	}
}

// queryUntil waits until QueryVmInstance's answer for uuid meets ok (the listing follows the
// provider's watch, so it may lag an answer by the watch's bound).
func queryUntil(t *testing.T, cli interface {
	QueryVmInstance(param.QueryParam) ([]view.VmInstanceInventoryView, error)
}, uuid, what string, ok func(*view.VmInstanceInventoryView) bool) {
	t.Helper()
	wait.For(t, 30*time.Second, what, func() bool { return ok(queryOne(t, cli, uuid)) })
}

// queryOne is the VM with uuid as QueryVmInstance lists it, nil when it lists none.
func queryOne(t *testing.T, cli interface {
	QueryVmInstance(param.QueryParam) ([]view.VmInstanceInventoryView, error)
}, uuid string) *view.VmInstanceInventoryView {
	t.Helper()
	p := param.NewQueryParam()
	p.AddQ("uuid=" + uuid)
	vms, err := cli.QueryVmInstance(p)
	if err != nil {
		t.Fatalf("QueryVmInstance(uuid=%s): %v", uuid, err)
	}
	if len(vms) == 0 {
		return nil
	}
	return &vms[0]
}

// A refused create (an option the broker cannot honour, an unknown key, an image on a
// provider the caller does not see, a uuid in use, an L3 network that is unknown, unseen (the
// same answer, one golden) or another provider's, a default outside the L3 networks) is a 4xx
// naming the problem and makes nothing: govc sees no new VM on either simulator.
func TestCreateRefusalsChangeNothing(t *testing.T) {
	b := startBroker(t, brokerOpts{templates: map[int][]vcsim.Template{
		0: {{Source: "DC0_H0_VM1", Name: "tpl-1"}}, 1: {{Source: "DC0_H0_VM1", Name: "tpl-2"}},
	}})
	tpl1, tpl2 := b.TemplateIDs[0]["tpl-1"], b.TemplateIDs[1]["tpl-2"]
	img1, img2 := broker.ImageUUID("vc1", tpl1), broker.ImageUUID("vc2", tpl2)
	inUse := uuidOf(t, b, 0, "DC0_H0_VM0")
	vc1Net, vc1PG, vc2Net := l3UUID("vc1", "VM Network"), l3UUID("vc1", "DC0_DVPG0"), l3UUID("vc2", "VM Network")
	admin, alice := login(t, b, "admin", adminPass), login(t, b, "tenant-a", passA)
	params := func(extra map[string]any) map[string]any {
		p := map[string]any{"name": "refused", "imageUuid": img1, "cpuNum": 1, "memorySize": 128 << 20}
		for k, v := range extra {
			p[k] = v
		}
		return map[string]any{"params": p}
	}
	for _, tc := range []struct {
		name, session string
		body          any
		code          int
		mentions      string
		golden        string
	}{
		{"unknown key", admin, params(map[string]any{"fooBar": 1}), 400, "fooBar", "create_err_unknown_key"},
		{"unknown top key", admin, map[string]any{"params": params(nil)["params"], "other": 1}, 400, "other", ""},
		{"unknown l3 network", admin, params(map[string]any{"l3NetworkUuids": []string{inUse}}), 400, inUse + " is not an L3 network you see", "create_err_l3"},
		{"another provider's l3 network", admin, params(map[string]any{"l3NetworkUuids": []string{vc2Net}}), 400, vc2Net, "create_err_l3_other_provider"},
		{"unseen l3 network", alice, params(map[string]any{"l3NetworkUuids": []string{vc2Net}}), 400, vc2Net + " is not an L3 network you see", "create_err_l3"},
		{"default not listed", admin, params(map[string]any{"l3NetworkUuids": []string{vc1Net}, "defaultL3NetworkUuid": vc1PG}), 400, "defaultL3NetworkUuid", ""},
		{"default alone", admin, params(map[string]any{"defaultL3NetworkUuid": vc1Net}), 400, "without params.l3NetworkUuids", "create_err_l3_default_alone"},
		{"bad l3 uuid", admin, params(map[string]any{"l3NetworkUuids": []string{"net-1"}}), 400, "net-1", ""},
		{"offering", admin, params(map[string]any{"instanceOfferingUuid": inUse}), 400, "instanceOfferingUuid", ""},
		{"uuid in use", admin, params(map[string]any{"resourceUuid": inUse}), 400, "resourceUuid", "create_err_resource_uuid"},
		{"bad strategy", admin, params(map[string]any{"strategy": "Later"}), 400, "strategy", ""},
		{"no cpu", admin, params(map[string]any{"cpuNum": 0}), 400, "cpuNum", ""},
		{"odd memory", admin, params(map[string]any{"memorySize": 1000}), 400, "memorySize", ""},
		{"system tags", admin, map[string]any{"params": params(nil)["params"], "systemTags": []string{"x"}}, 400, "systemTags", ""},
		{"unknown cluster", admin, params(map[string]any{"clusterUuid": clusterUUID("nowhere")}), 400, "clusterUuid", ""},
		{"cluster of another provider", admin, params(map[string]any{"clusterUuid": clusterUUID("vc2")}), 400, "vc1", ""},
		{"unseen provider's image", alice, params(map[string]any{"imageUuid": img2}), 404, img2, "create_err_unseen_image"},
		{"unseen cluster", alice, params(map[string]any{"clusterUuid": clusterUUID("vc2")}), 400, "clusterUuid", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := call(t, b, http.MethodPost, "/zstack/v1/vm-instances", tc.session, tc.body)
			if res.Code != tc.code || !strings.Contains(string(res.Body), tc.mentions) {
				t.Fatalf("%d %s; want %d mentioning %s", res.Code, res.Body, tc.code, tc.mentions)
			}
			if tc.golden != "" {
				goldenJSON(t, tc.golden, res.Body)
			}
		})
	}
	for i, sim := range b.Sims {
		if g := govcVMInfo(t, sim, "refused"); g != nil {
			t.Errorf("vc%d has a VM made by a refused request: %+v", i+1, g)
		}
	}
	// tenant-a cannot destroy or expunge a VM it does not see: as for one that does not exist.
	other := uuidOf(t, b, 1, "DC0_H0_VM0")
	if res := call(t, b, http.MethodDelete, "/zstack/v1/vm-instances/"+other, alice, nil); res.Code != http.StatusNotFound {
		t.Errorf("tenant-a destroying vc2's VM: %d %s, want 404", res.Code, res.Body)
	}
	if res := call(t, b, http.MethodPut, "/zstack/v1/vm-instances/"+other+"/actions", alice, map[string]any{"expungeVmInstance": map[string]any{}}); res.Code != http.StatusNotFound {
		t.Errorf("tenant-a expunging vc2's VM: %d %s, want 404", res.Code, res.Body)
	}
	if got := govctest.PowerState(t, b.Sims[1].URL().String(), "DC0_H0_VM0"); got != "poweredOn" {
		t.Errorf("vc2's VM is %s after refused calls, want poweredOn", got)
	}
}

// The create, destroy, recover and expunge answers, as api-jobs render them.
func TestLifecycleGolden(t *testing.T) {
	b := startBroker(t, brokerOpts{templates: map[int][]vcsim.Template{0: {{Source: "DC0_H0_VM1", Name: "tpl-golden", Annotation: "t"}}}})
	tpl := b.TemplateIDs[0]["tpl-golden"]
	s := login(t, b, "admin", adminPass)
	job := func(name, method, path string, body any) response {
		t.Helper()
		res := call(t, b, method, path, s, body)
		if res.Code != http.StatusAccepted {
			t.Fatalf("%s: %d %s", name, res.Code, res.Body)
		}
		var loc struct{ Location string }
		res.json(t, &loc)
		done := pollJob(t, b, s, loc.Location)
		if done.Code != http.StatusOK {
			t.Fatalf("%s job: %d %s", name, done.Code, done.Body)
		}
		goldenJSON(t, name, maskVolatile(done.Body))
		return done
	}
	created := job("create_vm", http.MethodPost, "/zstack/v1/vm-instances", map[string]any{"params": map[string]any{
		"name": "golden-vm", "description": "golden", "imageUuid": broker.ImageUUID("vc1", tpl), "cpuNum": 1, "memorySize": 64 << 20, "strategy": "CreateStopped",
	}})
	var inv struct{ Inventory struct{ UUID string } }
	created.json(t, &inv)
	vm := "/zstack/v1/vm-instances/" + inv.Inventory.UUID
	// The recover answer is the VM as the inventory holds it: wait until the watch has seen
	// the description (the simulator sets it in a second call after the clone).
	awaitInventory(t, b, s, vm, func(v map[string]any) bool { return v["description"] == "golden" })
	job("destroy_vm", http.MethodDelete, vm+"?deleteMode=Permissive", nil)
	// The recover answer is the inventory's VM: wait until both the task's write and the
	// watch's report of the destroy are in (the watch's carries the description too).
	awaitInventory(t, b, s, vm, func(v map[string]any) bool { return v["state"] == "Destroyed" && v["description"] == "golden" })
	job("recover_vm", http.MethodPut, vm+"/actions", map[string]any{"recoverVmInstance": map[string]any{}})
	job("destroy_vm", http.MethodDelete, vm, nil)
	job("expunge_vm", http.MethodPut, vm+"/actions", map[string]any{"expungeVmInstance": map[string]any{}})
}

// awaitInventory polls GET vm until its inventory satisfies ok.
func awaitInventory(t *testing.T, b *harness.Broker, session, vm string, ok func(map[string]any) bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var l struct{ Inventories []map[string]any }
		call(t, b, http.MethodGet, vm, session, nil).json(t, &l)
		if len(l.Inventories) == 1 && ok(l.Inventories[0]) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the inventory never matched: %v", vm, l.Inventories)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// maskVolatile hides what differs between runs beyond uuids and dates: MAC addresses and the
// simulator's morefs in disk paths.
func maskVolatile(body []byte) []byte {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return body
	}
	var walk func(any) any
	walk = func(x any) any {
		switch t := x.(type) {
		case map[string]any:
			for k, e := range t {
				if k == "mac" {
					t[k] = "<mac>"
					continue
				}
				t[k] = walk(e)
			}
		case []any:
			for i, e := range t {
				t[i] = walk(e)
			}
		}
		return x
	}
	out, _ := json.Marshal(walk(v))
	return out
}

// hostUuid places the new VM on that host (here a cluster's, while the template is on a
// standalone host); a host of another provider is refused.
func TestSDKCreateOnHost(t *testing.T) {
	b := startBroker(t, brokerOpts{templates: map[int][]vcsim.Template{0: {{Source: "DC0_H0_VM1", Name: "tpl-host"}}}})
	tpl := b.TemplateIDs[0]["tpl-host"]
	if tpl == "" {
		t.Fatal("no template")
	}
	cli := sdkClient(t, b, "admin", adminPass)
	target := queryOne(t, cli, uuidOf(t, b, 0, "DC0_C0_RP0_VM0")).HostUUID
	other := queryOne(t, cli, uuidOf(t, b, 1, "DC0_H0_VM0")).HostUUID
	if target == "" || other == "" {
		t.Fatal("the simulators' VMs have no hostUuid")
	}
	p := createParams("placed", broker.ImageUUID("vc1", tpl))
	p.Params.HostUuid = other
	if _, err := cli.CreateVmInstance(p); err == nil || !strings.Contains(err.Error(), "not a host of provider") {
		t.Errorf("CreateVmInstance on vc2's host from vc1's image: %v, want a refusal", err)
	}
	p.Params.HostUuid = target
	vm, err := cli.CreateVmInstance(p)
	if err != nil {
		t.Fatalf("CreateVmInstance(hostUuid): %v", err)
	}
	if vm.HostUUID != target {
		t.Errorf("the VM is on host %s, want %s", vm.HostUUID, target)
	}
	// startVmInstance's hostUuid: the host the VM is on is honoured, another is refused.
	if _, err := cli.StartVmInstance(vm.UUID, &param.StartVmInstanceParam{StartVmInstance: param.StartVmInstanceDetailParam{HostUuid: other}}); err == nil || !strings.Contains(err.Error(), "cannot move it") {
		t.Errorf("StartVmInstance on another host: %v, want a refusal", err)
	}
	if got := govctest.PowerState(t, b.Sims[0].URL().String(), "placed"); got != "poweredOff" {
		t.Errorf("a refused start left the VM %s", got)
	}
	started, err := cli.StartVmInstance(vm.UUID, &param.StartVmInstanceParam{StartVmInstance: param.StartVmInstanceDetailParam{HostUuid: target}})
	if err != nil || started.State != "Running" || started.HostUUID != target {
		t.Fatalf("StartVmInstance(hostUuid of its host): %+v, %v", started, err)
	}
}
