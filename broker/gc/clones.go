package gc

import (
	"context"
	"fmt"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
)

// Core is what the clean-up jobs need from the broker (*broker.Broker): its inventory.
type Core interface {
	// InventoryStatuses are the providers' sync statuses; ok is false without an inventory.
	InventoryStatuses(ctx context.Context) (st map[string]broker.SyncStatus, ok bool, err error)
	IndexedVMsNamed(provider, name string) ([]model.VM, error)
}

// CloneLog reads the names of clones that ended without a VM (broker.CloneFailureLog).
type CloneLog interface {
	FailedClones(ctx context.Context) ([]broker.FailedClone, error)
}

// CloneLeftover is a VM a failed clone made: it has the clone's name and the task's mark.
type CloneLeftover struct {
	broker.FailedClone
	VMID     string `json:"vmId"`
	NativeID string `json:"nativeId"`
}

// FindCloneLeftovers is the clone-leftovers job (why: broker/clonelog.go): it looks up every
// logged failed clone name in the inventory and reports (notification CloneLeftover, once per
// VM) each VM that has it and is marked as made by the failed task.
// It deletes nothing. A provider whose inventory is not synced is skipped this run: its VMs
// may be out of date. It needs the inventory (inventory.enabled). The report is per provider
// (Report), so a tenant reading the job's result sees only its own providers' findings.
func (s *Service) FindCloneLeftovers(ctx context.Context) (Report, error) {
	statuses, ok, err := s.core.InventoryStatuses(ctx)
	if !ok && err == nil {
		return Report{Summary: "no inventory is kept (inventory.enabled is false): nothing to look in"}, nil
	}
	if err != nil {
		return Report{}, err
	}
	failed, err := s.clones.FailedClones(ctx)
	if err != nil {
		return Report{}, err
	}
	report := Report{CheckedWhat: "failed clone names checked", FoundWhat: "leftover VMs found"}
	var found []CloneLeftover
	for _, f := range failed {
		pr := report.Providers[f.Provider]
		pr.Checked++
		if statuses[f.Provider].State != broker.SyncSynced {
			pr.Skipped = "inventory not synced"
			report.SetProvider(f.Provider, pr)
			continue
		}
		vms, err := s.core.IndexedVMsNamed(f.Provider, f.Name)
		if err != nil {
			return Report{}, err
		}
		for _, vm := range vms {
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
		broker.Notify(ctx, s.notes, s.log, model.Notification{
			Name: model.NoticeCloneLeftover, Type: model.NoticeWarning, Sender: "broker",
			Content:      "vm[uuid:%s] named %s on provider[name:%s] was left by failed clone task[uuid:%s]; it was not deleted",
			Arguments:    []string{l.VMID, l.Name, l.Provider, l.TaskID},
			ResourceUUID: l.VMID, ResourceType: model.ResourceVM, Providers: []string{l.Provider},
		}, "clone-leftover:"+l.VMID)
	}
	return report, nil
}
