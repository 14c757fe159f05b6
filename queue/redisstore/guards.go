package redisstore

import (
	"cloudbroker/adapters"
	"cloudbroker/broker"
	"cloudbroker/broker/license"
	"cloudbroker/broker/nodes"
	"cloudbroker/broker/notify"
	"cloudbroker/broker/tags"
)

// The store interfaces each type here implements, in one list: what this package provides.
var (
	_ broker.CloneFailureLog   = (*CloneLog)(nil)
	_ license.Store            = (*Licenses)(nil)
	_ broker.LiveSnapshotStore = (*LiveSnapshots)(nil)
	_ broker.InventoryStore    = (*Inventory)(nil)
	_ broker.FollowedStatuses  = (*Inventory)(nil)
	_ broker.ListingStore      = (*Listings)(nil)
	_ adapters.AttemptStore    = (*Logins)(nil)
	_ nodes.Store              = (*Nodes)(nil)
	_ notify.Store             = (*Notifications)(nil)
	_ broker.RefStore          = (*Refs)(nil)
	_ tags.Store               = (*Tags)(nil)
)
