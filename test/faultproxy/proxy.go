// Package faultproxy puts a controllable HTTPS reverse proxy in front of a test endpoint (a
// vCenter simulator) so tests can make it stall or fail without touching the simulator's
// internals from another goroutine.
package faultproxy

import (
	"bytes"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"
	"time"
)

// Proxy forwards to a target, after an adjustable delay, or answers 503 while down.
type Proxy struct {
	srv      *httptest.Server
	delay    atomic.Int64
	down     atomic.Bool
	inFlight atomic.Int64
	maxSeen  atomic.Int64
	URL      *url.URL
	// wake ends the waits in progress when closed (Flush); a fresh one replaces it.
	wake atomic.Pointer[chan struct{}]
	// spare, when set, exempts requests whose body contains it from the delay (Spare).
	spare atomic.Pointer[string]
	// abandonedSpared counts spared requests whose client gave up before the answer.
	abandonedSpared atomic.Int64
	// abandonedPolls counts WaitForUpdatesEx requests forwarded to the target whose client
	// gave up before the answer.
	abandonedPolls atomic.Int64
}

// New starts a TLS proxy to target (whose certificate is not verified: simulators are
// self-signed). It stops when the test ends.
func New(t testing.TB, target *url.URL) *Proxy {
	t.Helper()
	base := &url.URL{Scheme: target.Scheme, Host: target.Host}
	rp := httputil.NewSingleHostReverseProxy(base)
	rp.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	p := &Proxy{}
	wake := make(chan struct{})
	p.wake.Store(&wake)
	p.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var forwarded bool
		n := p.inFlight.Add(1)
		defer p.inFlight.Add(-1)
		for m := p.maxSeen.Load(); n > m && !p.maxSeen.CompareAndSwap(m, n); m = p.maxSeen.Load() {
		}
		body := peek(r)
		spared := p.spared(body)
		if bytes.Contains(body, []byte("WaitForUpdatesEx")) {
			defer func(forwardedAt *bool) {
				if *forwardedAt && r.Context().Err() != nil {
					p.abandonedPolls.Add(1)
				}
			}(&forwarded)
		}
		if spared {
			defer func() {
				if r.Context().Err() != nil {
					p.abandonedSpared.Add(1)
				}
			}()
		}
		if d := time.Duration(p.delay.Load()); d > 0 && !spared {
			select {
			case <-time.After(d):
			case <-*p.wake.Load():
			case <-r.Context().Done():
				return
			}
		}
		if p.down.Load() {
			http.Error(w, "faultproxy: endpoint down", http.StatusServiceUnavailable)
			return
		}
		forwarded = true
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	u, _ := url.Parse(p.srv.URL)
	u.Path, u.User = target.Path, target.User
	p.URL = u
	return p
}

// SetDelay makes every request wait d first (0 for none).
func (p *Proxy) SetDelay(d time.Duration) { p.delay.Store(int64(d)) }

// Flush ends the delay of every request waiting now (they go on to the target); later
// requests wait as SetDelay says. A test that stalls a request for longer than it runs calls
// it before the broker closes, whose client may not cancel that request.
func (p *Proxy) Flush() {
	next := make(chan struct{})
	close(*p.wake.Swap(&next))
}

// Spare exempts from SetDelay the requests whose body contains s (a SOAP method name, say:
// "WaitForUpdatesEx" stalls a vCenter's task calls but not its inventory watch); "" for none.
func (p *Proxy) Spare(s string) { p.spare.Store(&s) }

func (p *Proxy) spared(body []byte) bool {
	s := p.spare.Load()
	return s != nil && *s != "" && bytes.Contains(body, []byte(*s))
}

// peek reads the request's body and puts it back for the target.
func peek(r *http.Request) []byte {
	if r.Body == nil {
		return nil
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body
}

// AbandonedSpared counts the spared requests (Spare) whose client gave up waiting for the
// answer: for a vCenter simulator's WaitForUpdatesEx, each may have taken changes with it
// that the client never saw (the simulator, unlike vCenter, keeps no history by version).
func (p *Proxy) AbandonedSpared() int64 { return p.abandonedSpared.Load() }

// AbandonedPolls counts the WaitForUpdatesEx requests that reached the target and whose client
// gave up before the answer: like AbandonedSpared, each may have taken the simulator's pending
// changes with it.
func (p *Proxy) AbandonedPolls() int64 { return p.abandonedPolls.Load() }

// SetDown makes every request fail with 503 until SetDown(false).
func (p *Proxy) SetDown(down bool) { p.down.Store(down) }

// MaxInFlight is the most requests the proxy has held at once since ResetMax.
func (p *Proxy) MaxInFlight() int64 { return p.maxSeen.Load() }

// ResetMax starts counting MaxInFlight afresh.
func (p *Proxy) ResetMax() { p.maxSeen.Store(p.inFlight.Load()) }
