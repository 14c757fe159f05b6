package queue

import (
	"crypto/sha256"
	"encoding/hex"

	"cloudbroker/broker"
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
//	cb:{livesnap}:*                        one slot each (inventory.go, notifications.go,
//	                                       tags.go, livesnapshots.go)
//	asynq:{<queue>}:*                      asynq's own, tagged by queue: per-site queues land
//	                                       on different slots. We use asynq one queue at a
//	                                       time; what looks across queues (heldByAsynq,
//	                                       Depths, the archive sweep) sends one command per
//	                                       queue, never one over several
//
// A scan (the GC's scanKeys) runs on every master: SCAN sees only the node it is sent to.
//
// The remaining keys (sessions, login attempts, GC jobs, licence, ...) are only ever used one at
// a time. A test (slots_test.go) checks every command the queue tests send for cross-slot use.

const (
	// doneChannel carries the id of every task that finished, for sync waiters.
	doneChannel = "cb:task-done"
	// vmRefsKey maps broker VM uuid → provider + native id.
	vmRefsKey = "cb:vmrefs"
	// longJobIndexKey is the sorted set of long job ids, scored by expiry (ms).
	longJobIndexKey = "cb:longjobs"
	// webhooksKey is a sorted set of the job ids with a pending hook, scored by expiry (ms).
	webhooksKey = "cb:webhooks"
	// agentsKey is the set of clientids ever seen.
	agentsKey = "cb:agents"
)

// taskTag is the hash tag of one task's keys.
func taskTag(id string) string { return "{" + id + "}" }

func recordKey(id string) string { return "cb:task:" + taskTag(id) }

// legacyRecordKey is where records were written before they had a hash tag: Get still reads
// them until they expire, so tasks accepted before an upgrade stay readable.
func legacyRecordKey(id string) string { return "cb:task:" + id }
func claimKey(id string) string        { return "cb:taskclaim:" + taskTag(id) }
func progressKey(id string) string     { return "cb:progress:" + taskTag(id) }
func longJobKey(id string) string      { return "cb:longjob:" + taskTag(id) }

// jobsKey is the job index of one target (jobs.go).
func jobsKey(t broker.Target) string {
	sum := sha256.Sum256([]byte(t.Provider + "\x00" + t.NativeID))
	return "cb:jobs:" + hex.EncodeToString(sum[:16])
}

func hookKey(jobID string) string         { return "cb:webhook:" + jobID }
func agentKey(clientid string) string     { return "cb:agent:" + clientid }
func agentLockKey(clientid string) string { return "cb:agent:" + clientid + ":lock" }
