package queue_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker"
	"cloudbroker/queue"
)

// A task recorded before records had a hash tag (cb:task:<id>, as a broker before the Cluster
// layout wrote it) is still read, so an upgrade does not turn accepted tasks into "not found".
func TestRecordWithoutHashTagIsRead(t *testing.T) {
	r := setup(t, &scripted{}, queue.Config{}, false)
	ctx := context.Background()
	rdb := r.red.CheckedClient(t)
	id := queue.NewTaskID()
	spec, _ := json.Marshal(broker.TaskSpec{Type: "zstack:CreateUserTag", Owner: "tenant-a"})
	now := time.Now()
	err := rdb.HSet(ctx, "cb:task:"+id, "queue", "", "spec", spec, "insertMs", now.UnixMilli(),
		"outcome", `{"ok":true,"data":{"tag":"web"},"finishedMs":`+strconv.FormatInt(now.UnixMilli(), 10)+`}`).Err()
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.q.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{string(broker.TaskSucceeded), `{"tag":"web"}`}, []string{string(got.State), string(got.Result)}); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
