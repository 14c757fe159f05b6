package console

import (
	"errors"
	"net/http"

	"cloudbroker/broker/model"
)

// statuses is the console's one mapping from an error to an HTTP status, in the order the
// kinds are tried (an error may wrap several).
var statuses = []struct {
	kind error
	code int
}{
	{model.ErrInvalid, http.StatusBadRequest},
	{model.ErrUnauthorized, http.StatusUnauthorized},
	{model.ErrNotFound, http.StatusNotFound},
	{model.ErrLost, http.StatusGone},
	{model.ErrConflict, http.StatusConflict},
	{model.ErrTooLarge, http.StatusRequestEntityTooLarge},
	{model.ErrRateLimited, http.StatusTooManyRequests},
	{model.ErrCanceled, http.StatusConflict},
	{model.ErrUnsupported, http.StatusNotImplemented},
	{model.ErrUnavailable, http.StatusServiceUnavailable},
	{model.ErrTimeout, http.StatusGatewayTimeout},
}

// status is err's HTTP status: its kind's, else 500.
func status(err error) int {
	for _, s := range statuses {
		if errors.Is(err, s.kind) {
			return s.code
		}
	}
	return http.StatusInternalServerError
}
