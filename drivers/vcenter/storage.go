package vcenter

import (
	"cmp"
	"context"
	"slices"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

var _ drivers.StorageLister = (*Conn)(nil)

// ListStorage implements drivers.StorageLister: every datastore of the datacenters below the
// configured root, from its summary, in one request.
func (c *Conn) ListStorage(ctx context.Context) ([]model.Storage, error) {
	objs, err := c.retrieve(ctx, types.PropertyFilterSpec{
		ObjectSet: []types.ObjectSpec{{Obj: c.root, Skip: types.NewBool(true), SelectSet: dcFolderSelectSet(tsDCStores, "datastoreFolder")}},
		PropSet:   []types.PropertySpec{{Type: "Datastore", PathSet: []string{"summary"}}},
	})
	if err != nil {
		return nil, wrapErr(err, "list datastores")
	}
	out := []model.Storage{}
	for _, o := range objs {
		if o.Obj.Type != "Datastore" {
			continue
		}
		var ds mo.Datastore
		if err := load(o, &ds); err != nil {
			return nil, wrapErr(err, "decode datastore %q", o.Obj.Value)
		}
		s := ds.Summary
		out = append(out, model.Storage{
			Provider:      c.provider,
			NativeID:      o.Obj.Value,
			Name:          s.Name,
			Type:          s.Type,
			URL:           s.Url,
			CapacityBytes: s.Capacity,
			FreeBytes:     s.FreeSpace,
			Active:        s.Accessible,
		})
	}
	slices.SortFunc(out, func(a, b model.Storage) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.NativeID, b.NativeID))
	})
	return out, nil
}

// datastoreOf is the datastore name of a "[ds] path" file name: vSphere names disk files by
// datastore name, so no lookup of the backing's datastore reference is needed.
func datastoreOf(file string) string {
	var p object.DatastorePath
	if !p.FromString(file) {
		return ""
	}
	return p.Datastore
}
