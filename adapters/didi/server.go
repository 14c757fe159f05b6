// Package didi speaks the DiDi open API dialect (/dicloud/i/...): JSON bodies, a Bearer token,
// {"errno","errmsg","requestId","data"} answers, as DiDi's custom-image list document shows.
package didi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"cloudbroker/adapters"
	"cloudbroker/broker/model"
)

// Server is the dialect: its routes and answers over what every Bearer-token dialect holds.
type Server struct{ adapters.BearerDialect }

// Register mounts the dialect's routes on r behind the edge.
func (s *Server) Register(r gin.IRouter, edge *adapters.Edge) {
	g := r.Group("/dicloud", edge.Guard(s))
	g.POST("/i/storage/cimg/list", s.cimgList)
}

// Name implements adapters.Dialect.
func (s *Server) Name() string { return "didi" }

// WriteError implements adapters.Dialect.
func (s *Server) WriteError(c *gin.Context, err error, msg string) { writeError(c, err, msg) }

func callerOf(c *gin.Context) model.Caller { return adapters.CallerOf(c) }

// requestID is the request's id (the edge's): the answer's requestId, the X-Request-Id header
// and the log line agree.
func requestID(c *gin.Context) string { return adapters.RequestID(c) }

// bind reads and decodes the body, answering the dialect's error itself when it cannot.
func (s *Server) bind(c *gin.Context, v any) bool {
	return s.Bind(c, errorWriter{}, v, decode)
}

// fail answers an error in the dialect's shape, through the edge's one error path.
func fail(c *gin.Context, err error) { adapters.Fail(c, errorWriter{}, err) }

type errorWriter struct{}

func (errorWriter) WriteError(c *gin.Context, err error, msg string) { writeError(c, err, msg) }

func writeError(c *gin.Context, err error, msg string) {
	code, errno := status(err)
	c.JSON(code, errorBody{Errno: errno, Errmsg: msg, RequestID: requestID(c)})
}

// Unrouted answers a request for a path or method the dialect does not have, in its shape.
func Unrouted(c *gin.Context, code int) {
	if code == http.StatusMethodNotAllowed {
		fail(c, noMethod(c.Request.Method, c.Request.URL.Path))
		return
	}
	fail(c, noRoute(c.Request.Method, c.Request.URL.Path))
}
