package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

// memQueue is a TaskQueue that runs nothing: tests set a task's outcome with finish. The parts
// of TaskQueue these tests never reach (records, long jobs, cancel) are left to the nil
// TaskQueue it embeds, so reaching one fails the test loudly.
type memQueue struct {
	TaskQueue
	mu    sync.Mutex
	tasks map[string]Task
	n     int
}

func (q *memQueue) Submit(_ context.Context, spec TaskSpec, opts ...SubmitOption) (Task, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.n++
	t := Task{ID: fmt.Sprintf("%032x", q.n), Spec: spec, State: TaskPending, InsertTime: time.Now()}
	if id := ApplySubmitOptions(opts).ID; id != "" {
		t.ID = id
	}
	if q.tasks == nil {
		q.tasks = map[string]Task{}
	}
	q.tasks[t.ID] = t
	return t, nil
}

func (q *memQueue) Get(_ context.Context, id string) (Task, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	t, ok := q.tasks[id]
	if !ok {
		return Task{}, model.Errorf(model.ErrNotFound, "task %s not found or expired", id)
	}
	return t, nil
}

func (q *memQueue) Wait(ctx context.Context, id string) (Task, error) {
	for {
		t, err := q.Get(ctx, id)
		if err != nil || t.State.Done() {
			return t, err
		}
		select {
		case <-ctx.Done():
			return t, ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
}

func (q *memQueue) Jobs(context.Context, []Target) (map[Target][]Task, error) { return nil, nil }

func (q *memQueue) ProgressHistory(context.Context, string) ([]Progress, error) { return nil, nil }

// finish ends a task as the worker would: the operation's result or error.
func (q *memQueue) finish(t *testing.T, id string, res any, err error) Task {
	t.Helper()
	q.mu.Lock()
	defer q.mu.Unlock()
	task := q.tasks[id]
	if err != nil {
		task.State, task.Err = TaskFailed, model.NewTaskError(err)
	} else {
		b, merr := json.Marshal(res)
		if merr != nil {
			t.Fatal(merr)
		}
		task.State, task.Result = TaskSucceeded, b
	}
	q.tasks[id] = task
	return task
}

// memRefs is a RefStore in memory; failPut makes PutVMRefs fail like an unreachable Redis.
type memRefs struct {
	mu      sync.Mutex
	refs    map[string]VMRef
	puts    int
	failPut bool
}

func (r *memRefs) PutVMRefs(_ context.Context, refs map[string]VMRef) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failPut {
		return model.Errorf(model.ErrUnavailable, "redis: connection refused")
	}
	r.puts++
	for k, v := range refs {
		r.refs[k] = v
	}
	return nil
}

func (r *memRefs) ResolveVM(_ context.Context, id string) (VMRef, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ref, ok := r.refs[id]
	if !ok {
		return VMRef{}, model.Errorf(model.ErrNotFound, "vm %s not found", id)
	}
	return ref, nil
}

const testProvider = "lab"

// newTestBroker returns a broker over memQueue/memRefs that knows one VM, vm-1 of "lab".
func newTestBroker(t *testing.T) (*Broker, *memQueue, *memRefs, string) {
	t.Helper()
	q := &memQueue{}
	vmid := VMUUID(testProvider, "vm-1")
	refs := &memRefs{refs: map[string]VMRef{vmid: {Provider: testProvider, NativeID: "vm-1"}}}
	b := New(Options{Tasks: q, Refs: refs, Providers: NewProviders([]model.Provider{
		{Name: testProvider, Driver: "fake"}, {Name: "other", Driver: "fake"},
	}), SyncTimeout: 5 * time.Second})
	b.lastRefresh = time.Now().Add(time.Hour) // an unknown vmid must not trigger a listing here
	return b, q, refs, vmid
}

func TestSubmitCloneValidates(t *testing.T) {
	b, _, _, vmid := newTestBroker(t)
	many := make([]string, MaxCloneNames+1)
	for i := range many {
		many[i] = fmt.Sprintf("c%d", i)
	}
	tests := []struct {
		name    string
		vmid    string
		req     CloneRequest
		wantErr error
		wantMsg string
	}{
		{"no names", vmid, CloneRequest{}, model.ErrInvalid, "names is required"},
		{"empty list", vmid, CloneRequest{Names: []string{}}, model.ErrInvalid, "names is required"},
		{"blank name", vmid, CloneRequest{Names: []string{"a", "  "}}, model.ErrInvalid, "names[1] is empty"},
		{"padded name", vmid, CloneRequest{Names: []string{" a"}}, model.ErrInvalid, `names[0] " a" has leading or trailing spaces`},
		{"duplicate", vmid, CloneRequest{Names: []string{"a", "b", "a"}}, model.ErrInvalid, `names[2] "a" repeats names[0]`},
		{"too many", vmid, CloneRequest{Names: many}, model.ErrInvalid, fmt.Sprintf("at most %d clones", MaxCloneNames)},
		{"names checked before the vm", "0123456789abcdef0123456789abcdef", CloneRequest{}, model.ErrInvalid, "names is required"},
		{"unknown vm", "0123456789abcdef0123456789abcdef", CloneRequest{Names: []string{"a"}}, model.ErrNotFound, "not found"},
		{"no vmid", "", CloneRequest{Names: []string{"a"}}, model.ErrInvalid, "vmid is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := b.SubmitClone(t.Context(), model.System, tt.vmid, tt.req)
			if !errors.Is(err, tt.wantErr) || !strings.Contains(fmt.Sprint(err), tt.wantMsg) {
				t.Errorf("SubmitClone error = %v, want %v containing %q", err, tt.wantErr, tt.wantMsg)
			}
		})
	}
	// A tenant that does not see the VM's provider gets "not found", as for any VM.
	_, err := b.SubmitClone(t.Context(), model.Caller{Name: "t", Providers: []string{"other"}}, vmid, CloneRequest{Names: []string{"a"}})
	if !errors.Is(err, model.ErrNotFound) {
		t.Errorf("tenant clone of an invisible vm: %v, want ErrNotFound", err)
	}
}

