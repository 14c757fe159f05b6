package broker

import (
	"context"
	"encoding/json"
	"fmt"
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
// broker's driver contract has no delete. Entries expire with the tasks' retention.

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

// CloneLeftover is a VM a failed clone made: it has the clone's name and the task's mark.
type CloneLeftover struct {
	FailedClone
	VMID     string `json:"vmId"`
	NativeID string `json:"nativeId"`
}

// FindCloneLeftovers is the clone-leftovers GC job: it looks up every logged failed clone name
// in the inventory and reports (notification CloneLeftover, once per VM) each VM that has it
// and is marked as made by the failed task.
// It deletes nothing. A provider whose inventory is not synced is skipped this run: its VMs
// may be out of date. It needs the inventory (inventory.enabled). The report is per provider
// (GCReport), so a tenant reading the job's result sees only its own providers' findings.
func (b *Broker) FindCloneLeftovers(ctx context.Context, log CloneFailureLog, notes model.Notifier) (GCReport, error) {
	if b.index == nil || b.inv == nil {
		return GCReport{Summary: "no inventory is kept (inventory.enabled is false): nothing to look in"}, nil
	}
	failed, err := log.FailedClones(ctx)
	if err != nil {
		return GCReport{}, err
	}
	statuses, err := b.servedStatuses(ctx)
	if err != nil {
		return GCReport{}, err
	}
	report := GCReport{CheckedWhat: "failed clone names checked", FoundWhat: "leftover VMs found"}
	var found []CloneLeftover
	for _, f := range failed {
		pr := report.Providers[f.Provider]
		pr.Checked++
		if statuses[f.Provider].State != SyncSynced {
			pr.Skipped = "inventory not synced"
			report.SetProvider(f.Provider, pr)
			continue
		}
		res, err := b.index.Query(inventory.Query{Providers: []string{f.Provider}, Conditions: []inventory.Condition{
			{Field: "name", Op: inventory.OpEq, Values: []string{f.Name}},
		}})
		if err != nil {
			return GCReport{}, err
		}
		for _, vm := range res.VMs {
			if vm.CloneMark == "" || vm.CloneMark != f.TaskID { // not made by the failed task
				continue
			}
			l := CloneLeftover{FailedClone: f, VMID: vm.ID, NativeID: vm.NativeID}
			found = append(found, l)
			pr.Found = append(pr.Found, fmt.Sprintf("%s (vm %s, task %s)", l.Name, l.VMID, l.TaskID))
		}
		report.SetProvider(f.Provider, pr)
	}
	for _, l := range found {
		Notify(ctx, notes, b.log, model.Notification{
			Name: model.NoticeCloneLeftover, Type: model.NoticeWarning, Sender: "broker",
			Content:      "vm[uuid:%s] named %s on provider[name:%s] was left by failed clone task[uuid:%s]; it was not deleted",
			Arguments:    []string{l.VMID, l.Name, l.Provider, l.TaskID},
			ResourceUUID: l.VMID, ResourceType: model.ResourceVM, Providers: []string{l.Provider},
		}, "clone-leftover:"+l.VMID)
	}
	return report, nil
}
