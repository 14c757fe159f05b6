package catalog_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"cloudbroker/drivers/catalog"
)

// Under the provider's concurrency the driver keeps one connection per concurrent call: each
// round holds every call at the server at once, so a pool smaller than the cap would close
// connections after each round and handshake them again on the next.
func TestConnectionsReusedUnderLoad(t *testing.T) {
	const concurrency, rounds = 6, 20
	var handshakes atomic.Int64
	var armed atomic.Bool // Open's ping passes; the rounds' calls wait for each other
	arrived := make(chan struct{}, concurrency)
	release := make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if armed.Load() {
			arrived <- struct{}{}
			<-release
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"errno":0,"requestId":"r","data":{"count":0,"items":[]}}`))
	}))
	srv.TLS = &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
		handshakes.Add(1)
		return nil, nil
	}}
	srv.StartTLS()
	t.Cleanup(srv.Close)

	cfg := config_(srv.URL, "token", "bj")
	cfg.Insecure, cfg.Concurrency = true, concurrency
	c, err := catalog.Open(ctx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	armed.Store(true)
	for range rounds {
		var wg sync.WaitGroup
		for range concurrency {
			wg.Go(func() {
				if _, err := c.ListImages(ctx(t)); err != nil {
					t.Error(err)
				}
			})
		}
		for range concurrency {
			<-arrived
		}
		for range concurrency {
			release <- struct{}{}
		}
		wg.Wait()
	}
	// Open's ping used one connection; the first round dialed the others; later rounds none.
	if got := handshakes.Load(); got > concurrency {
		t.Errorf("%d TLS handshakes for %d rounds of %d concurrent calls: want at most %d (one per concurrent call)", got, rounds, concurrency, concurrency)
	}
}
