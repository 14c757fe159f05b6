package zstack_test

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"cloudbroker/adapters/zstack"
	"cloudbroker/broker"
	"cloudbroker/broker/model"
	"cloudbroker/broker/tags"
	"cloudbroker/queue"
	"cloudbroker/queue/redisstore"
	"cloudbroker/test/redistest"
)

// benchVMs are n VMs over both fixture providers with varied states, sizes, NICs and disks.
func benchVMs(n int) []model.VM {
	states := []model.PowerState{model.PoweredOn, model.PoweredOn, model.PoweredOff, model.Suspended}
	vms := make([]model.VM, n)
	for i := range vms {
		h := int(uint32(i) * 2654435761 >> 8) // decorrelates the fields from each other
		p := memProviders[i%len(memProviders)].Name
		vms[i] = model.VM{
			Provider: p, NativeID: fmt.Sprintf("vm-%d", i), Name: fmt.Sprintf("vm-%06d", i),
			PowerState: states[h%len(states)], CPUs: int32(1 << (h / 7 % 4)), MemoryMB: int64(512 << (h / 29 % 5)),
			GuestOS:   "Ubuntu Linux (64-bit)",
			NICs:      []model.NIC{{MAC: fmt.Sprintf("00:50:56:%02x:%02x:%02x", i>>16&255, i>>8&255, i&255), IPs: []string{fmt.Sprintf("10.%d.%d.%d", h/131%4, i>>8&255, i&255)}, Network: "VM Network"}},
			Disks:     []model.Disk{{Label: "Hard disk 1", CapacityBytes: int64(10+h/523%90) * gib, FileName: fmt.Sprintf("[ds%d] vm-%d/disk.vmdk", i%3, i), Format: "vmdk"}},
			CreatedAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute),
		}
	}
	return vms
}

