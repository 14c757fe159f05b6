package app

import "github.com/gin-gonic/gin"

// Routes lists every route the router registers (method, path, handler), so a test can
// check that each one has a case (test/tenancy).
func (a *App) Routes() []gin.RouteInfo { return a.engine.Routes() }
