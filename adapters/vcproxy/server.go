// Package vcproxy speaks the vCenter-proxy dialect (/api/vm/..., /api/task/...): JSON bodies,
// {"errcode","errmsg","data"} answers and task envelopes, as the vCenter-proxy diskinfo document shows.
package vcproxy

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"cloudbroker/adapters"
	"cloudbroker/broker/model"
)

// Server is the dialect: its routes and answers over what every Bearer-token dialect holds.
type Server struct {
	adapters.BearerDialect
	rendered renderedTasks // finished tasks' task/info bodies (rendered.go)
}

// Register mounts the dialect's routes on r behind the edge.
func (s *Server) Register(r gin.IRouter, edge *adapters.Edge) {
	g := r.Group("/api", edge.Guard(s))
	g.POST("/vm/diskinfo", s.diskInfo)
	g.POST("/vm/list", s.vmList)
	g.POST("/task/info", s.taskInfo)
	g.POST("/task/cancel", s.taskCancel)
	g.POST("/agent/list", s.agentList)
	g.POST("/provider/list", s.providerList)
}

// Name implements adapters.Dialect.
func (s *Server) Name() string { return "vcproxy" }

// WriteError implements adapters.Dialect.
func (s *Server) WriteError(c *gin.Context, err error, msg string) {
	code, errcode := status(err)
	c.JSON(code, errorBody{Errcode: errcode, Errmsg: msg})
}

func callerOf(c *gin.Context) model.Caller { return adapters.CallerOf(c) }

// bind reads and decodes the body, answering the dialect's error itself when it cannot.
func (s *Server) bind(c *gin.Context, v any) bool {
	return s.Bind(c, s, v, decode)
}

// fail answers an error in the dialect's shape, through the edge's one error path.
func (s *Server) fail(c *gin.Context, err error) { adapters.Fail(c, s, err) }

// Unrouted answers a request for a path or method the dialect does not have, in its shape.
func Unrouted(c *gin.Context, code int) {
	msg := "no such API: " + c.Request.Method + " " + c.Request.URL.Path
	if code == http.StatusMethodNotAllowed {
		msg = "method " + c.Request.Method + " not allowed on " + c.Request.URL.Path + " (the vcproxy API takes POST)"
	}
	c.JSON(code, errorBody{Errcode: strconv.Itoa(code), Errmsg: msg})
}
