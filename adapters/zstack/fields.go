package zstack

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"cloudbroker/broker"
	"cloudbroker/broker/inventory"
	"cloudbroker/broker/model"
	"cloudbroker/broker/tags"
)

// fieldKind says how a field of VmInstanceInventory is found in the broker's inventory.
type fieldKind int

const (
	kDirect   fieldKind = iota // the same values at path
	kScaled                    // path holds the value divided by scale (memorySize bytes → memoryMB)
	kDate                      // path holds unix ms; condition values are dates
	kProvider                  // a function of the VM's provider (zone, cluster, hypervisor)
	kConst                     // the same value for every VM
	kNone                      // no VM has a value (yet): offerings, description
	kTag                       // the VM's tags of a type (tags_query.go)
)

type vmField struct {
	kind  fieldKind
	path  string                      // inventory path (model.VM JSON path), kDirect..kDate
	scale float64                     // kScaled
	of    func(model.Provider) string // kProvider
	value string                      // kConst
	tag   tags.Type                   // kTag
}

// vmFields maps each queryable field of VmInstanceInventory, by ZStack's name as q=, sort= and
// sortBy= use it, to the inventory. It is the one place that knows both vocabularies; a field
// not here is refused with 400. __systemTag__ and __userTag__ match the VMs' tags (tags_query.go).
var vmFields = map[string]vmField{
	"uuid":                          {path: "id"},
	"name":                          {path: "name"},
	"state":                         {path: pathState},
	"memorySize":                    {kind: kScaled, path: "memoryMB", scale: 1 << 20},
	"cpuNum":                        {path: "cpus"},
	"guestOsType":                   {path: "guestOS"},
	"createDate":                    {kind: kDate, path: "createdAt"},
	"hypervisorType":                {kind: kProvider, of: hypervisorOf},
	"zoneUuid":                      {kind: kProvider, of: zoneUUIDOf},
	"clusterUuid":                   {kind: kProvider, of: clusterUUIDOf},
	"type":                          {kind: kConst, value: "UserVm"},
	"hostUuid":                      {path: pathHostUUID},
	"lastHostUuid":                  {path: pathHostUUID}, // the broker knows only the current host
	"rootVolumeUuid":                {path: pathRootVolumeUUID},
	"defaultL3NetworkUuid":          {path: pathDefaultL3UUID},
	"platform":                      {path: pathPlatform},
	"description":                   {path: "description"},
	"imageUuid":                     {path: pathImageUUID},
	"instanceOfferingUuid":          {kind: kNone},
	"allocatorStrategy":             {kind: kNone},
	"cpuSpeed":                      {kind: kNone},
	"lastOpDate":                    {kind: kDate, path: "modifiedAt"},
	"vmNics.ip":                     {path: "nics.ips"},
	"vmNics.usedIps.ip":             {path: "nics.ips"},
	"vmNics.mac":                    {path: "nics.mac"},
	"vmNics.internalName":           {path: "nics.device"},
	"allVolumes.size":               {path: "disks.capacityBytes"},
	"allVolumes.name":               {path: "disks.label"},
	"allVolumes.installPath":        {path: "disks.fileName"},
	"allVolumes.format":             {path: "disks.format"},
	"allVolumes.uuid":               {path: pathVolumeUUIDs},
	"allVolumes.primaryStorageUuid": {path: pathPrimaryStorageUUIDs},
	"vmNics.l3NetworkUuid":          {path: pathL3NetworkUUIDs},
	"vmNics.usedIps.l3NetworkUuid":  {path: pathL3NetworkUUIDs},
	"__systemTag__":                 {kind: kTag, tag: tags.System},
	"__userTag__":                   {kind: kTag, tag: tags.User},
}

