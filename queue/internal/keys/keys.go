// Package keys names every Redis key cloudbroker uses, the queue's and the stores' alike
// (queue/redisstore), and the hash tags that keep each multi-key operation in one Redis Cluster
// slot. A key is named here and nowhere else, so a reader sees the whole layout at once.
package keys

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// Redis keys. Every key is cloudbroker's own prefix "cb:", next to asynq's "asynq:".
//
// On a Redis Cluster a transaction or a script may only touch keys of one slot, so every key an
// operation uses together shares one hash tag (the part in braces, which alone picks the slot):
//
//	cb:task:{<id>}, cb:taskclaim:{<id>},   one task's record, id claim, progress history and
//	cb:progress:{<id>}, cb:longjob:{<id>}  long-job metadata: tagged by the task id, so tasks
//	                                       spread over the masters and each task's scripts
//	                                       (claim, record, progress, long job) stay in one slot
//	cb:jobs:<target>, cb:longjobs,         indexes, each one key in its own slot. They are
//	cb:webhooks, cb:agents, cb:nodes       written in a step after the keys they point at
//	                                       (record first, then index) and readers drop an entry
//	                                       whose key is gone, so a crash between the two steps
//	                                       leaves at worst an entry the next reader removes
//	cb:{inv}:*, cb:{notes}:*, cb:{tags}:*, stores whose scripts need their whole index at once:
//	cb:{livesnap}:*                        one slot each (queue/redisstore: inventory.go,
//	                                       notifications.go, tags.go, livesnapshots.go)
//	asynq:{<queue>}:*                      asynq's own, tagged by queue: per-site queues land
//	                                       on different slots. We use asynq one queue at a
//	                                       time; what looks across queues (heldByAsynq,
//	                                       Depths, the archive sweep) sends one command per
//	                                       queue, never one over several
//
// A scan (the GC's scanKeys) runs on every master: SCAN sees only the node it is sent to.
//
// The remaining keys (sessions, login attempts, GC jobs, licence, ...) are only ever used one at
// a time. The slot checker (test/redistest/slots.go) checks every command the queue's and the
// stores' tests send for cross-slot use, and keys_test.go that each group above shares its slot.

const (
	// TaskDone is the pub/sub channel that carries the id of every task that finished, for
	// sync waiters.
	TaskDone = "cb:task-done"
	// JobsAdded is the pub/sub channel that carries the job index key (Jobs) a task was just
	// added to, so processes that remember the target has no job forget it.
	JobsAdded = "cb:jobs-added"
	// HookAdded is the pub/sub channel that carries the id of a job a webhook was just
	// registered for, so every replica's dispatcher knows which task ends to look at.
	HookAdded = "cb:hook-added"
	// Unqueued is the sorted set of the newest tasks that finished without an asynq entry
	// (inline runs, RunNow), scored by finish time (ms), for the recent-tasks list.
	Unqueued = "cb:unqueued"
	// VMRefs maps broker VM uuid → provider + native id.
	VMRefs = "cb:vmrefs"
	// LongJobIndex is the sorted set of long job ids, scored by expiry (ms).
	LongJobIndex = "cb:longjobs"
	// Webhooks is a sorted set of the job ids with a pending hook, scored by expiry (ms).
	Webhooks = "cb:webhooks"
	// Agents is the set of clientids ever seen.
	Agents = "cb:agents"
	// JobsPattern matches every job index (Jobs), for the GC's scan.
	JobsPattern = "cb:jobs:*"
	// Epoch is the marker whose change means Redis lost its data (queue/epoch.go).
	Epoch = "cb:epoch"
)

// taskTag is the hash tag of one task's keys.
func taskTag(id string) string { return "{" + id + "}" }

// Record is one task's record.
func Record(id string) string { return "cb:task:" + taskTag(id) }

// LegacyRecord is where records were written before they had a hash tag: Get still reads
// them until they expire, so tasks accepted before an upgrade stay readable.
func LegacyRecord(id string) string { return "cb:task:" + id }

// Claim is the claim on a task id (queue/taskclaim.go).
func Claim(id string) string { return "cb:taskclaim:" + taskTag(id) }

// Progress is a task's progress history.
func Progress(id string) string { return "cb:progress:" + taskTag(id) }

// LongJob is a long job's metadata, next to its task's record.
func LongJob(id string) string { return "cb:longjob:" + taskTag(id) }

// Jobs is the job index of one target (queue/jobs.go).
func Jobs(provider, nativeID string) string {
	sum := sha256.Sum256([]byte(provider + "\x00" + nativeID))
	return "cb:jobs:" + hex.EncodeToString(sum[:16])
}

// Bell is the pub/sub channel on which an agent hears of a sync request's task offered to it
// (queue/bell.go). A channel, not a key: no slot.
func Bell(clientid string) string { return "cb:bell:" + clientid }

// Hook is the pending webhook of one job.
func Hook(jobID string) string { return "cb:webhook:" + jobID }

// Agent is an agent's last heartbeat.
func Agent(clientid string) string { return "cb:agent:" + clientid }

// AgentLock is the lock of the one process per clientid.
func AgentLock(clientid string) string { return "cb:agent:" + clientid + ":lock" }

// GCJob is one clean-up job's state (queue/gc.go).
func GCJob(name string) string { return "cb:gc:job:" + name }

// GCPeriod is the claim of a clean-up job's scheduled run in one period (its number since the
// Unix epoch, in intervals).
func GCPeriod(name string, period int64) string {
	return "cb:gc:period:" + name + ":" + strconv.FormatInt(period, 10)
}
