// Package model holds the normalized resources every driver returns and every dialect renders.
// It is a leaf package so that drivers and the broker can both import it without a cycle.
package model

import "time"

// PowerState is a VM's power state in vSphere's vocabulary, which the dialects translate.
type PowerState string

const (
	PoweredOn    PowerState = "poweredOn"
	PoweredOff   PowerState = "poweredOff"
	Suspended    PowerState = "suspended"
	PowerUnknown PowerState = "unknown"
)

// VM is one virtual machine of one provider.
type VM struct {
	// ID is the broker's uuid (32 hex); drivers leave it empty, the broker fills it.
	ID       string `json:"id,omitempty"`
	Provider string `json:"provider"`
	// NativeID is the provider's own identifier (a vCenter MoRef value, a libvirt domain uuid).
	NativeID   string     `json:"nativeId"`
	Name       string     `json:"name"`
	PowerState PowerState `json:"powerState"`
	CPUs       int32      `json:"cpus,omitempty"`
	MemoryMB   int64      `json:"memoryMB,omitempty"`
	GuestOS    string     `json:"guestOS,omitempty"`
	Template   bool       `json:"template,omitempty"`
	HostID     string     `json:"hostId,omitempty"`
	NICs       []NIC      `json:"nics,omitempty"`
	Disks      []Disk     `json:"disks,omitempty"`
	CreatedAt  time.Time  `json:"createdAt,omitzero"`
	// CloneMark is the mark the broker set on the VM when a clone created it
	// (drivers.CloneSpec.Mark: the clone task's id); empty for any VM the broker did not clone.
	CloneMark string `json:"cloneMark,omitempty"`
	// Description is the provider's note on the VM (vCenter's annotation, libvirt's
	// <description>); a clone keeps its source's.
	Description string `json:"description,omitempty"`
	// Image is the native id of the image the broker created the VM from (drivers.Creator),
	// kept on the provider; empty for any other VM.
	Image string `json:"image,omitempty"`
	// DestroyedAt is when the VM was destroyed (drivers.Destroyer), kept on the provider; zero
	// for a VM that is not. A destroyed VM stays until it is expunged or recovered.
	DestroyedAt time.Time `json:"destroyedAt,omitzero"`
	// ModifiedAt is when the provider last changed the VM's configuration, where it records
	// that (vCenter's config.modified); zero where it does not (libvirt).
	ModifiedAt time.Time `json:"modifiedAt,omitzero"`
}

// NIC is a VM's network interface.
type NIC struct {
	MAC     string   `json:"mac"`
	IPs     []string `json:"ips,omitempty"`
	Network string   `json:"network,omitempty"`
	Device  string   `json:"device,omitempty"`
}

// Disk is one virtual disk attached to a VM.
type Disk struct {
	// Key is the device key (vSphere) or the disk's index among the VM's disks (libvirt).
	Key           int32  `json:"key"`
	Label         string `json:"label"`
	CapacityBytes int64  `json:"capacityBytes"`
	// ControllerKey and BusNumber identify the controller; UnitNumber is the slot on it.
	ControllerKey  int32  `json:"controllerKey"`
	ControllerType string `json:"controllerType,omitempty"`
	BusNumber      int32  `json:"busNumber"`
	UnitNumber     int32  `json:"unitNumber"`
	// FileName is the backing file: "[datastore] dir/file.vmdk" on vSphere, a path or volume on KVM.
	FileName string `json:"fileName"`
	UUID     string `json:"uuid,omitempty"`
	Format   string `json:"format,omitempty"`
	// Target is the guest device name where the hypervisor has one (libvirt "vda").
	Target string `json:"target,omitempty"`
}

// Image is a bootable image, template or ISO a provider offers.
type Image struct {
	ID          string    `json:"id,omitempty"`
	Provider    string    `json:"provider"`
	NativeID    string    `json:"nativeId"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	MediaType   string    `json:"mediaType,omitempty"` // RootVolumeTemplate, ISO, DataVolumeTemplate
	Format      string    `json:"format,omitempty"`    // qcow2, raw, iso, vmdk
	Platform    string    `json:"platform,omitempty"`  // Linux, Windows, Other
	OSFamily    string    `json:"osFamily,omitempty"`
	OSVersion   string    `json:"osVersion,omitempty"`
	OSArch      string    `json:"osArch,omitempty"`
	SizeBytes   int64     `json:"sizeBytes,omitempty"`
	ActualBytes int64     `json:"actualBytes,omitempty"`
	URL         string    `json:"url,omitempty"`
	Status      string    `json:"status,omitempty"`
	CreatedAt   time.Time `json:"createdAt,omitzero"`
	UpdatedAt   time.Time `json:"updatedAt,omitzero"`
}

// Host is a hypervisor host and its capacity.
type Host struct {
	ID              string `json:"id,omitempty"`
	Provider        string `json:"provider"`
	NativeID        string `json:"nativeId"`
	Name            string `json:"name"`
	State           string `json:"state,omitempty"`
	CPUs            int32  `json:"cpus"`
	CPUMHz          int32  `json:"cpuMHz,omitempty"`
	MemoryBytes     int64  `json:"memoryBytes"`
	FreeMemoryBytes int64  `json:"freeMemoryBytes,omitempty"`
}

// Provider describes one configured cloud endpoint.
type Provider struct {
	Name     string   `json:"name"`
	Driver   string   `json:"driver"`
	ClientID string   `json:"clientid,omitempty"`
	Region   string   `json:"region,omitempty"`
	Zones    []string `json:"zones,omitempty"`
}

// Tag is a system or user tag on a normalized resource.
type Tag struct {
	UUID         string    `json:"uuid"`
	ResourceUUID string    `json:"resourceUuid"`
	ResourceType string    `json:"resourceType"`
	Tag          string    `json:"tag"`
	System       bool      `json:"system"`
	CreatedAt    time.Time `json:"createdAt"`
}
