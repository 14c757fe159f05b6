package broker

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"cloudbroker/broker/model"
)

// The events a worker (the broker's own or an agent's) notices: its providers' inventory
// watches failing and recovering, and its tasks failing for good.

// Notify records note through n, logging (not returning) a failure: losing a notification
// must never fail the work that noticed the event. A nil n records nothing.
func Notify(ctx context.Context, n model.Notifier, log *slog.Logger, note model.Notification, once string) {
	if n == nil {
		return
	}
	if err := n.Notify(context.WithoutCancel(ctx), note, once); err != nil {
		log.Warn("could not record a notification", "name", note.Name, "text", note.Text(), "err", err)
	}
}

// WithNotifier makes the executor record events into n and returns it; sender names this
// process in them ("broker", "agent:<clientid>").
func (e *Executor) WithNotifier(n model.Notifier, sender string) *Executor {
	e.notes, e.sender = n, sender
	return e
}

// watchDown records that a provider's watch failed. Only the change from a working inventory
// to a failed one is an event (wasDown: it had failed before and not synced since): the
// retries of a watch that keeps failing add nothing. A
// failure to reach the provider (transient kinds, see Retryable) is a disconnection; any other
// failure (refused credentials, an inventory write failing) is a failed sync.
func (e *Executor) watchDown(ctx context.Context, provider string, wasDown bool, now SyncStatus, err error) {
	if wasDown {
		return
	}
	n := model.Notification{
		Sender: e.sender, ResourceUUID: provider, ResourceType: model.ResourceProvider, Providers: []string{provider},
		Arguments: []string{provider, err.Error()},
	}
	once := "provider-down:" + provider + ":" + strconv.Itoa(now.FullLoads)
	if Retryable(err) {
		n.Name, n.Type, n.Content = model.NoticeProviderDisconnected, model.NoticeWarning, "provider[name:%s] is disconnected: %s"
	} else {
		n.Name, n.Type, n.Content = model.NoticeSyncFailed, model.NoticeError, "inventory sync of provider[name:%s] failed: %s"
	}
	Notify(ctx, e.notes, e.log, n, once)
}

// watchUp records that a provider whose last watch had failed is synced again.
func (e *Executor) watchUp(ctx context.Context, st SyncStatus) {
	Notify(ctx, e.notes, e.log, model.Notification{
		Name: model.NoticeProviderReconnected, Type: model.NoticeInfo, Sender: e.sender,
		Content:      "provider[name:%s] is reconnected: inventory synced again (%s VMs)",
		Arguments:    []string{st.Provider, strconv.Itoa(st.VMs)},
		ResourceUUID: st.Provider, ResourceType: model.ResourceProvider, Providers: []string{st.Provider},
	}, "provider-up:"+st.Provider+":"+strconv.Itoa(st.FullLoads))
}

// watchConnFailed marks a provider's inventory failed when its watch cannot even connect: the
// watch itself never ran, so nothing else would say the provider is unreachable.
func (e *Executor) watchConnFailed(ctx context.Context, spec TaskSpec, err error) {
	if e.inv == nil || ctx.Err() != nil {
		return
	}
	wctx := context.WithoutCancel(ctx)
	statuses, serr := e.inv.Statuses(wctx)
	if serr != nil {
		return
	}
	prev := statuses[spec.Provider]
	now := prev
	now.Provider, now.State, now.LastError, now.LastErrorAt = spec.Provider, SyncError, err.Error(), time.Now()
	if serr := e.inv.SetStatus(wctx, now); serr != nil {
		e.log.Warn("could not record sync failure", "provider", spec.Provider, "err", serr)
		return
	}
	e.watchDown(wctx, spec.Provider, prev.State == SyncError, now, err)
}

// TaskFinished is told each task's final outcome by the worker, once the outcome is recorded
// (queue.Worker calls it; err is nil on success). A failed task is a TaskFailed notification,
// except a canceled one (someone asked for it), an inventory watch (its failure is already
// a disconnection or a failed sync) and the broker's own background listings (their failure
// is kept as the provider's list, which listings report; a provider that stays down would
// otherwise add one per kind every refresh period). Clone names that ended without a VM go to the clone log
// (clonelog.go). The notification is keyed by the task id, so a worker that records the same
// outcome twice (its first write was lost) notifies once.
func (e *Executor) TaskFinished(ctx context.Context, id string, spec TaskSpec, res json.RawMessage, err error) {
	canceled := errors.Is(err, model.ErrCanceled) // a TaskError of kind "canceled" unwraps to it
	if spec.Type == TypeVMClone {
		e.logFailedClones(ctx, id, spec, res, err)
	}
	if err == nil || canceled || spec.Type == TypeInventoryWatch || spec.Background {
		return
	}
	n := model.Notification{
		Name: model.NoticeTaskFailed, Type: model.NoticeError, Sender: e.sender,
		Content:      "task[uuid:%s] %s on provider[name:%s] failed: %s",
		Arguments:    []string{id, Describe(spec.Type), spec.Provider, err.Error()},
		ResourceUUID: id, ResourceType: model.ResourceTask,
	}
	if spec.Provider != "" {
		n.Providers = []string{spec.Provider}
	}
	if spec.VMID != "" { // the task's VM is what a portal can show the failure on
		n.ResourceUUID, n.ResourceType = spec.VMID, model.ResourceVM
		n.Content = "task[uuid:%s] %s on provider[name:%s] failed: %s (vm %s)"
		n.Arguments = append(n.Arguments, spec.VMID)
	}
	Notify(ctx, e.notes, e.log, n, "task-failed:"+id)
}
