package app

import (
	"time"

	"cloudbroker/broker"
	"cloudbroker/config"
	"cloudbroker/queue"
)

// onDataLoss registers what this broker process re-establishes when Redis loses its data
// (queue.Epoch): asynq's registration of its queues, the clean-up jobs, the inventory follower
// (it loads again), the provider lists held of every kind (images, hosts, networks, storage:
// dropped, so listed live until refreshed), and, with a worker, its running watches (they end; every replica's
// scheduleWatches enqueues each provider's one watch again, which loads it fully). Heartbeats
// (management node, agents) rewrite their keys on every beat and need nothing.
func (a *App) onDataLoss() {
	a.epoch.OnLoss(a.queue.Reregister)
	a.epoch.OnLoss(a.gc.Restore)
	if a.inv != nil {
		a.epoch.OnLoss(a.inv.Reload)
		a.epoch.OnLoss(a.listings.Reload)
	}
	if a.exec != nil {
		a.epoch.OnLoss(a.exec.EndWatches)
	}
}

// watchesOnDataLoss is an agent's part: its running watches end, so the watch enqueued anew
// by the brokers loads the provider again.
func watchesOnDataLoss(e *queue.Epoch, exec *broker.Executor) { e.OnLoss(exec.EndWatches) }

// recordWait is how long a worker waits for the record of a task it took: the submitting
// call writes it within queue.RecordWindow of the enqueue's start, by Redis's clock; 2s more
// cover clocks that disagree a little.
func recordWait(cfg *config.Config) time.Duration {
	return queue.RecordWindow(cfg.Redis.Timeout.D()) + 2*time.Second
}