// BenchmarkQueryVmInstance100k: GET /zstack/v1/vm-instances with three conditions over
// 100,000 VMs in the inventory, through the whole handler (session, parse, translate, query,
// render, JSON). It reports per-request p50 and p99.
func BenchmarkQueryVmInstance100k(b *testing.B) {
	m := newMemBroker(b, benchVMs(100_000), nil)
	s := m.login(b, "admin", adminPass)
	for _, bc := range []struct{ name, query string }{
		// ~3,000 matches of 100,000; a portal's page of 50 with the total.
		{"3conds_page50", q("state=Running", "cpuNum>=4", "vmNics.ip~=10.1.%") + "&limit=50&replyWithCount=true"},
		// the same, ZStack's default page (1000 inventories rendered)
		{"3conds_default_limit", q("state=Running", "cpuNum>=4", "vmNics.ip~=10.1.%")},
		// selective on nested and scaled fields, sorted
		{"3conds_sorted", q("allVolumes.size>64424509440", "memorySize>=4294967296", "hypervisorType=KVM") + "&sort=-createDate&limit=50"},
		{"count_only", q("state=Running", "cpuNum>=4", "vmNics.ip~=10.1.%") + "&count=true"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			if res := m.do(b, http.MethodGet, "/zstack/v1/vm-instances?"+bc.query, s, ""); res.Code != http.StatusOK {
				b.Fatalf("%d %s", res.Code, res.Body)
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for b.Loop() {
				start := time.Now()
				res := m.do(b, http.MethodGet, "/zstack/v1/vm-instances?"+bc.query, s, "")
				lat = append(lat, time.Since(start))
				if res.Code != http.StatusOK {
					b.Fatalf("%d %s", res.Code, res.Body)
				}
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ms")
		})
	}
}

// BenchmarkQueryVmInstance100kFloor is the floor of BenchmarkQueryVmInstance100k, case by
// case: the same conditions, order and page over the same VMs, written by hand over plain
// dense typed slices (no engine, no HTTP, no rendering), so the ratio is measured in one run.
func BenchmarkQueryVmInstance100kFloor(b *testing.B) {
	vms := benchVMs(100_000)
	n := len(vms)
	ids, providers, names, states, ips := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	cpus, mem, size, created := make([]int32, n), make([]int64, n), make([]int64, n), make([]int64, n)
	template := make([]bool, n)
	for i, vm := range vms {
		ids[i], providers[i], names[i], states[i] = broker.VMUUID(vm.Provider, vm.NativeID), vm.Provider, vm.Name, string(vm.PowerState)
		ips[i], cpus[i], mem[i], size[i], created[i] = vm.NICs[0].IPs[0], vm.CPUs, vm.MemoryMB, vm.Disks[0].CapacityBytes, vm.CreatedAt.UnixMilli()
		template[i] = vm.Template
	}
	byName := func(a, b int32) int { // the default order: provider, name, id
		if c := strings.Compare(providers[a], providers[b]); c != 0 {
			return c
		}
		if c := strings.Compare(names[a], names[b]); c != 0 {
			return c
		}
		return strings.Compare(ids[a], ids[b])
	}
	byCreated := func(a, b int32) int { // sort=-createDate, then id
		if c := cmp.Compare(created[b], created[a]); c != 0 {
			return c
		}
		return strings.Compare(ids[a], ids[b])
	}
	threeConds := func() []int32 {
		var hits []int32
		for i := range n {
			if states[i] == "poweredOn" && cpus[i] >= 4 && strings.HasPrefix(ips[i], "10.1.") && !template[i] {
				hits = append(hits, int32(i))
			}
		}
		return hits
	}
	page := func(hits []int32, limit int, less func(a, b int32) int) []model.VM {
		slices.SortFunc(hits, less) // the floor sorts every match: no engine tricks
		out := make([]model.VM, 0, limit)
		for _, r := range hits[:min(limit, len(hits))] {
			out = append(out, vms[r])
		}
		return out
	}
	for _, bc := range []struct {
		name string
		run  func() int
	}{
		{"3conds_page50", func() int { return len(page(threeConds(), 50, byName)) }},
		{"3conds_default_limit", func() int { return len(page(threeConds(), 1000, byName)) }},
		{"3conds_sorted", func() int {
			var hits []int32
			for i := range n {
				if size[i] > 64424509440 && mem[i] >= 4096 && providers[i] == "kvm1" && !template[i] {
					hits = append(hits, int32(i))
				}
			}
			return len(page(hits, 50, byCreated))
		}},
		{"count_only", func() int { return len(threeConds()) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for b.Loop() {
				start := time.Now()
				if bc.run() == 0 {
					b.Fatal("no match: the floor must do the benchmark's work")
				}
				lat = append(lat, time.Since(start))
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ms")
		})
	}
}

// BenchmarkQueryVmInstanceByTag100k: a tag condition over 100,000 VMs, 1,000 of them tagged
// "web" (of 2,000 user tags in a real redis-server), against the same query without it, in
// one run: the cost a tag condition adds is reading the tags (one HGETALL) and an id set.
func BenchmarkQueryVmInstanceByTag100k(b *testing.B) {
	vms := benchVMs(100_000)
	rdb := redistest.Start(b).Client(b)
	m := newMemBroker(b, vms, nil, func(br *broker.Broker, o *zstack.Options) {
		o.Tags = tags.New(redisstore.NewTags(rdb), tags.Deps{Core: br})
	})
	store := redisstore.NewTags(rdb)
	for i := 0; i < 2000; i++ {
		vm := vms[i*50]
		text := "web"
		if i%2 == 1 {
			text = fmt.Sprintf("team-%d", i)
		}
		tag := tags.Tag{UUID: queue.NewTaskID(), Type: tags.User, Resource: tags.OnVM, ResourceUUID: vm.ID, Text: text, Provider: vm.Provider, CreatedAt: time.Now(), UpdatedAt: time.Now()}
		if err := store.Create(context.Background(), tag); err != nil {
			b.Fatal(err)
		}
	}
	s := m.login(b, "admin", adminPass)
	want := 0 // running VMs tagged "web": the answer must be real work, not an empty set
	for i := 0; i < 2000; i += 2 {
		if vms[i*50].PowerState == model.PoweredOn {
			want++
		}
	}
	var got struct{ Total int }
	m.do(b, http.MethodGet, "/zstack/v1/vm-instances?count=true&"+q("state=Running", "__userTag__=web"), s, "").json(b, &got)
	if got.Total != want || want == 0 {
		b.Fatalf("__userTag__=web matched %d running VMs, want %d", got.Total, want)
	}
	for _, bc := range []struct{ name, query string }{
		{"no_tag_page50", q("state=Running") + "&limit=50&replyWithCount=true"},
		{"userTag_eq_page50", q("state=Running", "__userTag__=web") + "&limit=50&replyWithCount=true"},
		{"userTag_ne_page50", q("state=Running", "__userTag__!=web") + "&limit=50&replyWithCount=true"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for b.Loop() {
				start := time.Now()
				res := m.do(b, http.MethodGet, "/zstack/v1/vm-instances?"+bc.query, s, "")
				lat = append(lat, time.Since(start))
				if res.Code != http.StatusOK {
					b.Fatalf("%d %s", res.Code, res.Body)
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ms")
		})
	}
}

// The benchmark's queries answer what they should, so the numbers measure real work.
func TestBenchQueriesMatch(t *testing.T) {
	vms := benchVMs(10_000)
	m := newMemBroker(t, vms, nil)
	s := m.login(t, "admin", adminPass)
	want := 0
	for _, vm := range vms {
		if vm.PowerState == model.PoweredOn && vm.CPUs >= 4 && vm.NICs[0].IPs[0][:5] == "10.1." {
			want++
		}
	}
	res := m.do(t, http.MethodGet, "/zstack/v1/vm-instances?count=true&"+q("state=Running", "cpuNum>=4", "vmNics.ip~=10.1.%"), s, "")
	if got := fmt.Sprintf(`{"total":%d}`, want); string(res.Body) != got || want == 0 {
		t.Errorf("count: %s, want %s", res.Body, got)
	}
}
