package adapters

import (
	"context"
	"errors"
	"time"

	"github.com/gin-gonic/gin"

	"cloudbroker/adapters/metrics"
	"cloudbroker/broker/model"
)

// Dialect is all one API dialect tells the edge: its name, how to read its credentials, and
// how to write an error in its shape. Everything else a request needs before its handler
// (request id, authentication, the caller's scope, rate limits, error texts) is the edge's,
// the same for every dialect.
type Dialect interface {
	ErrorWriter
	// Name labels the dialect in metrics ("vcproxy", "didi", "zstack").
	Name() string
	// Authenticate reads the request's credentials and returns its caller. A request that
	// carries no credentials at all is an error wrapping ErrNoCredentials.
	Authenticate(c *gin.Context) (model.Caller, error)
}

// ErrNoCredentials is a request without any credentials. It wraps model.ErrUnauthorized; a
// dialect may wrap it in its own error as long as errors.Is still finds it.
var ErrNoCredentials = errors.New("no credentials")

// Edge is the one layer in front of every dialect's routes.
type Edge struct {
	// Limiter limits each caller's request rate; nil means unlimited.
	Limiter *Limiter
	// RequestTimeout is every request's deadline (queries stop at it); 0 means none.
	RequestTimeout time.Duration
}

// Guard authenticates a request, limits its caller's rate and hands the caller to the handler
// (CallerOf). A refusal is answered in the dialect's shape and ends the request.
func (e *Edge) Guard(d Dialect) gin.HandlerFunc {
	return func(c *gin.Context) {
		caller, err := d.Authenticate(c)
		if err != nil {
			Fail(c, d, err)
			c.Abort()
			return
		}
		e.admit(c, d, caller, caller.Name, caller.Name)
	}
}

// GuardOptional is Guard for an API that also serves callers without credentials (ZStack's
// GetVersion): those become anon, which sees no provider, and share a rate bucket per client
// address. Credentials that are present must be valid.
func (e *Edge) GuardOptional(d Dialect, anon model.Caller) gin.HandlerFunc {
	return func(c *gin.Context) {
		caller, err := d.Authenticate(c)
		switch {
		case errors.Is(err, ErrNoCredentials):
			e.admit(c, d, anon, anon.Name+"@"+c.ClientIP(), anon.Name)
		case err != nil:
			Fail(c, d, err)
			c.Abort()
		default:
			e.admit(c, d, caller, caller.Name, caller.Name)
		}
	}
}

// Open is the edge of a route that takes no credentials (a login, a session check): the
// session-less callers of one client address share a rate bucket, and the query string must
// decode. A login's own throttle is LoginThrottle.
func (e *Edge) Open(d Dialect) gin.HandlerFunc {
	return func(c *gin.Context) { e.admit(c, d, model.Caller{}, "open@"+c.ClientIP(), "open") }
}

// admit takes one request from the bucket and, if it is allowed, records the caller, checks
// the query string and sets the request's deadline. label names the caller in the refusal
// metric (bounded: never a client address).
func (e *Edge) admit(c *gin.Context, d Dialect, caller model.Caller, bucket, label string) {
	c.Set(callerKey, caller)
	c.Set(CallerNameKey, caller.Name)
	if err := e.Limiter.Allow(bucket); err != nil {
		metrics.RateLimited(d.Name(), label)
		Fail(c, d, err)
		c.Abort()
		return
	}
	if _, err := Query(c); err != nil {
		Fail(c, d, err)
		c.Abort()
		return
	}
	if e.RequestTimeout > 0 {
		ctx, cancel := context.WithTimeout(c.Request.Context(), e.RequestTimeout)
		defer cancel()
		c.Request = c.Request.WithContext(ctx)
		c.Next() // the handlers run under the deadline; cancel frees it when they return
	}
}

const callerKey = "cloudbroker.caller"

// CallerNameKey is where the edge leaves the caller's name for the access log.
const CallerNameKey = "caller"

// CallerOf is the request's caller, as the edge established it. A handler that runs without
// the edge (a route mounted by mistake) gets the zero Caller, which sees nothing.
func CallerOf(c *gin.Context) model.Caller {
	caller, _ := c.Get(callerKey)
	v, _ := caller.(model.Caller)
	return v
}

// NoCredentials is the error of a request without credentials: hint says what to send, kind
// is the model sentinel the dialect answers it as (ErrUnauthorized, or ErrInvalid for ZStack's
// missing header). It wraps both kind and ErrNoCredentials.
func NoCredentials(kind error, hint string) error { return &noCredentials{hint: hint, kind: kind} }

type noCredentials struct {
	hint string
	kind error
}

func (e *noCredentials) Error() string   { return e.hint + ": " + e.kind.Error() }
func (e *noCredentials) Unwrap() []error { return []error{ErrNoCredentials, e.kind} }
