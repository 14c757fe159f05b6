package queue_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"cloudbroker/broker"
	"cloudbroker/broker/longjobs"
	"cloudbroker/broker/model"
	"cloudbroker/queue"
	"cloudbroker/queue/internal/keys"
)

// Tenant B's tasks, one per way a task comes to be, each in the state the case needs.
var (
	victimSpec = broker.TaskSpec{Type: broker.TypeVMDiskInfo, Provider: "vc-tenant-b", VMID: "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", NativeID: "vm-secret-b"}
	victimRun  = broker.TaskSpec{Type: "zstack:CreateUserTag", Owner: "owner-tenant-b", Args: json.RawMessage(`{"tag":"secret-tag-b"}`)}
	// attackSpec is tenant A's own request, naming B's id.
	attackSpec = broker.TaskSpec{Type: broker.TypeVMPower, Provider: "vc-tenant-a", VMID: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NativeID: "vm-a", Args: json.RawMessage(`{"op":"stop"}`)}
)

// snapshot is everything Redis holds about one task id: our keys (record, claim, long job)
// byte for byte, and asynq's task hash in every queue.
func snapshot(t *testing.T, rdb redis.UniversalClient, id string) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	keys, err := rdb.Keys(ctx, "*"+id+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		typ := rdb.Type(ctx, k).Val()
		switch typ {
		case "hash":
			h := rdb.HGetAll(ctx, k).Val()
			b, _ := json.Marshal(h)
			out[k] = string(b)
		case "string":
			out[k] = rdb.Get(ctx, k).Val()
		default:
			out[k] = typ
		}
	}
	// Indexes that name the id: queue lists and sets, the long-job index.
	for _, k := range rdb.Keys(ctx, "asynq:{*}:*").Val() {
		switch rdb.Type(ctx, k).Val() {
		case "list":
			for _, v := range rdb.LRange(ctx, k, 0, -1).Val() {
				if v == id {
					out[k+" list"] = v
				}
			}
		case "zset":
			if s, err := rdb.ZScore(ctx, k, id).Result(); err == nil {
				out[k+" zset"] = time.UnixMilli(int64(s)).String()
			}
		}
	}
	if s, err := rdb.ZScore(ctx, "cb:longjobs", id).Result(); err == nil {
		out["cb:longjobs zset"] = time.UnixMilli(int64(s)).String()
	}
	return out
}

// taskInfo is asynq's view of id wherever it is, for before/after comparisons.
func taskInfo(insp *asynq.Inspector, id string) map[string]*asynq.TaskInfo {
	out := map[string]*asynq.TaskInfo{}
	qs, _ := insp.Queues()
	for _, q := range qs {
		if info, err := insp.GetTaskInfo(q, id); err == nil {
			info.NextProcessAt = time.Time{} // computed from the clock when read
			out[q] = info
		}
	}
	return out
}

