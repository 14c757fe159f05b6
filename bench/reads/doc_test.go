// Package reads benchmarks the read paths of issue 17 over HTTP, each beside its floor: a bare
// gin handler returning a body of the same size, over the same loopback, from the same client.
// `make bench` (bench/table) prints each pair as one row.
package reads
