package queue_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker"
	"cloudbroker/queue"
	"cloudbroker/queue/internal/keys"
)

// A target the index held no job for is not read again for a while (nojobs.go), and a task
// indexed on it shows at once: through the same process, or another one that read it before.
func TestNoJobsRememberedUntilOneIsAdded(t *testing.T) {
	for _, tc := range []struct {
		name    string
		another bool // the task is submitted through another process than the one listing
	}{
		{"same process", false},
		{"another process", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := setup(t, &scripted{}, queue.Config{}, false)
			ctx := context.Background()
			target := broker.Target{Provider: "p1", NativeID: "vm-42"}
			submitter := r.q
			if tc.another {
				submitter = queue.New(r.red.CheckedClient(t), queue.Config{})
				t.Cleanup(func() { submitter.Close() })
			}
			if got := jobIDs(t, r.q, target); len(got) != 0 {
				t.Fatalf("jobs before any task: %v", got)
			}
			// Read again: no command for the target (the index key's hash is in its name).
			rdb := r.red.Client(t)
			m := startMonitor(t, r.red.Addr)
			jobIDs(t, r.q, target)
			m.sync(t, rdb)
			hash := strings.TrimPrefix(keys.Jobs(target.Provider, target.NativeID), "cb:jobs:")
			if cmds := m.of(hash); len(cmds) != 0 {
				t.Errorf("a second read of a target without a job sent %v", cmds)
			}

			job, err := submitter.Submit(ctx, broker.TaskSpec{Type: broker.TypeVMDiskInfo, Provider: "p1", NativeID: "vm-42"})
			if err != nil {
				t.Fatal(err)
			}
			want := map[broker.Target][]string{target: {job.ID + ":pending"}}
			// Another process hears of it over pub/sub: well before the remembered answer would
			// have lapsed (a second), which is what this checks.
			var got map[broker.Target][]string
			for deadline := time.Now().Add(500 * time.Millisecond); ; time.Sleep(5 * time.Millisecond) {
				if got = jobIDs(t, r.q, target); len(got) > 0 || time.Now().After(deadline) {
					break
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("jobs after a submission (-want +got):\n%s", diff)
			}
		})
	}
}
