package zstack

import (
	"net"
	"strings"
	"time"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

// vmInventory is ZStack's VmInstanceInventory (the clone API's documented answer). A field
// the broker has no value for is left out, as ZStack's JSON leaves out nulls; the three lists
// are always present. Of the fields the broker may lack: imageUuid is set for VMs it created
// (the image is recorded on the provider); lastOpDate where the provider records when the
// VM's configuration last changed (vCenter; libvirt does not); instanceOfferingUuid and
// allocatorStrategy never, as the broker keeps no instance offerings and places nothing by
// an allocator (the provider does).
type vmInventory struct {
	UUID                 string    `json:"uuid"`
	Name                 string    `json:"name"`
	Description          string    `json:"description,omitempty"`
	ZoneUUID             string    `json:"zoneUuid,omitempty"`
	ClusterUUID          string    `json:"clusterUuid,omitempty"`
	ImageUUID            string    `json:"imageUuid,omitempty"`
	HostUUID             string    `json:"hostUuid,omitempty"`
	LastHostUUID         string    `json:"lastHostUuid,omitempty"`
	InstanceOfferingUUID string    `json:"instanceOfferingUuid,omitempty"`
	RootVolumeUUID       string    `json:"rootVolumeUuid,omitempty"`
	Platform             string    `json:"platform,omitempty"`
	Architecture         string    `json:"architecture,omitempty"`
	DefaultL3NetworkUUID string    `json:"defaultL3NetworkUuid,omitempty"`
	Type                 string    `json:"type"`
	HypervisorType       string    `json:"hypervisorType,omitempty"`
	MemorySize           int64     `json:"memorySize"`
	CPUNum               int32     `json:"cpuNum"`
	CPUSpeed             int64     `json:"cpuSpeed,omitempty"`
	AllocatorStrategy    string    `json:"allocatorStrategy,omitempty"`
	CreateDate           string    `json:"createDate,omitempty"`
	LastOpDate           string    `json:"lastOpDate,omitempty"`
	State                string    `json:"state"`
	GuestOsType          string    `json:"guestOsType,omitempty"`
	VMNics               []vmNic   `json:"vmNics"`
	AllVolumes           []volume  `json:"allVolumes"`
	VMCdRoms             []vmCdRom `json:"vmCdRoms"`
}

type vmNic struct {
	UUID           string   `json:"uuid"`
	VMInstanceUUID string   `json:"vmInstanceUuid"`
	L3NetworkUUID  string   `json:"l3NetworkUuid,omitempty"`
	IP             string   `json:"ip,omitempty"`
	Mac            string   `json:"mac"`
	HypervisorType string   `json:"hypervisorType,omitempty"`
	IPVersion      int      `json:"ipVersion,omitempty"`
	InternalName   string   `json:"internalName,omitempty"`
	DeviceID       int      `json:"deviceId"`
	Type           string   `json:"type"`
	State          string   `json:"state"`
	UsedIPs        []usedIP `json:"usedIps"`
}

type usedIP struct {
	UUID          string `json:"uuid"`
	L3NetworkUUID string `json:"l3NetworkUuid,omitempty"`
	IPVersion     int    `json:"ipVersion"`
	IP            string `json:"ip"`
	VMNicUUID     string `json:"vmNicUuid"`
}

type volume struct {
	UUID               string `json:"uuid"`
	Name               string `json:"name"`
	PrimaryStorageUUID string `json:"primaryStorageUuid,omitempty"`
	VMInstanceUUID     string `json:"vmInstanceUuid"`
	InstallPath        string `json:"installPath"`
	Type               string `json:"type"`
	Format             string `json:"format,omitempty"`
	Size               int64  `json:"size"`
	RootImageUUID      string `json:"rootImageUuid,omitempty"`
	DeviceID           int    `json:"deviceId"`
	State              string `json:"state"`
	Status             string `json:"status"`
	IsShareable        bool   `json:"isShareable"`
}

type vmCdRom struct {
	UUID           string `json:"uuid"`
	VMInstanceUUID string `json:"vmInstanceUuid"`
	DeviceID       int    `json:"deviceId"`
	ISOUUID        string `json:"isoUuid,omitempty"`
	ISOInstallPath string `json:"isoInstallPath,omitempty"`
	Name           string `json:"name,omitempty"`
}

// ZStack's VM states for the broker's power states. "" (a driver that could not tell) is
// Unknown too.
var vmStates = map[model.PowerState]string{
	model.PoweredOn:    "Running",
	model.PoweredOff:   "Stopped",
	model.Suspended:    "Paused",
	model.PowerUnknown: "Unknown",
	"":                 "Unknown",
}

// stateOf is the VM's ZStack state: Destroyed (kept on the provider) before its power state.
func stateOf(vm *model.VM) string {
	if !vm.DestroyedAt.IsZero() {
		return "Destroyed"
	}
	if s, ok := vmStates[vm.PowerState]; ok {
		return s
	}
	return "Unknown"
}

// imageUUIDOf is the uuid of the image the broker created the VM from; "" for any other VM.
func imageUUIDOf(vm *model.VM) string {
	if vm.Image == "" {
		return ""
	}
	return broker.ImageUUID(vm.Provider, vm.Image)
}

// hypervisorOf is the provider's hypervisorType: its driver's hypervisor ("ESX" for vCenter
// VMs), else the driver's name.
func hypervisorOf(p model.Provider) string {
	if h := drivers.AttrsOf(p.Driver).Hypervisor; h != "" {
		return h
	}
	return strings.ToUpper(p.Driver)
}

// nameUUID derives a stable 32-hex id for something the broker has no uuid of its own for
// (zones, clusters, hosts, NICs, volumes), in a namespace per kind.
func nameUUID(kind string, parts ...string) string {
	return derivedUUIDs.derive(kind, parts)
}

// A provider is a ZStack cluster; its region (else the provider itself) is the zone.
func zoneUUIDOf(p model.Provider) string {
	if p.Region != "" {
		return nameUUID("zone", p.Region)
	}
	return nameUUID("zone", "provider", p.Name)
}

func clusterUUIDOf(p model.Provider) string { return nameUUID("cluster", p.Name) }

// sessionInventory is ZStack's SessionInventory.
type sessionInventory struct {
	UUID        string `json:"uuid"`
	AccountUUID string `json:"accountUuid"`
	UserUUID    string `json:"userUuid"`
	ExpiredDate string `json:"expiredDate"`
	CreateDate  string `json:"createDate"`
}

// renderer turns broker resources into ZStack inventories.
type renderer struct {
	providers *broker.Providers
	loc       *time.Location
}

// zstackTime is the manual's date format: "Nov 14, 2017 2:20:57 PM".
const zstackTime = "Jan 2, 2006 3:04:05 PM"

func (r renderer) date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(r.loc).Format(zstackTime)
}

