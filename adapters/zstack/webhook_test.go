package zstack_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"cloudbroker/broker"
	"cloudbroker/config"
)

// receiver is a webhook endpoint that fails its first failFirst calls with 500.
type receiver struct {
	srv       *httptest.Server
	failFirst int

	mu    sync.Mutex
	calls []hookCall
	got   chan struct{}
}

type hookCall struct {
	At               time.Time
	JobUUID, Success string
	Body             json.RawMessage
	Status           int
}

func newReceiver(t *testing.T, failFirst int) *receiver {
	r := &receiver{failFirst: failFirst, got: make(chan struct{}, 100)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		c := hookCall{At: time.Now(), JobUUID: req.Header.Get("X-Job-UUID"), Success: req.Header.Get("X-Job-Success"), Body: body, Status: http.StatusOK}
		if req.Method != http.MethodPost || req.Header.Get("Content-Type") == "" {
			c.Status = http.StatusBadRequest
		}
		if len(r.calls) < r.failFirst {
			c.Status = http.StatusInternalServerError
		}
		r.calls = append(r.calls, c)
		r.mu.Unlock()
		w.WriteHeader(c.Status)
		r.got <- struct{}{}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// wait returns the calls once there are n, failing the test after 20s.
func (r *receiver) wait(t *testing.T, n int) []hookCall {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		r.mu.Lock()
		if len(r.calls) >= n {
			out := append([]hookCall(nil), r.calls...)
			r.mu.Unlock()
			return out
		}
		r.mu.Unlock()
		select {
		case <-r.got:
		case <-deadline:
			t.Fatalf("webhook got %d calls in 20s, want %d", len(r.calls), n)
		}
	}
}

// A callback after a receiver failure is retried with backoff; it carries X-Job-UUID,
// X-Job-Success and the body a poll of the job would answer.
func TestWebhookRetriedAfterFailure(t *testing.T) {
	b := startBroker(t, brokerOpts{})
	rcv := newReceiver(t, 1)
	s := login(t, b, "tenant-a", passA)
	vm := uuidOf(t, b, 0, "DC0_H0_VM1")
	res := call(t, b, http.MethodPut, "/zstack/v1/vm-instances/"+vm+"/actions", s, `{"stopVmInstance":{"type":"cold"}}`,
		"X-Job-UUID", jobID, "X-Web-Hook", rcv.srv.URL+"/rest-webhook")
	if res.Code != http.StatusAccepted {
		t.Fatalf("PUT: %d %s", res.Code, res.Body)
	}
	calls := rcv.wait(t, 2)
	for i, c := range calls {
		if c.JobUUID != jobID || c.Success != "true" {
			t.Errorf("call %d: X-Job-UUID %q X-Job-Success %q", i, c.JobUUID, c.Success)
		}
	}
	if calls[0].Status != http.StatusInternalServerError || calls[1].Status != http.StatusOK || !calls[1].At.After(calls[0].At) {
		t.Errorf("calls %+v, want a failure then a success", calls)
	}
	var body struct{ Inventory struct{ UUID, State string } }
	if err := json.Unmarshal(calls[1].Body, &body); err != nil || body.Inventory.UUID != vm || body.Inventory.State != "Stopped" {
		t.Errorf("callback body %s: %v", calls[1].Body, err)
	}
	// The body is the job's answer, exactly.
	if poll := pollJob(t, b, s, "/zstack/v1/api-jobs/"+jobID); string(poll.Body) != string(calls[1].Body) {
		t.Errorf("callback body %s differs from the poll's %s", calls[1].Body, poll.Body)
	}
	time.Sleep(time.Second) // deliveries are done once: no call after the success
	if n := len(rcv.wait(t, 2)); n != 2 {
		t.Errorf("%d calls, want 2 (one failure, one success)", n)
	}
}

func TestWebhookOnFailedJob(t *testing.T) {
	b, _ := startCounted(t, broker.TypeVMPower, nil)
	rcv := newReceiver(t, 0)
	s := login(t, b, "admin", adminPass)
	vm := uuidOf(t, b, 0, "DC0_H0_VM0")
	res := call(t, b, http.MethodPut, "/zstack/v1/vm-instances/"+vm+"/actions", s, `{"rebootVmInstance":{}}`, "X-Web-Hook", rcv.srv.URL+"/cb")
	if res.Code != http.StatusAccepted {
		t.Fatalf("PUT: %d %s", res.Code, res.Body)
	}
	var loc struct{ Location string }
	res.json(t, &loc)
	c := rcv.wait(t, 1)[0]
	if c.Success != "false" || len(c.JobUUID) != 32 || loc.Location[len(loc.Location)-32:] != c.JobUUID {
		t.Errorf("callback X-Job-Success %q X-Job-UUID %q for job %s", c.Success, c.JobUUID, loc.Location)
	}
	goldenJSON(t, "webhook_failed_body", c.Body)
}

func TestWebhookAllowList(t *testing.T) {
	b := startBroker(t, brokerOpts{})
	s := login(t, b, "admin", adminPass)
	vm := uuidOf(t, b, 0, "DC0_H0_VM0")
	path := "/zstack/v1/vm-instances/" + vm + "/actions"
	for _, hook := range []string{"http://localhost:9/cb", "http://169.254.169.254/latest/meta-data", "file:///etc/passwd", "::"} {
		expectError(t, "X-Web-Hook "+hook, call(t, b, http.MethodPut, path, s, `{"startVmInstance":{}}`, "X-Web-Hook", hook), http.StatusBadRequest, "SYS.1007")
	}
	// Without an allow-list, X-Web-Hook is refused outright.
	closed := startBroker(t, brokerOpts{tune: func(c *config.Config) { c.ZStack.Webhooks.AllowedHosts = nil }})
	s = login(t, closed, "admin", adminPass)
	vm = uuidOf(t, closed, 0, "DC0_H0_VM0")
	res := call(t, closed, http.MethodPut, "/zstack/v1/vm-instances/"+vm+"/actions", s, `{"startVmInstance":{}}`, "X-Web-Hook", "http://127.0.0.1:9/cb")
	expectError(t, "X-Web-Hook without allow-list", res, http.StatusBadRequest, "SYS.1007")
}
