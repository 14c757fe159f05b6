package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// readmeToken is the token the README's examples are written with.
const readmeToken = "demo-token-0123456789"

// runningDemo is the broker as `make run` runs it (the same run function), on a free port.
type runningDemo struct {
	addr   string
	stderr *syncBuffer
}

// startDemo runs the demo until the test ends; env is its environment.
func startDemo(t *testing.T, env map[string]string) *runningDemo {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d := &runningDemo{stderr: &syncBuffer{}}
	addrs, done := make(chan net.Addr, 1), make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--listen", "127.0.0.1:0"}, func(k string) string { return env[k] },
			&bytes.Buffer{}, d.stderr, func(a net.Addr) { addrs <- a })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo ended with %v", err)
		}
	})
	select {
	case a := <-addrs:
		d.addr = a.String()
	case err := <-done:
		t.Fatalf("demo did not start: %v\n%s", err, d.stderr)
	case <-time.After(60 * time.Second):
		t.Fatalf("demo not listening after 60s:\n%s", d.stderr)
	}
	return d
}

// post calls the vcproxy dialect with the README's token and decodes data.
func (d *runningDemo) post(t *testing.T, path string, data any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+d.addr+path, strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer "+readmeToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct {
		Errcode string          `json:"errcode"`
		Data    json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || env.Errcode != "200" {
		t.Fatalf("%s: %d %+v %v", path, resp.StatusCode, env, err)
	}
	if err := json.Unmarshal(env.Data, data); err != nil {
		t.Fatal(err)
	}
}

type providerRow struct {
	Name      string `json:"name"`
	SyncState string `json:"sync_state"`
	VMs       int    `json:"vms"`
}

func (d *runningDemo) providers(t *testing.T) []providerRow {
	t.Helper()
	var data struct {
		Providers []providerRow `json:"providers"`
	}
	d.post(t, "/api/provider/list", &data)
	return data.Providers
}

// waitSynced waits until the demo's three providers are listed, those with VMs synced, and
// its agent is online.
func (d *runningDemo) waitSynced(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ps := d.providers(t)
		ready := len(ps) == 3 // the agent's provider is listed once the broker has heard its heartbeat
		for _, p := range ps {
			ready = ready && (p.SyncState == "synced" || p.SyncState == "none")
		}
		var agents struct {
			Agents []struct {
				State string `json:"state"`
			} `json:"agents"`
		}
		d.post(t, "/api/agent/list", &agents)
		if ready && len(agents.Agents) == 1 && agents.Agents[0].State == "online" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo not synced after 30s: %+v\n%s", d.providers(t), d.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
