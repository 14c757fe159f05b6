package vcenter

import (
	"cmp"
	"context"
	"path"
	"slices"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

var _ drivers.ISOLister = (*Conn)(nil)

// ListISOs implements drivers.ISOLister: the .iso files on the datastores the VM uses, which
// are the ones its hosts can mount without copying. One HostDatastoreBrowser search per
// datastore, recursive, with an IsoImageFileQuery.
func (c *Conn) ListISOs(ctx context.Context, nativeVMID string) ([]model.Image, error) {
	isos, err := c.listISOs(ctx, nativeVMID)
	if err != nil {
		return nil, wrapErr(err, "list isos for vm %q", nativeVMID)
	}
	return isos, nil
}

func (c *Conn) listISOs(ctx context.Context, id string) ([]model.Image, error) {
	if id == "" {
		return nil, model.Errorf(model.ErrInvalid, "empty vm id")
	}
	// The VM is the start object (so an unknown id faults) and its datastores come back in
	// the same response.
	objs, err := c.retrieve(ctx, types.PropertyFilterSpec{
		ObjectSet: []types.ObjectSpec{{
			Obj:       vmRef(id),
			Skip:      types.NewBool(true),
			SelectSet: []types.BaseSelectionSpec{traverse(tsVMStores, "VirtualMachine", "datastore")},
		}},
		PropSet: []types.PropertySpec{{Type: "Datastore", PathSet: []string{"name", "browser", "summary.accessible"}}},
	})
	if err != nil {
		return nil, err
	}
	out := []model.Image{}
	for _, o := range objs {
		var ds mo.Datastore
		if err := load(o, &ds); err != nil {
			return nil, err
		}
		if !ds.Summary.Accessible || ds.Browser.Value == "" {
			continue // an unmounted datastore cannot be searched; its ISOs are not usable anyway
		}
		found, err := c.searchISOs(ctx, ds)
		if err != nil {
			return nil, err
		}
		out = append(out, found...)
	}
	slices.SortFunc(out, func(a, b model.Image) int { return cmp.Compare(a.NativeID, b.NativeID) })
	return out, nil
}

func (c *Conn) searchISOs(ctx context.Context, ds mo.Datastore) ([]model.Image, error) {
	browser := object.NewHostDatastoreBrowser(c.client, ds.Browser)
	task, err := browser.SearchDatastoreSubFolders(ctx, "["+ds.Name+"]", &types.HostDatastoreBrowserSearchSpec{
		Query:        []types.BaseFileQuery{&types.IsoImageFileQuery{}},
		MatchPattern: []string{"*.iso", "*.ISO"},
		Details:      &types.FileQueryFlags{FileType: true, FileSize: true, Modification: true},
	})
	if err != nil {
		return nil, err
	}
	info, err := task.WaitForResult(ctx)
	if err != nil {
		return nil, err
	}
	res, _ := info.Result.(types.ArrayOfHostDatastoreBrowserSearchResults)
	var out []model.Image
	for _, folder := range res.HostDatastoreBrowserSearchResults {
		for _, f := range folder.File {
			fi := f.GetFileInfo()
			if _, isFolder := f.(*types.FolderFileInfo); isFolder {
				continue
			}
			p := filePath(ds.Name, folder.FolderPath, fi.Path)
			img := model.Image{
				Provider:  c.provider,
				NativeID:  p,
				Name:      path.Base(fi.Path),
				MediaType: "ISO",
				Format:    "iso",
				SizeBytes: fi.FileSize,
				URL:       p,
				Status:    "Ready",
			}
			if fi.Modification != nil {
				img.UpdatedAt = fi.Modification.UTC()
			}
			out = append(out, img)
		}
	}
	return out, nil
}

// filePath joins a search result's folder ("[ds] dir/", "[ds]", or vcsim's "[ds]/dir") and a
// file name into the canonical "[ds] dir/file.iso".
func filePath(dsName, folder, file string) string {
	var p object.DatastorePath
	if !p.FromString(folder) {
		p = object.DatastorePath{Datastore: dsName, Path: folder}
	}
	p.Path = strings.TrimPrefix(path.Join(strings.Trim(p.Path, "/"), file), "/")
	return p.String()
}