// A chosen id that names another tenant's task, whatever made it, wherever and in whatever
// state it is, is refused with a message that names nothing of that task, and nothing of it
// changes. Its owner repeating its own request still gets its task back.
func TestChosenIDNamingAnotherTenantsTask(t *testing.T) {
	exec := &scripted{answer: func(int32, broker.TaskSpec) (json.RawMessage, error) { return json.RawMessage(`{"secret":"b"}`), nil }}
	r := setup(t, exec, queue.Config{Retention: time.Hour}, true)
	rdb := r.red.CheckedClient(t)
	insp := asynq.NewInspectorFromRedisClient(rdb)
	ctx := context.Background()
	// finished waits for a task and then for asynq to move it out of its active list (it does
	// so just after the result is written), so snapshots before and after an attack compare
	// the same state.
	finished := func(t *testing.T, id string) {
		waitDone(t, r.q, id)
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			info, err := insp.GetTaskInfo(queue.DefaultQueue, id)
			if err == nil && info.State == asynq.TaskStateCompleted {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("task %s: %v %v, want completed", id, info, err)
			}
		}
	}

	submitted := func(t *testing.T, spec broker.TaskSpec, wait bool) string {
		sub, err := r.q.Submit(ctx, spec)
		if err != nil {
			t.Fatal(err)
		}
		if wait {
			finished(t, sub.ID)
		}
		return sub.ID
	}
	for _, tc := range []struct {
		name string
		make func(t *testing.T) (id string, spec broker.TaskSpec)
		// again repeats B's own request, when B can (nil: the task is past its record).
		again func(id string, spec broker.TaskSpec) (broker.Task, error)
	}{
		{"live vcproxy-style task on an agent queue", func(t *testing.T) (string, broker.TaskSpec) {
			s := victimSpec
			s.ClientID = "agent-b" // no worker serves it: it stays pending
			return submitted(t, s, false), s
		}, nil},
		{"finished task", func(t *testing.T) (string, broker.TaskSpec) {
			return submitted(t, victimSpec, true), victimSpec
		}, nil},
		{"finished task under a chosen id", func(t *testing.T) (string, broker.TaskSpec) {
			id := queue.NewTaskID()
			if _, err := r.q.SubmitWithID(ctx, id, victimSpec); err != nil {
				t.Fatal(err)
			}
			finished(t, id)
			return id, victimSpec
		}, func(id string, s broker.TaskSpec) (broker.Task, error) { return r.q.SubmitWithID(ctx, id, s) }},
		{"long job", func(t *testing.T) (string, broker.TaskSpec) {
			id := submitted(t, victimSpec, true)
			if _, err := r.q.PutLongJob(ctx, longjobs.Job{ID: id, Name: "secret-job-b", JobName: "APIStopVmInstanceMsg", JobData: "{}"}); err != nil {
				t.Fatal(err)
			}
			return id, victimSpec
		}, nil},
		{"RunNow record", func(t *testing.T) (string, broker.TaskSpec) {
			task, err := r.q.Record(ctx, "", victimRun, func(context.Context) (json.RawMessage, error) { return json.RawMessage(`{}`), nil })
			if err != nil {
				t.Fatal(err)
			}
			return task.ID, victimRun
		}, func(id string, s broker.TaskSpec) (broker.Task, error) {
			return r.q.Record(ctx, id, s, func(context.Context) (json.RawMessage, error) { return nil, errors.New("ran again") })
		}},
		{"expired record, asynq still holds the task", func(t *testing.T) (string, broker.TaskSpec) {
			id := submitted(t, victimSpec, true)
			rdb.Del(ctx, keys.Record(id), keys.Claim(id)) // what retention does to them
			return id, victimSpec
		}, nil},
		{"task in the gc queue", func(t *testing.T) (string, broker.TaskSpec) {
			id := queue.NewTaskID()
			if _, err := asynq.NewClientFromRedisClient(rdb).Enqueue(asynq.NewTask("gc:secret-b", nil), asynq.TaskID(id), asynq.Queue("gc")); err != nil {
				t.Fatal(err)
			}
			return id, victimSpec
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, spec := tc.make(t)
			before, beforeInfo := snapshot(t, rdb, id), taskInfo(insp, id)
			if len(before) == 0 || len(beforeInfo) == 0 && tc.name != "RunNow record" {
				t.Fatalf("victim %s not in Redis: %v %v", id, before, beforeInfo)
			}
			var ran atomic.Bool
			attacks := map[string]func() error{
				"SubmitWithID": func() error { _, err := r.q.SubmitWithID(ctx, id, attackSpec); return err },
				"Record": func() error {
					_, err := r.q.Record(ctx, id, attackSpec, func(context.Context) (json.RawMessage, error) { ran.Store(true); return nil, nil })
					return err
				},
			}
			for name, attack := range attacks {
				err := attack()
				if !errors.Is(err, model.ErrInvalid) {
					t.Fatalf("%s naming it: %v, want an invalid-request error", name, err)
				}
				for _, secret := range []string{spec.Type, spec.Provider, spec.VMID, spec.NativeID, spec.Owner, spec.ClientID, "secret", "tag", "vm", "diskinfo", "expired"} {
					if secret != "" && strings.Contains(err.Error(), secret) {
						t.Errorf("%s: error %q names %q of the other task", name, err, secret)
					}
				}
			}
			if ran.Load() {
				t.Error("Record ran its operation under a refused id")
			}
			if diff := cmp.Diff(before, snapshot(t, rdb, id)); diff != "" {
				t.Errorf("the other task's keys changed (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(beforeInfo, taskInfo(insp, id)); diff != "" {
				t.Errorf("asynq's task changed (-before +after):\n%s", diff)
			}
			if tc.again == nil {
				return
			}
			got, err := tc.again(id, spec)
			if err != nil || got.ID != id || !got.State.Done() {
				t.Errorf("B repeating its own request: %+v, %v; want its finished task", got, err)
			}
		})
	}
}

// Racing callers naming one fresh id make exactly one task: every other caller is refused,
// and the one record and asynq task are the winner's.
func TestChosenIDRace(t *testing.T) {
	r := setup(t, &scripted{}, queue.Config{}, false)
	ctx := context.Background()
	insp := asynq.NewInspectorFromRedisClient(r.red.CheckedClient(t))
	const n = 16
	specs := make([]broker.TaskSpec, n)
	for i := range specs {
		specs[i] = attackSpec
		specs[i].Owner = "tenant-" + string(rune('a'+i)) // each its own request
		specs[i].ClientID = []string{"", "agent-x"}[i%2] // and half on an agent queue
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	tasks := make([]broker.Task, n)
	for i := range specs {
		wg.Go(func() { tasks[i], errs[i] = r.q.SubmitWithID(ctx, chosenID, specs[i]) })
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner < 0:
			winner = i
		case err == nil:
			t.Errorf("submissions %d and %d both made task %s", winner, i, chosenID)
		case !errors.Is(err, model.ErrInvalid):
			t.Errorf("submission %d: %v, want an invalid-request error", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no submission made the task")
	}
	got, err := r.q.Get(ctx, chosenID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(specs[winner], got.Spec); diff != "" {
		t.Errorf("the record is not the winner's (-want +got):\n%s", diff)
	}
	if infos := taskInfo(insp, chosenID); len(infos) != 1 || infos[queue.QueueFor(specs[winner].ClientID)] == nil {
		t.Errorf("asynq holds %d tasks under the id, want 1 in the winner's queue: %v", len(infos), infos)
	}
}
