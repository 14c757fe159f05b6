// Package queue runs the broker's tasks on asynq over Redis: submission under claimed ids, task
// records with a retention, sync waits, cancel, the worker, webhook delivery, the clean-up (GC)
// job runner, and the data-loss check (Epoch) every process runs.
//
// What is kept with a task stays here because it lives and dies with the task's record: a long
// job's metadata and a task's progress history share the record's hash tag and lifetime, and
// their scripts read the record (longjobs.go, progress.go). Agent heartbeats stay too
// (agents.go): the heartbeat holds the one-process-per-clientid lock that makes it safe to
// recover every active task of the agent's queue as an orphan (RecoverOrphans).
//
// The Redis stores of other features (tags, sessions, licence, notifications, the inventory,
// management nodes, ...) are in queue/redisstore. Every key name and hash tag, for both, is in
// queue/internal/keys. The package takes its settings as its own option types (RedisOptions,
// Config, WorkerConfig); cmd/app maps the configuration to them.
package queue
