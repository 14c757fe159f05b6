package broker

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"cloudbroker/broker/inventory"
	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

// TypeVMCreate makes a VM from an image (ZStack's CreateVmInstance).
const TypeVMCreate = "vm:create"

// CreateRequest says what VM to make. Ids are broker uuids; the provider is the image's.
type CreateRequest struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Image is the broker uuid of a root volume template (ImageUUID).
	Image string `json:"image"`
	// CPUs and MemoryMB are required: the broker keeps no instance offerings.
	CPUs     int32 `json:"cpus"`
	MemoryMB int64 `json:"memoryMB"`
	// Host is the broker uuid of the host to place the VM on (HostUUID); "" lets the driver
	// choose. It must be a host of the image's provider.
	Host string `json:"host,omitempty"`
	// Providers, if set, are where the caller wants the VM (a dialect's zone or cluster): the
	// image's provider must be one of them.
	Providers []string `json:"providers,omitempty"`
	// Networks, if set, give the VM one NIC on each, in order (the first is its default);
	// every one must be a network of the image's provider. Empty keeps the image's own NICs.
	Networks []CreateNetwork `json:"networks,omitempty"`
	// PowerOn starts the VM once it exists.
	PowerOn bool `json:"powerOn,omitempty"`
}

// CreateNetwork is one network a new VM is put on: a model.Network's provider and Name, and
// how the caller named it (a dialect's id for it), which refusals quote.
type CreateNetwork struct {
	Provider string `json:"provider"`
	Name     string `json:"name"`
	As       string `json:"as,omitempty"`
}

// MaxNameLength bounds a new VM's name (vSphere's limit is 80 characters).
const MaxNameLength = 80

// validate reports the first problem with the request's own fields, in their words.
func (r CreateRequest) validate() error {
	switch {
	case strings.TrimSpace(r.Name) == "":
		return model.Errorf(model.ErrInvalid, "name is required: the new VM's name")
	case strings.TrimSpace(r.Name) != r.Name:
		return model.Errorf(model.ErrInvalid, "name %q has leading or trailing spaces", r.Name)
	case len(r.Name) > MaxNameLength:
		return model.Errorf(model.ErrInvalid, "name has %d characters: at most %d", len(r.Name), MaxNameLength)
	case r.Image == "":
		return model.Errorf(model.ErrInvalid, "image is required: the uuid of the image to make the VM from")
	case !IsUUID(r.Image):
		return model.Errorf(model.ErrInvalid, "image %q is not a uuid (32 lowercase hexadecimal characters)", r.Image)
	case r.CPUs <= 0:
		return model.Errorf(model.ErrInvalid, "cpus must be at least 1, got %d", r.CPUs)
	case r.MemoryMB <= 0:
		return model.Errorf(model.ErrInvalid, "memory must be at least 1 MiB, got %d MiB", r.MemoryMB)
	case r.Host != "" && !IsUUID(r.Host):
		return model.Errorf(model.ErrInvalid, "host %q is not a uuid (32 lowercase hexadecimal characters)", r.Host)
	}
	for i, n := range r.Networks {
		if n.Name == "" || n.Provider == "" {
			return model.Errorf(model.ErrInvalid, "network %d (%s) names no network: a provider and a network name are required", i+1, n.As)
		}
	}
	return nil
}

// createArgs are a TypeVMCreate task's Args: the request resolved to native ids.
type createArgs struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Image       string `json:"image"`
	CPUs        int32  `json:"cpus"`
	MemoryMB    int64  `json:"memoryMB"`
	Host        string `json:"host,omitempty"`
	// Networks are the networks' names on the provider, in NIC order.
	Networks []string `json:"networks,omitempty"`
	PowerOn  bool     `json:"powerOn,omitempty"`
}

// CreateResult is the Result of a TypeVMCreate task. VM.ID is the broker uuid (derived from
// the task's provider, not taken from the worker), set by Task.CreateResult.
type CreateResult struct {
	VM model.VM `json:"vm"`
	// StartError is set when the VM was made but could not be started.
	StartError *model.TaskError `json:"startError,omitempty"`
}

// CreateResult decodes the result of a succeeded create task.
func (t Task) CreateResult() (CreateResult, error) {
	if t.Spec.Type != TypeVMCreate || t.State != TaskSucceeded {
		return CreateResult{}, fmt.Errorf("task %s is a %s task in state %s, not a succeeded %s task", t.ID, t.Spec.Type, t.State, TypeVMCreate)
	}
	var res CreateResult
	if err := json.Unmarshal(t.Result, &res); err != nil {
		return CreateResult{}, fmt.Errorf("task %s: decoding create result: %w", t.ID, err)
	}
	res.VM.Provider = t.Spec.Provider
	res.VM.ID = VMUUID(t.Spec.Provider, res.VM.NativeID)
	return res, nil
}