func TestSubmitCloneQueuesOneTask(t *testing.T) {
	b, _, _, vmid := newTestBroker(t)
	req := CloneRequest{Names: []string{"a", "b"}, Full: true, PowerOn: true}
	task, err := b.SubmitClone(t.Context(), model.System, vmid, req)
	if err != nil {
		t.Fatal(err)
	}
	want := TaskSpec{Type: TypeVMClone, Provider: testProvider, VMID: vmid, NativeID: "vm-1"}
	var got CloneRequest
	if err := json.Unmarshal(task.Spec.Args, &got); err != nil {
		t.Fatal(err)
	}
	task.Spec.Args = nil
	if diff := cmp.Diff(want, task.Spec); diff != "" {
		t.Errorf("spec mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(req, got); diff != "" {
		t.Errorf("args mismatch (-want +got):\n%s", diff)
	}
	if Describe(TypeVMClone) == TypeVMClone || Describe(TypeVMPower) == TypeVMPower {
		t.Error("clone/power task types have no description")
	}
}

func TestSubmitPowerValidates(t *testing.T) {
	b, _, _, vmid := newTestBroker(t)
	for _, op := range []model.PowerOp{"", "suspend", "START"} {
		_, err := b.SubmitPower(t.Context(), model.System, vmid, op)
		if !errors.Is(err, model.ErrInvalid) || !strings.Contains(err.Error(), "start, stop, shutdown, reboot, reset") {
			t.Errorf("SubmitPower(%q) = %v, want ErrInvalid naming every op", op, err)
		}
	}
	for _, op := range []model.PowerOp{model.PowerOn, model.PowerOff, model.Reboot} {
		task, err := b.SubmitPower(t.Context(), model.System, vmid, op)
		if err != nil {
			t.Fatalf("SubmitPower(%s): %v", op, err)
		}
		if task.Spec.Type != TypeVMPower || task.Spec.NativeID != "vm-1" || string(task.Spec.Args) != `{"op":"`+string(op)+`"}` {
			t.Errorf("SubmitPower(%s) spec = %+v args %s", op, task.Spec, task.Spec.Args)
		}
	}
	if _, err := b.SubmitPower(t.Context(), model.System, "0123456789abcdef0123456789abcdef", model.PowerOn); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("SubmitPower of an unknown vm: %v, want ErrNotFound", err)
	}
}

// fakeConn clones and powers VMs by script.
type fakeConn struct {
	mu     sync.Mutex
	clone  func(ctx context.Context, name string) (model.VM, error)
	names  []string
	powers []model.PowerOp
	power  error
}

