package broker

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

// TypeVMClone clones one VM into one or more new VMs (ZStack's cloneVmInstance).
const TypeVMClone = "vm:clone"

// MaxCloneNames bounds the names of one clone request: every clone runs in one task attempt.
const MaxCloneNames = 100

// CloneRequest says what to make of a VM: one clone per name.
type CloneRequest struct {
	// Names of the new VMs, cloned in this order. Required; each non-blank and unique.
	Names []string `json:"names"`
	// Full also clones data disks (drivers.CloneSpec.Full).
	Full bool `json:"full,omitempty"`
	// PowerOn starts each clone once it exists.
	PowerOn bool `json:"powerOn,omitempty"`
}

// validate reports the first problem with the request, in the words of its fields.
func (r CloneRequest) validate() error {
	if len(r.Names) == 0 {
		return model.Errorf(model.ErrInvalid, "names is required: give at least one name for the new VM")
	}
	if len(r.Names) > MaxCloneNames {
		return model.Errorf(model.ErrInvalid, "names has %d entries: at most %d clones per request", len(r.Names), MaxCloneNames)
	}
	seen := make(map[string]int, len(r.Names))
	for i, n := range r.Names {
		switch {
		case strings.TrimSpace(n) == "":
			return model.Errorf(model.ErrInvalid, "names[%d] is empty: every clone needs a name", i)
		case strings.TrimSpace(n) != n:
			return model.Errorf(model.ErrInvalid, "names[%d] %q has leading or trailing spaces", i, n)
		}
		if j, dup := seen[n]; dup {
			return model.Errorf(model.ErrInvalid, "names[%d] %q repeats names[%d]: each clone needs its own name", i, n, j)
		}
		seen[n] = i
	}
	return nil
}

// CloneResult is the Result of a TypeVMClone task: what became of each requested name, in
// request order. The task succeeds when at least one clone exists; per-name failures are in
// Clones. When none could be made the task fails instead (see runClone).
type CloneResult struct {
	SourceVMID string     `json:"sourceVmid"`
	Clones     []ClonedVM `json:"clones"`
}

// ClonedVM is the outcome for one name. VM is set when the clone exists: its ID is the broker
// uuid, addressable as soon as the task is read through the broker (Task, Wait). Error is set
// when anything failed; both are set when the clone was made but could not be started.
type ClonedVM struct {
	Name  string           `json:"name"`
	VM    *model.VM        `json:"vm,omitempty"`
	Error *model.TaskError `json:"error,omitempty"`
}

// Created counts the clones that exist.
func (r CloneResult) Created() int {
	n := 0
	for _, c := range r.Clones {
		if c.VM != nil {
			n++
		}
	}
	return n
}

// CloneResult decodes the result of a succeeded clone task. Each clone's ID and Provider are
// derived from the task's own spec (written by the broker), not taken from what the worker
// wrote, so an agent cannot hand out ids of another provider's VMs.
func (t Task) CloneResult() (CloneResult, error) {
	if t.Spec.Type != TypeVMClone || t.State != TaskSucceeded {
		return CloneResult{}, fmt.Errorf("task %s is a %s task in state %s, not a succeeded %s task", t.ID, t.Spec.Type, t.State, TypeVMClone)
	}
	var res CloneResult
	if err := json.Unmarshal(t.Result, &res); err != nil {
		return CloneResult{}, fmt.Errorf("task %s: decoding clone result: %w", t.ID, err)
	}
	for _, c := range res.Clones {
		if c.VM != nil {
			c.VM.Provider = t.Spec.Provider
			c.VM.ID = VMUUID(t.Spec.Provider, c.VM.NativeID)
		}
	}
	return res, nil
}

// SubmitClone starts cloning a VM once per name and returns the pending task. The request is
// validated before anything is queued; a provider whose driver cannot clone fails the task with
// an error wrapping model.ErrUnsupported. opts may choose the task's id (WithID).
func (b *Broker) SubmitClone(ctx context.Context, c model.Caller, vmid string, req CloneRequest, opts ...SubmitOption) (Task, error) {
	if err := req.validate(); err != nil {
		return Task{}, err
	}
	if err := b.refuseDestroyed(ctx, c, vmid, "clone"); err != nil {
		return Task{}, err
	}
	return b.submitOnVM(ctx, c, TypeVMClone, vmid, "", req, opts...)
}