// SubmitCreate starts making a VM from an image the caller sees and returns the pending task.
// Everything is checked before anything is queued: the request's fields, that the image (and
// host, if any) exists on a provider the caller sees, that the placement names that provider,
// that its driver can create VMs, and that every network asked for is one of that provider's.
func (b *Broker) SubmitCreate(ctx context.Context, c model.Caller, req CreateRequest, opts ...SubmitOption) (Task, error) {
	if err := req.validate(); err != nil {
		return Task{}, err
	}
	var img model.Image
	var mu sync.Mutex // the providers are asked at once; one holds the image
	provider, err := b.providerOf(c, "image", req.Image, func(p model.Provider) (bool, error) {
		imgs, err := b.listProviderImages(ctx, c, p)
		for _, i := range imgs {
			if ImageUUID(p.Name, i.NativeID) == req.Image {
				mu.Lock()
				defer mu.Unlock()
				img = i
				return true, nil
			}
		}
		return false, err
	})
	if err != nil {
		return Task{}, err
	}
	if img.MediaType == "ISO" {
		return Task{}, model.Errorf(model.ErrInvalid, "image %s is an ISO: a VM is made from a root volume template here (installing from an ISO needs a root disk offering, which this broker does not keep)", req.Image)
	}
	if len(req.Providers) > 0 && !slices.Contains(req.Providers, provider) {
		return Task{}, model.Errorf(model.ErrInvalid, "image %s is on provider %q, outside the placement asked for (%s)", req.Image, provider, strings.Join(req.Providers, ", "))
	}
	p, _ := b.providers.Get(provider)
	if !can[drivers.Creator](p) {
		return Task{}, drivers.Unsupported(provider, "create VMs")
	}
	args := createArgs{Name: req.Name, Description: req.Description, Image: img.NativeID, CPUs: req.CPUs, MemoryMB: req.MemoryMB, PowerOn: req.PowerOn}
	if req.Host != "" {
		hosts, err := b.listProviderHosts(ctx, c, p)
		if err != nil {
			return Task{}, fmt.Errorf("host %s: the hosts of provider %q could not be listed: %w", req.Host, provider, err)
		}
		for _, h := range hosts {
			if HostUUID(provider, h.NativeID) == req.Host {
				args.Host = h.NativeID
			}
		}
		if args.Host == "" {
			return Task{}, model.Errorf(model.ErrInvalid, "host %s is not a host of provider %q, where image %s is", req.Host, provider, req.Image)
		}
	}
	if args.Networks, err = b.createNetworks(ctx, c, p, req); err != nil {
		return Task{}, err
	}
	spec := TaskSpec{Type: TypeVMCreate, Provider: provider, ClientID: p.ClientID}
	if spec.Args, err = json.Marshal(args); err != nil {
		return Task{}, err
	}
	return b.submit(ctx, spec, opts...)
}

// runCreate makes the VM. Once it exists the task must not fail (a retry would make another):
// a start that failed is recorded in StartError.
func runCreate(ctx context.Context, c drivers.Conn, spec TaskSpec) (any, error) {
	cr, ok := c.(drivers.Creator)
	if !ok {
		return nil, drivers.Unsupported(spec.Provider, "create VMs")
	}
	var a createArgs
	if err := json.Unmarshal(spec.Args, &a); err != nil {
		return nil, model.Errorf(model.ErrInvalid, "create task arguments: %v", err)
	}
	progress := func(p int) { ReportProgress(ctx, p, fmt.Sprintf("creating %q", a.Name)) }
	vm, err := cr.Create(ctx, drivers.CreateSpec{
		Name: a.Name, Description: a.Description, Image: a.Image, CPUs: a.CPUs, MemoryMB: a.MemoryMB,
		Host: a.Host, Networks: a.Networks, PowerOn: a.PowerOn, Mark: RunningTask(ctx), Progress: progress,
	})
	if vm.NativeID == "" {
		if err == nil {
			err = fmt.Errorf("provider %q: create %q: the driver returned no VM and no error", spec.Provider, a.Name)
		}
		return nil, err
	}
	vm.Provider, vm.ID = spec.Provider, VMUUID(spec.Provider, vm.NativeID)
	return CreateResult{VM: vm, StartError: model.NewTaskError(err)}, nil
}

// registerCreated records the new VM's uuid (settle.go), as registerClones does for clones.
func (b *Broker) registerCreated(ctx context.Context, t Task) error {
	res, err := t.CreateResult()
	if err != nil || res.VM.NativeID == "" {
		return err
	}
	return b.refs.PutVMRefs(ctx, map[string]VMRef{res.VM.ID: {Provider: t.Spec.Provider, NativeID: res.VM.NativeID}})
}

// createChanges: the new VM enters the inventory.
func createChanges(_ context.Context, _ InventoryStore, spec TaskSpec, res any) []inventory.Change {
	r, ok := res.(CreateResult)
	if !ok {
		return nil
	}
	vm := r.VM
	vm.Provider, vm.ID = spec.Provider, VMUUID(spec.Provider, vm.NativeID)
	return []inventory.Change{{Op: inventory.Upsert, ID: vm.ID, VM: &vm}}
}
