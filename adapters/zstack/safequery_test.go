package zstack_test

import (
	"bufio"
	"errors"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"cloudbroker/broker/inventory"
)

// badRequest checks a 400 SYS.1007 whose details mention what the caller must fix.
func badRequest(t *testing.T, res response, mention string) {
	t.Helper()
	var e struct {
		Error struct{ Code, Details string }
	}
	if res.Code == http.StatusBadRequest {
		res.json(t, &e)
	}
	if res.Code != http.StatusBadRequest || e.Error.Code != "SYS.1007" || !strings.Contains(e.Error.Details, mention) {
		t.Errorf("%d %.300s; want 400 SYS.1007 mentioning %q", res.Code, res.Body, mention)
	}
}

// Every query parameter of the dialect's GET and DELETE APIs that does not decode or does not
// parse is a 400 naming it: a malformed escape is never dropped with its condition.
func TestMalformedQueryParameters(t *testing.T) {
	m := newMemBroker(t, fixtureVMs(), nil)
	s := m.login(t, "admin", adminPass)
	const id = "0123456789abcdef0123456789abcdef"
	escape := "malformed percent-escape"
	for _, tc := range []struct{ method, target, mention string }{
		// The manual's own form: a bare % (the ~= wildcard) must be sent as %25.
		{"GET", "/vm-instances?q=name~=IntelCore%", `"q": ` + escape},
		{"GET", "/vm-instances?q=name~=Intel%Core", `"q": ` + escape},
		{"GET", "/vm-instances?q=name", `query parameter 'q'`},
		{"GET", "/vm-instances?condition=name%zz", `"condition": ` + escape},
		{"GET", "/vm-instances?q=name=a;b", `"q": a raw ';' is not allowed`},
		{"GET", "/vm-instances?q=name=%ff", `"q": not valid UTF-8`},
		{"GET", "/vm-instances?sort=%2", `"sort": ` + escape},
		{"GET", "/vm-instances?sort=name&sort=uuid", "'sort' is given 2 times"},
		{"GET", "/vm-instances?sortBy=%", `"sortBy": ` + escape},
		{"GET", "/vm-instances?sortBy=name&sortDirection=up", "'sortDirection' must be asc or desc"},
		{"GET", "/vm-instances?fields=name,%", `"fields": ` + escape},
		{"GET", "/vm-instances?fields=,", "'fields' contains zero field"},
		{"GET", "/vm-instances?limit=1%", `"limit": ` + escape},
		{"GET", "/vm-instances?limit=ten", "'limit' must be an integer"},
		{"GET", "/vm-instances?limit=1&limit=2", "'limit' is given 2 times"},
		{"GET", "/vm-instances?start=%-1", `"start": ` + escape},
		{"GET", "/vm-instances?start=-1", "'start' must be >= 0"},
		{"GET", "/vm-instances?count=%", `"count": ` + escape},
		{"GET", "/vm-instances?count=maybe", "'count' must be true or false"},
		{"GET", "/vm-instances?replyWithCount=tru%e", `"replyWithCount": ` + escape},
		{"GET", "/vm-instances?replyWithCount=1", "'replyWithCount' must be true or false"},
		{"GET", "/vm-instances?groupBy=%", `"groupBy": ` + escape},
		{"GET", "/vm-instances?groupBy=", "'groupBy' needs a field name"},
		{"GET", "/vm-instances?li%mit=1", `parameter name "li%mit"`},
		{"GET", "/vm-instances/" + id + "?q=%", `"q": ` + escape},
		{"GET", "/vm-instances/" + id + "/iso-candidates?q=%", `"q": ` + escape},
		{"GET", "/hosts/capacities/cpu-memory?hostUuids=" + id + "%", `"hostUuids": ` + escape},
		{"GET", "/hosts/capacities/cpu-memory?hostUuids=host-1", `hostUuids: "host-1" is not a uuid`},
		{"GET", "/hosts/capacities/cpu-memory?zoneUuids=%", `"zoneUuids": ` + escape},
		{"GET", "/hosts/capacities/cpu-memory?zoneUuids=zone", `zoneUuids: "zone" is not a uuid`},
		{"GET", "/hosts/capacities/cpu-memory?clusterUuids=%", `"clusterUuids": ` + escape},
		{"GET", "/hosts/capacities/cpu-memory?clusterUuids=" + id + ",x", `clusterUuids: "x" is not a uuid`},
		{"GET", "/hosts/capacities/cpu-memory?all=%", `"all": ` + escape},
		{"GET", "/hosts/capacities/cpu-memory?all=maybe", "all must be true or false"},
		{"GET", "/hosts/capacities/cpu-memory?all=true&all=false", "'all' is given 2 times"},
		{"GET", "/task-progresses/" + id + "?all=%", `"all": ` + escape},
		{"GET", "/management-nodes?q=%", `"q": ` + escape},
		{"GET", "/system-tags?q=%", `"q": ` + escape},
		{"GET", "/user-tags?sort=%", `"sort": ` + escape},
		{"GET", "/notifications?limit=%", `"limit": ` + escape},
		{"GET", "/gc-jobs?q=%", `"q": ` + escape},
		{"GET", "/gc-jobs/" + id + "?q=%", `"q": ` + escape},
		{"GET", "/longjobs?groupBy=%", `"groupBy": ` + escape},
		{"DELETE", "/tags/" + id + "?deleteMode=Permissive%", `"deleteMode": ` + escape},
		{"DELETE", "/tags/" + id + "?deleteMode=Lenient", `deleteMode "Lenient" must be Permissive or Enforcing`},
		{"DELETE", "/gc-jobs/" + id + "?deleteMode=%", `"deleteMode": ` + escape},
		{"DELETE", "/gc-jobs/" + id + "?deleteMode=Lenient", "must be Permissive or Enforcing"},
		{"DELETE", "/longjobs/" + id + "?deleteMode=%", `"deleteMode": ` + escape},
		{"DELETE", "/longjobs/" + id + "?deleteMode=Enforcing&deleteMode=Permissive", "'deleteMode' is given 2 times"},
		{"DELETE", "/notifications?uuids=" + id + "%", `"uuids": ` + escape},
		{"DELETE", "/notifications?uuids=" + id + "&deleteMode=%", `"deleteMode": ` + escape},
	} {
		t.Run(tc.method+" "+tc.target, func(t *testing.T) {
			badRequest(t, m.do(t, tc.method, "/zstack/v1"+tc.target, s, ""), tc.mention)
		})
	}
	// What the Go SDK sends (url.Values.Encode: % as %25) finds what the manual meant.
	res, l := m.query(t, s, q("name~=IntelCore%"))
	if res.Code != http.StatusOK || strings.Join(l.names(), ",") != "IntelCoreI7,IntelCoreM7" {
		t.Errorf("name~=IntelCore%%25: %d %v", res.Code, l.names())
	}
}

