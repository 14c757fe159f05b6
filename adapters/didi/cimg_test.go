package didi_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/config"
	"cloudbroker/drivers/vcenter/vcsim"
	"cloudbroker/test/harness"
	"cloudbroker/test/wait"
)

// The seed's request, sent verbatim, against a vCenter template made to match the seed's image
// (a CentOS 7 64-bit template named 北京02 with an 8 GiB disk in region bj, zone bj01),
// answers the seed's response field by field once ids and times are masked. Two differences
// are the broker's by design and are checked on their own:
//   - size: vCenter does not report a template's stored size, so size is the disk's capacity
//     (the seed's image is a 524 MiB file with an 8 GiB minimum disk);
//   - backupStorages: the broker's storage for an image is the provider holding it, not DiDi's
//     Ceph pools; it has the same fields.
func TestSeedExample(t *testing.T) {
	b := harness.Start(t, harness.Options{Tune: seedRegion, Templates: map[int][]vcsim.Template{0: {
		{Name: "北京02", GuestID: "centos7_64Guest", DiskBytes: 8 << 30},
		{Name: "北京03", GuestID: "centos7_64Guest"}, // not asked for
	}}})
	req, err := os.ReadFile(filepath.Join("testdata", "seed_request.json"))
	if err != nil {
		t.Fatal(err)
	}
	resp := call(t, b, http.MethodPost, listPath, admin, req)
	if resp.code != http.StatusOK {
		t.Fatalf("HTTP %d: %s", resp.code, resp.body)
	}
	goldenJSON(t, "cimg_list_seed", resp.body)

	seedBody, err := os.ReadFile(filepath.Join("testdata", "seed_response.json"))
	if err != nil {
		t.Fatal(err)
	}
	seed, got := masked(t, seedBody), masked(t, resp.body)
	gotItem := got.(map[string]any)["data"].(map[string]any)["items"].([]any)[0].(map[string]any)
	seedItem := seed.(map[string]any)["data"].(map[string]any)["items"].([]any)[0].(map[string]any)

	if size, minDisk := gotItem["size"], gotItem["requirement"].(map[string]any)["minDiskSize"]; size != float64(8<<30) || minDisk != float64(8<<30) {
		t.Errorf("size %v, minDiskSize %v: want both the disk's 8 GiB", size, minDisk)
	}
	wantStorage := map[string]any{"bsUuid": "<id>", "diskType": "", "name": "vc1", "state": "Enabled",
		"status": "Connected", "type": "vcenter", "zone": "bj01"}
	if diff := cmp.Diff([]any{wantStorage}, gotItem["backupStorages"]); diff != "" {
		t.Errorf("backupStorages (-want +got):\n%s", diff)
	}
	for _, item := range []map[string]any{gotItem, seedItem} {
		item["size"] = "<differs by design>"
		// Compare the storages' shape: the field names of the first.
		item["backupStorages"] = slices.Sorted(maps.Keys(item["backupStorages"].([]any)[0].(map[string]any)))
	}
	if diff := cmp.Diff(seed, got); diff != "" {
		t.Errorf("answer vs the seed's example (-seed +broker):\n%s", diff)
	}
}

func TestListPaging(t *testing.T) {
	b := harness.Start(t, harness.Options{Tune: seedRegion, Templates: map[int][]vcsim.Template{0: {
		{Name: "tpl-win", GuestID: "windows2019srv_64Guest", Annotation: "Windows Server 2019 base"},
		{Name: "tpl-centos", GuestID: "centos7_64Guest"},
		{Name: "tpl-ubuntu", GuestID: "ubuntu64Guest"},
	}}})
	names := func(d listData) []string {
		out := []string{}
		for _, it := range d.Items {
			out = append(out, it.Name)
		}
		return out
	}
	for _, tc := range []struct {
		name      string
		body      map[string]any
		want      []string
		wantCount int
	}{
		{"first page", map[string]any{"regionId": "bj", "start": 0, "limit": 2}, []string{"tpl-centos", "tpl-ubuntu"}, 3},
		{"second page", map[string]any{"regionId": "bj", "start": 2, "limit": 2}, []string{"tpl-win"}, 3},
		{"start omitted is 0", map[string]any{"regionId": "bj", "limit": 1}, []string{"tpl-centos"}, 3},
		{"past the end", map[string]any{"regionId": "bj", "start": 9, "limit": 2}, []string{}, 3},
		{"names", map[string]any{"regionId": "bj", "limit": 10, "condition": map[string]any{"names": []string{"tpl-win", "tpl-none"}}}, []string{"tpl-win"}, 1},
		{"no name matches", map[string]any{"regionId": "bj", "limit": 10, "condition": map[string]any{"names": []string{"DC0_H0_VM0"}}}, []string{}, 0},
		{"empty condition", map[string]any{"regionId": "bj", "limit": 10, "condition": map[string]any{}}, []string{"tpl-centos", "tpl-ubuntu", "tpl-win"}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := list(t, b, tc.body)
			if diff := cmp.Diff(tc.want, names(d)); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
			if d.Count != tc.wantCount {
				t.Errorf("count %d, want %d (every match, not the page)", d.Count, tc.wantCount)
			}
		})
	}
	goldenJSON(t, "cimg_list_page", call(t, b, http.MethodPost, listPath, admin, map[string]any{"regionId": "bj", "limit": 10}).body)
}

