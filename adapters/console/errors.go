package console

import (
	"errors"
	"net/http"

	"cloudbroker/broker/model"
)

// status is the console's one mapping from an error to an HTTP status.
func status(err error) int {
	switch {
	case errors.Is(err, model.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, model.ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, model.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, model.ErrLost):
		return http.StatusGone
	case errors.Is(err, model.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, model.ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, model.ErrRateLimited):
		return http.StatusTooManyRequests
	case errors.Is(err, model.ErrCanceled):
		return http.StatusConflict
	case errors.Is(err, model.ErrUnsupported):
		return http.StatusNotImplemented
	case errors.Is(err, model.ErrUnavailable):
		return http.StatusServiceUnavailable
	case errors.Is(err, model.ErrTimeout):
		return http.StatusGatewayTimeout
	default:
		return http.StatusInternalServerError
	}
}
