package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const sample = `goos: linux
pkg: cloudbroker/bench/reads
BenchmarkVMList-2          	   20000	     52000 ns/op	        0.41 p50-ms	         1.9 p99-ms	     11000 req/s	    9000 B/op	      90 allocs/op
BenchmarkVMListFloor-2     	   40000	     30000 ns/op	        0.20 p50-ms	         0.9 p99-ms	     18400 req/s	    4000 B/op	      30 allocs/op
BenchmarkVMListFloor-2     	   40000	     30000 ns/op	        0.20 p50-ms	         0.9 p99-ms	      9000 req/s	    4000 B/op	      30 allocs/op
BenchmarkVMListFloor-2     	   40000	     30000 ns/op	        0.20 p50-ms	         0.9 p99-ms	     19000 req/s	    4000 B/op	      30 allocs/op
BenchmarkLonely-2          	     100	   1000000 ns/op
PASS
pkg: cloudbroker/broker/inventory
BenchmarkQuery/100k-2      	      10	  50000000 ns/op	        45.0 p50-ms	        90.0 p99-ms
BenchmarkQueryFloor-2      	    1000	    900000 ns/op	        0.90 p50-ms	         1.2 p99-ms
ok
`

func TestTable(t *testing.T) {
	tests := []struct {
		name string
		all  bool
		want string
	}{
		{"paired rows only", false, `| path | project | floor | ratio | metric |
|---|---|---|---|---|
| VMList (bench/reads) | 11,000 req/s (p50 0.41 ms, p99 1.90 ms) | 18,400 req/s (p50 0.20 ms, p99 0.90 ms) | 0.60 | req/s, higher is better |
| Query/100k (broker/inventory) | p99 90.00 ms (p50 45.00 ms) | p99 1.20 ms (p50 0.90 ms) | 75.00 | p99-ms, lower is better |
`},
		{"with unpaired", true, `| path | project | floor | ratio | metric |
|---|---|---|---|---|
| VMList (bench/reads) | 11,000 req/s (p50 0.41 ms, p99 1.90 ms) | 18,400 req/s (p50 0.20 ms, p99 0.90 ms) | 0.60 | req/s, higher is better |
| Lonely (bench/reads) | 1,000,000 ns/op | — | — | ns/op, lower is better |
| Query/100k (broker/inventory) | p99 90.00 ms (p50 45.00 ms) | p99 1.20 ms (p50 0.90 ms) | 75.00 | p99-ms, lower is better |
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := render(pair(parse(strings.NewReader(sample)), tt.all))
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("table (-want +got):\n%s", d)
			}
		})
	}
}

func TestChoose(t *testing.T) {
	tests := []struct {
		name           string
		project, floor map[string]float64
		want           metric
	}{
		{"a rate only the project reports falls back to ns/op",
			map[string]float64{"req/s": 1, "ns/op": 2}, map[string]float64{"ns/op": 3}, metric{unit: "ns/op"}},
		{"a throughput before percentiles",
			map[string]float64{"tasks/s": 1, "p99-ms": 2, "ns/op": 1}, map[string]float64{"tasks/s": 1, "p99-ms": 2, "ns/op": 1}, metric{unit: "tasks/s", higher: true}},
		{"the benchmark's own choice",
			map[string]float64{"cmp:p50-ms": 1, "p50-ms": 1, "p99-ms": 2}, map[string]float64{"p50-ms": 1, "p99-ms": 2}, metric{unit: "p50-ms"}},
		{"a cost is lower-is-better",
			map[string]float64{"idle-cmds/s": 9, "ns/op": 1}, map[string]float64{"idle-cmds/s": 3, "ns/op": 1}, metric{unit: "idle-cmds/s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(tt.want, choose(tt.project, tt.floor), cmp.AllowUnexported(metric{})); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}
