package console_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"cloudbroker/test/ci"

	"github.com/chromedp/chromedp"
)

var update = flag.Bool("update", false, "rewrite the screenshots under testdata/")

// requireChromium returns Debian's chromium; a missing one fails the test in CI (make test installs it)
// and skips it elsewhere (ci.Missing).
func requireChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	ci.Missing(t, "chromium not found: run `make test` (it installs it) or apt-get install chromium")
	return ""
}

// browser starts a headless chromium with a fresh profile and returns a tab's context; both
// end with the test. Each step bounds itself (do, eval): a deadline on the tab's own context
// would close the browser before a failure could read the page.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(requireChromium(t)), chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1400, 1100),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	tab, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	if err := chromedp.Do(tab); err != nil { // starts the browser
		t.Fatalf("starting chromium: %v", err)
	}
	return tab
}

// screenshot keeps a PNG of the tab under testdata/: written when missing or with -update, so
// a run does not churn the committed images.
func screenshot(t *testing.T, tab context.Context, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join("testdata", name)
	if _, err := os.Stat(path); err == nil && !*update {
		t.Logf("screenshot %s taken (%d bytes); -update rewrites %s", name, len(png), path)
		return
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}

// eval runs JavaScript in the tab and decodes its value.
func eval[T any](t *testing.T, tab context.Context, js string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

// clickRow clicks the element sel finds, in one JavaScript step: the console re-renders its
// tables on every poll, so a node found by one DevTools call may be gone by the next (chromedp's
// Click finds, then clicks). It retries until an element matches.
func clickRow(t *testing.T, tab context.Context, what, sel string) {
	t.Helper()
	js := `(() => { const el = document.querySelector(` + strconv.Quote(sel) + `); if (!el) return false; el.click(); return true; })()`
	for deadline := time.Now().Add(15 * time.Second); !eval[bool](t, tab, js); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: nothing matches %s (page: %s)", what, sel, pageText(tab))
		}
	}
}

func do(t *testing.T, tab context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(fmt.Errorf("%s: %w (page: %s)", what, err, pageText(tab)))
	}
}

// pageText is what the page shows, for a failure's message (its own short deadline: the
// test's may be over).
func pageText(tab context.Context) string {
	ctx, cancel := context.WithTimeout(tab, 2*time.Second)
	defer cancel()
	txt, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		return "unreadable: " + err.Error()
	}
	return txt
}
