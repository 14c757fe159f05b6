package vcsim

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/google/uuid"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// BulkSource is the VM WithBulkVMs copies.
const BulkSource = "DC0_H0_VM0"

// WithBulkVMs adds n powered-on copies of DC0_H0_VM0 named DC0_BULK_VM1 ... DC0_BULK_VMn, for
// inventories of thousands of VMs (10,000 take seconds; WithVMs clones through the API at about
// 40 ms a VM, because every simulator task is awaited by polling).
//
// The copies are written straight into the simulator's inventory before it starts serving, not
// created through the API: each is a deep copy of the source's managed object with its own
// moref, name, BIOS and instance uuid, .vmx path, disk file name and disk uuid, and NIC MAC
// (locally administered: 02, the NIC's index, then the copy's number in four bytes), linked into the source's folder, host, resource
// pool, datastores and networks, so listings, property collectors, container views, power
// operations, rename and destroy treat them as any other VM. What they lack: no files exist on
// the datastore for them (their .vmx, .nvram and disks are never written; the simulator logs
// their power operations into the source's vmware.log), and their file layout (layoutEx)
// still names the source's files. Morefs are assigned in order, DC0_BULK_VM1 first.
func WithBulkVMs(n int) Option { return func(c *config) { c.bulk = n } }

// addBulkVMs runs before the server starts, so nothing reads the registry concurrently.
func addBulkVMs(m *simulator.Model, n int) error {
	r := m.Map()
	var src *simulator.VirtualMachine
	for _, e := range r.All("VirtualMachine") {
		if vm, ok := e.(*simulator.VirtualMachine); ok && vm.Name == BulkSource {
			src = vm
			break
		}
	}
	if src == nil {
		return fmt.Errorf("vcsim: bulk VMs: no %s in the model", BulkSource)
	}
	if src.Parent == nil || src.Runtime.Host == nil || src.ResourcePool == nil || src.Config == nil {
		return fmt.Errorf("vcsim: bulk VMs: %s is not placed in a folder, host and pool", BulkSource)
	}
	ctx := &simulator.Context{Context: context.Background(), Map: r}
	folder, ok := r.Get(*src.Parent).(*simulator.Folder)
	if !ok {
		return fmt.Errorf("vcsim: bulk VMs: parent of %s is not a folder", BulkSource)
	}
	host, _ := r.Get(*src.Runtime.Host).(*simulator.HostSystem)
	pool, _ := r.Get(*src.ResourcePool).(*simulator.ResourcePool)
	if host == nil || pool == nil {
		return fmt.Errorf("vcsim: bulk VMs: host or pool of %s not found", BulkSource)
	}
	// Every model-created VM lives in "[ds] NAME/..."; copies swap the directory name.
	srcDir := BulkSource + "/"

	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("DC0_BULK_VM%d", i)
		vm := new(simulator.VirtualMachine)
		*vm = *src // the simulator's own bookkeeping (log file path, ...)
		vm.VirtualMachine = deepCopy(reflect.ValueOf(src.VirtualMachine)).Interface().(mo.VirtualMachine)
		vm.DataSets = map[string]*simulator.DataSet{}
		vm.Self = types.ManagedObjectReference{Type: "VirtualMachine"}
		r.NewEntity(vm)
		vm.Name = name
		vm.Summary.Vm = &vm.Self

		rename := func(p string) string { return strings.Replace(p, srcDir, name+"/", 1) }
		id := uuid.NewSHA1(uuid.NameSpaceURL, []byte("cloudbroker-vcsim-bulk/"+name))
		inst := uuid.NewSHA1(uuid.NameSpaceURL, []byte("cloudbroker-vcsim-bulk-instance/"+name))
		cfg := vm.Config
		cfg.Name, cfg.Uuid, cfg.InstanceUuid = name, id.String(), inst.String()
		f := &cfg.Files
		f.VmPathName = rename(strings.Replace(f.VmPathName, BulkSource+".vmx", name+".vmx", 1))
		f.LogDirectory, f.SnapshotDirectory, f.SuspendDirectory = rename(f.LogDirectory), rename(f.SnapshotDirectory), rename(f.SuspendDirectory)
		vm.Summary.Config.Name = name
		vm.Summary.Config.Uuid, vm.Summary.Config.InstanceUuid = cfg.Uuid, cfg.InstanceUuid
		vm.Summary.Config.VmPathName = cfg.Files.VmPathName

		macs := map[string]string{}
		for _, dev := range cfg.Hardware.Device {
			switch d := dev.(type) {
			case *types.VirtualDisk:
				if b, ok := d.Backing.(*types.VirtualDiskFlatVer2BackingInfo); ok {
					b.FileName = rename(b.FileName)
					b.Uuid = uuid.NewSHA1(id, []byte(b.FileName)).String()
				}
			case types.BaseVirtualEthernetCard:
				eth := d.GetVirtualEthernetCard()
				mac := bulkMAC(i, len(macs))
				macs[strings.ToLower(eth.MacAddress)] = mac
				eth.MacAddress, eth.AddressType = mac, string(types.VirtualEthernetCardMacTypeManual)
			}
		}
		if vm.Guest != nil {
			for j := range vm.Guest.Net {
				if mac, ok := macs[strings.ToLower(vm.Guest.Net[j].MacAddress)]; ok {
					vm.Guest.Net[j].MacAddress = mac
				}
			}
		}

		r.PutEntity(folder, vm)
		r.AppendReference(ctx, folder, &folder.ChildEntity, vm.Self)
		r.AppendReference(ctx, host, &host.Vm, vm.Self)
		r.AppendReference(ctx, pool, &pool.Vm, vm.Self)
		for _, ref := range vm.Datastore {
			if ds, ok := r.Get(ref).(*simulator.Datastore); ok {
				r.AppendReference(ctx, ds, &ds.Vm, vm.Self)
			}
		}
		for _, ref := range vm.Network {
			switch nw := r.Get(ref).(type) {
			case *mo.Network:
				r.AppendReference(ctx, nw, &nw.Vm, vm.Self)
			case *simulator.DistributedVirtualPortgroup:
				r.AppendReference(ctx, nw, &nw.Vm, vm.Self)
			}
		}
	}
	return nil
}

