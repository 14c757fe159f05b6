package main

import (
	"fmt"
	"math"
	"strings"
)

// metric is the unit a row compares, and which way is better.
type metric struct {
	unit   string
	higher bool
}

func (m metric) describe() string {
	if m.higher {
		return m.unit + ", higher is better"
	}
	return m.unit + ", lower is better"
}

// choose picks the unit both results report. A benchmark names it with a marker metric,
// b.ReportMetric(1, "cmp:<unit>"); otherwise the order is: a throughput ("req/s", "tasks/s",
// any "<word>/s"), then a p99, then a p50 (units "p99-<u>", "p50-<u>"), then a cost (a
// hyphenated rate such as "idle-cmds/s", or a per-item unit "<x>/task"), then ns/op. A
// throughput says the most about a path under load; a percentile is what a caller waits; a
// cost is what an idle or background path is about; ns/op is what every benchmark has.
func choose(project, floor map[string]float64) metric {
	has := func(u string) bool {
		_, a := project[u]
		if floor == nil {
			return a
		}
		_, b := floor[u]
		return a && b
	}
	for u := range project {
		if want, ok := strings.CutPrefix(u, "cmp:"); ok && has(want) {
			return metric{unit: want, higher: isThroughput(want)}
		}
	}
	var rates, p99, p50, costs []string
	for u := range project {
		switch {
		case !has(u) || strings.HasPrefix(u, "cmp:"):
		case isThroughput(u):
			rates = append(rates, u)
		case strings.HasPrefix(u, "p99-"):
			p99 = append(p99, u)
		case strings.HasPrefix(u, "p50-"):
			p50 = append(p50, u)
		case strings.HasSuffix(u, "/s") || strings.HasSuffix(u, "/task"):
			costs = append(costs, u)
		}
	}
	for _, group := range []struct {
		units  []string
		higher bool
	}{{rates, true}, {p99, false}, {p50, false}, {costs, false}} {
		if len(group.units) > 0 {
			return metric{unit: minString(group.units), higher: group.higher}
		}
	}
	return metric{unit: "ns/op"}
}

// isThroughput: "req/s", "tasks/s"; a hyphenated rate ("idle-redis-ops/s") is a cost.
func isThroughput(u string) bool { return strings.HasSuffix(u, "/s") && !strings.Contains(u, "-") }

func minString(s []string) string {
	m := s[0]
	for _, x := range s[1:] {
		if x < m {
			m = x
		}
	}
	return m
}

// extras shows the latency percentiles beside a compared rate (a rate's target is often "at
// p99 < X"), so the table needs no second column set.
func extras(m map[string]float64, compared string) string {
	var parts []string
	for _, u := range []string{"p50-ms", "p99-ms"} {
		if v, ok := m[u]; ok && u != compared {
			parts = append(parts, format(v, u))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// format prints a value with its unit, with thousands separators for large values.
func format(v float64, unit string) string {
	switch {
	case strings.HasPrefix(unit, "p") && strings.HasSuffix(unit, "-ms"):
		return fmt.Sprintf("%s %.2f ms", strings.TrimSuffix(unit, "-ms"), v)
	case math.Abs(v) >= 1000:
		return group(int64(math.Round(v))) + " " + unit
	default:
		return fmt.Sprintf("%.3g %s", v, unit)
	}
}

func group(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
