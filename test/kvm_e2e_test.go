package test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/adapters/vcproxy"
	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/drivers/kvm"
	"cloudbroker/drivers/kvm/kvmtest"
	"cloudbroker/test/harness"
)

// diskEnvelope is the part of a vcproxy task envelope this test reads.
type diskEnvelope struct {
	TaskID   string
	Describe string
	Content  struct {
		Task struct {
			EventName   string `json:"event_name"`
			TaskErrcode string `json:"task_errcode"`
			TaskErrmsg  string `json:"task_errmsg"`
		} `json:"task"`
		VM struct {
			VMID     string `json:"vmid"`
			DiskList []struct {
				FileName, Key, Label, Summary, UnitNumber, UUID, ControllerKey, ScsiNumber string
			} `json:"disk_list"`
		} `json:"vm"`
	}
}

// diskRow is what the cross-check compares: a disk by its source and size, in guest order.
type diskRow struct{ Label, FileName, Summary string }

// TestKVMGuestThroughBroker puts a real QEMU guest (TCG, BIOS only) behind a harness broker as
// provider kvm1, next to simulator vc1: it reads the guest's disks through the vcproxy dialect
// (sync and async) and checks them against virsh, clones it through the broker API, starts the
// clone through the broker and checks with virsh that it runs. Everything is removed at the end
// of the subtest, and the parent checks that nothing is left.
func TestKVMGuestThroughBroker(t *testing.T) {
	var g *kvmtest.Guest
	t.Run("lifecycle", func(t *testing.T) {
		start := time.Now()
		g = kvmtest.NewGuest(t)
		cloneName := g.Name + "-clone"
		g.Track(cloneName)
		b := harness.Start(t, harness.Options{KVM: []harness.KVMProvider{
			{Name: "kvm1", URI: kvmtest.URI, Options: map[string]string{kvm.OptImagesPool: g.Name}},
		}})
		br := b.App.Broker()
		t.Logf("guest %s defined and broker up in %s", g.Name, time.Since(start).Round(time.Millisecond))

		src := vmidOf(t, br, "kvm1", g.Name)
		if src != broker.VMUUID("kvm1", g.UUID) {
			t.Fatalf("listed vmid %s, want VMUUID(kvm1, %s)", src, g.UUID)
		}

		// Start the guest through the broker: diskinfo reads a running guest.
		if r := power(t, br, src, model.PowerOn); r.PowerState != model.PoweredOn {
			t.Errorf("start result %+v", r)
		}
		if s := kvmtest.DomState(t, g.Name); s != "running" {
			t.Fatalf("virsh domstate %s = %q after start, want running", g.Name, s)
		}

		// Disks, sync (mode 0) and async (mode 1 + task/info), against virsh.
		want := virshRows(t, g.Name, g.Name)
		if diff := cmp.Diff([]diskRow{
			{"Hard disk 1", g.Name + "/" + g.RootVolume, "64 MB"},
			{"Hard disk 2", g.DataPath, "16 MB"},
		}, want); diff != "" {
			t.Fatalf("virsh sees the guest's disks differently than the fixture made them (-fixture +virsh):\n%s", diff)
		}
		sync := diskInfoSync(t, b, src)
		if diff := cmp.Diff(want, rows(sync)); diff != "" {
			t.Errorf("sync diskinfo vs virsh domblklist/vol-info (-virsh +broker):\n%s", diff)
		}
		async := diskInfoAsync(t, b, src)
		if diff := cmp.Diff(sync.Content.VM, async.Content.VM); diff != "" {
			t.Errorf("async diskinfo differs from sync (-sync +async):\n%s", diff)
		}

		// QEMU locks a running guest's images: a clone of it fails, and nothing is made.
		task, err := br.SubmitClone(ctx(t), model.System, src, broker.CloneRequest{Names: []string{cloneName}, Full: true})
		done := waitTask(t, br, task, err)
		if done.State != broker.TaskFailed || done.Err == nil || done.Err.Kind != "conflict" {
			t.Errorf("clone of the running guest: %s %v, want failed with a conflict", done.State, done.Err)
		}
		if kvmtest.VirshQuiet("domstate", cloneName) {
			t.Errorf("a failed clone left domain %s defined", cloneName)
		}

		// Stopped, it clones: full (both disks), left off.
		if r := power(t, br, src, model.PowerOff); r.PowerState != model.PoweredOff {
			t.Errorf("stop result %+v", r)
		}
		if s := kvmtest.DomState(t, g.Name); s != "shut off" {
			t.Errorf("virsh domstate %s = %q after stop, want shut off", g.Name, s)
		}
		cloneStart := time.Now()
		res := clone(t, br, src, broker.CloneRequest{Names: []string{cloneName}, Full: true})
		t.Logf("clone through the broker took %s", time.Since(cloneStart).Round(time.Millisecond))
		c := res.Clones[0]
		if c.Error != nil || c.VM == nil {
			t.Fatalf("clone = %+v", c)
		}
		cloneUUID := kvmtest.Virsh(t, "domuuid", cloneName)
		if c.VM.Name != cloneName || c.VM.NativeID != cloneUUID || c.VM.ID != broker.VMUUID("kvm1", cloneUUID) ||
			c.VM.Provider != "kvm1" || c.VM.PowerState != model.PoweredOff {
			t.Errorf("clone VM = %+v, want %s (%s) on kvm1, off", c.VM, cloneName, cloneUUID)
		}
		if s := kvmtest.DomState(t, cloneName); s != "shut off" {
			t.Errorf("virsh domstate %s = %q, want shut off", cloneName, s)
		}
		resolvable(t, b, *c.VM)

		// The clone is addressable at once: its disks through the dialect, against virsh.
		cloneRows := virshRows(t, cloneName, g.Name)
		if diff := cmp.Diff([]diskRow{
			{"Hard disk 1", g.Name + "/" + cloneName + "-vda.qcow2", "64 MB"},
			{"Hard disk 2", filepath.Join(g.Dir, cloneName+"-sdb.img"), "16 MB"},
		}, cloneRows); diff != "" {
			t.Errorf("virsh: the clone's disks are not copies of the source's (-want +virsh):\n%s", diff)
		}
		if diff := cmp.Diff(cloneRows, rows(diskInfoSync(t, b, c.VM.ID))); diff != "" {
			t.Errorf("clone diskinfo vs virsh (-virsh +broker):\n%s", diff)
		}

		// Start the clone through the broker; virsh sees it run.
		if r := power(t, br, c.VM.ID, model.PowerOn); r.PowerState != model.PoweredOn {
			t.Errorf("start clone result %+v", r)
		}
		if s := kvmtest.DomState(t, cloneName); s != "running" {
			t.Errorf("virsh domstate %s = %q after start through the broker, want running", cloneName, s)
		}
		// The source is still off: the clone is its own domain.
		if s := kvmtest.DomState(t, g.Name); s != "shut off" {
			t.Errorf("virsh domstate %s = %q, want shut off", g.Name, s)
		}
		t.Logf("lifecycle took %s", time.Since(start).Round(time.Millisecond))
	})
	if g != nil {
		g.Gone(t)
	}
}

