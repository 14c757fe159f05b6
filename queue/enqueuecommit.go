package queue

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// A fresh task's record is written with its enqueue, in one round trip where a submission
// took two (issue 17). asynq's client runs its enqueue script on the client given to it; that
// client (enqueueClient) sends a submission's record commit (commit.go) in the same pipeline,
// right after the enqueue script, when the submission asks for it (withCommit). Redis runs the
// two in order, and a worker runs nothing without the record, as before. The record's deadline
// is one WriteWithin from the enqueue's start (not RecordWindow's two): the call gives up on
// the pair no earlier than that, so a pair Redis runs after the call answered "unavailable"
// writes no record, and its task never runs, as when the enqueue alone went first.
//
// Only where the two run in order on one server: a Cluster client splits a pipeline by slot
// (the record and asynq's task are in different slots), so there a submission writes its
// record after its enqueue, as before. Only for a fresh id: its commit writes nothing when the
// id is anyone's already, whereas a chosen id's record is written whatever asynq answered.

// enqueueClient is the Redis client asynq's Client runs on.
type enqueueClient struct {
	redis.UniversalClient
}

// pipelinedCommit is a record commit to send with the enqueue: keys and args as commit.go
// passes them to commitScript, and the command once sent (nil when it was not, or was undone).
type pipelinedCommit struct {
	keys []string
	args []any
	sent bool
	cmd  *redis.Cmd
}

type commitKey struct{}

// withCommit asks the enqueue made with ctx to carry c.
func withCommit(ctx context.Context, c *pipelinedCommit) context.Context {
	return context.WithValue(ctx, commitKey{}, c)
}

// EvalSha runs asynq's script, with the commit ctx carries right after it in one pipeline.
// asynq's enqueue is its only script call under such a ctx; a retry after NOSCRIPT (go-redis
// then sends the script with EVAL) goes alone, and the submission writes its record itself.
func (c enqueueClient) EvalSha(ctx context.Context, sha1 string, keys []string, args ...any) *redis.Cmd {
	pc, ok := ctx.Value(commitKey{}).(*pipelinedCommit)
	if !ok || pc.sent {
		return c.UniversalClient.EvalSha(ctx, sha1, keys, args...)
	}
	pc.sent = true
	var enqueue *redis.Cmd
	_, _ = c.UniversalClient.Pipelined(ctx, func(p redis.Pipeliner) error {
		enqueue = p.EvalSha(ctx, sha1, keys, args...)
		pc.cmd = commitScript.EvalSha(ctx, p, pc.keys, pc.args...)
		return nil
	})
	if redis.HasErrorPrefix(enqueue.Err(), "NOSCRIPT") {
		// Redis lost its scripts (a restart): go-redis sends asynq's again with EVAL, after
		// this record. Undo it; the submission writes it after the enqueue, as on a Cluster
		// (a record left behind makes that write answer "taken", and Submit picks another id).
		_ = pc.undo(ctx, c.UniversalClient)
	}
	return enqueue
}

// undo removes the record (and claim) the commit wrote if it was sent with the enqueue and
// wrote them, and forgets the commit.
func (pc *pipelinedCommit) undo(ctx context.Context, rdb redis.UniversalClient) error {
	var err error
	if pc.cmd != nil {
		if n, cerr := pc.cmd.Int(); cerr == nil && n == 1 {
			err = rdb.Del(context.WithoutCancel(ctx), pc.keys...).Err()
		}
	}
	pc.cmd = nil
	return err
}

// dropPipelinedRecord removes the record (and claim) a commit sent with a failed enqueue wrote:
// nothing was submitted. Best effort: left behind, it reads as lost under an id nobody was given.
func (q *Queue) dropPipelinedRecord(ctx context.Context, id string, rec *pipelinedCommit) {
	if err := rec.undo(ctx, q.rdb); err != nil {
		q.cfg.Logger.Warn("the record of a task whose enqueue failed stays; it reads as lost", "task", id, "err", err)
	}
}

// enqueueClientFor is the client asynq's Client should run on: rdb itself on a Cluster.
func enqueueClientFor(rdb redis.UniversalClient) redis.UniversalClient {
	if _, cluster := rdb.(*redis.ClusterClient); cluster {
		return rdb
	}
	return enqueueClient{rdb}
}
