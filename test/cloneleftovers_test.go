package test

import (
	"context"
	"errors"
	"testing"
	"time"

	"cloudbroker/broker"
	"cloudbroker/broker/gc"
	"cloudbroker/broker/model"
	"cloudbroker/config"
	"cloudbroker/drivers"
	"cloudbroker/queue"
	"cloudbroker/queue/redisstore"
	"cloudbroker/test/harness"
	"cloudbroker/test/wait"
)

// The clone-leftovers job reports only VMs a failed clone provably made. A clone to an existing
// name fails (DuplicateName) and makes nothing: the job reports nothing, in particular not the
// VM that had the name. A VM that a failed clone task did make (marked with the task's id when
// it was created, as a clone vCenter finished after the task gave up would be) is reported.
func TestCloneLeftoversAreProven(t *testing.T) {
	b := harness.Start(t, harness.Options{Tune: func(c *config.Config) {
		c.GC.CloneLeftovers.Interval = config.Duration(time.Hour) // runs only when triggered
	}})
	br := b.App.Broker()
	log := redisstore.NewCloneLog(b.Redis.Client(t), 0)
	src := vmidOf(t, br, "vc1", "DC0_H0_VM0")
	waitFor(t, "vc1's inventory to sync", func() bool {
		ps, err := br.ProviderStatuses(ctx(t), model.System)
		return err == nil && len(ps) > 0 && ps[0].Sync != nil && ps[0].Sync.State == broker.SyncSynced
	})

	task, err := br.SubmitClone(ctx(t), model.System, src, broker.CloneRequest{Names: []string{"DC0_H0_VM1"}})
	done := waitTask(t, br, task, err)
	if done.State != broker.TaskFailed || !errors.Is(done.Err, model.ErrConflict) {
		t.Fatalf("clone to an existing name: %s %v, want failed with a conflict", done.State, done.Err)
	}
	waitFor(t, "the failed clone in the clone log", func() bool {
		failed, err := log.FailedClones(ctx(t))
		return err == nil && len(failed) == 1 && failed[0].TaskID == task.ID
	})
	if res, want := runCloneLeftovers(t, b), "1 failed clone names checked, 0 leftover VMs found"; res != want {
		t.Errorf("after a DuplicateName clone: %q, want %q", res, want)
	}

	// Every clone the worker makes carries its task's id.
	made, err := br.SubmitClone(ctx(t), model.System, src, broker.CloneRequest{Names: []string{"made-by-task"}})
	done = waitTask(t, br, made, err)
	if res, err := done.CloneResult(); err != nil || len(res.Clones) != 1 || res.Clones[0].VM == nil || res.Clones[0].VM.CloneMark != made.ID {
		t.Errorf("clone through the broker: %+v, %v; want its VM marked %s", res, err, made.ID)
	}

	// A real leftover: the clone exists, marked with a task that failed.
	failedTask := queue.NewTaskID()
	conn, err := b.Executor(t).Conn(ctx(t), "vc1")
	if err != nil {
		t.Fatal(err)
	}
	srcVM := vmRef(t, br, src)
	left, err := conn.(drivers.Cloner).Clone(ctx(t), srcVM.NativeID, drivers.CloneSpec{Name: "left-behind", Mark: failedTask})
	if err != nil {
		t.Fatal(err)
	}
	if err := log.LogFailedClones(ctx(t), []broker.FailedClone{{Provider: "vc1", Name: "left-behind", TaskID: failedTask, At: time.Now()}}, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the leftover in the inventory", func() bool {
		vm, err := br.VM(ctx(t), model.System, broker.VMUUID("vc1", left.NativeID))
		return err == nil && vm.CloneMark == failedTask
	})
	want := "2 failed clone names checked, 1 leftover VMs found; vc1/left-behind (vm " + broker.VMUUID("vc1", left.NativeID) + ", task " + failedTask + ")"
	if res := runCloneLeftovers(t, b); res != want {
		t.Errorf("with a marked leftover: %q, want %q", res, want)
	}
}

// runCloneLeftovers triggers the clone-leftovers job and returns the result of that run.
func runCloneLeftovers(t *testing.T, b *harness.Broker) string {
	t.Helper()
	uuid := queue.GCJobUUID("clone-leftovers")
	runs := func() gc.Job {
		jobs, err := b.App.GC().GCJobs(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range jobs {
			if j.UUID == uuid {
				return j
			}
		}
		t.Fatal("no clone-leftovers job")
		return gc.Job{}
	}
	before := runs().Runs
	if err := b.App.GC().TriggerGCJob(ctx(t), uuid); err != nil {
		t.Fatal(err)
	}
	var j gc.Job
	waitFor(t, "the clone-leftovers run", func() bool { j = runs(); return j.Runs > before && j.Status != "Processing" })
	if j.LastError != "" {
		t.Fatalf("clone-leftovers failed: %s", j.LastError)
	}
	report, ok := gc.DecodeReport(j.LastResult)
	if !ok {
		t.Fatalf("clone-leftovers result is not a report: %s", j.LastResult)
	}
	return report.Text(model.System)
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	wait.For(t, 30*time.Second, what, ok)
}

// vmRef reads a VM through the broker (its native id).
func vmRef(t *testing.T, br *broker.Broker, vmid string) model.VM {
	t.Helper()
	vm, err := br.VM(context.Background(), model.System, vmid)
	if err != nil {
		t.Fatal(err)
	}
	return vm
}