func (f *fakeConn) Ping(context.Context) error { return nil }
func (f *fakeConn) Close() error               { return nil }

func (f *fakeConn) Clone(ctx context.Context, src string, spec drivers.CloneSpec) (model.VM, error) {
	f.mu.Lock()
	f.names = append(f.names, spec.Name)
	f.mu.Unlock()
	if src != "vm-1" {
		return model.VM{}, model.Errorf(model.ErrNotFound, "vm %s", src)
	}
	return f.clone(ctx, spec.Name)
}

func (f *fakeConn) SetPower(_ context.Context, _ string, op model.PowerOp) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.powers = append(f.powers, op)
	return f.power
}

// bareConn has no capability at all.
type bareConn struct{}

func (bareConn) Ping(context.Context) error { return nil }
func (bareConn) Close() error               { return nil }

func cloneSpec(t *testing.T, names ...string) TaskSpec {
	t.Helper()
	args, err := json.Marshal(CloneRequest{Names: names})
	if err != nil {
		t.Fatal(err)
	}
	return TaskSpec{Type: TypeVMClone, Provider: testProvider, VMID: VMUUID(testProvider, "vm-1"), NativeID: "vm-1", Args: args}
}

// cloneScript makes each name's clone succeed unless fails names an error for it.
func cloneScript(fails map[string]error) func(context.Context, string) (model.VM, error) {
	return func(_ context.Context, name string) (model.VM, error) {
		if err, ok := fails[name]; ok {
			return model.VM{}, err
		}
		return model.VM{NativeID: "new-" + name, Name: name, PowerState: model.PoweredOff}, nil
	}
}

