package tags

import (
	"context"
	"errors"

	"cloudbroker/broker/model"
)

// locate finds the provider of a resource the caller sees, for a tag about to be made: a VM in
// the inventory (a live listing for a provider it does not hold), a host or an image by listing
// them (a tag must not name a resource that does not exist).
//
// An unknown or invisible resource wraps model.ErrInvalid with the same words either way; a
// provider that could not be searched, when the resource was not found elsewhere, makes the
// error model.ErrUnavailable instead, since the resource may be there.
func (s *Service) locate(ctx context.Context, c model.Caller, kind Resource, id string) (string, error) {
	var provider string
	var err error
	switch kind {
	case OnVM:
		var vm model.VM
		vm, err = s.core.VM(ctx, c, id)
		provider = vm.Provider
	case OnHost:
		provider, err = s.core.HostProvider(ctx, c, id)
	case OnImage:
		provider, err = s.core.ImageProvider(ctx, c, id)
	default:
		return "", model.Errorf(model.ErrInvalid, "tags cannot be put on a %q: the resources are %s, %s and %s", kind, OnVM, OnHost, OnImage)
	}
	switch {
	case errors.Is(err, model.ErrUnavailable):
		return "", err
	case errors.Is(err, model.ErrNotFound):
		return "", model.Errorf(model.ErrInvalid, "resourceUuid %s: no %s with that uuid that you can see", id, kind)
	}
	return provider, err
}
