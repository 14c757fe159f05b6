package broker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"cloudbroker/broker/model"
)

// locate finds the provider of a resource the caller sees, for a tag about to be made. How much
// it costs depends on the kind:
//   - a VM: the inventory in memory (a live listing for a provider it does not hold);
//   - a host or an image: one listing task per provider the caller sees (hosts and images are
//     not kept in an inventory); tags are made rarely, and a tag must not name a resource that
//     does not exist.
//
// An unknown or invisible resource wraps model.ErrInvalid with the same words either way; a
// provider that could not be searched, when the resource was not found elsewhere, makes the
// error model.ErrUnavailable instead, since the resource may be there.
func (t *Tags) locate(ctx context.Context, c model.Caller, kind TagResource, id string) (string, error) {
	notFound := model.Errorf(model.ErrInvalid, "resourceUuid %s: no %s with that uuid that you can see", id, kind)
	switch kind {
	case TagOnVM:
		vm, err := t.b.VM(ctx, c, id)
		switch {
		case errors.Is(err, model.ErrUnavailable):
			return "", err
		case errors.Is(err, model.ErrNotFound):
			return "", notFound
		case err != nil:
			return "", err
		}
		return vm.Provider, nil
	case TagOnHost, TagOnImage:
		return t.searchProviders(ctx, c, kind, id, notFound)
	}
	return "", model.Errorf(model.ErrInvalid, "tags cannot be put on a %q: the resources are %s, %s and %s", kind, TagOnVM, TagOnHost, TagOnImage)
}

// searchProviders lists the hosts or images of every provider the caller sees, in parallel,
// and returns the provider of the one with that id. Providers whose driver cannot list them
// have none.
func (t *Tags) searchProviders(ctx context.Context, c model.Caller, kind TagResource, id string, notFound error) (string, error) {
	ps := t.b.providers.Visible(c)
	res := fanOut(ps, func(p model.Provider) (bool, error) {
		if kind == TagOnHost {
			hosts, err := t.b.listProviderHosts(ctx, c, p)
			return slices.ContainsFunc(hosts, func(h model.Host) bool { return HostUUID(p.Name, h.NativeID) == id }), err
		}
		imgs, err := t.b.listProviderImages(ctx, c, p)
		return slices.ContainsFunc(imgs, func(img model.Image) bool { return ImageUUID(p.Name, img.NativeID) == id }), err
	})
	var failed []string
	for _, r := range res {
		switch {
		case r.Value:
			return r.Provider.Name, nil
		case r.Err != nil && !errors.Is(r.Err, model.ErrUnsupported):
			failed = append(failed, fmt.Sprintf("provider %q could not be listed (%v)", r.Provider.Name, r.Err))
		}
	}
	if len(failed) > 0 {
		return "", fmt.Errorf("%s %s not found, and %s: %w", kind, id, strings.Join(failed, "; "), model.ErrUnavailable)
	}
	return "", notFound
}