// ~= and !~= patterns are bounded in length and wildcards; over a bound is a 400 naming it,
// answered before any VM is read.
func TestLikePatternBounds(t *testing.T) {
	m := newMemBroker(t, fixtureVMs(), nil)
	s := m.login(t, "admin", adminPass)
	huge := strings.Repeat("x", 1<<20) // what once cost seconds of CPU and half a gigabyte
	for _, tc := range []struct{ query, mention string }{
		{q("name~=" + strings.Repeat("a", inventory.MaxLikeBytes+1)), "the limit is 256 bytes"},
		{q("name!~=" + huge), "the limit is 256 bytes"},
		{q("name~=" + strings.Repeat("_%", 9)), "has 18 wildcards (% and _); the limit is 16"},
		{q("__userTag__~=" + strings.Repeat("%", 17)), "the limit is 16"},
		{"q=name~=" + huge + "%", "malformed percent-escape"},
	} {
		start := time.Now()
		res, _ := m.query(t, s, tc.query)
		badRequest(t, res, tc.mention)
		if d := time.Since(start); d > 5*time.Second { // a generous sanity bound, not a timing
			t.Errorf("%.40s...: answered in %v", tc.query, d)
		}
	}
	res, l := m.query(t, s, q("name~="+strings.Repeat("%", inventory.MaxLikeWildcards)))
	if res.Code != http.StatusOK || len(l.Inventories) != 5 {
		t.Errorf("a pattern at the bound: %d %s", res.Code, res.Body)
	}
}

