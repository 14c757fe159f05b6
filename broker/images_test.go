package broker_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/config"
	"cloudbroker/drivers/vcenter/vcsim"
	"cloudbroker/test/harness"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// twoRegions tunes a harness broker: vc1 in region bj, vc2 in sh.
func twoRegions(c *config.Config) {
	c.Providers[0].Region, c.Providers[0].Zones = "bj", []string{"bj01"}
	c.Providers[1].Region, c.Providers[1].Zones = "sh", []string{"sh01", "sh02"}
}

type row struct {
	Name, Provider, Region string
	Zones                  []string
	OSFamily               string
}

func rows(t *testing.T, page broker.ImagePage) []row {
	t.Helper()
	out := []row{}
	for _, img := range page.Images {
		if img.ID != broker.ImageUUID(img.Provider, img.NativeID) {
			t.Errorf("image %s/%s has id %s, want ImageUUID", img.Provider, img.NativeID, img.ID)
		}
		out = append(out, row{img.Name, img.Provider, img.Region, img.Zones, img.OSFamily})
	}
	return out
}

func TestListImages(t *testing.T) {
	b := harness.Start(t, harness.Options{Simulators: 2, Tune: twoRegions, Templates: map[int][]vcsim.Template{
		0: {{Name: "tpl-a", GuestID: "centos7_64Guest"}, {Name: "tpl-b", GuestID: "ubuntu64Guest"}},
		1: {{Name: "tpl-a", GuestID: "centos7_64Guest"}, {Name: "tpl-c", GuestID: "debian10_64Guest"}},
	}})
	admin := model.Caller{Name: "admin", AllProviders: true}
	tenant := model.Caller{Name: "tenant", Providers: []string{"vc1"}}

	bjA := row{"tpl-a", "vc1", "bj", []string{"bj01"}, "CentOS"}
	bjB := row{"tpl-b", "vc1", "bj", []string{"bj01"}, "Ubuntu"}
	shA := row{"tpl-a", "vc2", "sh", []string{"sh01", "sh02"}, "CentOS"}
	shC := row{"tpl-c", "vc2", "sh", []string{"sh01", "sh02"}, "Debian"}
	for _, tc := range []struct {
		name      string
		caller    model.Caller
		q         broker.ListImagesQuery
		want      []row
		wantTotal int
	}{
		{"one region", admin, broker.ListImagesQuery{Region: "bj"}, []row{bjA, bjB}, 2},
		{"other region", admin, broker.ListImagesQuery{Region: "sh"}, []row{shA, shC}, 2},
		{"every region, by name then provider", admin, broker.ListImagesQuery{}, []row{bjA, shA, bjB, shC}, 4},
		{"names", admin, broker.ListImagesQuery{Names: []string{"tpl-a", "nope"}}, []row{bjA, shA}, 2},
		{"names match exactly", admin, broker.ListImagesQuery{Names: []string{"tpl"}}, []row{}, 0},
		{"page", admin, broker.ListImagesQuery{Start: 1, Limit: 2}, []row{shA, bjB}, 4},
		{"past the end", admin, broker.ListImagesQuery{Start: 10}, []row{}, 4},
		{"start at the int limit", admin, broker.ListImagesQuery{Start: math.MaxInt, Limit: 100}, []row{}, 4},
		{"tenant sees its providers only", tenant, broker.ListImagesQuery{}, []row{bjA, bjB}, 2},
		{"media type", admin, broker.ListImagesQuery{MediaType: "RootVolumeTemplate", Region: "sh"}, []row{shA, shC}, 2},
		{"no ISOs here", admin, broker.ListImagesQuery{MediaType: "ISO"}, []row{}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, err := b.App.Broker().ListImages(ctx(t), tc.caller, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, rows(t, page)); diff != "" {
				t.Errorf("images (-want +got):\n%s", diff)
			}
			if page.Total != tc.wantTotal || len(page.Failed) != 0 {
				t.Errorf("total %d failed %v, want %d and none", page.Total, page.Failed, tc.wantTotal)
			}
		})
	}

	for _, tc := range []struct {
		name    string
		caller  model.Caller
		q       broker.ListImagesQuery
		wantErr error
	}{
		{"unknown region", admin, broker.ListImagesQuery{Region: "gz"}, broker.ErrUnknownRegion},
		{"region the tenant does not see", tenant, broker.ListImagesQuery{Region: "sh"}, broker.ErrUnknownRegion},
		{"negative start", admin, broker.ListImagesQuery{Start: -1}, model.ErrInvalid},
		{"limit too large", admin, broker.ListImagesQuery{Limit: broker.MaxPageSize + 1}, model.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.App.Broker().ListImages(ctx(t), tc.caller, tc.q)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error = %v, want %v", err, tc.wantErr)
			}
		})
	}
	if got := b.App.Broker().Regions(tenant); !cmp.Equal(got, []string{"bj"}) {
		t.Errorf("tenant regions = %v, want [bj]", got)
	}
}

