// Package console is the broker's web console at /ui/: a page of embedded HTML, CSS and
// JavaScript (nothing loaded from elsewhere) and the JSON API it polls under /ui/api/, for the
// same Bearer tokens as the dialects and through the same edge (request id, authentication,
// the caller's scope, rate limits). It shows providers, agents, recent tasks with their
// progress (cancel), a VM search in QueryVmInstance's query language, and a task as each
// dialect answers a poll of it; the dialects render those themselves (TaskView).
package console

import (
	"context"
	"net/url"

	"github.com/gin-gonic/gin"

	"cloudbroker/adapters"
	"cloudbroker/broker"
	"cloudbroker/broker/inventory"
	"cloudbroker/broker/model"
)

// TaskView is a dialect that shows a task as its own poll of it answers: the status and the
// body (vcproxy's task/info, ZStack's api-jobs, DiDi's Job).
type TaskView interface {
	Name() string
	TaskEnvelope(c *gin.Context, t broker.Task) (int, any)
}

// VMQuery reads a query language into the inventory query it runs for caller (ZStack's
// QueryVmInstance parameters: q=, sort=, start=, limit=).
type VMQuery interface {
	VMQuery(ctx context.Context, caller model.Caller, v url.Values) (inventory.Query, error)
}

// Server holds the console's dependencies: the broker, tokens and body bound every Bearer-token
// dialect holds, and its own.
type Server struct {
	adapters.BearerDialect
	query VMQuery
	views []TaskView
}

var _ adapters.Dialect = (*Server)(nil)

// New returns the console. query parses VM searches; views render a task per dialect, in
// the order the page shows them.
func New(b *broker.Broker, tokens adapters.Tokens, maxBody int64, query VMQuery, views ...TaskView) *Server {
	return &Server{BearerDialect: adapters.BearerDialect{Broker: b, Tokens: tokens, MaxBody: maxBody}, query: query, views: views}
}

// Register mounts the page (no credentials: it holds no data) and its API behind the edge.
func (s *Server) Register(r gin.IRouter, edge *adapters.Edge) {
	open := edge.Open(s)
	r.GET("/ui/", open, s.page)
	r.GET("/ui/assets/*file", open, s.asset)
	g := r.Group("/ui/api", edge.Guard(s))
	g.GET("/overview", s.overview)
	g.GET("/tasks/:id", s.task)
	g.POST("/tasks/:id/cancel", s.cancel)
	g.GET("/vms", s.vms)
	g.POST("/vms/:id/clone", s.clone)
}

// Name implements adapters.Dialect.
func (s *Server) Name() string { return "console" }

// WriteError implements adapters.Dialect: {"error": message, "kind": model kind}.
func (s *Server) WriteError(c *gin.Context, err error, msg string) {
	c.JSON(status(err), gin.H{"error": msg, "kind": model.KindOf(err)})
}

func callerOf(c *gin.Context) model.Caller { return adapters.CallerOf(c) }

// fail answers an error through the edge's one error path.
func (s *Server) fail(c *gin.Context, err error) { adapters.Fail(c, s, err) }
