// Package didi speaks the DiDi open API dialect (/dicloud/i/...): JSON bodies, a Bearer token,
// {"errno","errmsg","requestId","data"} answers, as ../shared/seeds/didi-cimg-list.txt.
package didi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"cloudbroker/adapters"
	"cloudbroker/broker"
)

// Server holds the dialect's dependencies.
type Server struct {
	b       *broker.Broker
	tokens  adapters.Tokens
	maxBody int64
}

// New returns the dialect's server. maxBody bounds request bodies.
func New(b *broker.Broker, tokens adapters.Tokens, maxBody int64) *Server {
	return &Server{b: b, tokens: tokens, maxBody: maxBody}
}

// Register mounts the dialect's routes on r.
func (s *Server) Register(r gin.IRouter) {
	g := r.Group("/dicloud", s.auth)
	g.POST("/i/storage/cimg/list", s.cimgList)
}

const callerKey = "didi.caller"

func (s *Server) auth(c *gin.Context) {
	caller, err := s.tokens.Bearer(c.Request)
	if err != nil {
		fail(c, err)
		c.Abort()
		return
	}
	c.Set(callerKey, caller)
	c.Set("caller", caller.Name) // for the access log
}

func callerOf(c *gin.Context) broker.Caller { return c.MustGet(callerKey).(broker.Caller) }

// requestIDKey is where the access log (cmd/app/log.go) keeps the request's id: the answer's
// requestId is that id, so the body, the X-Request-Id header and the log line agree.
const requestIDKey = "requestId"

// requestID returns the request's id, making one only when no access log ran before the
// handler (a Server mounted on a bare engine).
func requestID(c *gin.Context) string {
	if id := c.GetString(requestIDKey); id != "" {
		return id
	}
	id := broker.NewUUID()
	c.Set(requestIDKey, id)
	c.Header("X-Request-Id", id)
	return id
}

// bind reads and decodes the body, answering the dialect's error itself when it cannot.
func (s *Server) bind(c *gin.Context, v any) bool {
	body, err := adapters.ReadBody(c.Writer, c.Request, s.maxBody)
	if err == nil {
		err = decode(body, v)
	}
	if err != nil {
		fail(c, err)
		return false
	}
	return true
}

// fail answers an error in the dialect's shape.
func fail(c *gin.Context, err error) {
	code, errno := status(err)
	if code >= http.StatusInternalServerError {
		c.Error(err) // logged with the request
	}
	c.JSON(code, errorBody{Errno: errno, Errmsg: err.Error(), RequestID: requestID(c)})
}

// Unrouted answers a request for a path or method the dialect does not have, in its shape.
func Unrouted(c *gin.Context, code int) {
	if code == http.StatusMethodNotAllowed {
		fail(c, noMethod(c.Request.Method, c.Request.URL.Path))
		return
	}
	fail(c, noRoute(c.Request.Method, c.Request.URL.Path))
}
