package queue

// Redis keys and asynq queue names. Every key is cloudbroker's own prefix, next to asynq's.
const (
	// DefaultQueue serves providers with no clientid: the broker's own workers.
	DefaultQueue = "default"
	// doneChannel carries the id of every task that finished, for sync waiters.
	doneChannel = "cb:task-done"
	// vmRefsKey maps broker VM uuid → provider + native id.
	vmRefsKey = "cb:vmrefs"
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

func recordKey(taskID string) string { return "cb:task:" + taskID }
