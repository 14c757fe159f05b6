package reads

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"cloudbroker/config"
)

// parallelism is the number of concurrent clients per GOMAXPROCS: enough to keep both cores
// busy while one request waits on Redis, as a handful of portals would.
const parallelism = 8

// call is one request a benchmark repeats.
type call struct {
	method, url string
	body        []byte
	header      http.Header
}

func (c call) do(client *http.Client) (int, []byte, error) {
	req, err := http.NewRequest(c.method, c.url, bytes.NewReader(c.body))
	if err != nil {
		return 0, nil, err
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

func newClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 256
	return &http.Client{Transport: t, Timeout: 10 * time.Second}
}

// drive runs c b.N times from parallel clients over keep-alive connections and reports req/s
// and the latency percentiles. A non-200 answer fails the benchmark: an error is not a read.
func drive(b *testing.B, c call) {
	client := newClient()
	defer client.CloseIdleConnections()
	var (
		mu  sync.Mutex
		lat []time.Duration
	)
	b.SetParallelism(parallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			start := time.Now()
			code, body, err := c.do(client)
			if err != nil || code != http.StatusOK {
				b.Errorf("%s %s: %d %v %.300s", c.method, c.url, code, err, body)
				return
			}
			mine = append(mine, time.Since(start))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// unlimited lifts the per-caller rate limit, which a benchmark's one caller would hit first.
func unlimited(c *config.Config) {
	c.HTTP.RateLimit = config.RateLimit{RPS: -1}
}

// fetch answers c once, failing the benchmark on anything but 200.
func fetch(b *testing.B, c call) []byte {
	b.Helper()
	client := newClient()
	defer client.CloseIdleConnections()
	code, body, err := c.do(client)
	if err != nil || code != http.StatusOK {
		b.Fatalf("%s %s: %d %v %.300s", c.method, c.url, code, err, body)
	}
	return body
}

// floor serves body from a bare gin engine (no middleware) on loopback and drives the same
// request at it: the cost of HTTP, gin's routing and the bytes, with nothing of cloudbroker.
func floor(b *testing.B, c call, body []byte) {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Handle(c.method, "/*path", func(g *gin.Context) {
		io.Copy(io.Discard, g.Request.Body)
		g.Data(http.StatusOK, "application/json; charset=utf-8", body)
	})
	srv := httptest.NewServer(r)
	defer srv.Close()
	c.url = srv.URL + "/floor"
	drive(b, c)
	b.ReportMetric(float64(len(body)), "body-B")
}