// virshRows is the disk list virsh reports for dom, as diskinfo should render it.
func virshRows(t *testing.T, dom, pool string) []diskRow {
	t.Helper()
	var out []diskRow
	for i, r := range kvmtest.VirshDisks(t, dom, pool) {
		file := r.Source
		if !filepath.IsAbs(file) { // a volume of the pool: the driver names it pool/volume
			file = pool + "/" + file
		}
		out = append(out, diskRow{fmt.Sprintf("Hard disk %d", i+1), file, vcproxy.Summary(r.CapacityBytes)})
	}
	return out
}

func rows(e diskEnvelope) []diskRow {
	var out []diskRow
	for _, d := range e.Content.VM.DiskList {
		out = append(out, diskRow{d.Label, d.FileName, d.Summary})
	}
	return out
}

// diskInfoSync is POST /api/vm/diskinfo with mode 0: the finished envelope at once.
func diskInfoSync(t *testing.T, b *harness.Broker, vmid string) diskEnvelope {
	t.Helper()
	code, body := b.Post(t, "/api/vm/diskinfo", harness.AdminToken, map[string]any{"vmid": vmid, "mode": 0})
	if code != 200 {
		t.Fatalf("sync diskinfo: %d %s", code, body)
	}
	e := decodeEnvelope(t, body)
	if e.Content.Task.TaskErrcode != "200" || e.Content.Task.EventName != "EVENT_VM_DISKINFO" || e.Content.VM.VMID != vmid {
		t.Fatalf("sync diskinfo envelope: %s", body)
	}
	return e
}

// diskInfoAsync is POST /api/vm/diskinfo with mode 1, then /api/task/info until it is done.
func diskInfoAsync(t *testing.T, b *harness.Broker, vmid string) diskEnvelope {
	t.Helper()
	code, body := b.Post(t, "/api/vm/diskinfo", harness.AdminToken, map[string]any{"vmid": vmid, "mode": 1})
	if code != 200 {
		t.Fatalf("async diskinfo: %d %s", code, body)
	}
	var accepted struct {
		Errcode string `json:"errcode"`
		Data    struct{ TaskID, VMID string }
	}
	if err := json.Unmarshal(body, &accepted); err != nil || accepted.Errcode != "200" || accepted.Data.TaskID == "" || accepted.Data.VMID != vmid {
		t.Fatalf("async diskinfo answer: %v %s", err, body)
	}
	deadline := time.Now().Add(time.Minute)
	for polls := 1; ; polls++ {
		code, body = b.Post(t, "/api/task/info", harness.AdminToken, map[string]any{"taskid": accepted.Data.TaskID})
		if code != 200 {
			t.Fatalf("task/info: %d %s", code, body)
		}
		e := decodeEnvelope(t, body)
		switch e.Content.Task.TaskErrcode {
		case "202":
			if time.Now().After(deadline) {
				t.Fatalf("task %s still pending after a minute: %s", accepted.Data.TaskID, body)
			}
			time.Sleep(20 * time.Millisecond)
			continue
		case "200":
			if e.TaskID != accepted.Data.TaskID || e.Content.VM.VMID != vmid || !strings.Contains(e.Describe, "磁盘") {
				t.Errorf("task/info envelope: %s", body)
			}
			t.Logf("async diskinfo done after %d poll(s)", polls)
			return e
		default:
			t.Fatalf("async diskinfo failed: %s", body)
		}
	}
}

func decodeEnvelope(t *testing.T, body []byte) diskEnvelope {
	t.Helper()
	var e diskEnvelope
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
	return e
}
