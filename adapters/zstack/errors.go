package zstack

import (
	"errors"
	"fmt"
	"net/http"

	"cloudbroker/adapters"
	"cloudbroker/broker/model"
)

// ZStack's error codes (org.zstack.header.errorcode.SysErrors and identity.IdentityErrors).
const (
	codeInternal      = "SYS.1000"
	codeTimeout       = "SYS.1001"
	codeNotFound      = "SYS.1003"
	codeOperation     = "SYS.1006"
	codeInvalid       = "SYS.1007"
	codeUnknownAPI    = "SYS.1008"
	codeUnimplemented = "SYS.1014"
	codeAuth          = "ID.1000"
	codeSession       = "ID.1001"
)

// descriptions are the short texts of the codes; details carry the specific message.
var descriptions = map[string]string{
	codeInternal:      "An internal error happened in system",
	codeTimeout:       "An operation timeout happened",
	codeNotFound:      "Unable to find resource",
	codeOperation:     "An operation failed",
	codeInvalid:       "One or more API argument is invalid",
	codeUnknownAPI:    "No API mapping to the URL",
	codeUnimplemented: "The operation is not implemented by the resource's provider",
	codeAuth:          "Authentication failed",
	codeSession:       "Session expired or does not exist",
}

// errorCode is ZStack's ErrorCode. elaboration, opaque and cause are reserved and null, so
// omitted, as ZStack's own JSON leaves nulls out.
type errorCode struct {
	Code        string `json:"code"`
	Description string `json:"description"`
	Details     string `json:"details"`
}

type errorBody struct {
	Error errorCode `json:"error"`
}

// Errors of the call itself rather than of what it asks for.
var (
	errNoRoute  = errors.New("no API mapping to the URL")
	errNoMethod = errors.New("method not allowed")
	// errLogin and errSession wrap model.ErrUnauthorized: a wrong account, user or password;
	// a session that expired or never was. Any other ErrUnauthorized is a provider refusing
	// the broker's credentials, which is the operation failing, not the caller's session.
	errLogin   = fmt.Errorf("wrong account name, user name or password: %w", model.ErrUnauthorized)
	errSession = fmt.Errorf("session expired or does not exist: %w", model.ErrUnauthorized)
)

// status chooses the HTTP status and ZStack error code for an error. It is the dialect's only
// mapping: drivers and the broker never choose codes. The manual's table has 400 (bad
// argument), 404 (no such URL or job), 405, 500 (the REST endpoint itself failed) and 503 (the
// operation failed); an invalid session or a failed login is a failed operation, as in ZStack.
func status(err error) (int, string) {
	switch {
	case errors.Is(err, errNoRoute):
		return http.StatusNotFound, codeUnknownAPI
	case errors.Is(err, errNoMethod):
		return http.StatusMethodNotAllowed, codeUnknownAPI
	case errors.Is(err, errLogin):
		return http.StatusServiceUnavailable, codeAuth
	case errors.Is(err, errSession):
		return http.StatusServiceUnavailable, codeSession
	case errors.Is(err, model.ErrInvalid), errors.Is(err, model.ErrTooLarge):
		return http.StatusBadRequest, codeInvalid
	case errors.Is(err, model.ErrNotFound):
		return http.StatusNotFound, codeNotFound
	case errors.Is(err, model.ErrLost):
		// Accepted, then lost with Redis's data: the job cannot be found any more, but 410
		// (not 404) says it existed, and it is not SYS.1006: it is not known to have failed.
		return http.StatusGone, codeNotFound
	case errors.Is(err, model.ErrUnsupported):
		return http.StatusServiceUnavailable, codeUnimplemented
	case errors.Is(err, model.ErrTimeout):
		return http.StatusServiceUnavailable, codeTimeout
	case errors.Is(err, model.ErrConflict), errors.Is(err, model.ErrUnavailable), errors.Is(err, model.ErrUnauthorized),
		errors.Is(err, model.ErrCanceled),    // a canceled job did not do what it was asked
		errors.Is(err, model.ErrRateLimited): // the manual has no 429; 503 with Retry-After says "later"
		return http.StatusServiceUnavailable, codeOperation
	default:
		return http.StatusInternalServerError, codeInternal
	}
}

// toErrorCode renders an error as ZStack's ErrorCode, with the text a caller may read.
func toErrorCode(err error) errorCode { return errorCodeWith(err, adapters.PublicMessage(err)) }

func errorCodeWith(err error, details string) errorCode {
	_, code := status(err)
	return errorCode{Code: code, Description: descriptions[code], Details: details}
}
