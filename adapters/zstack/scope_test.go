package zstack_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/broker"
	"cloudbroker/broker/gc"
	"cloudbroker/broker/model"
	"cloudbroker/config"
	"cloudbroker/queue"
)

// Broker-wide records are read per caller: tenant-a (vc1) reads only vc1's part of the
// clone-leftovers result and not why a run failed; an agent shared by both tenants lists only
// the reader's providers. Nothing tenant-a reads names vc2, B's VM or B's task.
func TestBrokerRecordsScoped(t *testing.T) {
	b := startBroker(t, brokerOpts{noWorker: true, tune: func(c *config.Config) {
		c.GC.CloneLeftovers.Interval = config.Duration(time.Hour) // runs only when triggered: the seeded result stays
	}})
	const (
		vmA, taskA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
		vmB, taskB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"
	)
	secretsOfB := []string{"vc2", vmB, taskB, "b-leftover", "agent-b"}

	// A clone-leftovers run's result as the job stores it, and a failed run's error.
	report := gc.Report{CheckedWhat: "failed clone names checked", FoundWhat: "leftover VMs found"}
	report.SetProvider("vc1", gc.ProviderReport{Checked: 2, Found: []string{"a-leftover (vm " + vmA + ", task " + taskA + ")"}})
	report.SetProvider("vc2", gc.ProviderReport{Checked: 3, Found: []string{"b-leftover (vm " + vmB + ", task " + taskB + ")"}})
	report.SetProvider("vc3", gc.ProviderReport{Checked: 1, Skipped: "inventory not synced"})
	rdb := b.Redis.Client(t)
	ctx := context.Background()
	if err := rdb.HSet(ctx, "cb:gc:job:clone-leftovers", "lastResult", report.Encode(),
		"lastError", "query vc2 for b-leftover: refused").Err(); err != nil {
		t.Fatal(err)
	}

	results := map[string]string{}
	for _, acct := range []struct{ name, pass string }{{"admin", adminPass}, {"tenant-a", passA}, {"tenant-b", passB}} {
		res := call(t, b, http.MethodGet, "/zstack/v1/gc-jobs?q=name=clone-leftovers", login(t, b, acct.name, acct.pass), nil)
		var out struct {
			Inventories []struct{ LastResult, LastError string }
		}
		res.json(t, &out)
		if len(out.Inventories) != 1 {
			t.Fatalf("%s: %d %s", acct.name, res.Code, res.Body)
		}
		results[acct.name] = out.Inventories[0].LastResult + " | " + out.Inventories[0].LastError
		if acct.name == "tenant-a" {
			for _, s := range secretsOfB {
				if strings.Contains(string(res.Body), s) {
					t.Errorf("tenant-a's gc-jobs names %q: %s", s, res.Body)
				}
			}
		}
	}
	want := map[string]string{
		"admin": "6 failed clone names checked, 2 leftover VMs found; vc1/a-leftover (vm " + vmA + ", task " + taskA + "); vc2/b-leftover (vm " + vmB + ", task " + taskB + "); skipped (inventory not synced): vc3" +
			" | query vc2 for b-leftover: refused",
		"tenant-a": "2 failed clone names checked, 1 leftover VMs found; vc1/a-leftover (vm " + vmA + ", task " + taskA + ")" +
			" | the last run failed; an operator can read why",
		"tenant-b": "3 failed clone names checked, 1 leftover VMs found; vc2/b-leftover (vm " + vmB + ", task " + taskB + ")" +
			" | the last run failed; an operator can read why",
	}
	if diff := cmp.Diff(want, results); diff != "" {
		t.Errorf("clone-leftovers lastResult | lastError per account (-want +got):\n%s", diff)
	}

	// A plain-text result (stored before reports, or by a job that does not report per
	// provider) is for callers that see every provider only.
	rdb.HSet(ctx, "cb:gc:job:clone-leftovers", "lastResult", "vc2/b-leftover (vm "+vmB+")")
	res := call(t, b, http.MethodGet, "/zstack/v1/gc-jobs?q=name=clone-leftovers", login(t, b, "tenant-a", passA), nil)
	if strings.Contains(string(res.Body), vmB) {
		t.Errorf("tenant-a reads a plain-text result: %s", res.Body)
	}

	// An agent serving both tenants' providers.
	hb := queue.NewHeartbeat(rdb, broker.Agent{ClientID: "agent-shared", Instance: "i1", StartedAt: time.Now(),
		Providers: []model.Provider{{Name: "vc1"}, {Name: "vc2"}}}, time.Second, slog.Default())
	if err := hb.Acquire(ctx, 0); err != nil {
		t.Fatal(err)
	}
	hbB := queue.NewHeartbeat(rdb, broker.Agent{ClientID: "agent-b", Instance: "i2", StartedAt: time.Now(),
		Providers: []model.Provider{{Name: "vc2"}}}, time.Second, slog.Default())
	if err := hbB.Acquire(ctx, 0); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		caller model.Caller
		want   map[string][]string
	}{
		{"tenant-a", model.Caller{Name: "zstack:tenant-a", Providers: []string{"vc1"}}, map[string][]string{"agent-shared": {"vc1"}}},
		{"tenant-b", model.Caller{Name: "zstack:tenant-b", Providers: []string{"vc2"}}, map[string][]string{"agent-b": {"vc2"}, "agent-shared": {"vc2"}}},
		{"all", model.Caller{Name: "admin", AllProviders: true}, map[string][]string{"agent-b": {"vc2"}, "agent-shared": {"vc1", "vc2"}}},
		{"zero caller", model.Caller{}, map[string][]string{}},
	} {
		t.Run("agents/"+tc.name, func(t *testing.T) {
			agents, err := b.App.Broker().Agents(ctx, tc.caller)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string][]string{}
			for _, a := range agents {
				got[a.ClientID] = []string{}
				for _, p := range a.Providers {
					got[a.ClientID] = append(got[a.ClientID], p.Name)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("agents and their providers (-want +got):\n%s", diff)
			}
		})
	}
}