// vmRSS is the process's resident set in bytes, from /proc/self/status.
func vmRSS() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmRSS in /proc/self/status")
}

// footprint is what the memory bound applies to: the process's RSS, or under the race
// detector (whose shadow memory multiplies every allocation's RSS several times) the Go heap
// in use, which the detector does not inflate.
func footprint() (int64, error) {
	if raceEnabled {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return int64(ms.HeapInuse), nil
	}
	return vmRSS()
}

// Twelve concurrent maximal patterns (at the bounds, wildcard-heavy, on plain and nested
// fields) over 100,000 VMs, twice, leave the process's RSS within 100 MB of where it started
// (the acceptance bound): matching allocates nothing per value. (1 MB patterns are
// refused before anything is read: TestLikePatternBounds.)
func TestConcurrentMaximalPatternsMemory(t *testing.T) {
	m := newMemBroker(t, benchVMs(100_000), nil)
	s := m.login(t, "admin", adminPass)
	long := strings.Repeat("%v", inventory.MaxLikeWildcards/2) + strings.Repeat("m", inventory.MaxLikeBytes-inventory.MaxLikeWildcards)
	heavy := strings.Repeat("%0", inventory.MaxLikeWildcards-1) + "%x" // scans every value, backtracking at each 0
	// A portal's page of 50 with the total: what is measured is the patterns, not rendering
	// a thousand inventories.
	page := "&limit=50&replyWithCount=true"
	patterns := []string{
		q("name~=" + long), q("name!~=" + long), q("vmNics.ip~=" + long), q("allVolumes.installPath~=" + long),
		q("name~=" + heavy), q("name!~=" + heavy), q("vmNics.ip~=" + heavy), q("vmNics.mac~=" + heavy),
		q("allVolumes.installPath~=" + heavy), q("guestOsType~=" + strings.Repeat("_%", 8)),
		q("name~=" + strings.Repeat("%_", 8)), q("allVolumes.name!~=" + heavy),
	}
	if len(patterns) != 12 {
		t.Fatalf("%d patterns, want 12", len(patterns))
	}
	if res, _ := m.query(t, s, q("name~=vm-00%")+"&limit=50"); res.Code != http.StatusOK {
		t.Fatalf("warm-up: %d %s", res.Code, res.Body)
	}
	before, err := footprint()
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		peak = before
	)
	done := make(chan struct{})
	go func() { // sample while the queries run: the bound holds throughout, not only after
		for {
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
				if r, err := footprint(); err == nil {
					mu.Lock()
					peak = max(peak, r)
					mu.Unlock()
				}
			}
		}
	}()
	for round := range 2 {
		for i, p := range patterns {
			wg.Go(func() {
				res := m.do(t, http.MethodGet, "/zstack/v1/vm-instances?"+p+page, s, "")
				if res.Code != http.StatusOK {
					t.Errorf("round %d pattern %d: %d %.200s", round, i, res.Code, res.Body)
				}
			})
		}
		wg.Wait()
	}
	close(done)
	after, err := footprint()
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	what := "RSS"
	if raceEnabled {
		what = "Go heap in use (race detector)"
	}
	t.Logf("%s before %d MB, peak %d MB, after %d MB", what, before>>20, peak>>20, after>>20)
	if peak-before > 100<<20 || after-before > 100<<20 {
		t.Errorf("%s grew from %d MB to %d MB (peak %d MB); the bound is 100 MB", what, before>>20, after>>20, peak>>20)
	}
}