// registerClones records the uuid of every clone a succeeded clone task made. The broker runs
// it whenever it reads such a task (see settle), so whoever learns a clone's id from the
// result can use it at once, on any replica; writing the same refs again is harmless.
func (b *Broker) registerClones(ctx context.Context, t Task) error {
	res, err := t.CloneResult()
	if err != nil {
		return err
	}
	refs := map[string]VMRef{}
	for _, c := range res.Clones {
		if c.VM != nil && c.VM.NativeID != "" {
			refs[c.VM.ID] = VMRef{Provider: t.Spec.Provider, NativeID: c.VM.NativeID}
		}
	}
	if len(refs) == 0 {
		return nil
	}
	return b.refs.PutVMRefs(ctx, refs)
}

// runClone clones the source once per name, one after the other. Once a clone exists the task
// must not be retried (a retry would clone again), so after the first success every failure is
// recorded against its name and the task succeeds. When no clone was made, the task fails: with
// the one name's error, or an error listing every name's; it is retried if a failure was
// transient, which is safe because nothing was created.
func runClone(ctx context.Context, c drivers.Conn, spec TaskSpec) (any, error) {
	cl, ok := c.(drivers.Cloner)
	if !ok {
		return nil, drivers.Unsupported(spec.Provider, "clone VMs")
	}
	var req CloneRequest
	if err := json.Unmarshal(spec.Args, &req); err != nil {
		return nil, model.Errorf(model.ErrInvalid, "clone task arguments: %v", err)
	}
	if err := req.validate(); err != nil {
		return nil, err
	}
	res := CloneResult{SourceVMID: spec.VMID, Clones: make([]ClonedVM, 0, len(req.Names))}
	errs := make([]error, 0, len(req.Names))
	for i, name := range req.Names {
		out := ClonedVM{Name: name}
		// One clone of n is 100/n of the task: the driver's percent scales into its share.
		share := func(p int) {
			ReportSteps(ctx, (100*i+p)/len(req.Names), fmt.Sprintf("cloning %q (%d of %d)", name, i+1, len(req.Names)), i+1, len(req.Names))
		}
		share(0)
		var err error
		if cerr := ctx.Err(); cerr != nil {
			err = model.Errorf(model.ErrTimeout, "clone %q not attempted: the task ran out of time (%v)", name, cerr)
		} else {
			var vm model.VM
			vm, err = cl.Clone(ctx, spec.NativeID, drivers.CloneSpec{Name: name, Full: req.Full, PowerOn: req.PowerOn, Progress: share, Mark: RunningTask(ctx)})
			switch {
			case vm.NativeID != "": // made, maybe with an error (it did not start)
				vm.Provider, vm.ID = spec.Provider, VMUUID(spec.Provider, vm.NativeID)
				out.VM = &vm
			case err == nil:
				err = fmt.Errorf("provider %q: clone %q: the driver returned no VM and no error", spec.Provider, name)
			}
		}
		out.Error = model.NewTaskError(err)
		res.Clones = append(res.Clones, out)
		errs = append(errs, err)
	}
	if res.Created() == 0 {
		return nil, noClone(spec, req.Names, errs)
	}
	return res, nil
}

type runningTaskKey struct{}

// WithRunningTask returns ctx for running task id. The worker sets it so that what a task
// creates can carry the task's id: a clone is marked with it (drivers.CloneSpec.Mark), which is
// how the clone-leftovers job tells a failed task's VM from one that was there before.
func WithRunningTask(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, runningTaskKey{}, id)
}

// RunningTask is the id of the task ctx runs, "" outside a worker.
func RunningTask(ctx context.Context) string {
	id, _ := ctx.Value(runningTaskKey{}).(string)
	return id
}

// noClone is the error of a clone task that made nothing: the single name's error as it is, or
// for several names one error naming each failure. It wraps the first transient failure if any
// (so the task is retried), else the first failure (so each dialect maps its kind).
func noClone(spec TaskSpec, names []string, errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	var primary error
	parts := make([]string, len(errs))
	for i, err := range errs {
		parts[i] = fmt.Sprintf("%q: %v", names[i], err)
		if primary == nil && Retryable(err) {
			primary = err
		}
	}
	if primary == nil {
		primary = errs[0]
	}
	return &cloneError{msg: fmt.Sprintf("no clone of vm %s was made: %s", spec.VMID, strings.Join(parts, "; ")), cause: primary}
}

// cloneError carries a message naming every failure and unwraps to one chosen cause only, so
// errors.Is and model.KindOf give one deterministic answer.
type cloneError struct {
	msg   string
	cause error
}

func (e *cloneError) Error() string { return e.msg }
func (e *cloneError) Unwrap() error { return e.cause }
