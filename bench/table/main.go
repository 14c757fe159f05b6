// Command table runs the repository's benchmarks and prints one markdown table that sets each
// project figure beside its floor from the same run (issue 17): `make bench`.
//
// A row is a pair: Benchmark<Name> and Benchmark<Name>Floor (sub-benchmarks pair by their
// suffix, Benchmark<Name>/x with Benchmark<Name>Floor/x, or with Benchmark<Name>Floor when the
// floor has none). Adding a row is adding the two benchmarks; this program needs no change.
// The compared metric is chosen per row (metric.go); a benchmark may name it with
// b.ReportMetric(1, "cmp:<unit>") (e.g. "cmp:p50-ms" where the target is a median). Run with
// -count N, each figure is the median of the N runs.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

func main() {
	pkgs := flag.String("pkgs", "", "space-separated packages to run (default: every package with a Benchmark...Floor)")
	bench := flag.String("bench", ".", "the -bench pattern")
	benchtime := flag.String("benchtime", "", "the -benchtime value (default go test's)")
	count := flag.Int("count", 1, "runs of each benchmark; the table shows each metric's median")
	all := flag.Bool("all", false, "also list benchmarks that have no floor")
	flag.Parse()

	list := strings.Fields(*pkgs)
	if len(list) == 0 {
		var err error
		if list, err = floorPackages("."); err != nil {
			fmt.Fprintln(os.Stderr, "table:", err)
			os.Exit(2)
		}
	}
	args := []string{"test", "-run", "^$", "-bench", *bench, "-benchmem", "-count", fmt.Sprint(*count)}
	if *benchtime != "" {
		args = append(args, "-benchtime", *benchtime)
	}
	args = append(args, list...)
	fmt.Fprintln(os.Stderr, "go", strings.Join(args, " "))

	// The raw output goes to stderr as it comes (progress, and the record of the run); the
	// table alone goes to stdout.
	var out bytes.Buffer
	cmd := exec.Command("go", args...)
	cmd.Stdout = io.MultiWriter(&out, os.Stderr)
	cmd.Stderr = os.Stderr
	runErr := cmd.Run()

	results := parse(&out)
	fmt.Print(render(pair(results, *all)))
	if runErr != nil {
		fmt.Fprintln(os.Stderr, "table: go test:", runErr)
		os.Exit(1)
	}
}

var floorDecl = regexp.MustCompile(`(?m)^func Benchmark\w*Floor\(`)

// floorPackages lists the packages under root whose tests declare a floor benchmark.
func floorPackages(root string) ([]string, error) {
	seen := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if floorDecl.Match(src) {
			seen["./"+filepath.ToSlash(filepath.Dir(path))] = true
		}
		return nil
	})
	var pkgs []string
	for p := range seen {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	return pkgs, err
}

// result is one benchmark line of go test's output.
type result struct {
	pkg, name string             // name without the -GOMAXPROCS suffix
	metrics   map[string]float64 // unit → value, as printed ("ns/op", "req/s", "p99-ms", ...)
	runs      int                // how many runs the metrics are the median of (-count)
}

var procsSuffix = regexp.MustCompile(`-\d+$`)

func parse(r io.Reader) []result {
	var rs []result
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == "pkg:" {
			pkg = f[1]
			continue
		}
		// BenchmarkX-2  N  v unit  v unit ...
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		m := map[string]float64{}
		ok := true
		for i := 2; i+1 < len(f); i += 2 {
			var v float64
			if _, err := fmt.Sscan(f[i], &v); err != nil {
				ok = false
				break
			}
			m[f[i+1]] = v
		}
		if ok {
			rs = append(rs, result{pkg: pkg, name: procsSuffix.ReplaceAllString(f[0], ""), metrics: m})
		}
	}
	return rs
}
