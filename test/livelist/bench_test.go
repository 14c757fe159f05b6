package livelist_test

import (
	"os"
	"strconv"
	"testing"

	"cloudbroker/config"
	"cloudbroker/drivers/vcenter/vcsim"
	"cloudbroker/test/harness"
)

// BenchmarkLivePaging pages through 5 pages of one provider of LIVELIST_VMS bulk VMs (default
// 1,000; plus the model's 4) with the inventory off: one op is the 5 pages. It uses only the
// HTTP API, so it runs unchanged against a broker without live snapshots, for comparison.
//
//	LIVELIST_VMS=5000 go test -run '^$' -bench LivePaging -benchtime 3x ./test/livelist/
func BenchmarkLivePaging(b *testing.B) {
	n := 1000
	if s := os.Getenv("LIVELIST_VMS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	sim, err := vcsim.Start(vcsim.WithBulkVMs(n))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(sim.Close)
	br := harness.Start(b, harness.Options{Sims: []*vcsim.Sim{sim}, Tune: func(c *config.Config) {
		f := false
		c.Inventory.Enabled = &f
	}})
	limit := min((n+4+4)/5, 1000) // MaxPageSize
	b.ResetTimer()
	for range b.N {
		for page := range 5 {
			code, body := br.Post(b, "/api/vm/list", harness.AdminToken, map[string]any{"offset": page * limit, "limit": limit})
			if code != 200 {
				b.Fatalf("page %d: %d %s", page, code, body)
			}
		}
	}
}
