package app

import (
	"cloudbroker/adapters/didi"
	"cloudbroker/adapters/vcproxy"
)

// The dialects every process serves; ZStack's, which has more to wire, is in zstack.go.
func init() {
	RegisterDialect(Dialect{Name: "vcproxy", Prefix: "/api", Unrouted: vcproxy.Unrouted, Mount: func(m Mount) Hooks {
		vcproxy.New(m.App.broker, Tokens(m.App.cfg), m.App.cfg.HTTP.MaxBodyBytes).Register(m.Router, m.Edge)
		return Hooks{}
	}})
	RegisterDialect(Dialect{Name: "didi", Prefix: "/dicloud", Unrouted: didi.Unrouted, Mount: func(m Mount) Hooks {
		didi.New(m.App.broker, Tokens(m.App.cfg), m.App.cfg.HTTP.MaxBodyBytes).Register(m.Router, m.Edge)
		return Hooks{}
	}})
}
