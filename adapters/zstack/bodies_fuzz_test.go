package zstack

import (
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
