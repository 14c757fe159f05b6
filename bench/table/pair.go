package main

import (
	"fmt"
	"slices"
	"strings"
)

// row is one line of the table: a project figure and the floor it is compared with.
type row struct {
	pkg, name string
	project   result
	floor     *result // nil: no floor in this run
}

// floorName is the floor's name for a benchmark name, and the name without the sub-benchmark
// suffix (a floor may have no sub-benchmarks while its project figure has several).
func floorNames(name string) []string {
	top, sub, hasSub := strings.Cut(name, "/")
	if !hasSub {
		return []string{top + "Floor"}
	}
	return []string{top + "Floor/" + sub, top + "Floor"}
}

func isFloor(name string) bool {
	top, _, _ := strings.Cut(name, "/")
	return strings.HasSuffix(top, "Floor")
}

// pair finds each benchmark's floor, first in its own package, then anywhere in the run. Floors
// are not rows of their own; benchmarks without a floor are rows only with all.
func pair(rs []result, all bool) []row {
	rs = medians(rs)
	byPkg := map[string]map[string]result{}
	anywhere := map[string]result{}
	for _, r := range rs {
		if byPkg[r.pkg] == nil {
			byPkg[r.pkg] = map[string]result{}
		}
		byPkg[r.pkg][r.name] = r
		if _, dup := anywhere[r.name]; !dup {
			anywhere[r.name] = r
		}
	}
	var rows []row
	for _, r := range rs {
		if isFloor(r.name) {
			continue
		}
		var floor *result
		for _, fn := range floorNames(r.name) {
			if f, ok := byPkg[r.pkg][fn]; ok {
				floor = &f
				break
			}
			if f, ok := anywhere[fn]; ok {
				floor = &f
				break
			}
		}
		if floor == nil && !all {
			continue
		}
		rows = append(rows, row{pkg: r.pkg, name: r.name, project: r, floor: floor})
	}
	return rows
}

func render(rows []row) string {
	var b strings.Builder
	b.WriteString("| path | project | floor | ratio | metric |\n|---|---|---|---|---|\n")
	for _, r := range rows {
		path := strings.TrimPrefix(r.name, "Benchmark")
		if r.floor == nil {
			m := choose(r.project.metrics, nil)
			fmt.Fprintf(&b, "| %s (%s) | %s | — | — | %s |\n", path, short(r.pkg),
				format(r.project.metrics[m.unit], m.unit)+extras(r.project.metrics, m.unit), m.describe())
			continue
		}
		m := choose(r.project.metrics, r.floor.metrics)
		p, f := r.project.metrics[m.unit], r.floor.metrics[m.unit]
		ratio := "—"
		if f != 0 {
			ratio = fmt.Sprintf("%.2f", p/f)
		}
		fmt.Fprintf(&b, "| %s (%s) | %s | %s | %s | %s |\n", path, short(r.pkg),
			format(p, m.unit)+extras(r.project.metrics, m.unit),
			format(f, m.unit)+extras(r.floor.metrics, m.unit), ratio, m.describe())
	}
	return b.String()
}

// short is the package path without the module name.
func short(pkg string) string {
	if _, rest, ok := strings.Cut(pkg, "/"); ok {
		return rest
	}
	return pkg
}

// medians folds the runs of one benchmark (go test -count N) into one result: each metric's
// median, in the order of first appearance. The median keeps one run disturbed by another
// process on a shared machine from deciding a row.
func medians(rs []result) []result {
	type key struct{ pkg, name string }
	runs := map[key][]result{}
	var order []key
	for _, r := range rs {
		k := key{r.pkg, r.name}
		if _, seen := runs[k]; !seen {
			order = append(order, k)
		}
		runs[k] = append(runs[k], r)
	}
	out := make([]result, 0, len(order))
	for _, k := range order {
		m := map[string]float64{}
		for unit := range runs[k][0].metrics {
			var vs []float64
			for _, r := range runs[k] {
				if v, ok := r.metrics[unit]; ok {
					vs = append(vs, v)
				}
			}
			slices.Sort(vs)
			m[unit] = vs[len(vs)/2]
		}
		out = append(out, result{pkg: k.pkg, name: k.name, metrics: m, runs: len(runs[k])})
	}
	return out
}
