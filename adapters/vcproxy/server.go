// Package vcproxy speaks the vCenter-proxy dialect (/api/vm/..., /api/task/...): JSON bodies,
// {"errcode","errmsg","data"} answers and task envelopes, as ../shared/seeds/vcproxy-vm-diskinfo.txt.
package vcproxy

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"cloudbroker/adapters"
	"cloudbroker/broker"
)

// Server holds the dialect's dependencies.
type Server struct {
	b       *broker.Broker
	tokens  adapters.Tokens
	maxBody int64
	limiter *adapters.Limiter
}

// WithLimiter limits each token's request rate.
func (s *Server) WithLimiter(l *adapters.Limiter) *Server {
	s.limiter = l
	return s
}

// New returns the dialect's server. maxBody bounds request bodies.
func New(b *broker.Broker, tokens adapters.Tokens, maxBody int64) *Server {
	return &Server{b: b, tokens: tokens, maxBody: maxBody}
}

// Register mounts the dialect's routes on r.
func (s *Server) Register(r gin.IRouter) {
	g := r.Group("/api", s.auth)
	g.POST("/vm/diskinfo", s.diskInfo)
	g.POST("/vm/list", s.vmList)
	g.POST("/task/info", s.taskInfo)
	g.POST("/task/cancel", s.taskCancel)
	g.POST("/agent/list", s.agentList)
	g.POST("/provider/list", s.providerList)
}

const callerKey = "vcproxy.caller"

func (s *Server) auth(c *gin.Context) {
	caller, err := s.tokens.Bearer(c.Request)
	if err != nil {
		s.fail(c, err)
		c.Abort()
		return
	}
	c.Set(callerKey, caller)
	c.Set("caller", caller.Name) // for the access log
	if err := s.limiter.Allow(caller.Name); err != nil {
		s.fail(c, err)
		c.Abort()
	}
}

func callerOf(c *gin.Context) broker.Caller { return c.MustGet(callerKey).(broker.Caller) }

// bind reads and decodes the body, answering the dialect's error itself when it cannot.
func (s *Server) bind(c *gin.Context, v any) bool {
	body, err := adapters.ReadBody(c.Writer, c.Request, s.maxBody)
	if err == nil {
		err = decode(body, v)
	}
	if err != nil {
		s.fail(c, err)
		return false
	}
	return true
}

// fail answers an error in the dialect's shape.
func (s *Server) fail(c *gin.Context, err error) {
	code, errcode := status(err)
	var limited *adapters.RateLimitError
	if errors.As(err, &limited) {
		c.Header("Retry-After", limited.RetryAfterSeconds())
	}
	if code == http.StatusInternalServerError {
		c.Error(err) // logged with the request
	}
	c.JSON(code, errorBody{Errcode: errcode, Errmsg: err.Error()})
}

// Unrouted answers a request for a path or method the dialect does not have, in its shape.
func Unrouted(c *gin.Context, code int) {
	msg := "no such API: " + c.Request.Method + " " + c.Request.URL.Path
	if code == http.StatusMethodNotAllowed {
		msg = "method " + c.Request.Method + " not allowed on " + c.Request.URL.Path + " (the vcproxy API takes POST)"
	}
	c.JSON(code, errorBody{Errcode: strconv.Itoa(code), Errmsg: msg})
}
