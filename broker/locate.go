package broker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"cloudbroker/broker/model"
)

// HostProvider finds the provider of a host the caller sees, by its broker uuid (HostUUID).
// ImageProvider does the same for an image. Each lists them live on every provider the caller
// sees, in parallel, not from the listings inventory (listinv.go), which may not hold a
// resource made within its refresh period: a feature that must check that a resource exists
// (a tag about to be made) calls them rarely.
//
// A resource found nowhere wraps model.ErrNotFound; a provider that could not be listed, when
// the resource was not found elsewhere, makes the error model.ErrUnavailable instead, since
// the resource may be there. Providers whose driver cannot list them have none.
func (b *Broker) HostProvider(ctx context.Context, c model.Caller, id string) (string, error) {
	return b.providerOf(c, "host", id, func(p model.Provider) (bool, error) {
		hosts, err := b.listProviderHosts(ctx, c, p)
		return slices.ContainsFunc(hosts, func(h model.Host) bool { return HostUUID(p.Name, h.NativeID) == id }), err
	})
}

// ImageProvider: see HostProvider.
func (b *Broker) ImageProvider(ctx context.Context, c model.Caller, id string) (string, error) {
	return b.providerOf(c, "image", id, func(p model.Provider) (bool, error) {
		imgs, err := b.listProviderImages(ctx, c, p)
		return slices.ContainsFunc(imgs, func(img model.Image) bool { return ImageUUID(p.Name, img.NativeID) == id }), err
	})
}

func (b *Broker) providerOf(c model.Caller, kind, id string, has func(model.Provider) (bool, error)) (string, error) {
	res := fanOut(b.providers.Visible(c), has)
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
	return "", model.Errorf(model.ErrNotFound, "%s %s not found", kind, id)
}
