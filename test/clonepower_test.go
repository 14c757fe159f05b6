// Package test holds end-to-end tests of the broker API against real backends: a govmomi
// simulator (fast, always) and a real QEMU guest on the system libvirtd (kvm_e2e_test.go).
package test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/queue/redisstore"
	"cloudbroker/test/govctest"
	"cloudbroker/test/harness"
)

// vmidOf lists the VMs through the broker and returns the broker uuid of the named one.
func vmidOf(t *testing.T, br *broker.Broker, provider, name string) string {
	t.Helper()
	page, err := br.ListVMs(ctx(t), model.System, broker.ListVMsQuery{Provider: provider, Limit: broker.MaxPageSize})
	if err != nil {
		t.Fatalf("ListVMs(%s): %v", provider, err)
	}
	for _, vm := range page.VMs {
		if vm.Name == name {
			return vm.ID
		}
	}
	t.Fatalf("no VM %q on %s (failed: %v)", name, provider, page.Failed)
	return ""
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

// waitTask waits for a submitted task and fails the test unless it ended.
func waitTask(t *testing.T, br *broker.Broker, task broker.Task, err error) broker.Task {
	t.Helper()
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	done, err := br.Wait(ctx(t), model.System, task.ID)
	if err != nil {
		t.Fatalf("wait for task %s (%s): %v", task.ID, task.Spec.Type, err)
	}
	return done
}

// clone runs a clone task to its end and returns its result; the task must succeed.
func clone(t *testing.T, br *broker.Broker, vmid string, req broker.CloneRequest) broker.CloneResult {
	t.Helper()
	task, err := br.SubmitClone(ctx(t), model.System, vmid, req)
	done := waitTask(t, br, task, err)
	if done.State != broker.TaskSucceeded {
		t.Fatalf("clone %v: task %s, error %v", req.Names, done.State, done.Err)
	}
	res, err := done.CloneResult()
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// power runs a power task to its end and returns its result; the task must succeed.
func power(t *testing.T, br *broker.Broker, vmid string, op model.PowerOp) broker.PowerResult {
	t.Helper()
	task, err := br.SubmitPower(ctx(t), model.System, vmid, op)
	done := waitTask(t, br, task, err)
	if done.State != broker.TaskSucceeded {
		t.Fatalf("power %s: task %s, error %v", op, done.State, done.Err)
	}
	res, err := done.PowerResult()
	if err != nil {
		t.Fatal(err)
	}
	if res.VMID != vmid || res.Op != op {
		t.Errorf("power result %+v, want vm %s op %s", res, vmid, op)
	}
	return res
}

// resolvable checks the broker's id map in Redis directly: no listing has run since the
// clone, so only the broker's registration can have put the id there.
func resolvable(t *testing.T, b *harness.Broker, vm model.VM) {
	t.Helper()
	ref, err := redisstore.NewRefs(b.Redis.Client(t)).ResolveVM(ctx(t), vm.ID)
	if err != nil || ref.Provider != vm.Provider || ref.NativeID != vm.NativeID {
		t.Errorf("id map: %s -> %+v, %v; want %s/%s", vm.ID, ref, err, vm.Provider, vm.NativeID)
	}
}

// Clone two names of which one is taken, then drive the new VM's power through the broker,
// with govc as the independent witness.
func TestCloneAndPowerOnSimulator(t *testing.T) {
	b := harness.Start(t, harness.Options{})
	br := b.App.Broker()
	src := vmidOf(t, br, "vc1", "DC0_H0_VM0")
	url := b.Sims[0].URL().String()

	res := clone(t, br, src, broker.CloneRequest{Names: []string{"cb-clone-1", "DC0_H0_VM1"}})
	if res.SourceVMID != src || len(res.Clones) != 2 || res.Created() != 1 {
		t.Fatalf("result %+v, want two entries, one made", res)
	}
	made, taken := res.Clones[0], res.Clones[1]
	if made.Name != "cb-clone-1" || made.Error != nil || made.VM == nil {
		t.Fatalf("cb-clone-1 = %+v, want made", made)
	}
	vm := *made.VM
	if vm.Name != "cb-clone-1" || vm.Provider != "vc1" || vm.ID != broker.VMUUID("vc1", vm.NativeID) || vm.PowerState != model.PoweredOff {
		t.Errorf("clone VM = %+v, want cb-clone-1 on vc1, off, with its broker uuid", vm)
	}
	if taken.VM != nil || taken.Error == nil || taken.Error.Kind != "conflict" || !strings.Contains(taken.Error.Message, "DC0_H0_VM1") {
		t.Errorf("DC0_H0_VM1 = %+v, want a conflict error (the name is taken)", taken)
	}
	resolvable(t, b, vm)
	if native, err := b.Sims[0].VMID(ctx(t), "cb-clone-1"); err != nil || native != vm.NativeID {
		t.Errorf("simulator has cb-clone-1 as %q (%v), result says %q", native, err, vm.NativeID)
	}
	if got := govctest.PowerState(t, url, "cb-clone-1"); got != "poweredOff" {
		t.Errorf("govc: cb-clone-1 is %s, want poweredOff", got)
	}

	// The new id works at once, through the dialect too.
	code, body := b.Post(t, "/api/vm/diskinfo", harness.AdminToken, map[string]any{"vmid": vm.ID, "mode": 0})
	if code != 200 || !strings.Contains(string(body), `"task_errcode":"200"`) || !strings.Contains(string(body), "cb-clone-1/") {
		t.Errorf("diskinfo of the clone: %d %s", code, body)
	}

	for _, step := range []struct {
		op   model.PowerOp
		want model.PowerState
	}{
		{model.PowerOn, model.PoweredOn},
		{model.PowerOn, model.PoweredOn}, // already on: still a success
		{model.Reboot, model.PoweredOn},
		{model.PowerOff, model.PoweredOff},
		{model.PowerOff, model.PoweredOff},
		{model.PowerOn, model.PoweredOn},
	} {
		if r := power(t, br, vm.ID, step.op); r.PowerState != step.want {
			t.Errorf("%s: result says %s, want %s", step.op, r.PowerState, step.want)
		}
		if got := govctest.PowerState(t, url, "cb-clone-1"); got != string(step.want) {
			t.Errorf("after %s govc says %s, want %s", step.op, got, step.want)
		}
	}

	// A clone started on creation.
	on := clone(t, br, src, broker.CloneRequest{Names: []string{"cb-clone-on"}, PowerOn: true})
	if c := on.Clones[0]; c.VM == nil || c.VM.PowerState != model.PoweredOn || govctest.PowerState(t, url, "cb-clone-on") != "poweredOn" {
		t.Errorf("PowerOn clone = %+v, want it running", c)
	}

	// The vcproxy dialect renders clone and power tasks like any other.
	task, err := br.SubmitPower(ctx(t), model.System, vm.ID, model.PowerOff)
	waitTask(t, br, task, err)
	code, body = b.Post(t, "/api/task/info", harness.AdminToken, map[string]any{"taskid": task.ID})
	if code != 200 || !strings.Contains(string(body), `"event_name":"EVENT_VM_POWER"`) || !strings.Contains(string(body), `"task_errcode":"200"`) {
		t.Errorf("task/info of a power task: %d %s", code, body)
	}
}

// Every way a clone or power request can be refused, before or after it is queued.
func TestCloneAndPowerErrorsOnSimulator(t *testing.T) {
	b := harness.Start(t, harness.Options{Simulators: 2})
	br := b.App.Broker()
	src := vmidOf(t, br, "vc1", "DC0_H0_VM0")
	unknown := broker.VMUUID("vc1", "vm-does-not-exist")

	refused := []struct {
		name    string
		submit  func() error
		wantErr error
		wantMsg string
	}{
		{"no names", func() error { _, err := br.SubmitClone(ctx(t), model.System, src, broker.CloneRequest{}); return err },
			model.ErrInvalid, "names is required"},
		{"duplicate names", func() error {
			_, err := br.SubmitClone(ctx(t), model.System, src, broker.CloneRequest{Names: []string{"x", "x"}})
			return err
		}, model.ErrInvalid, `names[1] "x" repeats names[0]`},
		{"blank name", func() error {
			_, err := br.SubmitClone(ctx(t), model.System, src, broker.CloneRequest{Names: []string{""}})
			return err
		}, model.ErrInvalid, "names[0] is empty"},
		{"clone of an unknown vm", func() error {
			_, err := br.SubmitClone(ctx(t), model.System, unknown, broker.CloneRequest{Names: []string{"x"}})
			return err
		}, model.ErrNotFound, "not found"},
		{"bad op", func() error { _, err := br.SubmitPower(ctx(t), model.System, src, "pause"); return err },
			model.ErrInvalid, `op "pause" is not one of start, stop, shutdown, reboot, reset`},
		{"no op", func() error { _, err := br.SubmitPower(ctx(t), model.System, src, ""); return err },
			model.ErrInvalid, "op is required"},
		{"power of an unknown vm", func() error { _, err := br.SubmitPower(ctx(t), model.System, unknown, model.PowerOn); return err },
			model.ErrNotFound, "not found"},
		{"tenant and another provider's vm", func() error {
			other := vmidOf(t, br, "vc2", "DC0_H0_VM0")
			_, err := br.SubmitClone(ctx(t), model.Caller{Name: "tenant", Providers: []string{"vc1"}}, other, broker.CloneRequest{Names: []string{"x"}})
			return err
		}, model.ErrNotFound, "not found"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.submit()
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error = %v, want %v containing %q", err, tt.wantErr, tt.wantMsg)
			}
		})
	}

	// Nothing made: the task fails with the conflict, and says which names.
	for _, names := range [][]string{{"DC0_H0_VM1"}, {"DC0_H0_VM1", "DC0_C0_RP0_VM0"}} {
		task, err := br.SubmitClone(ctx(t), model.System, src, broker.CloneRequest{Names: names})
		done := waitTask(t, br, task, err)
		if done.State != broker.TaskFailed || !errors.Is(done.Err, model.ErrConflict) || done.Retried != 0 {
			t.Errorf("clone as %v: %s %v (retried %d), want failed with a conflict, not retried", names, done.State, done.Err, done.Retried)
			continue
		}
		for _, n := range names {
			if !strings.Contains(done.Err.Error(), n) {
				t.Errorf("error %q does not name %s", done.Err, n)
			}
		}
		code, body := b.Post(t, "/api/task/info", harness.AdminToken, map[string]any{"taskid": task.ID})
		if code != 200 || !strings.Contains(string(body), `"event_name":"EVENT_VM_CLONE"`) || !strings.Contains(string(body), `"task_errcode":"409"`) {
			t.Errorf("task/info of the failed clone: %d %s", code, body)
		}
	}
	// No VM appeared on either simulator.
	page, err := br.ListVMs(ctx(t), model.System, broker.ListVMsQuery{Limit: broker.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(page.VMs, func(vm model.VM) bool { return vm.Name == "x" }); i >= 0 || page.Total != 8 {
		t.Errorf("%d VMs after refused clones (want the 8 of two simulators): %+v", page.Total, page.VMs)
	}
}