// Fields of VmInstanceInventory that are a function of the VM alone, computed as the renderer
// computes them (inventory.go) and held by the inventory as derived columns at these paths, so
// conditions and sorts on them run in the engine like any field.
const (
	pathHostUUID       = "zstack.hostUuid"
	pathRootVolumeUUID = "zstack.rootVolumeUuid"
	pathDefaultL3UUID  = "zstack.defaultL3NetworkUuid"
	pathPlatform       = "zstack.platform"
	pathState          = "zstack.state"
	pathImageUUID      = "zstack.imageUuid"
	// Lists, one value per volume or NIC that has one.
	pathVolumeUUIDs         = "zstack.allVolumes.uuid"
	pathPrimaryStorageUUIDs = "zstack.allVolumes.primaryStorageUuid"
	pathL3NetworkUUIDs      = "zstack.vmNics.l3NetworkUuid"
)

func init() {
	for path, of := range map[string]func(*model.VM) string{
		pathHostUUID: func(vm *model.VM) string {
			if vm.HostID == "" {
				return ""
			}
			return broker.HostUUID(vm.Provider, vm.HostID)
		},
		pathRootVolumeUUID: func(vm *model.VM) string {
			if len(vm.Disks) == 0 {
				return ""
			}
			return volumeUUID(*vm, vm.Disks[0])
		},
		pathDefaultL3UUID: func(vm *model.VM) string {
			if len(vm.NICs) == 0 {
				return ""
			}
			return l3UUIDOf(vm.Provider, vm.NICs[0].Network)
		},
		pathPlatform:  func(vm *model.VM) string { return platformOf(vm.GuestOS) },
		pathState:     stateOf,
		pathImageUUID: imageUUIDOf,
	} {
		inventory.RegisterVMField(path, func(vm *model.VM) []string {
			if v := of(vm); v != "" {
				return []string{v}
			}
			return nil // null, as the inventory leaves it out
		})
	}
	for path, of := range map[string]func(*model.VM) []string{
		pathVolumeUUIDs: func(vm *model.VM) []string {
			return eachOf(vm.Disks, func(d model.Disk) string { return volumeUUID(*vm, d) })
		},
		pathPrimaryStorageUUIDs: func(vm *model.VM) []string {
			return eachOf(vm.Disks, func(d model.Disk) string { return primaryStorageUUIDOf(vm.Provider, d) })
		},
		pathL3NetworkUUIDs: func(vm *model.VM) []string {
			return eachOf(vm.NICs, func(n model.NIC) string { return l3UUIDOf(vm.Provider, n.Network) })
		},
	} {
		inventory.RegisterVMField(path, of)
	}
}

