package vcenter

import (
	"context"

	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// Traversal spec names. A PropertyCollector request walks the inventory server-side along
// these paths, so one request returns every VM (or host) with only the listed properties.
// Listings create no ContainerView: a view is a server-side object that costs two more round
// trips and leaks if a context is cancelled before DestroyView. (Watch does use one: it lives
// as long as the watch, which destroys it on the way out.)
const (
	tsFolder    = "folderChildren"
	tsDCVMs     = "datacenterVMs"
	tsDCHosts   = "datacenterHosts"
	tsVAppVMs   = "vappVMs"
	tsVAppPools = "vappPools"
	tsCRHosts   = "computeResourceHosts"
	tsVMNets    = "vmNetworks"
	tsVMStores  = "vmDatastores"
	tsDCNets    = "datacenterNetworks"
	tsDCStores  = "datacenterDatastores"
)

func traverse(name, typ, path string, next ...string) *types.TraversalSpec {
	ts := &types.TraversalSpec{
		SelectionSpec: types.SelectionSpec{Name: name},
		Type:          typ,
		Path:          path,
	}
	for _, n := range next {
		ts.SelectSet = append(ts.SelectSet, &types.SelectionSpec{Name: n})
	}
	return ts
}

// vmSelectSet reaches every VM below a folder or datacenter (vApp members included) and, from
// each VM, the networks its NICs use so port group names come back in the same response.
func vmSelectSet() []types.BaseSelectionSpec {
	return []types.BaseSelectionSpec{
		traverse(tsFolder, "Folder", "childEntity", tsFolder, tsDCVMs, tsVAppVMs, tsVAppPools, tsVMNets),
		traverse(tsDCVMs, "Datacenter", "vmFolder", tsFolder),
		traverse(tsVAppVMs, "VirtualApp", "vm", tsVMNets),
		traverse(tsVAppPools, "VirtualApp", "resourcePool", tsVAppVMs, tsVAppPools),
		traverse(tsVMNets, "VirtualMachine", "network"),
	}
}

// hostSelectSet reaches every host below a folder or datacenter, clustered or standalone.
func hostSelectSet() []types.BaseSelectionSpec {
	return []types.BaseSelectionSpec{
		traverse(tsFolder, "Folder", "childEntity", tsFolder, tsDCHosts, tsCRHosts),
		traverse(tsDCHosts, "Datacenter", "hostFolder", tsFolder),
		traverse(tsCRHosts, "ComputeResource", "host"),
	}
}

// dcFolderSelectSet reaches every child of one datacenter folder (networkFolder,
// datastoreFolder: the path named, through the traversal spec named name) below a folder or
// datacenter, nested folders included.
func dcFolderSelectSet(name, path string) []types.BaseSelectionSpec {
	return []types.BaseSelectionSpec{
		traverse(tsFolder, "Folder", "childEntity", tsFolder, name),
		traverse(name, "Datacenter", path, tsFolder),
	}
}

// retrieve runs one RetrievePropertiesEx (following continuation pages). A PropertyCollector
// may report an expired session per object in MissingSet instead of as a fault, which the
// session round tripper cannot see; retrieve re-logs in and retries once in that case.
func (c *Conn) retrieve(ctx context.Context, spec types.PropertyFilterSpec) ([]types.ObjectContent, error) {
	req := types.RetrievePropertiesEx{
		This:    c.client.ServiceContent.PropertyCollector,
		SpecSet: []types.PropertyFilterSpec{spec},
	}
	for attempt := 0; ; attempt++ {
		gen, tries := c.sess.generation(), c.sess.tries.Load()
		objs, err := mo.RetrievePropertiesEx(ctx, c.client, req)
		if err != nil || attempt > 0 || !missingAuth(objs) {
			return objs, err
		}
		if err := c.sess.relogin(ctx, gen, tries); err != nil {
			return nil, err
		}
	}
}

func missingAuth(objs []types.ObjectContent) bool {
	for _, o := range objs {
		for _, m := range o.MissingSet {
			if _, ok := m.Fault.Fault.(*types.NotAuthenticated); ok {
				return true
			}
		}
	}
	return false
}

// load decodes one object. Properties vCenter could not read (an inaccessible VM's config,
// say) are left zero rather than failing the whole listing.
func load(o types.ObjectContent, dst any) error {
	o.MissingSet = nil
	return mo.LoadObjectContent([]types.ObjectContent{o}, dst)
}
