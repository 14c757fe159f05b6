package vcenter

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

var _ drivers.VMLister = (*Conn)(nil)

// vmPaths is everything model.VM needs, fetched in the same request for every VM.
var vmPaths = []string{
	"name",
	"runtime.powerState",
	"runtime.host",
	"config.hardware.numCPU",
	"config.hardware.memoryMB",
	"config.hardware.device",
	"config.guestFullName",
	"config.guestId",
	"config.template",
	"config.createDate",
	"config.annotation",
	"config.extraConfig", // the clone mark (clonemark.go), image and destroyed marks (lifecyclemark.go)
	"config.modified",
	"guest.net",
}

// ListVMs implements drivers.VMLister: one PropertyCollector request for all VMs (templates
// included) below the configured datacenter or the root folder.
func (c *Conn) ListVMs(ctx context.Context) ([]model.VM, error) {
	vms, err := c.listVMs(ctx)
	if err != nil {
		return nil, wrapErr(err, "list vms")
	}
	return vms, nil
}

func (c *Conn) listVMs(ctx context.Context) ([]model.VM, error) {
	raw, nets, err := c.fetchVMs(ctx, c.allVMs())
	if err != nil {
		return nil, err
	}
	out := make([]model.VM, 0, len(raw))
	for i := range raw {
		out = append(out, c.toVM(&raw[i], nets))
	}
	slices.SortFunc(out, func(a, b model.VM) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.NativeID, b.NativeID))
	})
	return out, nil
}

// allVMs starts a retrieval at the configured root and walks down to every VM.
func (c *Conn) allVMs() types.ObjectSpec {
	return types.ObjectSpec{Obj: c.root, Skip: types.NewBool(true), SelectSet: vmSelectSet()}
}

// vm reads one VM as ListVMs would (used to return a clone fully populated).
func (c *Conn) vm(ctx context.Context, ref types.ManagedObjectReference) (model.VM, error) {
	raw, nets, err := c.fetchVMs(ctx, types.ObjectSpec{
		Obj:       ref,
		SelectSet: []types.BaseSelectionSpec{traverse(tsVMNets, "VirtualMachine", "network")},
	})
	if err != nil {
		return model.VM{}, err
	}
	if len(raw) != 1 {
		return model.VM{}, model.Errorf(model.ErrNotFound, "vm %q", ref.Value)
	}
	return c.toVM(&raw[0], nets), nil
}

// fetchVMs runs one retrieval from start and decodes the VMs it returns. Networks reached
// from the VMs come back in the same response; nets maps distributed port group keys (and
// network moref values) to names.
func (c *Conn) fetchVMs(ctx context.Context, start types.ObjectSpec) (vms []mo.VirtualMachine, nets map[string]string, err error) {
	objs, err := c.retrieve(ctx, types.PropertyFilterSpec{
		ObjectSet: []types.ObjectSpec{start},
		PropSet:   vmPropSet(),
	})
	if err != nil {
		return nil, nil, err
	}
	nets = map[string]string{}
	for _, o := range objs {
		if o.Obj.Type != "VirtualMachine" {
			name, key := networkName(o.PropSet)
			nets[o.Obj.Value] = name
			if key != "" {
				nets[key] = name
			}
			continue
		}
		var vm mo.VirtualMachine
		if err := load(o, &vm); err != nil {
			return nil, nil, err
		}
		vms = append(vms, vm)
	}
	return vms, nets, nil
}

// vmPropSet is what a VM listing (and the VM watch) asks for: the VM properties, and the names
// of the networks its NICs use (port group keys too, which distributed NIC backings name).
func vmPropSet() []types.PropertySpec {
	return []types.PropertySpec{
		{Type: "VirtualMachine", PathSet: vmPaths},
		{Type: "Network", PathSet: []string{"name"}},
		{Type: "DistributedVirtualPortgroup", PathSet: []string{"name", "key"}},
	}
}

// networkName reads a Network's (or port group's) name and port group key.
func networkName(props []types.DynamicProperty) (name, key string) {
	for _, p := range props {
		s, _ := p.Val.(string)
		switch p.Name {
		case "name":
			name = s
		case "key":
			key = s
		}
	}
	return name, key
}

func (c *Conn) toVM(v *mo.VirtualMachine, nets map[string]string) model.VM {
	vm := model.VM{
		Provider:   c.provider,
		NativeID:   v.Self.Value,
		Name:       v.Name,
		PowerState: powerState(v.Runtime.PowerState),
	}
	if v.Runtime.Host != nil {
		vm.HostID = v.Runtime.Host.Value
	}
	if cfg := v.Config; cfg != nil {
		vm.CPUs = cfg.Hardware.NumCPU
		vm.MemoryMB = int64(cfg.Hardware.MemoryMB)
		vm.GuestOS = cmp.Or(cfg.GuestFullName, cfg.GuestId)
		vm.Template = cfg.Template
		if cfg.CreateDate != nil && !cfg.CreateDate.IsZero() {
			vm.CreatedAt = cfg.CreateDate.UTC()
		}
		vm.CloneMark = cloneMarkOf(cfg)
		vm.Description = cfg.Annotation
		vm.Image = extraOf(cfg, imageKey)
		vm.DestroyedAt = destroyedAt(cfg)
		if !cfg.Modified.IsZero() {
			vm.ModifiedAt = cfg.Modified.UTC()
		}
		vm.Disks = disksOf(cfg.Hardware.Device)
		vm.NICs = nicsOf(cfg.Hardware.Device, nets, v.Guest)
	}
	return vm
}

func powerState(s types.VirtualMachinePowerState) model.PowerState {
	switch s {
	case types.VirtualMachinePowerStatePoweredOn:
		return model.PoweredOn
	case types.VirtualMachinePowerStatePoweredOff:
		return model.PoweredOff
	case types.VirtualMachinePowerStateSuspended:
		return model.Suspended
	}
	return model.PowerUnknown
}

// nicsOf lists the VM's virtual NICs from its hardware (always present) and adds the IPs
// VMware Tools reports in guest.net, matched by MAC.
func nicsOf(devices []types.BaseVirtualDevice, nets map[string]string, guest *types.GuestInfo) []model.NIC {
	byMAC := map[string]types.GuestNicInfo{}
	if guest != nil {
		for _, n := range guest.Net {
			byMAC[strings.ToLower(n.MacAddress)] = n
		}
	}
	var out []model.NIC
	for _, dev := range devices {
		card, ok := dev.(types.BaseVirtualEthernetCard)
		if !ok {
			continue
		}
		eth := card.GetVirtualEthernetCard()
		nic := model.NIC{MAC: eth.MacAddress, Device: deviceLabel(dev)}
		switch b := eth.Backing.(type) {
		case *types.VirtualEthernetCardNetworkBackingInfo:
			nic.Network = b.DeviceName
		case *types.VirtualEthernetCardDistributedVirtualPortBackingInfo:
			nic.Network = nets[b.Port.PortgroupKey]
		}
		if g, ok := byMAC[strings.ToLower(eth.MacAddress)]; ok {
			if len(g.IpAddress) > 0 {
				nic.IPs = g.IpAddress
			}
			nic.Network = cmp.Or(nic.Network, g.Network)
		}
		out = append(out, nic)
	}
	return out
}
