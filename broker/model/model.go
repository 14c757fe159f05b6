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
	// HostID is the NativeID of the Host the VM runs on (or last ran on), as Hosts lists it.
	HostID    string    `json:"hostId,omitempty"`
	CreatedAt time.Time `json:"createdAt,omitzero"`
	NICs      []NIC     `json:"nics,omitempty"`
	Disks     []Disk    `json:"disks,omitempty"`
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
	MAC string   `json:"mac"`
	IPs []string `json:"ips,omitempty"`
	// Network is the Name of the model.Network the NIC is on.
	Network string `json:"network,omitempty"`
	Device  string `json:"device,omitempty"`
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
	// Storage is the Name of the model.Storage holding the disk's file (a datastore, a storage
	// pool); empty where the driver cannot tell.
	Storage string `json:"storage,omitempty"`
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
	// ManagementIP is the address the provider manages the host at (vCenter's management
	// address of the host, the libvirt URI's host); empty where the driver cannot tell.
	ManagementIP string `json:"managementIp,omitempty"`
	// Status is whether the provider reaches the host: "Connected", "Disconnected" or
	// "Connecting" (ZStack's words); State is whether it takes VMs ("Enabled", "Maintenance").
	Status string `json:"status,omitempty"`
	// Architecture is the host's CPU architecture (x86_64, aarch64) where the driver knows it.
	Architecture string `json:"architecture,omitempty"`
}

// Network is a network VMs attach to: a vCenter network or port group, a libvirt network.
// It has no broker id: a dialect derives its own from (Provider, Name), as it does for a NIC's.
type Network struct {
	Provider string `json:"provider"`
	NativeID string `json:"nativeId"`
	// Name is unique within the provider; model.NIC.Network names the network by it.
	Name string `json:"name"`
	// Type is the provider's kind of network: "Network", "DistributedVirtualPortgroup",
	// "OpaqueNetwork" on vCenter; the forward mode ("nat", "bridge", "isolated") on libvirt.
	Type string `json:"type,omitempty"`
	// CIDR, Gateway and the DHCP range are the network's IPv4 addressing where the provider
	// manages it (libvirt's <ip>); empty where it does not (a vCenter port group).
	CIDR      string `json:"cidr,omitempty"`
	Gateway   string `json:"gateway,omitempty"`
	RangeFrom string `json:"rangeFrom,omitempty"`
	RangeTo   string `json:"rangeTo,omitempty"`
	// Active is false for a network that exists but is down (libvirt) or not accessible.
	Active bool `json:"active"`
}

// Storage is where VM disks are kept: a vCenter datastore, a libvirt storage pool. Like
// Network, a dialect derives its id from (Provider, Name).
type Storage struct {
	Provider string `json:"provider"`
	NativeID string `json:"nativeId"`
	// Name is unique within the provider; model.Disk.Storage names the storage by it.
	Name string `json:"name"`
	// Type is the provider's kind: "VMFS", "NFS", "vsan" ... on vCenter; the pool type ("dir",
	// "logical", "netfs") on libvirt.
	Type string `json:"type,omitempty"`
	// URL locates it: the datastore's url, the pool's target path.
	URL           string `json:"url,omitempty"`
	CapacityBytes int64  `json:"capacityBytes"`
	FreeBytes     int64  `json:"freeBytes"`
	// Active is false for storage that exists but is not accessible (an inactive pool).
	Active bool `json:"active"`
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