// While a task targets a template (here: reading its disks through the vCenter-proxy dialect,
// held running by the worker), the template's image carries it as its job; once the task is
// done the field is gone.
func TestJob(t *testing.T) {
	b := harness.Start(t, harness.Options{NoWorker: true, Tune: seedRegion, Templates: map[int][]vcsim.Template{0: {
		{Name: "tpl-busy", GuestID: "centos7_64Guest"}, {Name: "tpl-idle", GuestID: "centos7_64Guest"},
	}}})
	gate := &harness.Gate{Inner: b.Executor(t), Hold: broker.TypeVMDiskInfo}
	b.StartWorker(t, gate)
	tpl, err := b.Sims[0].VMID(context.Background(), "tpl-busy")
	if err != nil {
		t.Fatal(err)
	}

	vmid := broker.VMUUID("vc1", tpl) // the template is also a VM of vc1
	r := call(t, b, http.MethodPost, "/api/vm/diskinfo", admin, map[string]any{"vmid": vmid, "mode": 1})
	var started struct {
		Data struct{ TaskID string }
	}
	if err := json.Unmarshal(r.body, &started); err != nil || started.Data.TaskID == "" {
		t.Fatalf("diskinfo: HTTP %d %s", r.code, r.body)
	}
	gate.Entered(t)

	resp := call(t, b, http.MethodPost, listPath, admin, map[string]any{"regionId": "bj", "limit": 10})
	goldenJSON(t, "cimg_list_job", resp.body)
	d := resp.list(t)
	if len(d.Items) != 2 || d.Items[0].Name != "tpl-busy" || d.Items[1].Job != nil {
		t.Fatalf("items = %s", resp.body)
	}
	if j := d.Items[0].Job; j == nil || j.JobUUID != started.Data.TaskID || j.ResourceUUID != d.Items[0].CimgUUID ||
		j.Type != broker.TypeVMDiskInfo || j.Done || j.Success {
		t.Errorf("job = %+v, want the running diskinfo task %s on image %s", j, started.Data.TaskID, d.Items[0].CimgUUID)
	}

	gate.Release()
	if _, err := b.App.Broker().Wait(t.Context(), model.System, started.Data.TaskID); err != nil {
		t.Fatal(err)
	}
	for _, it := range list(t, b, map[string]any{"regionId": "bj", "limit": 10}).Items {
		if it.Job != nil {
			t.Errorf("%s still has a job after its task finished: %+v", it.Name, it.Job)
		}
	}
}

// A provider of the region that cannot be listed is named in failedProviders; when no provider
// of the region answers, the answer is an error.
func TestFailedProviders(t *testing.T) {
	b := harness.Start(t, harness.Options{Simulators: 2, Templates: map[int][]vcsim.Template{0: {{Name: "tpl-a", GuestID: "centos7_64Guest"}}}, Tune: func(c *config.Config) {
		for i := range c.Providers {
			c.Providers[i].Region = "bj"
		}
		none := 0
		c.Tasks.MaxRetry = &none
		c.Inventory.ImageRefresh = config.Duration(refresh)
	}})
	b.Sims[1].Close()
	// The image inventory serves each provider's last listing: a provider that goes down shows
	// as failed from its next refresh on.
	var d listData
	wait.For(t, freshness, "vc2 reported failed", func() bool {
		d = list(t, b, map[string]any{"regionId": "bj", "limit": 10})
		return len(d.FailedProviders) > 0
	})
	if d.Count != 1 || len(d.FailedProviders) != 1 || d.FailedProviders[0].Provider != "vc2" ||
		d.FailedProviders[0].Errno != 2 || !strings.Contains(d.FailedProviders[0].Errmsg, "vcenter") {
		t.Errorf("count %d, failedProviders %+v: want vc1's image and vc2 failed with errno 2", d.Count, d.FailedProviders)
	}

	b.Sims[0].Close()
	var r response
	wait.For(t, freshness, "every provider reported failed", func() bool {
		r = call(t, b, http.MethodPost, listPath, admin, map[string]any{"regionId": "bj", "limit": 10})
		return r.code != http.StatusOK
	})
	if a := r.answer(t); r.code != http.StatusServiceUnavailable || a.Errno != 2 || a.Errmsg == "" {
		t.Errorf("every provider down: HTTP %d %s, want 503 with errno 2", r.code, r.body)
	}
}