// Notifications about a shared agent reach both tenants and name only the agent; one about
// tenant-b's own agent reaches tenant-a not at all.
func TestAgentNotificationsScoped(t *testing.T) {
	b := startBroker(t, brokerOpts{noWorker: true})
	long := time.Now().Add(-time.Hour)
	b.App.Notifications().NoticeOfflineAgents(context.Background(), []broker.Agent{
		{ClientID: "agent-shared", Instance: "i1", LastSeen: long, Providers: []model.Provider{{Name: "vc1"}, {Name: "vc2"}}},
		{ClientID: "agent-b", Instance: "i2", LastSeen: long, Providers: []model.Provider{{Name: "vc2"}}},
	})
	for _, tc := range []struct {
		account, pass string
		want          []string
	}{
		{"admin", adminPass, []string{"agent-b", "agent-shared"}},
		{"tenant-a", passA, []string{"agent-shared"}},
		{"tenant-b", passB, []string{"agent-b", "agent-shared"}},
	} {
		t.Run(tc.account, func(t *testing.T) {
			res := call(t, b, http.MethodGet, "/zstack/v1/notifications?q=name=AgentOffline&sortBy=resourceUuid&sortDirection=asc", login(t, b, tc.account, tc.pass), nil)
			var out struct {
				Inventories []struct{ ResourceUUID string }
			}
			res.json(t, &out)
			var got []string
			for _, n := range out.Inventories {
				got = append(got, n.ResourceUUID)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("AgentOffline notifications (-want +got):\n%s", diff)
			}
			if tc.account == "tenant-a" && (strings.Contains(string(res.Body), "agent-b") || strings.Contains(string(res.Body), "vc2")) {
				t.Errorf("tenant-a's notifications name tenant-b's agent or provider: %s", res.Body)
			}
		})
	}
}
