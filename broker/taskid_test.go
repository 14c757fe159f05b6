package broker

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"cloudbroker/broker/inventory"
	"cloudbroker/broker/model"
)

// WithID names the task it is given to; WithID("") leaves the id to the queue.
func TestWithID(t *testing.T) {
	b, q, _, vmid := newTestBroker(t)
	const id = "d825b1a26f4e474b8c59306081920ff2"

	task, err := b.SubmitPower(tctx(t), model.System, vmid, model.PowerOff, WithID(id))
	if err != nil || task.ID != id {
		t.Fatalf("power under a chosen id: %+v, %v", task, err)
	}
	task, err = b.SubmitPower(tctx(t), model.System, vmid, model.PowerOn, WithID(""))
	if err != nil || task.ID == id || len(q.tasks) != 2 {
		t.Errorf("WithID(\"\") did not take a fresh id: %+v, %v", task, err)
	}
}

// listQueue finishes every VM listing at once with the provider's VMs, or its error.
type listQueue struct {
	*memQueue
	vms  map[string][]model.VM
	errs map[string]error
}

func (q *listQueue) Wait(c context.Context, id string) (Task, error) {
	task, err := q.memQueue.Get(c, id)
	if err != nil || task.Spec.Type != TypeVMList || task.State.Done() {
		return task, err
	}
	if e := q.errs[task.Spec.Provider]; e != nil {
		task.State, task.Err = TaskFailed, model.NewTaskError(e)
	} else {
		task.State = TaskSucceeded
		task.Result, _ = json.Marshal(VMListResult{VMs: q.vms[task.Spec.Provider]})
	}
	q.mu.Lock()
	q.tasks[id] = task
	q.mu.Unlock()
	return task, nil
}

type statusStore struct{ loaded []string }

func (s statusStore) Apply(context.Context, string, []inventory.Change) error { return nil }
func (s statusStore) VM(context.Context, string) (model.VM, bool, error) {
	return model.VM{}, false, nil
}
func (s statusStore) VMIDs(context.Context, string) ([]string, error) { return nil, nil }
func (s statusStore) SetStatus(context.Context, SyncStatus) error     { return nil }
func (s statusStore) Statuses(context.Context) (map[string]SyncStatus, error) {
	out := map[string]SyncStatus{}
	for _, p := range s.loaded {
		out[p] = SyncStatus{Provider: p, State: SyncSynced, LastSync: time.Unix(1700000000, 0)}
	}
	return out, nil
}

// QueryVMs searches indexed providers in memory and lists the others live, merging both into
// one sorted page; a provider that cannot be listed is reported and empties nothing.
func TestQueryVMsMergesIndexedAndLive(t *testing.T) {
	ix := inventory.NewIndex()
	ix.Reset([]model.VM{
		{ID: VMUUID("idx", "1"), Provider: "idx", NativeID: "1", Name: "b-indexed", CPUs: 4},
		{ID: VMUUID("idx", "2"), Provider: "idx", NativeID: "2", Name: "d-indexed", CPUs: 1},
	})
	q := &listQueue{memQueue: &memQueue{},
		vms:  map[string][]model.VM{"live": {{NativeID: "3", Name: "a-live", CPUs: 8}, {NativeID: "4", Name: "c-live", CPUs: 1}}},
		errs: map[string]error{"dead": model.Errorf(model.ErrUnavailable, "connection refused")},
	}
	refs := &memRefs{refs: map[string]VMRef{}}
	b := New(Options{Tasks: q, Refs: refs, Index: ix, Inventory: statusStore{loaded: []string{"idx"}},
		Providers: NewProviders([]model.Provider{{Name: "idx"}, {Name: "live"}, {Name: "dead"}})})

	res, err := b.QueryVMs(tctx(t), model.System, inventory.Query{
		Conditions: []inventory.Condition{{Field: "cpus", Op: inventory.OpGe, Values: []string{"2"}}},
		Sort:       []inventory.SortKey{{Field: "name"}}, Limit: 10,
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, vm := range res.VMs {
		names = append(names, vm.Name)
	}
	if res.Total != 2 || len(names) != 2 || names[0] != "a-live" || names[1] != "b-indexed" {
		t.Errorf("merged page %v (total %d), want [a-live b-indexed]", names, res.Total)
	}
	if len(res.Failed) != 1 || res.Failed[0].Provider != "dead" {
		t.Errorf("failed %+v, want dead", res.Failed)
	}
	if _, ok := refs.refs[VMUUID("live", "3")]; !ok {
		t.Errorf("live VMs' ids not recorded: %v", refs.refs)
	}
	// A caller scoped to the indexed provider never reaches the others.
	scoped, err := b.QueryVMs(tctx(t), model.Caller{Name: "t", Providers: []string{"idx"}}, inventory.Query{})
	if err != nil || scoped.Total != 2 || len(scoped.Failed) != 0 {
		t.Errorf("scoped: %+v, %v", scoped, err)
	}
	// A malformed condition is refused before any listing.
	before := len(q.tasks)
	if _, err := b.QueryVMs(tctx(t), model.System, inventory.Query{Conditions: []inventory.Condition{{Field: "x", Op: "=~"}}}); !errors.Is(err, model.ErrInvalid) {
		t.Errorf("bad operator: %v", err)
	}
	if len(q.tasks) != before {
		t.Errorf("a malformed query submitted %d listings", len(q.tasks)-before)
	}
	if vm, err := b.VM(tctx(t), model.System, VMUUID("live", "4")); err != nil || vm.Name != "c-live" {
		t.Errorf("VM(c-live) = %+v, %v", vm, err)
	}
	if _, err := b.VM(tctx(t), model.Caller{Name: "t", Providers: []string{"idx"}}, VMUUID("live", "4")); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("VM of an unseen provider: %v", err)
	}
}

func tctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}
