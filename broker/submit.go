package broker

import (
	"context"
	"encoding/json"

	"cloudbroker/broker/model"
)

// submit is the point every task passes on its way to the queue: it checks that the task's
// agent, if any, is online, then enqueues it (under a caller-chosen id, if opts choose one:
// taskid.go).
func (b *Broker) submit(ctx context.Context, spec TaskSpec, opts ...SubmitOption) (Task, error) {
	if err := b.checkAgent(ctx, spec.ClientID); err != nil {
		return Task{}, err
	}
	return b.tasks.Submit(ctx, spec, opts...)
}

// submitOnVM submits a task of taskType on the VM vmid names, as caller c: the VM must be one c
// sees, clientid (if any) must be its provider's agent, and args (if not nil) become the task's
// arguments. Validate the request before calling it: nothing may be queued for a bad one.
func (b *Broker) submitOnVM(ctx context.Context, c model.Caller, taskType, vmid, clientid string, args any, opts ...SubmitOption) (Task, error) {
	ref, err := b.resolveVM(ctx, c, vmid)
	if err != nil {
		return Task{}, err
	}
	owner, err := b.checkClientID(ref.Provider, clientid)
	if err != nil {
		return Task{}, err
	}
	spec := TaskSpec{Type: taskType, Provider: ref.Provider, ClientID: owner, VMID: vmid, NativeID: ref.NativeID}
	if args != nil {
		if spec.Args, err = json.Marshal(args); err != nil {
			return Task{}, err
		}
	}
	return b.submit(ctx, spec, opts...)
}
