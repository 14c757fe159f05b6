package broker

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

// ImageUUID is the broker's id for a provider's image, derived like VMUUID but in its own
// namespace: a vCenter template is both a VM (vm-42) and an image, and the two ids must not be
// mistaken for each other by an endpoint that resolves one kind only.
func ImageUUID(provider, nativeID string) string { return DerivedUUID("image", provider, nativeID) }

// TypeImageList lists one provider's images (templates, image volumes, catalog entries).
const TypeImageList = "image:list"

// ErrUnknownRegion is returned (wrapped) for a region no provider the caller sees is in.
var ErrUnknownRegion = fmt.Errorf("unknown region: %w", model.ErrNotFound)

// ImageListResult is the Result of a TypeImageList task.
type ImageListResult struct {
	Images []model.Image `json:"images"`
}

// ListImagesQuery selects and pages images.
type ListImagesQuery struct {
	// Region keeps the providers of that region; empty means every region.
	Region string
	// Names keeps images whose name is one of these (exact match); empty keeps all.
	Names []string
	// MediaType keeps images of that model.Image.MediaType ("RootVolumeTemplate", "ISO");
	// empty keeps all.
	MediaType string
	// Start and Limit page the sorted matches. Limit 0 means DefaultPageSize.
	Start, Limit int
}

// ImageEntry is one listed image with where it lives and what is being done to it.
type ImageEntry struct {
	model.Image
	Region string
	Zones  []string
	// Job is the oldest unfinished task that targets the image (see Target); nil when none.
	Job *Task
}

// ImagePage is one page of images; Total counts every match, not just this page.
type ImagePage struct {
	Total  int
	Images []ImageEntry
	Failed []ProviderError
}

// Regions lists the regions of the providers the caller sees, sorted, without duplicates.
func (b *Broker) Regions(c model.Caller) []string {
	var out []string
	for _, p := range b.providers.Visible(c) {
		if p.Region != "" && !slices.Contains(out, p.Region) {
			out = append(out, p.Region)
		}
	}
	slices.Sort(out)
	return out
}

// ListImages lists the images of the caller's providers in a region, from the listings inventory
// (listinv.go) where it holds a fresh list, else by a listing task on the provider's queue,
// all in parallel; a provider that fails is reported in Failed, not dropped silently.
func (b *Broker) ListImages(ctx context.Context, c model.Caller, q ListImagesQuery) (ImagePage, error) {
	var err error
	if q.Limit, err = pageParams("start", q.Start, q.Limit); err != nil {
		return ImagePage{}, err
	}
	var providers []model.Provider
	for _, p := range b.providers.Visible(c) {
		if q.Region == "" || p.Region == q.Region {
			providers = append(providers, p)
		}
	}
	if q.Region != "" && len(providers) == 0 {
		return ImagePage{}, fmt.Errorf("region %q (regions: %v): %w", q.Region, b.Regions(c), ErrUnknownRegion)
	}

	results := fanOut(providers, func(p model.Provider) ([]model.Image, error) { return imageListing.of(ctx, b, c, p) })

	var page ImagePage
	var all []ImageEntry
	for _, r := range results {
		p := r.Provider
		if r.Err != nil {
			page.Failed = append(page.Failed, ProviderError{Provider: p.Name, Err: r.Err})
			continue
		}
		for _, img := range r.Value {
			if (len(q.Names) > 0 && !slices.Contains(q.Names, img.Name)) || (q.MediaType != "" && img.MediaType != q.MediaType) {
				continue
			}
			img.Provider = p.Name
			img.ID = ImageUUID(p.Name, img.NativeID)
			all = append(all, ImageEntry{Image: img, Region: p.Region, Zones: p.Zones})
		}
	}
	slices.SortFunc(all, func(a, b ImageEntry) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.NativeID, b.NativeID))
	})
	page.Total = len(all)
	page.Images = pageOf(all, q.Start, q.Limit)
	if err := b.attachJobs(ctx, page.Images); err != nil {
		return ImagePage{}, err
	}
	return page, nil
}

// Images lists the images of the named providers the caller sees (every provider it sees when
// providers is nil), each with its provider and id, from the listings inventory where it holds
// a fresh list. ListImages is the same images by region, sorted and paged, with their jobs.
func (b *Broker) Images(ctx context.Context, c model.Caller, providers []string) Listed[model.Image] {
	return listAcross(ctx, b, c, providers, imageListing)
}

func (b *Broker) listProviderImages(ctx context.Context, c model.Caller, p model.Provider) ([]model.Image, error) {
	return listOn(ctx, b, c, p, TypeImageList, func(r ImageListResult) []model.Image { return r.Images })
}

var runImageList = listingRun("list images", drivers.ImageCatalog.ListImages, func(items []model.Image) ImageListResult { return ImageListResult{Images: items} })
