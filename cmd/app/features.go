package app

import (
	"cloudbroker/broker/gc"
	"cloudbroker/broker/notify"
	"cloudbroker/queue"
)

// features are the broker's feature services, each built here and only here, the same way:
// New(its store, its dependencies), the core broker among them. The dialects call them.
type features struct {
	notes *notify.Service
	gc    *gc.Service
}

// buildFeatures builds the feature services over their Redis stores.
func (a *App) buildFeatures(notes *queue.Notifications, clones *queue.CloneLog) {
	a.features = features{
		notes: notify.New(notes, notify.Deps{Core: a.broker, Log: a.log}),
		gc:    gc.New(a.gc, gc.Deps{Core: a.broker, Clones: clones, Notes: notes, Log: a.log}),
	}
}

// Notifications is the notification service.
func (a *App) Notifications() *notify.Service { return a.features.notes }
