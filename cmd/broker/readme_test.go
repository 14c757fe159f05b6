package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"cloudbroker/test/ci"

	"github.com/google/go-cmp/cmp"
)

// TestDemo starts the demo as `make run` does and checks what a newcomer sees: every provider
// in a documented sync state from the start, every README example giving the answer the README
// prints, provider counts that follow the inventory, and no demo token line when BROKER_TOKEN
// chose it.
func TestDemo(t *testing.T) {
	start := time.Now()
	d := startDemo(t, map[string]string{"BROKER_TOKEN": readmeToken})
	documented := []string{"pending", "loading", "synced", "error", "none"}
	for _, p := range d.providers(t) { // at once: "" was the state of a provider not watched yet
		if !slices.Contains(documented, p.SyncState) {
			t.Errorf("provider %s: sync_state %q at start-up, want one of %v", p.Name, p.SyncState, documented)
		}
	}
	d.waitSynced(t)
	t.Logf("demo synced in %v", time.Since(start).Round(time.Millisecond))

	t.Run("readme", func(t *testing.T) { runReadme(t, d) })
	t.Run("counts follow the inventory", func(t *testing.T) { checkCounts(t, d) })
	if strings.Contains(d.stderr.String(), "DEMO TOKEN") {
		t.Errorf("the demo token line was printed although BROKER_TOKEN chose the token:\n%s", d.stderr)
	}
}

// TestDemoTokenLine: without BROKER_TOKEN the demo makes a token and prints it.
func TestDemoTokenLine(t *testing.T) {
	d := startDemo(t, nil)
	if !strings.Contains(d.stderr.String(), "DEMO TOKEN (set BROKER_TOKEN to choose it): ") {
		t.Errorf("no demo token line:\n%s", d.stderr)
	}
}

// checkCounts: each provider's vms in /api/provider/list is what /api/vm/list lists of it
// (the README's walk-through has cloned a VM by now).
func checkCounts(t *testing.T, d *runningDemo) {
	var list struct {
		VMs []struct {
			Provider string `json:"provider"`
		} `json:"vms"`
	}
	d.post(t, "/api/vm/list", &list)
	listed := map[string]int{}
	for _, vm := range list.VMs {
		listed[vm.Provider]++
	}
	counted := map[string]int{}
	for _, p := range d.providers(t) {
		if p.VMs > 0 {
			counted[p.Name] = p.VMs
		}
	}
	if diff := cmp.Diff(listed, counted); diff != "" {
		t.Errorf("provider vms vs vm/list (-listed +provider list):\n%s", diff)
	}
}

// runReadme runs every example of README.md in one shell, the demo's address in place of
// 127.0.0.1:8080, and compares each answer with the README's (normalise says how).
func runReadme(t *testing.T, d *runningDemo) {
	for _, tool := range []string{"bash", "curl", "python3", "sha512sum", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			ci.Missing(t, fmt.Sprintf("the README's examples need %s (apt-get install %s): %v", tool, tool, err))
		}
	}
	root, _ := filepath.Abs("../..")
	examples, err := readmeExamples(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var script strings.Builder
	script.WriteString("set -u -o pipefail\n")
	for i, ex := range examples {
		cmd := strings.ReplaceAll(ex.command, "127.0.0.1:8080", d.addr)
		fmt.Fprintf(&script, "{\n%s\n} >%s/%d.out 2>%s/%d.err; echo $? >%s/%d.rc\n", cmd, dir, i, dir, i, dir, i)
	}
	sh := exec.Command("bash", "-c", script.String())
	sh.Dir = root
	sh.Env = append(os.Environ(), "BROKER_TOKEN="+readmeToken, "BROKER_URL=http://"+d.addr)
	start := time.Now()
	if out, err := sh.CombinedOutput(); err != nil {
		t.Fatalf("the examples' shell: %v\n%s", err, out)
	}
	t.Logf("%d README examples ran in %v", len(examples), time.Since(start).Round(time.Millisecond))
	for i, ex := range examples {
		out, _ := os.ReadFile(fmt.Sprintf("%s/%d.out", dir, i))
		errOut, _ := os.ReadFile(fmt.Sprintf("%s/%d.err", dir, i))
		rc, _ := os.ReadFile(fmt.Sprintf("%s/%d.rc", dir, i))
		if strings.TrimSpace(string(rc)) != "0" {
			t.Errorf("README.md:%d: exit %s\n%s\nstderr: %s", ex.line, strings.TrimSpace(string(rc)), ex.command, errOut)
			continue
		}
		if !ex.hasWant {
			continue
		}
		want, got := normalise(ex.expected, d.addr), normalise(string(out), d.addr)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("README.md:%d: %s\nanswer differs from the README (-README +demo):\n%s\nthe demo's answer:\n%s", ex.line, ex.command, diff, out)
		}
	}
}
