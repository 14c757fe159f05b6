package app

import (
	"cloudbroker/adapters"
	"cloudbroker/adapters/didi"
	"cloudbroker/adapters/vcproxy"
)

// The dialects every process serves; ZStack's, which has more to wire, is in zstack.go.
func init() {
	RegisterDialect(Dialect{Name: "vcproxy", Prefix: "/api", Unrouted: vcproxy.Unrouted, Mount: func(m Mount) Hooks {
		(&vcproxy.Server{BearerDialect: m.App.bearerDialect()}).Register(m.Router, m.Edge)
		return Hooks{}
	}})
	RegisterDialect(Dialect{Name: "didi", Prefix: "/dicloud", Unrouted: didi.Unrouted, Mount: func(m Mount) Hooks {
		(&didi.Server{BearerDialect: m.App.bearerDialect()}).Register(m.Router, m.Edge)
		return Hooks{}
	}})
}

// bearerDialect is what a Bearer-token dialect is built with in this process.
func (a *App) bearerDialect() adapters.BearerDialect {
	return adapters.BearerDialect{Broker: a.broker, Tokens: Tokens(a.cfg), MaxBody: a.cfg.HTTP.MaxBodyBytes}
}
