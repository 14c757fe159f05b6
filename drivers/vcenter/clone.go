package vcenter

import (
	"context"
	"sync/atomic"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/progress"
	"github.com/vmware/govmomi/vim25/types"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

var _ drivers.Cloner = (*Conn)(nil)

// Clone implements drivers.Cloner with CloneVM_Task into the source's folder, resource pool and
// first datastore. vSphere always copies every disk here (a linked clone needs a snapshot), so
// spec.Full changes nothing. spec.Progress is called from one goroutine, in order, and never
// after Clone returns.
func (c *Conn) Clone(ctx context.Context, nativeVMID string, spec drivers.CloneSpec) (model.VM, error) {
	if spec.Name == "" {
		return model.VM{}, model.Errorf(model.ErrInvalid, "vcenter: clone of vm %q needs a name", nativeVMID)
	}
	vm, err := c.clone(ctx, nativeVMID, spec)
	if err != nil {
		return model.VM{}, wrapErr(err, "clone vm %q as %q", nativeVMID, spec.Name)
	}
	return vm, nil
}

func (c *Conn) clone(ctx context.Context, id string, spec drivers.CloneSpec) (model.VM, error) {
	src, err := c.vmProps(ctx, id, "parent", "resourcePool", "datastore", "runtime.host")
	if err != nil {
		return model.VM{}, err
	}
	if src.Parent == nil || src.Parent.Type != "Folder" {
		return model.VM{}, model.Errorf(model.ErrUnsupported, "vm %q is not in a folder (vApp member)", id)
	}
	pool := src.ResourcePool
	if pool == nil { // templates have no pool: use the root pool of their host's cluster
		if pool, err = c.hostPool(ctx, src.Runtime.Host); err != nil {
			return model.VM{}, err
		}
	}
	loc := types.VirtualMachineRelocateSpec{Pool: pool}
	if len(src.Datastore) > 0 {
		loc.Datastore = &src.Datastore[0]
	}
	ref, err := c.cloneTask(ctx, id, *src.Parent, spec.Name,
		types.VirtualMachineCloneSpec{Location: loc, PowerOn: spec.PowerOn, Config: cloneMarkSpec(spec.Mark)}, spec.Progress)
	if err != nil {
		return model.VM{}, err
	}
	return c.vm(ctx, ref)
}

// cloneTask runs CloneVM_Task of VM id into folder as name and returns the new VM's reference.
func (c *Conn) cloneTask(ctx context.Context, id string, folder types.ManagedObjectReference, name string, spec types.VirtualMachineCloneSpec, progress func(int)) (types.ManagedObjectReference, error) {
	task, err := object.NewVirtualMachine(c.client, vmRef(id)).Clone(ctx, object.NewFolder(c.client, folder), name, spec)
	if err != nil {
		return types.ManagedObjectReference{}, err
	}
	info, err := waitWithProgress(ctx, task, progress)
	if err != nil {
		return types.ManagedObjectReference{}, err
	}
	ref, ok := info.Result.(types.ManagedObjectReference)
	if !ok {
		return ref, model.Errorf(model.ErrNotFound, "clone task returned no vm")
	}
	return ref, nil
}

// hostPool finds the root resource pool of the compute resource that owns host.
func (c *Conn) hostPool(ctx context.Context, host *types.ManagedObjectReference) (*types.ManagedObjectReference, error) {
	if host == nil {
		return nil, model.Errorf(model.ErrConflict, "template has no host to place the clone on")
	}
	objs, err := c.retrieve(ctx, types.PropertyFilterSpec{
		ObjectSet: []types.ObjectSpec{{
			Obj:       *host,
			Skip:      types.NewBool(true),
			SelectSet: []types.BaseSelectionSpec{traverse("hostParent", "HostSystem", "parent")},
		}},
		PropSet: []types.PropertySpec{
			{Type: "ComputeResource", PathSet: []string{"resourcePool"}},
			{Type: "ClusterComputeResource", PathSet: []string{"resourcePool"}},
		},
	})
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		var cr mo.ComputeResource
		if err := load(o, &cr); err == nil && cr.ResourcePool != nil {
			return cr.ResourcePool, nil
		}
	}
	return nil, model.Errorf(model.ErrNotFound, "no resource pool for host %q", host.Value)
}

// waitWithProgress waits for task, forwarding its percent-complete to fn (if set).
func waitWithProgress(ctx context.Context, task *object.Task, fn func(int)) (*types.TaskInfo, error) {
	if fn == nil {
		return task.WaitForResult(ctx)
	}
	s := &sink{ch: make(chan progress.Report, 16), done: make(chan struct{})}
	go s.forward(fn)
	info, err := task.WaitForResult(ctx, s)
	if !s.used.Load() {
		close(s.ch) // WaitForResult failed before taking the channel, so it will not close it
	}
	<-s.done
	if err == nil && s.last != 100 {
		fn(100)
	}
	return info, err
}

// sink adapts a progress callback to govmomi's progress.Sinker.
type sink struct {
	ch   chan progress.Report
	done chan struct{}
	used atomic.Bool
	last int // written by forward only; read after done is closed
}

func (s *sink) Sink() chan<- progress.Report {
	s.used.Store(true)
	return s.ch
}

func (s *sink) forward(fn func(int)) {
	defer close(s.done)
	s.last = -1
	for r := range s.ch {
		if r.Error() != nil {
			continue
		}
		if p := int(r.Percentage()); p > s.last { // vCenter reports 0 again on success
			s.last = p
			fn(p)
		}
	}
}
