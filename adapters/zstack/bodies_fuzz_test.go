package zstack

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"testing"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/broker/tags"
)

// refusedAs400 fails the test unless err is a client error the dialect answers with 400.
func refusedAs400(t *testing.T, what string, body []byte, err error) {
	t.Helper()
	if code, _ := status(err); !errors.Is(err, model.ErrInvalid) || code != http.StatusBadRequest {
		t.Fatalf("%s(%q): %v maps to %d, want a 400", what, body, err, code)
	}
}

// FuzzParseCreateTag: any body is either refused with a 400 or a complete tag request.
func FuzzParseCreateTag(f *testing.F) {
	for _, s := range []string{
		`{"params":{"resourceType":"VmInstanceVO","resourceUuid":"0123456789abcdef0123456789abcdef","tag":"web"}}`,
		`{"params":{"resourceType":"HostVO","resourceUuid":"0123456789abcdef0123456789abcdef","tag":"reservedMemory::1G"},"systemTags":[],"userTags":[]}`,
		`{"params":{"resourceType":"DiskOfferingVO","resourceUuid":"x","tag":""}}`, `{"params":null}`, `{"x":{}}`,
		`{"params":{"resourceType":"ImageVO","resourceUuid":"0123456789ABCDEF0123456789abcdef","tag":"a\nb"}}`, `{`, ``, `[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		spec, err := parseCreateTag(body, tags.User)
		if err != nil {
			refusedAs400(t, "parseCreateTag", body, err)
			return
		}
		if !broker.IsUUID(spec.ResourceUUID) || tags.CheckText(spec.Text) != nil || spec.Resource == "" || spec.Type != tags.User {
			t.Fatalf("parseCreateTag(%q) accepted %+v", body, spec)
		}
	})
}

// FuzzParseSubmitLongJob: any body is either refused with a 400 or a supported job on a VM.
func FuzzParseSubmitLongJob(f *testing.F) {
	for _, s := range []string{
		`{"params":{"jobName":"APIStartVmInstanceMsg","jobData":"{\"uuid\":\"0123456789abcdef0123456789abcdef\"}"}}`,
		`{"params":{"name":"c","jobName":"org.zstack.header.vm.APICloneVmInstanceMsg","jobData":{"vmInstanceUuid":"0123456789abcdef0123456789abcdef","names":["a","b"],"strategy":"JustCreate"},"resourceUuid":"d825b1a26f4e474b8c59306081920ff2"}}`,
		`{"params":{"jobName":"APIStopVmInstanceMsg","jobData":"{\"uuid\":\"x\",\"type\":\"cold\"}","targetResourceUuid":"t"}}`,
		`{"params":{"jobName":"APIPrimaryStorageMigrateVolumeMsg","jobData":"{}"}}`, `{"params":{"jobName":"APIRebootVmInstanceMsg","jobData":"[]"}}`,
		`{"params":{}}`, `{"params":[]}`, `{"other":1}`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := parseSubmitLongJob(body)
		if err != nil {
			refusedAs400(t, "parseSubmitLongJob", body, err)
			return
		}
		if _, ok := longJobKinds[req.Job.JobName]; !ok || !slices.Contains(longJobNames, req.Job.JobName) {
			t.Fatalf("parseSubmitLongJob(%q) accepted job %q", body, req.Job.JobName)
		}
		if req.VMID == "" || req.Job.JobData == "" || req.Job.TargetResourceUUID == "" || (req.TaskID != "" && !broker.IsUUID(req.TaskID)) {
			t.Fatalf("parseSubmitLongJob(%q) accepted %+v", body, req)
		}
	})
}

// FuzzParseCreateVM: any CreateVmInstance body is either refused with a 400 or a complete
// request whose every field is valid; an option the broker cannot honour is never accepted.
func FuzzParseCreateVM(f *testing.F) {
	for _, s := range []string{
		`{"params":{"name":"vm","imageUuid":"0123456789abcdef0123456789abcdef","cpuNum":2,"memorySize":268435456,"strategy":"CreateStopped"}}`,
		`{"params":{"name":"vm","description":"d","imageUuid":"0123456789ABCDEF0123456789abcdef","cpuNum":1,"memorySize":1048576,"zoneUuid":"0123456789abcdef0123456789abcdef","clusterUuid":"0123456789abcdef0123456789abcdef","hostUuid":"0123456789abcdef0123456789abcdef","type":"UserVm","instanceOfferingUuid":"","l3NetworkUuids":null,"rootDiskSize":null,"dataDiskOfferingUuids":[],"resourceUuid":""},"systemTags":[],"requestIp":"1.2.3.4"}`,
		`{"params":{"name":"vm","imageUuid":"0123456789abcdef0123456789abcdef","cpuNum":1,"memorySize":1048576,"l3NetworkUuids":["x"]}}`,
		`{"params":{"name":"vm","imageUuid":"0123456789abcdef0123456789abcdef","cpuNum":1,"memorySize":1048576,"l3NetworkUuids":["0123456789abcdef0123456789abcdef","0123456789ABCDEF0123456789abcde0"],"defaultL3NetworkUuid":"0123456789abcdef0123456789abcde0"}}`,
		`{"params":{"name":"vm","imageUuid":"x","cpuNum":1,"memorySize":1000}}`, `{"params":{"fooBar":1}}`,
		`{"params":{"name":" vm","imageUuid":"0123456789abcdef0123456789abcdef","cpuNum":1,"memorySize":1048576,"resourceUuid":"0123456789abcdef0123456789abcdef"}}`,
		`{"params":null}`, `{"params":[]}`, `{"other":1}`, `{`, ``, `[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, pl, err := parseCreateVM(body)
		if err != nil {
			refusedAs400(t, "parseCreateVM", body, err)
			return
		}
		if req.Name == "" || !broker.IsUUID(req.Image) || req.CPUs <= 0 || req.MemoryMB <= 0 || (req.Host != "" && !broker.IsUUID(req.Host)) ||
			(pl.zone != "" && !broker.IsUUID(pl.zone)) || (pl.cluster != "" && !broker.IsUUID(pl.cluster)) || slices.ContainsFunc(pl.l3, func(u string) bool { return !broker.IsUUID(u) }) {
			t.Fatalf("parseCreateVM(%q) accepted %+v %+v", body, req, pl)
		}
		var top struct{ Params map[string]json.RawMessage }
		_ = json.Unmarshal(body, &top)
		for k := range refusedCreate {
			if !unset(top.Params[k]) {
				t.Fatalf("parseCreateVM(%q) accepted %s, which the broker cannot honour", body, k)
			}
		}
	})
}

// FuzzParseAction: any VM actions body is either refused with a 400 or one known action whose
// parameters are valid.
func FuzzParseAction(f *testing.F) {
	for _, s := range []string{
		`{"startVmInstance":{}}`, `{"startVmInstance":{"hostUuid":"0123456789abcdef0123456789abcdef"},"systemTags":[]}`,
		`{"stopVmInstance":{"type":"cold","stopHa":true}}`, `{"rebootVmInstance":null}`,
		`{"cloneVmInstance":{"names":["a"],"strategy":"JustCreate","full":true,"primaryStorageUuidForRootVolume":null}}`,
		`{"cloneVmInstance":{"names":["a"],"rootVolumeSystemTags":["x"]}}`, `{"names":["a"],"systemTags":["x"]}`,
		`{"expungeVmInstance":{}}`, `{"recoverVmInstance":{"x":1}}`, `{"destroyVmInstance":{}}`, `{`, ``, `[]`,
		`{"cloneVmInstance":{"names":[]}}`, `{"x":1}`, `{}`, `null`, `{"startVmInstance":"x"}`, `{"names":["x"]}`,
		`{"systemTags":[],"startVmInstance":{},"userTags":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := parseAction(body)
		if err != nil {
			refusedAs400(t, "parseAction", body, err)
			return
		}
		switch a.Name {
		case actClone, actExpunge, actRecover: // clone names are the broker's to check (CloneRequest)
		case actStart, actStop, actReboot:
			if a.Power == "" || (a.Host != "" && !broker.IsUUID(a.Host)) {
				t.Fatalf("parseAction(%q) accepted %+v", body, a)
			}
		default:
			t.Fatalf("parseAction(%q) accepted unknown action %q", body, a.Name)
		}
	})
}