func (r renderer) vm(vm model.VM) vmInventory {
	p := r.provider(vm.Provider)
	hv := hypervisorOf(p)
	inv := vmInventory{
		UUID: vm.ID, Name: vm.Name, ZoneUUID: zoneUUIDOf(p), ClusterUUID: clusterUUIDOf(p),
		Platform: platformOf(vm.GuestOS), Type: "UserVm", HypervisorType: hv,
		MemorySize: vm.MemoryMB << 20, CPUNum: vm.CPUs, CreateDate: r.date(vm.CreatedAt),
		State: stateOf(&vm), GuestOsType: vm.GuestOS, Description: vm.Description,
		LastOpDate: r.date(vm.ModifiedAt), ImageUUID: imageUUIDOf(&vm),
		VMNics: []vmNic{}, AllVolumes: []volume{}, VMCdRoms: []vmCdRom{},
	}
	if vm.HostID != "" {
		inv.HostUUID = broker.HostUUID(vm.Provider, vm.HostID)
		inv.LastHostUUID = inv.HostUUID
	}
	for i, n := range vm.NICs {
		nic := vmNic{
			UUID: nameUUID("nic", vm.ID, n.MAC, n.Device), VMInstanceUUID: vm.ID, Mac: n.MAC,
			HypervisorType: hv, InternalName: n.Device, DeviceID: i, Type: "VNIC", State: "enable", UsedIPs: []usedIP{},
		}
		nic.L3NetworkUUID = l3UUIDOf(vm.Provider, n.Network)
		for _, ip := range n.IPs {
			u := usedIP{UUID: nameUUID("ip", nic.UUID, ip), L3NetworkUUID: nic.L3NetworkUUID, IPVersion: ipVersion(ip), IP: ip, VMNicUUID: nic.UUID}
			nic.UsedIPs = append(nic.UsedIPs, u)
		}
		if len(n.IPs) > 0 {
			nic.IP, nic.IPVersion = n.IPs[0], ipVersion(n.IPs[0])
		}
		if i == 0 {
			inv.DefaultL3NetworkUUID = nic.L3NetworkUUID
		}
		inv.VMNics = append(inv.VMNics, nic)
	}
	inv.AllVolumes = r.volumes(&vm)
	if len(inv.AllVolumes) > 0 {
		inv.RootVolumeUUID = inv.AllVolumes[0].UUID
	}
	return inv
}