func TestRunClone(t *testing.T) {
	conflict := model.Errorf(model.ErrConflict, "a vm named %q exists", "b")
	down := model.Errorf(model.ErrUnavailable, "connection refused")

	t.Run("partial success", func(t *testing.T) {
		f := &fakeConn{clone: cloneScript(map[string]error{"b": conflict})}
		out, err := runClone(t.Context(), f, cloneSpec(t, "a", "b", "c"))
		if err != nil {
			t.Fatalf("runClone: %v", err)
		}
		res := out.(CloneResult)
		if res.Created() != 2 || len(res.Clones) != 3 || res.SourceVMID != VMUUID(testProvider, "vm-1") {
			t.Fatalf("result %+v, want 3 entries, 2 made", res)
		}
		a, b := res.Clones[0], res.Clones[1]
		if a.Name != "a" || a.Error != nil || a.VM == nil || a.VM.ID != VMUUID(testProvider, "new-a") || a.VM.Provider != testProvider {
			t.Errorf("clone a = %+v (vm %+v)", a, a.VM)
		}
		if b.Name != "b" || b.VM != nil || b.Error == nil || b.Error.Kind != "conflict" || !strings.Contains(b.Error.Message, `"b" exists`) {
			t.Errorf("clone b = %+v, want a conflict error", b)
		}
		if diff := cmp.Diff([]string{"a", "b", "c"}, f.names); diff != "" {
			t.Errorf("cloned in the wrong order (-want +got):\n%s", diff)
		}
	})
	t.Run("made but not started counts as made", func(t *testing.T) {
		f := &fakeConn{clone: func(context.Context, string) (model.VM, error) {
			return model.VM{NativeID: "new-a", Name: "a"}, model.Errorf(model.ErrConflict, "start: no memory")
		}}
		out, err := runClone(t.Context(), f, cloneSpec(t, "a"))
		if err != nil {
			t.Fatalf("runClone: %v", err)
		}
		c := out.(CloneResult).Clones[0]
		if c.VM == nil || c.Error == nil || !strings.Contains(c.Error.Message, "no memory") {
			t.Errorf("clone = %+v, want both the VM and the start error", c)
		}
	})
	t.Run("single name fails with its own error", func(t *testing.T) {
		f := &fakeConn{clone: cloneScript(map[string]error{"a": conflict})}
		_, err := runClone(t.Context(), f, cloneSpec(t, "a"))
		if err != conflict {
			t.Errorf("error = %v, want the driver's error as is", err)
		}
	})
	t.Run("nothing made: permanent", func(t *testing.T) {
		f := &fakeConn{clone: cloneScript(map[string]error{"a": conflict, "b": model.Errorf(model.ErrInvalid, "bad name")})}
		_, err := runClone(t.Context(), f, cloneSpec(t, "a", "b"))
		if !errors.Is(err, model.ErrConflict) || errors.Is(err, model.ErrInvalid) || Retryable(err) ||
			!strings.Contains(err.Error(), `"a": `) || !strings.Contains(err.Error(), `"b": bad name`) {
			t.Errorf("error = %v, want a conflict (the first) naming both", err)
		}
		if k := model.KindOf(err); k != "conflict" {
			t.Errorf("kind %q, want conflict", k)
		}
	})
	t.Run("nothing made: transient is retried", func(t *testing.T) {
		f := &fakeConn{clone: cloneScript(map[string]error{"a": conflict, "b": down})}
		_, err := runClone(t.Context(), f, cloneSpec(t, "a", "b"))
		if !Retryable(err) || model.KindOf(err) != "unavailable" {
			t.Errorf("error = %v (kind %s), want a retryable unavailable", err, model.KindOf(err))
		}
	})
	t.Run("made one, then transient: no retry", func(t *testing.T) {
		f := &fakeConn{clone: cloneScript(map[string]error{"b": down})}
		out, err := runClone(t.Context(), f, cloneSpec(t, "a", "b"))
		if err != nil {
			t.Fatalf("runClone: %v (a retry would clone a again)", err)
		}
		if c := out.(CloneResult).Clones[1]; c.Error == nil || c.Error.Kind != "unavailable" {
			t.Errorf("clone b = %+v, want its unavailable error", c)
		}
	})
	t.Run("out of time: later names not attempted", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		f := &fakeConn{clone: func(_ context.Context, name string) (model.VM, error) {
			cancel()
			return model.VM{NativeID: "new-" + name}, nil
		}}
		out, err := runClone(ctx, f, cloneSpec(t, "a", "b"))
		if err != nil {
			t.Fatal(err)
		}
		res := out.(CloneResult)
		if len(f.names) != 1 || res.Clones[1].Error == nil || res.Clones[1].Error.Kind != "timeout" || !strings.Contains(res.Clones[1].Error.Message, "not attempted") {
			t.Errorf("cloned %v, second = %+v; want b not attempted (timeout)", f.names, res.Clones[1])
		}
	})
	t.Run("capability missing", func(t *testing.T) {
		_, err := runClone(t.Context(), bareConn{}, cloneSpec(t, "a"))
		if !errors.Is(err, model.ErrUnsupported) || !strings.Contains(err.Error(), `provider "lab" cannot clone VMs`) {
			t.Errorf("error = %v, want ErrUnsupported", err)
		}
	})
	t.Run("hand-made payload is validated", func(t *testing.T) {
		f := &fakeConn{clone: cloneScript(nil)}
		for _, args := range []string{`{"names":["a","a"]}`, `{"names":`, `{}`} {
			spec := cloneSpec(t, "x")
			spec.Args = json.RawMessage(args)
			if _, err := runClone(t.Context(), f, spec); !errors.Is(err, model.ErrInvalid) {
				t.Errorf("args %s: %v, want ErrInvalid", args, err)
			}
		}
		if len(f.names) != 0 {
			t.Errorf("cloned %v from an invalid payload", f.names)
		}
	})
	t.Run("registered in the executor", func(t *testing.T) {
		if taskTypes[TypeVMClone].run == nil || taskTypes[TypeVMPower].run == nil {
			t.Fatal("clone/power missing from the executor's operations")
		}
	})
}

func TestRunPower(t *testing.T) {
	spec := func(op string) TaskSpec {
		return TaskSpec{Type: TypeVMPower, Provider: testProvider, VMID: "id-1", NativeID: "vm-1", Args: json.RawMessage(`{"op":"` + op + `"}`)}
	}
	f := &fakeConn{}
	for op, want := range map[model.PowerOp]model.PowerState{model.PowerOn: model.PoweredOn, model.PowerOff: model.PoweredOff, model.Reboot: model.PoweredOn} {
		out, err := runPower(t.Context(), f, spec(string(op)))
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		if diff := cmp.Diff(PowerResult{VMID: "id-1", Op: op, PowerState: want}, out); diff != "" {
			t.Errorf("%s result (-want +got):\n%s", op, diff)
		}
	}
	if _, err := runPower(t.Context(), f, spec("hibernate")); !errors.Is(err, model.ErrInvalid) {
		t.Errorf("bad op in payload: %v, want ErrInvalid", err)
	}
	f.power = model.Errorf(model.ErrConflict, "cannot reboot: it is poweredOff")
	if _, err := runPower(t.Context(), f, spec("reboot")); !errors.Is(err, model.ErrConflict) {
		t.Errorf("driver error: %v, want it passed on", err)
	}
	if _, err := runPower(t.Context(), bareConn{}, spec("start")); !errors.Is(err, model.ErrUnsupported) {
		t.Errorf("no PowerController: %v, want ErrUnsupported", err)
	}
}

