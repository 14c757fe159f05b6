package vcproxy

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"cloudbroker/broker/model"
)

// errorBody is the dialect's error shape: {"errcode":"500","errmsg":"..."}; errcode is a string.
type errorBody struct {
	Errcode string `json:"errcode"`
	Errmsg  string `json:"errmsg"`
	// Data carries the taskid of a sync request that timed out, so the caller can poll it.
	Data any `json:"data,omitempty"`
}

// status chooses the HTTP status and errcode for an error. It is the dialect's only mapping:
// drivers and the broker never choose codes.
func status(err error) (int, string) {
	var code int
	switch {
	case errors.Is(err, model.ErrInvalid):
		code = http.StatusBadRequest
	case errors.Is(err, model.ErrUnauthorized):
		code = http.StatusUnauthorized
	case errors.Is(err, model.ErrNotFound):
		code = http.StatusNotFound
	case errors.Is(err, model.ErrLost): // accepted, then lost with Redis's data: not "failed"
		code = http.StatusGone
	case errors.Is(err, model.ErrConflict):
		code = http.StatusConflict
	case errors.Is(err, model.ErrTooLarge):
		code = http.StatusRequestEntityTooLarge
	case errors.Is(err, model.ErrRateLimited):
		code = http.StatusTooManyRequests
	case errors.Is(err, model.ErrCanceled):
		code = 499 // a task canceled by a client: nginx's "client closed request", no standard code fits
	case errors.Is(err, model.ErrUnsupported):
		code = http.StatusNotImplemented
	case errors.Is(err, model.ErrUnavailable):
		code = http.StatusServiceUnavailable
	case errors.Is(err, model.ErrTimeout):
		code = http.StatusGatewayTimeout
	default:
		code = http.StatusInternalServerError
	}
	return code, strconv.Itoa(code)
}

// timedOut writes a sync request's timeout with the taskid to poll in data.
type timedOut struct{ taskID string }

func (t timedOut) WriteError(c *gin.Context, err error, msg string) {
	code, errcode := status(err)
	c.JSON(code, errorBody{Errcode: errcode, Errmsg: msg, Data: gin.H{"taskid": t.taskID}})
}