// volumes are the VM's disks as ZStack's VolumeInventory: the first boots the VM (Root), the
// others are Data; a Root volume of a VM the broker created from an image names the image.
func (r renderer) volumes(vm *model.VM) []volume {
	out := make([]volume, 0, len(vm.Disks))
	for i, d := range vm.Disks {
		v := volume{
			UUID: volumeUUID(*vm, d), Name: d.Label, VMInstanceUUID: vm.ID, InstallPath: d.FileName,
			Type: "Data", Format: d.Format, Size: d.CapacityBytes, DeviceID: i, State: "Enabled", Status: "Ready",
			PrimaryStorageUUID: primaryStorageUUIDOf(vm.Provider, d),
		}
		if i == 0 { // the first disk boots the VM
			v.Type, v.RootImageUUID = "Root", imageUUIDOf(vm)
		}
		out = append(out, v)
	}
	return out
}

// l3UUIDOf is the uuid of a provider's network as an L3 network; "" for no network.
func l3UUIDOf(provider, network string) string {
	if network == "" {
		return ""
	}
	return nameUUID("l3", provider, network)
}

// storageOf names the storage holding a disk: the driver's Disk.Storage, else the datastore of
// a vSphere path ("[LocalDS_0] dir/disk.vmdk"); "" where neither tells.
func storageOf(d model.Disk) string {
	if d.Storage != "" {
		return d.Storage
	}
	return datastoreOf(d.FileName)
}

// primaryStorageUUIDOf is the uuid of the primary storage holding a disk ("" when unknown),
// the uuid QueryPrimaryStorage gives that storage.
func primaryStorageUUIDOf(provider string, d model.Disk) string {
	return storageUUID(provider, storageOf(d))
}

func storageUUID(provider, storage string) string {
	if storage == "" {
		return ""
	}
	return nameUUID("primary-storage", provider, storage)
}

// volumeUUID is derived from the disk's own uuid where it has one (vSphere's), else from its
// VM and file. The disk's uuid is qualified by the provider: two vCenters may hold disks of one
// uuid (a VM copied between them, identical simulators), and GET /volumes/{uuid} must name one.
func volumeUUID(vm model.VM, d model.Disk) string {
	if u := strings.ToLower(strings.ReplaceAll(d.UUID, "-", "")); broker.IsUUID(u) {
		return nameUUID("volume", vm.Provider, u)
	}
	return nameUUID("volume", vm.ID, d.FileName, d.Label)
}

// datastoreOf reads "LocalDS_0" out of "[LocalDS_0] dir/disk.vmdk"; KVM paths have none.
func datastoreOf(file string) string {
	if strings.HasPrefix(file, "[") {
		if i := strings.Index(file, "]"); i > 0 {
			return file[1:i]
		}
	}
	return ""
}

func ipVersion(ip string) int {
	if a := net.ParseIP(ip); a != nil && a.To4() == nil {
		return 6
	}
	return 4
}

// platformOf guesses ZStack's platform (Linux, Windows, Other) from the guest OS name.
func platformOf(guestOS string) string {
	g := strings.ToLower(guestOS)
	switch {
	case g == "":
		return ""
	case strings.Contains(g, "win"):
		return "Windows"
	}
	for _, l := range []string{"linux", "centos", "ubuntu", "rhel", "red hat", "debian", "suse", "sles", "fedora", "alma", "rocky", "coreos", "photon"} {
		if strings.Contains(g, l) {
			return "Linux"
		}
	}
	return "Other"
}
