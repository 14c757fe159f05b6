package vcenter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"syscall"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"cloudbroker/broker/model"
)

// wrapErr prefixes err with what the driver was doing and, where one fits, wraps the model
// sentinel next to the original error, so both errors.Is(err, model.ErrNotFound) and
// fault.Is(err, &types.ManagedObjectNotFound{}) keep working.
func wrapErr(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	msg := fmt.Sprintf(format, args...)
	if sentinel := classify(err); sentinel != nil {
		return fmt.Errorf("vcenter: %s: %w: %w", msg, sentinel, err)
	}
	return fmt.Errorf("vcenter: %s: %w", msg, err)
}

// wrapReachErr is wrapErr for Open and Ping, whose only question is whether the endpoint
// answers: running out of time there means "unavailable", not "the operation may still finish".
func wrapReachErr(err error, format string, args ...any) error {
	if classify(err) == model.ErrTimeout {
		return fmt.Errorf("vcenter: %s: %w: %w", fmt.Sprintf(format, args...), model.ErrUnavailable, err)
	}
	return wrapErr(err, format, args...)
}

// vimSentinels maps vSphere faults to model sentinels. fault.Is matches the exact type
// anywhere in the fault chain (SOAP fault, task error, nested cause).
var vimSentinels = []struct {
	fault    types.BaseMethodFault
	sentinel error
}{
	{&types.ManagedObjectNotFound{}, model.ErrNotFound},
	{&types.NotFound{}, model.ErrNotFound},
	{&types.FileNotFound{}, model.ErrNotFound},
	{&types.InvalidLogin{}, model.ErrUnauthorized},
	{&types.NotAuthenticated{}, model.ErrUnauthorized},
	{&types.NoPermission{}, model.ErrUnauthorized},
	{&types.InvalidPowerState{}, model.ErrConflict},
	{&types.InvalidState{}, model.ErrConflict},
	{&types.TaskInProgress{}, model.ErrConflict},
	{&types.DuplicateName{}, model.ErrConflict},
	{&types.FileAlreadyExists{}, model.ErrConflict},
	{&types.ConcurrentAccess{}, model.ErrConflict},
	{&types.InvalidArgument{}, model.ErrInvalid},
	{&types.InvalidName{}, model.ErrInvalid},
	{&types.InvalidProperty{}, model.ErrInvalid},
	{&types.NotSupported{}, model.ErrUnsupported},
	{&types.NotImplemented{}, model.ErrUnsupported},
	{&types.MethodNotFound{}, model.ErrUnsupported},
	{&types.HostNotConnected{}, model.ErrUnavailable},
	{&types.HostCommunication{}, model.ErrUnavailable},
	{&types.NoHost{}, model.ErrUnavailable},
}

// classify returns the model sentinel for err, or nil when none fits (the error then reaches
// the dialects as an internal error with its message intact).
func classify(err error) error {
	switch {
	case errors.Is(err, errClosed):
		return nil // the caller closed the Conn; not an endpoint condition
	case errors.Is(err, context.Canceled):
		return nil
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return model.ErrUnavailable // refused, unroutable or dial timeout
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return model.ErrTimeout
	}
	if hasFault(err) {
		for _, m := range vimSentinels {
			if fault.Is(err, m.fault) {
				return m.sentinel
			}
		}
		return nil
	}
	var ne net.Error
	var ue *url.Error
	switch {
	case errors.As(err, &ne), errors.As(err, &ue),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED),
		soap.IsCertificateUntrusted(err):
		return model.ErrUnavailable
	}
	return nil
}

// hasFault reports whether err carries a vSphere fault anywhere in its chain (task errors do).
func hasFault(err error) bool {
	found := false
	fault.In(err, func(types.BaseMethodFault, string, []types.LocalizableMessage) bool {
		found = true
		return true
	})
	return found
}

func isNotAuthenticated(err error) bool {
	return fault.Is(err, &types.NotAuthenticated{})
}
