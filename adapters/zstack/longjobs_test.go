package zstack_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/terraform-zstack-modules/zstack-sdk-go/pkg/client"
	"github.com/terraform-zstack-modules/zstack-sdk-go/pkg/param"
	"github.com/terraform-zstack-modules/zstack-sdk-go/pkg/view"
)

func submitLongJob(t *testing.T, cli *client.ZSClient, name, jobName, jobData string) *view.LongJobInventoryView {
	t.Helper()
	desc := "test job " + name
	inv, err := cli.SubmitLongJob(&param.SubmitLongJobParam{Params: param.SubmitLongJobDetailParam{
		Name: &name, Description: &desc, JobName: jobName, JobData: jobData}})
	if err != nil {
		t.Fatalf("SubmitLongJob %s: %v", name, err)
	}
	return inv
}

// waitLongJob polls GetLongJob until the job is in one of states.
func waitLongJob(t *testing.T, cli *client.ZSClient, id string, states ...param.LongJobState) *view.LongJobInventoryView {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		j, err := cli.GetLongJob(id)
		if err != nil {
			t.Fatalf("GetLongJob %s: %v", id, err)
		}
		if slices.Contains(states, j.State) {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("long job %s still %s, want %v", id, j.State, states)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

func longJobIDs(t *testing.T, cli *client.ZSClient) []string {
	t.Helper()
	jobs, err := cli.QueryLongJob(param.NewQueryParam())
	if err != nil {
		t.Fatalf("QueryLongJob: %v", err)
	}
	var ids []string
	for _, j := range jobs {
		ids = append(ids, j.UUID)
	}
	slices.Sort(ids)
	return ids
}

// Long jobs through the ZStack Go SDK: one completes with its result, one is canceled while it
// runs, tenants see only jobs on their providers, and finished jobs can be deleted.
func TestLongJobs(t *testing.T) {
	b := startBroker(t, brokerOpts{proxied: true})
	vm1, vm2 := uuidOf(t, b, 0, "DC0_H0_VM0"), uuidOf(t, b, 1, "DC0_H0_VM1")
	admin := sdkClient(t, b, "admin", adminPass)
	tenantA := sdkClient(t, b, "tenant-a", passA)
	tenantB := sdkClient(t, b, "tenant-b", passB)

	// A clone that completes: Succeeded, with the clone API's answer as jobResult.
	ok := submitLongJob(t, admin, "clone-ok", "APICloneVmInstanceMsg",
		fmt.Sprintf(`{"vmInstanceUuid":%q,"names":["lj-ok"],"strategy":"JustCreate"}`, vm1))
	if ok.UUID == "" || ok.ApiId != ok.UUID || ok.JobName != "APICloneVmInstanceMsg" || ok.TargetResourceUuid != vm1 ||
		ok.Name != "clone-ok" || ok.CreateDate.IsZero() || (ok.State != param.Waiting && ok.State != param.Running) {
		t.Errorf("SubmitLongJob answered %+v", ok)
	}
	done := waitLongJob(t, admin, ok.UUID, param.Succeeded, param.Failed)
	var res struct {
		Result struct {
			NumberOfClonedVm int
			Inventories      []struct{ Inventory struct{ Name, State string } }
		}
	}
	if err := json.Unmarshal([]byte(done.JobResult), &res); err != nil || done.State != param.Succeeded ||
		res.Result.NumberOfClonedVm != 1 || res.Result.Inventories[0].Inventory.Name != "lj-ok" {
		t.Errorf("completed long job: state %s, jobResult %s (%v)", done.State, done.JobResult, err)
	}
	if p, err := admin.GetTaskProgress(done.ApiId); err != nil || p.Content != "100" {
		t.Errorf("GetTaskProgress(apiId of the long job) = %+v, %v; want 100%%", p, err)
	}

	// A clone slowed to seconds: not deletable while it runs, canceled while it runs.
	b.Proxies[0].SetDelay(time.Second)
	slow := submitLongJob(t, admin, "clone-slow", "org.zstack.header.vm.APICloneVmInstanceMsg",
		fmt.Sprintf(`{"vmInstanceUuid":%q,"names":["lj-cancel"]}`, vm1))
	running := waitLongJob(t, admin, slow.UUID, param.Running)
	if err := admin.DeleteLongJob(slow.UUID); err == nil || !strings.Contains(err.Error(), "cancel it first") {
		t.Errorf("DeleteLongJob of a running job: %v, want a refusal saying to cancel it first", err)
	}
	t0 := time.Now()
	if err := admin.CancelLongJob(slow.UUID); err != nil {
		t.Fatalf("CancelLongJob of a running job: %v", err)
	}
	canceled := waitLongJob(t, admin, slow.UUID, param.Canceled, param.Failed, param.Succeeded)
	t.Logf("a running clone was %s %s after CancelLongJob", canceled.State, time.Since(t0))
	goldenJSON(t, "longjob_canceled_result", []byte(canceled.JobResult))
	// The clone's own api-job answers the cancellation too, not a decoding error.
	if r := call(t, b, "GET", "/zstack/v1/api-jobs/"+slow.UUID, login(t, b, "admin", adminPass), nil); r.Code != http.StatusServiceUnavailable || !strings.Contains(string(r.Body), "task canceled by") {
		t.Errorf("api-job of the canceled clone: %d %s", r.Code, r.Body)
	}
	b.Proxies[0].SetDelay(0)
	// asynq retries a canceled run: the retry must record the cancellation, not clone again.
	for end := time.Now().Add(time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if j := waitLongJob(t, admin, slow.UUID, param.Canceled, param.Failed, param.Succeeded); j.State != param.Canceled {
			t.Fatalf("the canceled long job became %s: %s", j.State, j.JobResult)
		}
	}
	if canceled.State != param.Canceled || !strings.Contains(canceled.JobResult, "canceled") || !canceled.LastOpDate.After(running.CreateDate.Add(-time.Second)) {
		t.Errorf("canceled long job: state %s jobResult %s", canceled.State, canceled.JobResult)
	}
	if err := admin.CancelLongJob(slow.UUID); err != nil {
		t.Errorf("CancelLongJob of a canceled job: %v, want success", err)
	}
	if err := admin.CancelLongJob(ok.UUID); err == nil {
		t.Error("CancelLongJob of a succeeded job succeeded")
	}

	// Tenants: tenant-b (vc2 only) runs its own job and sees only it; tenant-a (vc1) sees admin's.
	stop := submitLongJob(t, tenantB, "stop-b", "APIStopVmInstanceMsg", fmt.Sprintf(`{"uuid":%q}`, vm2))
	waitLongJob(t, tenantB, stop.UUID, param.Succeeded)
	for _, tc := range []struct {
		who  string
		cli  *client.ZSClient
		want []string
	}{
		{"admin", admin, []string{ok.UUID, slow.UUID, stop.UUID}},
		{"tenant-a", tenantA, []string{ok.UUID, slow.UUID}},
		{"tenant-b", tenantB, []string{stop.UUID}},
	} {
		want := slices.Sorted(slices.Values(tc.want))
		if diff := cmp.Diff(want, longJobIDs(t, tc.cli)); diff != "" {
			t.Errorf("QueryLongJob as %s (-want +got):\n%s", tc.who, diff)
		}
	}
	if j, err := tenantB.GetLongJob(ok.UUID); err == nil {
		t.Errorf("tenant-b reads admin's vc1 job: %+v", j)
	}
	if err := tenantB.CancelLongJob(slow.UUID); err == nil {
		t.Error("tenant-b canceled a vc1 job")
	}
	if err := tenantB.DeleteLongJob(ok.UUID); err == nil {
		t.Error("tenant-b deleted a vc1 job")
	}
	if _, err := tenantB.SubmitLongJob(&param.SubmitLongJobParam{Params: param.SubmitLongJobDetailParam{
		JobName: "APIStartVmInstanceMsg", JobData: fmt.Sprintf(`{"uuid":%q}`, vm1)}}); err == nil {
		t.Error("tenant-b submitted a long job on a vc1 VM")
	}
	if diff := cmp.Diff([]string{stop.UUID}, longJobIDs(t, tenantB)); diff != "" {
		t.Errorf("tenant-b's jobs after its refused submission (-want +got):\n%s", diff)
	}

	// Query conditions apply; a finished job is deleted for good.
	p := param.NewQueryParam()
	p.AddQ("state=Canceled")
	if got, err := admin.QueryLongJob(p); err != nil || len(got) != 1 || got[0].UUID != slow.UUID {
		t.Errorf("QueryLongJob(state=Canceled) = %+v, %v", got, err)
	}
	if err := admin.DeleteLongJob(ok.UUID); err != nil {
		t.Fatalf("DeleteLongJob of a finished job: %v", err)
	}
	if j, err := admin.GetLongJob(ok.UUID); err == nil {
		t.Errorf("GetLongJob after delete = %+v", j)
	}
	if diff := cmp.Diff(slices.Sorted(slices.Values([]string{slow.UUID, stop.UUID})), longJobIDs(t, admin)); diff != "" {
		t.Errorf("QueryLongJob after delete (-want +got):\n%s", diff)
	}
}

// The raw answers and errors of the long-job APIs, as golden files; a refused submission
// submits nothing.
func TestLongJobAnswersAndErrors(t *testing.T) {
	b := startBroker(t, brokerOpts{})
	vm := uuidOf(t, b, 1, "DC0_H0_VM0")
	admin := login(t, b, "admin", adminPass)
	tenantA := login(t, b, "tenant-a", passA)

	submit := func(t *testing.T, session string, params any) response {
		t.Helper()
		return call(t, b, http.MethodPost, "/zstack/v1/longjobs", session, map[string]any{"params": params})
	}
	accepted := func(t *testing.T, r response) response {
		t.Helper()
		if r.Code != http.StatusAccepted {
			t.Fatalf("%d %s, want 202", r.Code, r.Body)
		}
		var loc struct{ Location string }
		r.json(t, &loc)
		return pollJob(t, b, admin, loc.Location)
	}

	// resourceUuid becomes the job's uuid; the submission answers the job as queued.
	const id = "0123456789abcdef0123456789abcdef"
	sub := accepted(t, submit(t, admin, map[string]any{"name": "stop-it", "jobName": "APIStopVmInstanceMsg",
		"jobData": fmt.Sprintf(`{"uuid":%q,"type":"cold"}`, vm), "resourceUuid": strings.ToUpper(id)}))
	goldenJSON(t, "longjob_submit", sub.Body)
	var waited response
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(30 * time.Millisecond) {
		waited = call(t, b, http.MethodGet, "/zstack/v1/longjobs/"+id, admin, nil)
		if strings.Contains(string(waited.Body), `"Succeeded"`) || time.Now().After(deadline) {
			break
		}
	}
	// jobResult is JSON in a string: its own golden file masks its uuids and dates.
	var done struct {
		Inventories []map[string]any `json:"inventories"`
	}
	waited.json(t, &done)
	if len(done.Inventories) != 1 {
		t.Fatalf("GET /longjobs/%s: %s", id, waited.Body)
	}
	result, _ := done.Inventories[0]["jobResult"].(string)
	goldenJSON(t, "longjob_query_done_result", []byte(result))
	done.Inventories[0]["jobResult"] = "(longjob_query_done_result)"
	masked, _ := json.Marshal(done)
	goldenJSON(t, "longjob_query_done", masked)
	goldenJSON(t, "longjob_query_other_tenant", call(t, b, http.MethodGet, "/zstack/v1/longjobs/"+id, tenantA, nil).Body)
	goldenJSON(t, "longjob_query_count", call(t, b, http.MethodGet, "/zstack/v1/longjobs?count=true&q=jobName=APIStopVmInstanceMsg", admin, nil).Body)

	for _, tc := range []struct {
		name   string
		params any
	}{
		{"longjob_err_no_params", nil},
		{"longjob_err_unknown_jobname", map[string]any{"jobName": "APIPrimaryStorageMigrateVolumeMsg", "jobData": "{}"}},
		{"longjob_err_no_jobname", map[string]any{"jobData": "{}"}},
		{"longjob_err_no_jobdata", map[string]any{"jobName": "APIStartVmInstanceMsg"}},
		{"longjob_err_jobdata_not_json", map[string]any{"jobName": "APIStartVmInstanceMsg", "jobData": "uuid=1"}},
		{"longjob_err_jobdata_no_vm", map[string]any{"jobName": "APICloneVmInstanceMsg", "jobData": `{"names":["x"]}`}},
		{"longjob_err_jobdata_bad_strategy", map[string]any{"jobName": "APICloneVmInstanceMsg",
			"jobData": fmt.Sprintf(`{"vmInstanceUuid":%q,"names":["x"],"strategy":"Later"}`, vm)}},
		{"longjob_err_jobdata_no_names", map[string]any{"jobName": "APICloneVmInstanceMsg",
			"jobData": fmt.Sprintf(`{"vmInstanceUuid":%q}`, vm)}},
		{"longjob_err_bad_resource_uuid", map[string]any{"jobName": "APIStartVmInstanceMsg",
			"jobData": fmt.Sprintf(`{"uuid":%q}`, vm), "resourceUuid": "job-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r response
			if tc.params == nil {
				r = call(t, b, http.MethodPost, "/zstack/v1/longjobs", admin, map[string]any{"systemTags": []string{}})
			} else {
				r = submit(t, admin, tc.params)
			}
			if r.Code != http.StatusBadRequest {
				t.Errorf("%d %s, want 400", r.Code, r.Body)
			}
			goldenJSON(t, tc.name, r.Body)
		})
	}
	var list struct{ Inventories []struct{ UUID string } }
	call(t, b, http.MethodGet, "/zstack/v1/longjobs", admin, nil).json(t, &list)
	if len(list.Inventories) != 1 || list.Inventories[0].UUID != id {
		t.Errorf("long jobs after the refusals: %+v, want only %s", list.Inventories, id)
	}

	// Cancel and delete answer through their api-jobs: {} or the job's error.
	action := func(t *testing.T, method, path, session string, body any) response {
		t.Helper()
		r := call(t, b, method, path, session, body)
		if r.Code != http.StatusAccepted {
			return r
		}
		var loc struct{ Location string }
		r.json(t, &loc)
		u, _ := url.Parse(loc.Location)
		return pollJob(t, b, session, u.String())
	}
	goldenJSON(t, "longjob_cancel_finished", action(t, http.MethodPut, "/zstack/v1/longjobs/"+id+"/actions", admin, map[string]any{"cancelLongJob": map[string]any{}}).Body)
	goldenJSON(t, "longjob_cancel_bad_body", action(t, http.MethodPut, "/zstack/v1/longjobs/"+id+"/actions", admin, map[string]any{"pauseLongJob": map[string]any{}}).Body)
	goldenJSON(t, "longjob_delete_other_tenant", action(t, http.MethodDelete, "/zstack/v1/longjobs/"+id, tenantA, nil).Body)
	goldenJSON(t, "longjob_delete", action(t, http.MethodDelete, "/zstack/v1/longjobs/"+id, admin, nil).Body)
	goldenJSON(t, "longjob_delete_gone", action(t, http.MethodDelete, "/zstack/v1/longjobs/"+id, admin, nil).Body)
}
