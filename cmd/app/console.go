package app

import (
	"github.com/gin-gonic/gin"

	"cloudbroker/adapters"
	"cloudbroker/adapters/console"
	"cloudbroker/adapters/didi"
	"cloudbroker/adapters/vcproxy"
)

// mountConsole serves the web console at /ui/ (adapters/console), after the dialects: ZStack's
// query language is its VM search, and each dialect renders a task as it answers it. The
// vcproxy and DiDi servers hold nothing but their dependencies, so fresh ones render as the
// mounted ones do.
func (a *App) mountConsole(r gin.IRouter, edge *adapters.Edge) {
	bd := a.bearerDialect()
	console.New(a.broker, bd.Tokens, bd.MaxBody, a.zstack,
		&vcproxy.Server{BearerDialect: bd}, a.zstack, &didi.Server{BearerDialect: bd}).Register(r, edge)
}
