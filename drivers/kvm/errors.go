package kvm

import (
	"context"
	"errors"
	"fmt"

	libvirt "github.com/digitalocean/go-libvirt"

	"cloudbroker/broker/model"
)

// sentinels maps libvirt's error numbers onto the broker's sentinels; the rest stay "internal".
var sentinels = map[libvirt.ErrorNumber]error{
	libvirt.ErrNoDomain:             model.ErrNotFound,
	libvirt.ErrNoStoragePool:        model.ErrNotFound,
	libvirt.ErrNoStorageVol:         model.ErrNotFound,
	libvirt.ErrNoNetwork:            model.ErrNotFound,
	libvirt.ErrOperationInvalid:     model.ErrConflict, // e.g. "domain is not running"
	libvirt.ErrDomExist:             model.ErrConflict,
	libvirt.ErrStorageVolExist:      model.ErrConflict,
	libvirt.ErrResourceBusy:         model.ErrConflict,
	libvirt.ErrInvalidArg:           model.ErrInvalid,
	libvirt.ErrXMLError:             model.ErrInvalid,
	libvirt.ErrXMLDetail:            model.ErrInvalid,
	libvirt.ErrNoSupport:            model.ErrUnsupported,
	libvirt.ErrOperationUnsupported: model.ErrUnsupported,
	libvirt.ErrArgumentUnsupported:  model.ErrUnsupported,
	libvirt.ErrAuthFailed:           model.ErrUnauthorized,
	libvirt.ErrAuthCancelled:        model.ErrUnauthorized,
	libvirt.ErrAuthUnavailable:      model.ErrUnauthorized,
	libvirt.ErrAccessDenied:         model.ErrUnauthorized,
	libvirt.ErrOperationTimeout:     model.ErrTimeout,
	libvirt.ErrNoConnect:            model.ErrUnavailable,
	libvirt.ErrRPC:                  model.ErrUnavailable,
}

// wrap names the provider and operation and adds the matching sentinel, keeping libvirt's error
// in the chain (errors.As(err, &libvirt.Error{}) still works).
func (c *Conn) wrap(err error, what string) error {
	if err == nil || model.KindOf(err) != "internal" {
		return err
	}
	var sentinel error
	var le libvirt.Error
	switch {
	case errors.As(err, &le):
		sentinel = sentinels[libvirt.ErrorNumber(le.Code)]
	case errors.Is(err, libvirt.ErrUnsupported):
		sentinel = model.ErrUnsupported
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		sentinel = model.ErrTimeout
	default:
		sentinel = model.ErrUnavailable // the socket failed under the call
	}
	if sentinel == nil {
		return fmt.Errorf("kvm %s: %s: %w", c.set.provider, what, err)
	}
	return fmt.Errorf("kvm %s: %s: %w: %w", c.set.provider, what, err, sentinel)
}

// isTransport reports an error of the socket rather than one libvirtd answered with.
func isTransport(err error) bool {
	var le libvirt.Error
	return !errors.As(err, &le) && !errors.Is(err, libvirt.ErrUnsupported) && model.KindOf(err) == "internal"
}

// hasCode reports whether err is libvirt's error number code.
func hasCode(err error, code libvirt.ErrorNumber) bool {
	var le libvirt.Error
	return errors.As(err, &le) && libvirt.ErrorNumber(le.Code) == code
}