// Reading a succeeded clone task through the broker registers its clones' ids.
func TestCloneIDsRegisteredWhenTaskIsRead(t *testing.T) {
	b, q, refs, vmid := newTestBroker(t)
	task, err := b.SubmitClone(t.Context(), model.System, vmid, CloneRequest{Names: []string{"a", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := runClone(t.Context(), &fakeConn{clone: cloneScript(map[string]error{"b": model.Errorf(model.ErrConflict, "taken")})}, task.Spec)
	if err != nil {
		t.Fatal(err)
	}
	res := out.(CloneResult)
	res.Clones[0].VM.ID = VMUUID("other", "forged") // what a broken agent might write
	q.finish(t, task.ID, res, nil)
	newID := VMUUID(testProvider, "new-a")

	// A tenant that does not see the provider learns nothing and registers nothing.
	if _, err := b.Task(t.Context(), model.Caller{Name: "t", Providers: []string{"other"}}, task.ID); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("tenant read: %v", err)
	}
	if _, err := refs.ResolveVM(t.Context(), newID); err == nil {
		t.Fatal("clone registered by a read that was refused")
	}

	got, err := b.Task(t.Context(), model.System, task.ID)
	if err != nil {
		t.Fatalf("Task: %v", err)
	}
	ref, err := refs.ResolveVM(t.Context(), newID)
	if err != nil || ref != (VMRef{Provider: testProvider, NativeID: "new-a"}) {
		t.Fatalf("clone ref = %+v, %v", ref, err)
	}
	if _, err := refs.ResolveVM(t.Context(), VMUUID("other", "forged")); err == nil {
		t.Error("the worker's forged id was registered")
	}
	decoded, err := got.CloneResult()
	if err != nil {
		t.Fatal(err)
	}
	if decoded.Clones[0].VM.ID != newID || decoded.Clones[1].VM != nil || decoded.Clones[1].Error.Kind != "conflict" {
		t.Errorf("decoded result %+v", decoded)
	}
	// The new VM is addressable at once: a power task on it resolves.
	if _, err := b.SubmitPower(t.Context(), model.System, newID, model.PowerOn); err != nil {
		t.Errorf("power on the new clone: %v", err)
	}
	// Wait registers too, and again is harmless.
	if _, err := b.Wait(t.Context(), model.System, task.ID); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if refs.puts < 2 {
		t.Errorf("%d ref writes, want at least one per read (2)", refs.puts)
	}

	// When the id map cannot be written, the read fails rather than hand out an id that
	// does not resolve.
	refs.failPut = true
	if _, err := b.Task(t.Context(), model.System, task.ID); !errors.Is(err, model.ErrUnavailable) {
		t.Errorf("Task with the id map down: %v, want ErrUnavailable", err)
	}
	if _, err := b.Wait(t.Context(), model.System, task.ID); !errors.Is(err, model.ErrUnavailable) {
		t.Errorf("Wait with the id map down: %v, want ErrUnavailable", err)
	}

	// A failed clone task and other task types register nothing.
	failed, _ := b.SubmitClone(t.Context(), model.System, vmid, CloneRequest{Names: []string{"x"}})
	q.finish(t, failed.ID, nil, model.Errorf(model.ErrConflict, "taken"))
	power, _ := b.SubmitPower(t.Context(), model.System, vmid, model.PowerOff)
	q.finish(t, power.ID, PowerResult{VMID: vmid, Op: model.PowerOff, PowerState: model.PoweredOff}, nil)
	for _, id := range []string{failed.ID, power.ID} {
		if _, err := b.Task(t.Context(), model.System, id); err != nil {
			t.Errorf("Task(%s) with the id map down: %v, want no write attempted", id, err)
		}
	}
	if _, err := failed.CloneResult(); err == nil {
		t.Error("CloneResult of a pending task decoded")
	}
}
