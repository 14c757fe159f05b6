package ops_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/test/harness"
)

// A running clone reports its progress; task/info shows it, and so can brokerctl's wait.
func TestCloneProgressIsReadable(t *testing.T) {
	b := harness.Start(t, harness.Options{Proxied: true})
	b.WaitSynced(t)
	vm := b.VMIDs(t, "vc1")[0]
	b.Proxies[0].SetDelay(300 * time.Millisecond) // slow enough to watch it run
	ctx := context.Background()
	task, err := b.App.Broker().SubmitClone(ctx, model.System, vm, broker.CloneRequest{Names: []string{"prog-1", "prog-2"}})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, body := b.Post(t, "/api/task/info", harness.AdminToken, map[string]string{"taskid": task.ID})
		var e struct {
			Content struct {
				Task struct {
					Errcode  string `json:"task_errcode"`
					Progress *struct {
						Percent int
						Step    string
					}
				} `json:"task"`
			}
		}
		json.Unmarshal(body, &e)
		if p := e.Content.Task.Progress; p != nil && e.Content.Task.Errcode == "202" {
			seen[p.Step] = true
		}
		if e.Content.Task.Errcode != "202" {
			if e.Content.Task.Errcode != "200" {
				t.Fatalf("clone ended with %s: %s", e.Content.Task.Errcode, body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("clone did not finish")
		}
		time.Sleep(20 * time.Millisecond)
	}
	var steps []string
	for s := range seen {
		steps = append(steps, s)
	}
	if !seen[`cloning "prog-1" (1 of 2)`] || !seen[`cloning "prog-2" (2 of 2)`] {
		t.Errorf("progress steps seen while running: %s", strings.Join(steps, " | "))
	}
}
