package keys

import "strings"

// asynq's own key layout (internal/base in the pinned asynq v0.26.0), for the few places that
// read or repair it directly.

// AsynqAllQueues is the set of queue names.
const AsynqAllQueues = "asynq:queues"

// AsynqTask is one task's hash, whatever its state.
func AsynqTask(queue, id string) string { return "asynq:{" + queue + "}:t:" + id }

// AsynqTaskID is the task id in k if k is a task's hash (AsynqTask).
func AsynqTaskID(k string) (string, bool) {
	if !strings.HasPrefix(k, "asynq:{") {
		return "", false
	}
	i := strings.Index(k, "}:t:")
	if i < 0 {
		return "", false
	}
	return k[i+len("}:t:"):], true
}

// AsynqLease is a queue's leases: task id → expiry.
func AsynqLease(queue string) string { return "asynq:{" + queue + "}:lease" }

// AsynqState is one of a queue's task-state keys: "pending" and "active" are lists (newest
// first), "scheduled", "retry", "completed" and "archived" sorted sets of task ids.
func AsynqState(queue, state string) string { return "asynq:{" + queue + "}:" + state }
