package didi

import (
	"errors"
	"fmt"
	"net/http"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
)

// DiDi's common error codes (errno) this dialect answers with, from the open API's list of
// common codes; 0 is success.
const (
	ErrnoOK = 0
	// ErrnoInvalid: 传入参数非法, a parameter is missing or out of range.
	ErrnoInvalid = 1
	// ErrnoSystem: 系统错误, the service or a backend behind it failed.
	ErrnoSystem = 2
	// ErrnoRetry: 服务开小差，休息一会再试试, the answer did not come in time; try again later.
	ErrnoRetry = 3
	// ErrnoAuth: token认证失败, no or a wrong Bearer token.
	ErrnoAuth = 4
	// ErrnoBadCall: 调用方式有点小问题, the call itself is wrong (JSON, size, path, method).
	ErrnoBadCall = 13
	// ErrnoRegion: 查询地域与可用区信息失败, no such region.
	ErrnoRegion = 16000002
)

// errorBody is the dialect's error shape.
type errorBody struct {
	Errno     int    `json:"errno"`
	Errmsg    string `json:"errmsg"`
	RequestID string `json:"requestId"`
}

// Errors about the call's form rather than its parameters. errBadCall wraps model.ErrInvalid so
// that the rest of the broker reads it as an invalid request.
var (
	errBadCall  = fmt.Errorf("malformed call: %w", model.ErrInvalid)
	errNoRoute  = errors.New("not a DiDi API this broker serves")
	errNoMethod = errors.New("the DiDi API takes POST")
)

func noRoute(method, path string) error {
	return fmt.Errorf("no such API: %s %s: %w", method, path, errNoRoute)
}

func noMethod(method, path string) error {
	return fmt.Errorf("method %s not allowed on %s: %w", method, path, errNoMethod)
}

// status chooses the HTTP status and errno for an error. It is the dialect's only mapping:
// drivers and the broker never choose codes.
//
// DiDi's clients read errno from the body, which every answer carries; the HTTP status says
// the same thing to everything between (proxies, monitoring, cloudbroker's own catalog driver),
// so an error is never a 200.
func status(err error) (int, int) {
	switch {
	case errors.Is(err, errNoRoute):
		return http.StatusNotFound, ErrnoBadCall
	case errors.Is(err, errNoMethod):
		return http.StatusMethodNotAllowed, ErrnoBadCall
	case errors.Is(err, model.ErrTooLarge):
		return http.StatusRequestEntityTooLarge, ErrnoBadCall
	case errors.Is(err, errBadCall):
		return http.StatusBadRequest, ErrnoBadCall
	case errors.Is(err, model.ErrInvalid):
		return http.StatusBadRequest, ErrnoInvalid
	case errors.Is(err, model.ErrUnauthorized):
		return http.StatusUnauthorized, ErrnoAuth
	case errors.Is(err, broker.ErrUnknownRegion):
		return http.StatusNotFound, ErrnoRegion
	case errors.Is(err, model.ErrNotFound):
		return http.StatusNotFound, ErrnoInvalid
	case errors.Is(err, model.ErrLost): // accepted, then lost with the broker's Redis: a system fault
		return http.StatusGone, ErrnoSystem
	case errors.Is(err, model.ErrConflict), errors.Is(err, model.ErrCanceled):
		return http.StatusConflict, ErrnoInvalid
	case errors.Is(err, model.ErrRateLimited): // "服务开小差，休息一会再试试": try again later
		return http.StatusTooManyRequests, ErrnoRetry
	case errors.Is(err, model.ErrUnsupported):
		return http.StatusNotImplemented, ErrnoBadCall
	case errors.Is(err, model.ErrUnavailable):
		return http.StatusServiceUnavailable, ErrnoSystem
	case errors.Is(err, model.ErrTimeout):
		return http.StatusGatewayTimeout, ErrnoRetry
	default:
		return http.StatusInternalServerError, ErrnoSystem
	}
}
