package drivers

import (
	"context"
	"time"

	"cloudbroker/broker/model"
)

// CreateSpec says how to make a new VM from an image.
type CreateSpec struct {
	Name        string
	Description string
	// Image is the native id of the image the root disk is made from (a vCenter template's
	// moref, a KVM image volume's path), as the driver's ImageCatalog lists it.
	Image string
	// CPUs and MemoryMB size the VM; both are required.
	CPUs     int32
	MemoryMB int64
	// Host is the native id of the host to place the VM on, as CapacityReporter lists it;
	// "" lets the driver choose (the image's host, the only host).
	Host string
	// Networks are the Names of the networks (as NetworkLister lists them) the VM gets one NIC
	// on each, in NIC order; the first is its default. Empty keeps the image's own NICs.
	Networks []string
	// PowerOn starts the VM once it exists.
	PowerOn bool
	// Mark is stored on the new VM by the call that defines it, as CloneSpec.Mark.
	Mark string
	// Progress, if set, receives percent-complete updates.
	Progress func(percent int)
}

// Creator makes a VM from an image and returns it. The VM records the image it was made
// from (model.VM.Image). A name already in use fails with model.ErrConflict; an unknown image,
// host or network with model.ErrNotFound, before anything is made.
type Creator interface {
	Create(ctx context.Context, spec CreateSpec) (model.VM, error)
}

// Destroyer powers a VM off and marks it destroyed on the provider itself (model.VM.DestroyedAt
// is then set by every listing), keeping it and its disks: ZStack's DestroyVmInstance. The mark
// lives on the provider so that every broker replica, and a broker whose Redis lost its data,
// sees it. Destroying a destroyed VM changes nothing.
type Destroyer interface {
	Destroy(ctx context.Context, nativeVMID string, at time.Time) error
}

// Recoverer clears a VM's destroyed mark, leaving it powered off (RecoverVmInstance). A VM
// that is not destroyed fails with model.ErrConflict.
type Recoverer interface {
	Recover(ctx context.Context, nativeVMID string) error
}

// Expunger deletes a destroyed VM and its disks (ExpungeVmInstance). A VM that is not
// destroyed fails with model.ErrConflict, so a live VM is never removed by one call.
type Expunger interface {
	Expunge(ctx context.Context, nativeVMID string) error
}