// bulkMAC is a locally administered unicast MAC unique per copy and NIC.
func bulkMAC(copyNo, nic int) string {
	return fmt.Sprintf("02:%02x:%02x:%02x:%02x:%02x", byte(nic), byte(copyNo>>24), byte(copyNo>>16), byte(copyNo>>8), byte(copyNo))
}

// deepCopy copies v and everything it points to. The simulator's own deep copy (Checkpoint)
// round-trips through XML, about 1 ms for a VM; this is a plain walk. Managed object state has
// no cycles. Structs are copied whole first, so unexported fields (time.Time's) come along;
// exported fields are then replaced by deep copies.
func deepCopy(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		n := reflect.New(v.Type().Elem())
		n.Elem().Set(deepCopy(v.Elem()))
		return n
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		n := reflect.New(v.Type()).Elem()
		n.Set(deepCopy(v.Elem()))
		return n
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		n := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			n.Index(i).Set(deepCopy(v.Index(i)))
		}
		return n
	case reflect.Array:
		n := reflect.New(v.Type()).Elem()
		for i := range v.Len() {
			n.Index(i).Set(deepCopy(v.Index(i)))
		}
		return n
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		n := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			n.SetMapIndex(it.Key(), deepCopy(it.Value()))
		}
		return n
	case reflect.Struct:
		n := reflect.New(v.Type()).Elem()
		n.Set(v)
		for i := range v.NumField() {
			if f := n.Field(i); f.CanSet() {
				f.Set(deepCopy(v.Field(i)))
			}
		}
		return n
	}
	return v
}
