package app

import (
	"cloudbroker/broker/gc"
	"cloudbroker/broker/license"
	"cloudbroker/broker/longjobs"
	"cloudbroker/broker/nodes"
	"cloudbroker/broker/notify"
	"cloudbroker/broker/tags"
	"cloudbroker/queue/redisstore"
)

// features are the broker's feature services, each built here and only here, the same way:
// New(its store, its dependencies), the core broker among them. The dialects call them.
type features struct {
	notes *notify.Service
	gc    *gc.Service
	jobs  *longjobs.Service
	nodes *nodes.Service
	tags  *tags.Service
	lic   *license.Service
}

// buildFeatures builds the feature services over their Redis stores.
func (a *App) buildFeatures(notes *redisstore.Notifications, clones *redisstore.CloneLog) {
	keys, _ := a.cfg.License.Keys() // validated with the configuration
	a.features = features{
		tags:  tags.New(redisstore.NewTags(a.rdb), tags.Deps{Core: a.broker}),
		lic:   license.New(redisstore.NewLicenses(a.rdb), license.Deps{Keys: keys, Log: a.log}),
		notes: notify.New(notes, notify.Deps{Core: a.broker, Log: a.log}),
		nodes: nodes.New(a.node.registry, nodes.Deps{Core: a.broker}),
		jobs:  longjobs.New(a.queue, longjobs.Deps{Core: a.broker}),
		gc:    gc.New(a.gc, gc.Deps{Core: a.broker, Clones: clones, Notes: notes, Log: a.log}),
	}
}

// Notifications is the notification service.
func (a *App) Notifications() *notify.Service { return a.features.notes }
