package app

import (
	"github.com/gin-gonic/gin"

	"cloudbroker/adapters"
	"cloudbroker/adapters/console"
	"cloudbroker/adapters/didi"
	"cloudbroker/adapters/vcproxy"
)

// mountConsole serves the web console at /ui/ (adapters/console), after the ZStack dialect:
// ZStack's query language is its VM search, and each dialect renders a task as it answers it.
// The vcproxy and DiDi servers hold nothing but their dependencies, so fresh ones render as
// the mounted ones do.
func (a *App) mountConsole(r gin.IRouter, edge *adapters.Edge) {
	tokens, maxBody := Tokens(a.cfg), a.cfg.HTTP.MaxBodyBytes
	console.New(a.broker, tokens, maxBody, a.zs.server,
		vcproxy.New(a.broker, tokens, maxBody), a.zs.server, didi.New(a.broker, tokens, maxBody)).Register(r, edge)
}
