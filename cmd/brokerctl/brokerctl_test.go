package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker/model"
	"cloudbroker/test/harness"
)

func ctl(t *testing.T, b *harness.Broker, args ...string) (int, string, string) {
	t.Helper()
	var out, errw bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := run(ctx, append([]string{"--url", b.URL, "--token", harness.AdminToken}, args...), &out, &errw)
	return code, out.String(), errw.String()
}

func TestCommands(t *testing.T) {
	b := harness.Start(t, harness.Options{})
	code, out, errs := ctl(t, b, "-o", "json", "vm", "list", "--limit", "2")
	if code != 0 {
		t.Fatalf("vm list: %d %s", code, errs)
	}
	var vms struct {
		Total int
		VMs   []struct{ VMID, Name string }
	}
	if err := json.Unmarshal([]byte(out), &vms); err != nil || vms.Total != 4 || len(vms.VMs) != 2 {
		t.Fatalf("vm list -o json = %s (%v)", out, err)
	}
	if code, out, _ := ctl(t, b, "vm", "list"); code != 0 || !strings.Contains(out, "VMID") || !strings.Contains(out, "(4 of 4)") {
		t.Errorf("vm list table:\n%s", out)
	}

	task, err := b.App.Broker().SubmitDiskInfo(context.Background(), model.System, vms.VMs[0].VMID, "")
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs = ctl(t, b, "task", "wait", task.ID)
	if code != 0 || !strings.Contains(out, "200 success") || !strings.Contains(out, "EVENT_VM_DISKINFO") {
		t.Errorf("task wait: %d\n%s\n%s", code, out, errs)
	}
	if code, out, _ := ctl(t, b, "-o", "json", "task", "get", task.ID); code != 0 || !strings.Contains(out, `"disk_list"`) {
		t.Errorf("task get -o json: %d %s", code, out)
	}
	if code, _, errs := ctl(t, b, "task", "cancel", task.ID); code != 1 || !strings.Contains(errs, "already succeeded") {
		t.Errorf("cancel of a finished task: %d %s", code, errs)
	}
	if code, _, errs := ctl(t, b, "task", "get", "0123456789abcdef0123456789abcdef"); code != 1 || !strings.Contains(errs, "not found") {
		t.Errorf("unknown task: %d %s", code, errs)
	}
	if code, out, _ := ctl(t, b, "providers"); code != 0 || !strings.Contains(out, "vc1") {
		t.Errorf("providers:\n%s", out)
	}
	if code, out, _ := ctl(t, b, "-o", "json", "agents"); code != 0 || strings.TrimSpace(out) != "null" && !strings.HasPrefix(out, "[") {
		t.Errorf("agents: %d %s", code, out)
	}
	if code, _, errs := ctl(t, b, "frobnicate"); code != 2 || !strings.Contains(errs, "usage") {
		t.Errorf("unknown command: %d %s", code, errs)
	}
}

func TestBar(t *testing.T) {
	for p, want := range map[int]string{0: "[....................]   0%", 50: "[##########..........]  50%", 100: "[####################] 100%", 130: "[####################] 130%"} {
		if got := bar(p); got != want {
			t.Errorf("bar(%d) = %q, want %q", p, got, want)
		}
	}
}

// Global flags stand anywhere, and an empty variable before a command word is named as the
// problem instead of the command word becoming the token.
func TestGlobalFlagsAnywhere(t *testing.T) {
	t.Setenv("BROKER_TOKEN", "from-env")
	t.Setenv("BROKER_URL", "")
	for _, tc := range []struct {
		args          []string
		token, output string
		rest          []string
		err           string
	}{
		{args: []string{"vm", "list", "-o", "json"}, token: "from-env", output: "json", rest: []string{"vm", "list"}},
		{args: []string{"-o=json", "task", "get", "X", "--token", "t1"}, token: "t1", output: "json", rest: []string{"task", "get", "X"}},
		{args: []string{"task", "wait", "X", "--timeout", "1m"}, token: "from-env", output: "table", rest: []string{"task", "wait", "X", "--timeout", "1m"}},
		{args: []string{"--token", "task", "wait", "X"}, err: "is BROKER_TOKEN set?"},
		{args: []string{"agents", "--url"}, err: "-url needs a value"},
		{args: []string{"agents", "-o", "yaml"}, err: `-o must be table or json, not "yaml"`},
	} {
		c, rest, err := parseGlobal(tc.args)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err = %v, want one containing %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if diff := cmp.Diff(tc.rest, rest); diff != "" || c.token != tc.token || c.output != tc.output || c.url != "http://127.0.0.1:8080" {
			t.Errorf("%q: token %q output %q url %q rest (-want +got):\n%s", tc.args, c.token, c.output, c.url, diff)
		}
	}
}
