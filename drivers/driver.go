// Package drivers is the contract between the broker and the clouds it reaches.
//
// As with database/sql/driver, a driver implements a tiny required interface (Driver, Conn) and
// any number of optional one-method capability interfaces, which the broker discovers by type
// assertion. A capability a driver lacks surfaces as model.ErrUnsupported. A driver guards each
// capability beside its implementation (var _ drivers.DiskLister = (*Conn)(nil)), so a signature
// that drifts fails the build instead of silently dropping the capability.
package drivers

import (
	"context"
	"time"

	"cloudbroker/broker/model"
)

// Driver opens connections to one kind of cloud.
type Driver interface {
	Open(ctx context.Context, cfg Config) (Conn, error)
}

// Config is what a provider's configuration hands its driver. Secrets live here only, in the
// process that runs the driver; they never go into task payloads.
type Config struct {
	// Name is the provider's name in the broker's configuration.
	Name string
	// URL locates the endpoint: https://host/sdk for vCenter, qemu:///system for KVM.
	URL      string
	Username string
	Password string
	// Insecure skips TLS verification (self-signed vCenter certificates).
	Insecure bool
	// Timeout bounds each call to the endpoint. Zero means the driver's default.
	Timeout time.Duration
	// Options holds driver-specific settings (datacenter, images pool, ...).
	Options map[string]string
	// Concurrency is how many calls the broker makes on this connection at once (the
	// provider's concurrency cap, broker.ProviderSpec.MaxConcurrent). HTTP drivers keep that
	// many idle connections to the endpoint (IdleConnsPerHost), so a loaded connection never
	// closes one only to dial and handshake it again. Zero: DefaultConcurrency.
	Concurrency int
}

// DefaultConcurrency is Config.Concurrency when it is zero; it matches the broker's default
// per-provider cap.
const DefaultConcurrency = 4

// IdleConnsPerHost is how many idle HTTP connections a driver keeps to its endpoint: one per
// call the broker may make at once, plus one for the driver's own calls beside them (a
// session keepalive, a Ping).
func (c Config) IdleConnsPerHost() int {
	n := c.Concurrency
	if n <= 0 {
		n = DefaultConcurrency
	}
	return n + 1
}

// Conn is an open connection to one provider. Implementations must be safe for concurrent use.
type Conn interface {
	// Ping checks that the endpoint answers; it wraps model.ErrUnavailable when it does not.
	Ping(ctx context.Context) error
	Close() error
}

// VMLister lists a provider's VMs (templates included, marked Template).
type VMLister interface {
	ListVMs(ctx context.Context) ([]model.VM, error)
}

// DiskLister reads the virtual disks of one VM by its native id.
type DiskLister interface {
	ListDisks(ctx context.Context, nativeVMID string) ([]model.Disk, error)
}

// DefaultGuestTimeout bounds how long Shutdown and Reboot wait for the guest before forcing,
// unless the provider's configuration says otherwise.
const DefaultGuestTimeout = 60 * time.Second

// PowerController changes a VM's power state and waits until the change is done.
type PowerController interface {
	SetPower(ctx context.Context, nativeVMID string, op model.PowerOp) error
}

// PowerOutcome says how a power change was done, for the task's answer.
type PowerOutcome struct {
	// How is what happened, for people: "shut down by the guest", "forced off after 60s:
	// the guest did not shut down", "reset: VMware Tools not running" ...
	How string `json:"how"`
	// Forced is set when the guest was to be asked but the change was forced instead.
	Forced bool `json:"forced,omitempty"`
}

// PowerReporter is a PowerController that also says how the change was done (by the guest or
// forced). The broker prefers it; SetPower is Power without the outcome.
type PowerReporter interface {
	PowerController
	Power(ctx context.Context, nativeVMID string, op model.PowerOp) (PowerOutcome, error)
}

// CloneSpec says how to clone a VM.
type CloneSpec struct {
	Name string
	// Full also clones data disks; otherwise only the root disk is copied where the driver can.
	Full bool
	// PowerOn starts the clone once it exists.
	PowerOn bool
	// Progress, if set, receives percent-complete updates while the clone runs.
	Progress func(percent int)
	// Mark, if set, is stored on the new VM by the same provider call that creates it (not
	// after), and read back into model.VM.CloneMark by every listing: the broker passes the
	// task id, so a VM found later under a failed clone's name is known to be that task's
	// leftover and not a VM that was there before. A VM cloned from a marked one gets Mark,
	// never its source's mark.
	Mark string
}

// Cloner clones a VM and returns the new one.
type Cloner interface {
	Clone(ctx context.Context, nativeVMID string, spec CloneSpec) (model.VM, error)
}

// ISOLister lists the ISO images a VM could mount.
type ISOLister interface {
	ListISOs(ctx context.Context, nativeVMID string) ([]model.Image, error)
}

// ImageCatalog lists a provider's images (templates, image volumes, catalog entries).
type ImageCatalog interface {
	ListImages(ctx context.Context) ([]model.Image, error)
}

// CapacityReporter lists hosts with their capacity.
type CapacityReporter interface {
	ListHosts(ctx context.Context) ([]model.Host, error)
}

// NetworkLister lists the networks a provider's VMs attach to.
type NetworkLister interface {
	ListNetworks(ctx context.Context) ([]model.Network, error)
}

// StorageLister lists where a provider keeps VM disks (datastores, storage pools).
type StorageLister interface {
	ListStorage(ctx context.Context) ([]model.Storage, error)
}
