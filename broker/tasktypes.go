package broker

import (
	"context"

	"cloudbroker/broker/inventory"
	"cloudbroker/drivers"
)

// taskType is everything the broker knows about one kind of task, so adding one is one entry
// here plus its feature file (diskinfo.go, clone.go ...). The inventory watch
// (TypeInventoryWatch, inventory_sync.go) is not listed: it is a long-running task of the executor's own
// that takes no provider slot and owns its connection.
type taskType struct {
	// describe names the type for humans, in the vcproxy sample's words.
	describe string
	// run performs it on a worker against the provider's connection and returns its Result.
	run operation
	// inventory, if set, gives the inventory changes a succeeded run made (a clone's new VM, a
	// VM's new power state), written at once so listings need not wait for the watch; the
	// watch reports the same later, and applying a change twice changes nothing.
	inventory func(ctx context.Context, inv InventoryStore, spec TaskSpec, res any) []inventory.Change
	// settle, if set, runs on the broker when it first reads a succeeded task of this type,
	// before anyone sees it: it records what the result hands out (settle.go says why there).
	settle func(b *Broker, ctx context.Context, t Task) error
}

// operation runs one task type against a provider's connection and returns its Result.
type operation func(ctx context.Context, c drivers.Conn, spec TaskSpec) (any, error)

var taskTypes = map[string]taskType{
	TypeVMDiskInfo:  {describe: "虚拟机磁盘信息", run: runDiskInfo},
	TypeVMList:      {describe: "虚拟机列表", run: runVMList},
	TypeVMClone:     {describe: "克隆虚拟机", run: runClone, inventory: cloneChanges, settle: (*Broker).registerClones},
	TypeVMPower:     {describe: "虚拟机电源操作", run: runPower, inventory: powerChanges},
	TypeVMCreate:    {describe: "创建虚拟机", run: runCreate, inventory: createChanges, settle: (*Broker).registerCreated},
	TypeVMDestroy:   {describe: "删除虚拟机", run: runDestroy, inventory: lifecycleChanges},
	TypeVMRecover:   {describe: "恢复虚拟机", run: runRecover, inventory: lifecycleChanges},
	TypeVMExpunge:   {describe: "彻底删除虚拟机", run: runExpunge, inventory: lifecycleChanges},
	TypeImageList:   {describe: "自定义镜像列表", run: runImageList},
	TypeVMISOs:      {describe: "虚拟机可加载ISO列表", run: runISOs},
	TypeHostList:    {describe: "物理机容量列表", run: runHostList},
	TypeNetworkList: {describe: "三层网络列表", run: runNetworkList},
	TypeStorageList: {describe: "主存储列表", run: runStorageList},
}

// Describe returns the human description of a task type.
func Describe(name string) string {
	if tt, ok := taskTypes[name]; ok {
		return tt.describe
	}
	return name
}
