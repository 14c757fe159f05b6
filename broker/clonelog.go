package broker

import (
	"context"
	"encoding/json"
	"time"

	"cloudbroker/broker/inventory"
	"cloudbroker/broker/model"
)

// Clone leftovers. A clone that the broker reports as failed or canceled can still leave a VM
// behind: vCenter's CloneVM_Task goes on after the worker stops waiting for it (a task
// timeout, a cancellation, a worker that died), and a KVM clone whose worker died between
// copying a disk and its rollback leaves a volume (and a define that raced a failure leaves a
// domain). Drivers clean up what they can within the call (KVM deletes the volumes it copied
// when a later step fails); what happens after the call is nobody's. So the worker logs the
// name of every clone that ended without a VM, with its task, and the clone-leftovers GC job
// looks for VMs with such a name on that provider whose clone mark names that task: the driver
// marks every VM a clone creates with the task's id, in the call that creates it
// (drivers.CloneSpec.Mark), so a VM reported is one the failed task provably made, never one
// that had the name before (a clone to an existing name fails and leaves nothing). Each found
// is reported (a CloneLeftover notification and the job's result), never deleted: the
// broker's driver contract has no delete. Entries expire with the tasks' retention. The
// executor writes the log (here); the clone-leftovers job reads it (broker/gc/clones.go).

// FailedClone is a clone name that ended without a VM.
type FailedClone struct {
	Provider string    `json:"provider"`
	Name     string    `json:"name"`
	TaskID   string    `json:"taskId"`
	At       time.Time `json:"at"`
}

// CloneFailureLog remembers failed clone names; the queue package keeps it in Redis.
type CloneFailureLog interface {
	// LogFailedClones records failures, one entry per provider, name and task (a later failure
	// under the same name keeps an earlier task's entry), and forgets the entries of clones
	// that the same task did make (made).
	LogFailedClones(ctx context.Context, failed []FailedClone, made []FailedClone) error
	// FailedClones lists the unexpired entries.
	FailedClones(ctx context.Context) ([]FailedClone, error)
}

// WithCloneLog makes the executor log failed clone names into l and returns it.
func (e *Executor) WithCloneLog(l CloneFailureLog) *Executor {
	e.clones = l
	return e
}

// logFailedClones logs what a finished clone task did not make: every name when the task
// failed or was canceled, the names without a VM when it succeeded in part.
func (e *Executor) logFailedClones(ctx context.Context, id string, spec TaskSpec, res json.RawMessage, err error) {
	if e.clones == nil {
		return
	}
	var req CloneRequest
	if json.Unmarshal(spec.Args, &req) != nil {
		return
	}
	now := time.Now()
	var failed, made []FailedClone
	if err != nil {
		for _, n := range req.Names {
			failed = append(failed, FailedClone{Provider: spec.Provider, Name: n, TaskID: id, At: now})
		}
	} else {
		var cr CloneResult
		if json.Unmarshal(res, &cr) != nil {
			return
		}
		for _, c := range cr.Clones {
			fc := FailedClone{Provider: spec.Provider, Name: c.Name, TaskID: id, At: now}
			if c.VM == nil {
				failed = append(failed, fc)
			} else {
				made = append(made, fc)
			}
		}
	}
	if len(failed)+len(made) == 0 {
		return
	}
	if lerr := e.clones.LogFailedClones(context.WithoutCancel(ctx), failed, made); lerr != nil {
		e.log.Warn("could not log failed clone names; the clone-leftovers GC job will not look for them", "task", id, "err", lerr)
	}
}

// InventoryStatuses are the sync statuses this replica serves its inventory by, per provider;
// ok is false when the broker keeps no inventory (inventory.enabled is false).
func (b *Broker) InventoryStatuses(ctx context.Context) (st map[string]SyncStatus, ok bool, err error) {
	if b.index == nil || b.inv == nil {
		return nil, false, nil
	}
	st, err = b.servedStatuses(ctx)
	return st, true, err
}

// IndexedVMsNamed returns the VMs of a provider with a name, as this replica's inventory holds
// them (none without an inventory).
func (b *Broker) IndexedVMsNamed(provider, name string) ([]model.VM, error) {
	if b.index == nil {
		return nil, nil
	}
	res, err := b.index.Query(inventory.Query{Providers: []string{provider}, Conditions: []inventory.Condition{
		{Field: "name", Op: inventory.OpEq, Values: []string{name}},
	}})
	return res.VMs, err
}