// eachOf is the non-empty values of f over items, nil when there are none (null).
func eachOf[T any](items []T, f func(T) string) []string {
	var out []string
	for _, it := range items {
		if v := f(it); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// absentPath is a path no VM has: a condition on it sees no values, as for a field that is
// null on every VM.
const absentPath = "\x00absent"

// never is a condition no VM meets.
var never = inventory.Condition{Field: absentPath, Op: inventory.OpNotNull}

// translator turns a parsed query into an inventory query for one caller, whose providers
// give the provider-derived fields their values and whose tags the tag conditions match
// (queryTags: nil when the query has no tag condition).
type translator struct {
	providers []model.Provider
	loc       *time.Location
	tags      tagTexts
}

func queryableFields() string {
	return strings.Join(slices.Sorted(maps.Keys(vmFields)), ", ")
}

func (t translator) conditions(conds []cond) ([]inventory.Condition, error) {
	out := make([]inventory.Condition, 0, len(conds))
	for _, c := range conds {
		ic, always, err := t.condition(c)
		if err != nil {
			return nil, err
		}
		if !always {
			out = append(out, ic)
		}
	}
	return out, nil
}

// condition translates one condition; always reports one every VM meets (no condition needed).
func (t translator) condition(c cond) (ic inventory.Condition, always bool, err error) {
	f, ok := vmFields[c.Field]
	if !ok {
		if joined, err := joinedField(c); joined { // joins.go
			return inventory.Condition{Field: c.Field, Op: c.Op, Values: c.values()}, false, err
		}
		return ic, false, model.Errorf(model.ErrInvalid, "invalid query condition %q: unknown field %q; the fields of VmInstance that can be queried are %s", c, c.Field, queryableFields())
	}
	isLike := c.Op == inventory.OpLike || c.Op == inventory.OpNotLike
	switch f.kind {
	case kDirect:
		return inventory.Condition{Field: f.path, Op: c.Op, Values: c.values()}, false, nil
	case kNone:
		return inventory.Condition{Field: absentPath, Op: c.Op, Values: c.values()}, false, nil
	case kTag:
		return tagCondition(c, t.tags[f.tag], "id")
	case kScaled, kDate:
		if isLike {
			return ic, false, model.Errorf(model.ErrInvalid, "invalid query condition %q: %s cannot be used on %s", c, c.Op, c.Field)
		}
		vals := c.values()
		for i, v := range vals {
			if f.kind == kDate {
				ms, err := t.parseDate(v)
				if err != nil {
					return ic, false, model.Errorf(model.ErrInvalid, "invalid query condition %q: %v", c, err)
				}
				vals[i] = strconv.FormatInt(ms, 10)
				continue
			}
			n, ok := inventory.Number(v)
			if !ok {
				return ic, false, model.Errorf(model.ErrInvalid, "invalid query condition %q: %s takes a number, got %q", c, c.Field, shorten(v))
			}
			vals[i] = strconv.FormatFloat(n/f.scale, 'f', -1, 64)
		}
		return inventory.Condition{Field: f.path, Op: c.Op, Values: vals}, false, nil
	case kProvider:
		of := make([]string, len(t.providers))
		for i, p := range t.providers {
			of[i] = f.of(p)
		}
		hits, err := matching(c, of)
		var names []string
		for _, i := range hits {
			names = append(names, t.providers[i].Name)
		}
		return inSet("provider", names), false, err
	case kConst:
		hits, err := matching(c, []string{f.value})
		if len(hits) > 0 {
			return ic, true, err
		}
		return never, false, err
	}
	return ic, false, model.Errorf(model.ErrInvalid, "field %q cannot be queried", c.Field)
}

// matching is the indexes of the values that meet c, each value a row of its own (a small
// table of the inventory's engine, so these fields mean what a VM field means).
func matching(c cond, values []string) ([]int, error) {
	lists := make([][]string, len(values))
	for i, v := range values {
		lists[i] = []string{v}
	}
	return inventory.Matching(inventory.Condition{Op: c.Op, Values: c.values()}, lists)
}

func inSet(path string, set []string) inventory.Condition {
	switch len(set) {
	case 0:
		return never
	case 1: // an equality costs a comparison per VM, a set a hash (state=Running, hot in portals)
		return inventory.Condition{Field: path, Op: inventory.OpEq, Values: set}
	}
	return inventory.Condition{Field: path, Op: inventory.OpIn, Values: set}
}

// sort translates the order asked for. A field every VM has the same value of orders nothing;
// state orders by the underlying power state (poweredOff, poweredOn, suspended, unknown).
func (t translator) sort(k *sortKey) ([]inventory.SortKey, error) {
	if k == nil {
		return nil, nil
	}
	f, ok := vmFields[k.Field]
	if !ok {
		return nil, model.Errorf(model.ErrInvalid, "invalid query parameter: cannot sort by unknown field %q; the fields of VmInstance that can be queried are %s", k.Field, queryableFields())
	}
	switch f.kind {
	case kConst, kNone, kTag:
		return nil, nil
	case kProvider:
		return nil, model.Errorf(model.ErrInvalid, "invalid query parameter: cannot sort by %s", k.Field)
	}
	return []inventory.SortKey{{Field: f.path, Desc: k.Desc}}, nil
}

// dateLayouts are the forms a date in a condition may take, besides unix milliseconds.
var dateLayouts = []string{zstackTime, "2006-01-02 15:04:05", "2006-01-02", time.RFC3339}

func (t translator) parseDate(s string) (int64, error) {
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return ms, nil
	}
	for _, l := range dateLayouts {
		if d, err := time.ParseInLocation(l, s, t.loc); err == nil {
			return d.UnixMilli(), nil
		}
	}
	return 0, model.Errorf(model.ErrInvalid, "%q is not a date (write %q, \"2006-01-02 15:04:05\", RFC 3339 or unix milliseconds)", shorten(s), zstackTime)
}