// A provider that cannot be listed is named in Failed; the others' images are still there.
func TestListImagesReportsFailedProvider(t *testing.T) {
	b := harness.Start(t, harness.Options{Simulators: 2, Templates: map[int][]vcsim.Template{0: {{Name: "tpl-a", GuestID: "centos7_64Guest"}}}, Tune: func(c *config.Config) {
		twoRegions(c)
		c.Providers[1].Region = "bj"
		none := 0
		c.Tasks.MaxRetry = &none
	}})
	b.Sims[1].Close()
	page, err := b.App.Broker().ListImages(ctx(t), model.System, broker.ListImagesQuery{Region: "bj"})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 1 || len(page.Images) != 1 || page.Images[0].Provider != "vc1" {
		t.Errorf("images = %+v, want vc1's template", rows(t, page))
	}
	if len(page.Failed) != 1 || page.Failed[0].Provider != "vc2" || !errors.Is(page.Failed[0].Err, model.ErrUnavailable) {
		t.Errorf("failed = %v, want vc2 unavailable", page.Failed)
	}
}

// An image carries the oldest unfinished task that targets it: here reading the disks of the
// template's VM, held running by the worker until the test lets it go.
func TestListImagesJob(t *testing.T) {
	b := harness.Start(t, harness.Options{NoWorker: true, Templates: map[int][]vcsim.Template{0: {
		{Name: "tpl-a", GuestID: "centos7_64Guest"}, {Name: "tpl-b", GuestID: "centos7_64Guest"},
	}}})
	gate := &harness.Gate{Inner: b.Executor(t), Hold: broker.TypeVMDiskInfo}
	b.StartWorker(t, gate)
	tpl, err := b.Sims[0].VMID(ctx(t), "tpl-a")
	if err != nil {
		t.Fatal(err)
	}
	br := b.App.Broker()

	task, err := br.SubmitDiskInfo(ctx(t), model.System, broker.VMUUID("vc1", tpl), "")
	if err != nil {
		t.Fatal(err)
	}
	gate.Entered(t)
	page, err := br.ListImages(ctx(t), model.System, broker.ListImagesQuery{})
	if err != nil {
		t.Fatal(err)
	}
	jobs := map[string]string{}
	for _, img := range page.Images {
		if img.Job != nil {
			jobs[img.Name] = img.Job.ID + " " + string(img.Job.State) + " " + img.Job.Spec.Type
		}
	}
	want := map[string]string{"tpl-a": task.ID + " running " + broker.TypeVMDiskInfo}
	if diff := cmp.Diff(want, jobs); diff != "" {
		t.Errorf("jobs while the task runs (-want +got):\n%s", diff)
	}

	gate.Release()
	if done, err := br.Wait(ctx(t), model.System, task.ID); err != nil || done.State != broker.TaskSucceeded {
		t.Fatalf("task: %v %v", done.State, err)
	}
	page, err = br.ListImages(ctx(t), model.System, broker.ListImagesQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, img := range page.Images {
		if img.Job != nil {
			t.Errorf("image %s still has job %s after the task finished", img.Name, img.Job.ID)
		}
	}
}
