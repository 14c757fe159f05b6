package queue

// asynq queue names (Redis keys: internal/keys).
const (
	// DefaultQueue serves providers with no clientid: the broker's own workers.
	DefaultQueue = "default"
)

// QueueFor names the asynq queue that serves a clientid.
func QueueFor(clientid string) string {
	if clientid == "" {
		return DefaultQueue
	}
	return "site:" + clientid
}

// WatchQueue names the queue of a task queue's inventory watches.
func WatchQueue(queue string) string { return queue + ":inventory" }
