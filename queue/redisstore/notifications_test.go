package redisstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker/model"
	"cloudbroker/queue/redisstore"
	"cloudbroker/test/redistest"
)

// An event noticed by several replicas (same once key) is recorded once; the list keeps at
// most maxCount, newest first; status updates and deletes ignore unknown uuids.
func TestNotificationsOnceBoundedNewestFirst(t *testing.T) {
	rdb := redistest.Start(t).CheckedClient(t)
	ctx := context.Background()
	replicas := []*redisstore.Notifications{redisstore.NewNotifications(rdb, time.Hour, 3, nil), redisstore.NewNotifications(rdb, time.Hour, 3, nil)}
	for _, s := range replicas {
		if err := s.Notify(ctx, model.Notification{Name: "AgentOffline", Content: "agent[clientid:%s] is offline", Arguments: []string{"site-a"}}, "agent-offline:site-a:1"); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		replicas[i%2].Notify(ctx, model.Notification{Name: "TaskFailed", Content: "task %s failed", Arguments: []string{fmt.Sprint(i)},
			Time: time.Now().Add(time.Duration(i+1) * time.Millisecond)}, "")
	}
	got, err := replicas[0].Notifications(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, n := range got {
		texts = append(texts, n.Text()+" "+n.Status)
	}
	if diff := cmp.Diff([]string{"task 2 failed Unread", "task 1 failed Unread", "task 0 failed Unread"}, texts); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
	if err := replicas[1].SetNotificationsStatus(ctx, []string{got[0].UUID, "unknown"}, model.NoticeRead); err != nil {
		t.Fatal(err)
	}
	if err := replicas[1].DeleteNotifications(ctx, []string{got[2].UUID, "unknown"}); err != nil {
		t.Fatal(err)
	}
	after, _ := replicas[0].Notifications(ctx)
	if len(after) != 2 || after[0].Status != model.NoticeRead || after[1].Status != model.NoticeUnread || after[0].LastOpDate.IsZero() {
		t.Errorf("after update and delete: %+v", after)
	}
}
