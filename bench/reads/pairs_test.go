package reads

import (
	"testing"

	"cloudbroker/test/harness"
)

// pairs are the read paths of issue 17 and how to make each one's request on a started broker.
var pairs = map[string]func(testing.TB, *harness.Broker) call{
	"vm/list": vmList, "task/info": taskInfo, "zstack vm-instances": zstackQuery, "didi cimg/list": cimgList,
}

// project drives the path through the whole engine (edge, rate limit, handler, broker) with a
// real Redis; floor serves the same answer's bytes from a bare gin handler.
func project(b *testing.B, path string) {
	br := start(b)
	c := pairs[path](b, br)
	body := fetch(b, c)
	drive(b, c)
	b.ReportMetric(float64(len(body)), "body-B")
}

func floorOf(b *testing.B, path string) {
	br := start(b)
	c := pairs[path](b, br)
	body := fetch(b, c)
	br.Stop() // its worker and watches would take CPU from the floor
	floor(b, c, body)
}

func BenchmarkVMList(b *testing.B)           { project(b, "vm/list") }
func BenchmarkVMListFloor(b *testing.B)      { floorOf(b, "vm/list") }
func BenchmarkTaskInfo(b *testing.B)         { project(b, "task/info") }
func BenchmarkTaskInfoFloor(b *testing.B)    { floorOf(b, "task/info") }
func BenchmarkZStackQuery(b *testing.B)      { project(b, "zstack vm-instances") }
func BenchmarkZStackQueryFloor(b *testing.B) { floorOf(b, "zstack vm-instances") }
func BenchmarkCimgList(b *testing.B)         { project(b, "didi cimg/list") }
func BenchmarkCimgListFloor(b *testing.B)    { floorOf(b, "didi cimg/list") }
