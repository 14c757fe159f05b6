package tenancy

import (
	"encoding/base64"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"cloudbroker/config"
)

// TestTenancy is issue 13's first acceptance point: one broker (real Redis, two simulated
// vCenters), and for every route the router registers, tenant A trying tenant B's ids. One
// world is built for the whole run; each route is a subtest, each attempt one below it.
func TestTenancy(t *testing.T) {
	w := startWorld(t)

	t.Run("routes", func(t *testing.T) {
		registered := map[string]bool{}
		for _, r := range w.b.App.Routes() {
			key := r.Method + " " + r.Path
			registered[key] = true
			if _, ok := cases[key]; !ok {
				t.Errorf("route %q has no tenancy case: add one to test/tenancy/cases_test.go saying what tenant A tries on it with tenant B's ids (or why it is tenant-less)", key)
			}
		}
		for key := range cases {
			if !registered[key] {
				t.Errorf("test/tenancy/cases_test.go has a case for %q, which the router no longer registers: remove or rename it", key)
			}
		}
	})

	before := w.bView(t)
	keys := make([]string, 0, len(cases))
	for k := range cases {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, key := range keys {
		c := cases[key]
		if c.why == "" {
			t.Errorf("case %q says neither what is tried nor why the route is tenant-less", key)
		}
		if c.attempts == nil {
			continue
		}
		t.Run(key, func(t *testing.T) {
			start := time.Now()
			defer func() { t.Logf("%s", time.Since(start).Round(time.Millisecond)) }()
			for _, a := range c.attempts(t, w) {
				if a.name == "" {
					a.name = "A"
				}
				t.Run(a.name, func(t *testing.T) {
					start := time.Now()
					defer func() {
						if d := time.Since(start); d > time.Second {
							t.Logf("slow: %s", d.Round(time.Millisecond))
						}
					}()
					before = w.try(t, a, before)
				})
			}
		})
	}
	// Nothing A did changed B's world, the reads included.
	if diff := cmp.Diff(before, w.bView(t)); diff != "" {
		t.Errorf("B's view changed over the run (-before +after):\n%s", diff)
	}
}

func hashPassword(p string) string { return config.HashPassword(p) }

func basic(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}
