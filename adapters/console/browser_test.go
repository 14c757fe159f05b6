package console_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"cloudbroker/test/harness"
)

// taskRow is what the page shows of one task.
type taskRow struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	State   string `json:"state"`
	Percent int    `json:"percent"`
	Step    string `json:"step"`
}

// The console in a real headless chromium against a real broker (two simulated vCenters, real
// Redis): a tenant logs in with its token, sees its one provider synced and its VMs, searches
// them in the query language, clones one with the page's button and watches the clone's
// progress to completion, reads the task as every dialect answers it, and cancels a second
// clone with the task's Cancel button. Every request the page makes goes to the broker.
func TestConsoleInChromium(t *testing.T) {
	requireChromium(t)
	start := time.Now()
	b := harness.Start(t, harness.Options{Simulators: 2, Proxied: true})
	b.WaitSynced(t)
	tab := browser(t)

	var mu sync.Mutex
	var elsewhere []string
	requests := chromedp.Events(tab, network.RequestWillBeSent)
	go func() {
		for ev, err := range requests {
			if err != nil {
				return
			}
			if !strings.HasPrefix(ev.Request.URL, b.URL+"/") {
				mu.Lock()
				elsewhere = append(elsewhere, ev.Request.URL)
				mu.Unlock()
			}
		}
	}()

	do(t, tab, "log in",
		chromedp.Navigate(b.URL+"/ui/"),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
		chromedp.SendKeys(chromedp.CSS("#token"), harness.TenantToken),
		chromedp.Click(chromedp.CSS(`#login-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#providers tr[data-provider="vc1"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#vms tr[data-vm-name="DC0_H0_VM0"]`)),
	)
	providers := eval[[]string](t, tab, `[...document.querySelectorAll("#providers tbody tr")].map(r => r.dataset.provider + " " + r.querySelector(".badge").textContent)`)
	if want := []string{"vc1 synced"}; !slices.Equal(providers, want) {
		t.Errorf("providers shown to the tenant: %q, want %q (vc2 is another tenant's)", providers, want)
	}
	vms := eval[[]string](t, tab, `[...document.querySelectorAll("#vms tbody tr")].map(r => r.dataset.vmName)`)
	if len(vms) < 2 || !slices.Contains(vms, "DC0_H0_VM0") {
		t.Errorf("VMs listed: %q", vms)
	}
	screenshot(t, tab, "console-overview.png")

	do(t, tab, "search",
		chromedp.SetValue(chromedp.CSS("#vm-query"), "name=DC0_H0_VM0 & state=Running"),
		chromedp.Click(chromedp.CSS("#vm-search")),
	)
	waitFor(t, tab, "one VM found", `document.querySelectorAll("#vms tbody tr").length === 1 && document.querySelector("#vm-info").textContent.startsWith("1 VM")`)

	// Slow vCenter answers, so the clone runs long enough to be seen running.
	b.Proxies[0].SetDelay(500 * time.Millisecond)
	do(t, tab, "clone name", chromedp.SetValue(chromedp.CSS("#clone-name"), "console-clone-1"))
	clickRow(t, tab, "clone", `#vms tr[data-vm-name="DC0_H0_VM0"] button.clone`)
	seen, shot := []string{}, false
	var last taskRow
	for deadline := time.Now().Add(40 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		last = eval[taskRow](t, tab, `(() => { const r = document.querySelector('#tasks tbody tr[data-type="vm:clone"]');
			return r ? {id: r.dataset.taskId, type: r.dataset.type, state: r.dataset.state, percent: +r.querySelector(".progress").dataset.percent,
			step: (r.querySelector(".progress .step") || {}).textContent || ""} : {}; })()`)
		if last.State != "" && (len(seen) == 0 || seen[len(seen)-1] != last.State) {
			seen = append(seen, last.State)
		}
		if last.State == "running" && (last.Percent > 0 || last.Step != "") && !shot {
			screenshot(t, tab, "console-clone-running.png")
			shot = true
		}
		if last.State == "succeeded" || last.State == "failed" || last.State == "canceled" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the clone did not finish in the page; states seen %q", seen)
		}
	}
	b.Proxies[0].SetDelay(0)
	if last.State != "succeeded" || last.Percent != 100 || !slices.Contains(seen, "running") || !shot {
		t.Errorf("the page showed the clone as %q, ending %+v (progress shown while running: %v); want it running with progress, then succeeded at 100%%", seen, last, shot)
	}
	// The clone button opened the task: each dialect's answer, the clone's VM in ZStack's.
	waitFor(t, tab, "the envelopes of the finished clone",
		`document.querySelector("#detail").dataset.state === "succeeded" && document.querySelectorAll("#envelopes .envelope").length === 3`)
	envs := eval[[]string](t, tab, `[...document.querySelectorAll("#envelopes .envelope")].map(e => e.dataset.dialect + " " + e.querySelector("pre").textContent.replace(/\s+/g, " "))`)
	for i, want := range []string{`vcproxy {`, `zstack {`, `didi {`} {
		if i >= len(envs) || !strings.HasPrefix(envs[i], want) {
			t.Fatalf("envelopes: %q", envs)
		}
	}
	for _, want := range []string{`"task_errcode": "200"`, `"name": "console-clone-1"`, `"success": true`} {
		if !strings.Contains(strings.Join(envs, "\n"), want) {
			t.Errorf("no %s in the envelopes: %q", want, envs)
		}
	}
	do(t, tab, "find the clone",
		chromedp.SetValue(chromedp.CSS("#vm-query"), "name~=console-%"),
		chromedp.Click(chromedp.CSS("#vm-search")),
	)
	waitFor(t, tab, "the clone listed", `!!document.querySelector('#vms tr[data-vm-name="console-clone-1"]')`)
	screenshot(t, tab, "console-clone-done.png")

	// A second clone, on a vCenter slow enough to stop it: its Cancel button cancels it.
	b.Proxies[0].SetDelay(time.Second)
	do(t, tab, "clone name again", chromedp.SetValue(chromedp.CSS("#clone-name"), "console-clone-2"))
	clickRow(t, tab, "clone again", `#vms tr[data-vm-name="console-clone-1"] button.clone`)
	waitFor(t, tab, "the second clone listed unfinished", `!!document.querySelector('#tasks tbody tr[data-type="vm:clone"] button.cancel')`)
	clickRow(t, tab, "cancel", `#tasks tbody tr[data-type="vm:clone"] button.cancel`)
	waitFor(t, tab, "the second clone canceled", `document.querySelector('#tasks tbody tr[data-type="vm:clone"]').dataset.state === "canceled"`)
	b.Proxies[0].SetDelay(0)

	mu.Lock()
	defer mu.Unlock()
	if len(elsewhere) > 0 {
		t.Errorf("the page loaded from outside the broker: %q", elsewhere)
	}
	t.Logf("whole test %s", time.Since(start).Round(time.Millisecond))
}

// waitFor polls a JavaScript condition until it holds.
func waitFor(t *testing.T, tab context.Context, what, js string) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !eval[bool](t, tab, js); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			errText := eval[string](t, tab, `document.querySelector("#app-error").textContent`)
			t.Fatalf("waiting for %s: timed out (page error: %q)", what, errText)
		}
	}
}
