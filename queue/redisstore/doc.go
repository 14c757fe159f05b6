// Package redisstore is the Redis implementation of the stores the broker's features and the
// edge keep their shared state in (broker.TagStore, broker.NotificationStore,
// broker.InventoryStore, adapters.AttemptStore, ...): one file per store, named for what it
// keeps, so every broker replica and agent sees the same state.
//
// Key names and hash tags come from queue/internal/keys, whose comment says which keys share a
// Redis Cluster slot and why; each store's scripts stay beside it and name their keys from
// there. The task queue itself, and what lives with a task's record, is package queue.
package redisstore
