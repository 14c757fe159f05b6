package redisdeploy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cloudbroker/test/harness"
)

// stream sends vcproxy diskinfo requests (mostly async, every fifth sync) from a few
// goroutines until stopped, keeping what each answer was.
type stream struct {
	b   *harness.Broker
	vms []string

	mu         sync.Mutex
	accepted   []string       // taskids of every 2xx answer (and of sync timeouts, 504 with a taskid)
	done       int            // sync answers that carried a succeeded task
	refused    int            // 503 in vcproxy's shape: Redis unavailable, said clearly
	refusal    string         // the first refusal's body
	unexpected []string       // any other answer, a transport error or a hang
	n          atomic.Int64   // requests sent
	changed    chan struct{}  // a new answer arrived
	stop       chan struct{}  // closed to stop
	wg         sync.WaitGroup // the submitters
	client     *http.Client
}

// hang is how long a request may take: a failover must be answered, not waited out.
const hang = 20 * time.Second

func startStream(b *harness.Broker, vms []string, submitters int) *stream {
	s := &stream{b: b, vms: vms, changed: make(chan struct{}, 1), stop: make(chan struct{}),
		client: &http.Client{Timeout: hang}}
	for range submitters {
		s.wg.Go(func() {
			for {
				select {
				case <-s.stop:
					return
				default:
				}
				s.one()
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
	return s
}

// one sends a request and files its answer.
func (s *stream) one() {
	i := s.n.Add(1)
	mode := 1
	if i%5 == 0 {
		mode = 0
	}
	code, body, err := s.post("/api/vm/diskinfo", map[string]any{"vmid": s.vms[int(i)%len(s.vms)], "mode": mode})
	var a struct {
		Errcode string `json:"errcode"`
		Data    struct {
			TaskID string `json:"taskid"`
		} `json:"data"`
		TaskID  string
		Content struct {
			Task struct {
				Errcode string `json:"task_errcode"`
			} `json:"task"`
		}
	}
	json.Unmarshal(body, &a)
	s.mu.Lock()
	defer s.mu.Unlock()
	defer func() {
		select {
		case s.changed <- struct{}{}:
		default:
		}
	}()
	switch {
	case err != nil:
		s.unexpected = append(s.unexpected, fmt.Sprintf("mode %d: %v", mode, err))
	case code == http.StatusOK && mode == 1 && a.Data.TaskID != "":
		s.accepted = append(s.accepted, a.Data.TaskID)
	case code == http.StatusOK && mode == 0 && a.TaskID != "" && a.Content.Task.Errcode == "200":
		s.accepted = append(s.accepted, a.TaskID)
		s.done++
	case code == http.StatusGatewayTimeout && a.Data.TaskID != "":
		s.accepted = append(s.accepted, a.Data.TaskID)
	case code == http.StatusServiceUnavailable && a.Errcode == "503":
		if s.refused++; s.refusal == "" {
			s.refusal = string(body)
		}
	default:
		s.unexpected = append(s.unexpected, fmt.Sprintf("mode %d: %d %s", mode, code, body))
	}
}

func (s *stream) post(path string, body any) (int, []byte, error) {
	buf, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, s.b.URL+path, bytes.NewReader(buf))
	req.Header.Set("Authorization", "Bearer "+harness.AdminToken)
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}

// waitAccepted waits until at least n tasks were accepted.
func (s *stream) waitAccepted(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		s.mu.Lock()
		got := len(s.accepted)
		s.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-s.changed:
		case <-deadline:
			t.Fatalf("only %d of %d tasks accepted within a minute", got, n)
		}
	}
}

func (s *stream) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.accepted)
}

// counts is what became of a stream's requests.
type counts struct {
	Accepted, Completed, Failed, Lost, Refused, Unexpected int
	// Refusal is the first refusal's answer.
	Refusal string
}

// finish stops the stream and follows every accepted task to its end: completed (task_errcode
// 200), failed (any other final code) or lost (404, or still unfinished after two minutes).
func (s *stream) finish(t *testing.T) counts {
	t.Helper()
	close(s.stop)
	s.wg.Wait()
	c := counts{Accepted: len(s.accepted), Refused: s.refused, Unexpected: len(s.unexpected), Refusal: s.refusal}
	for _, u := range s.unexpected {
		t.Errorf("unexpected answer: %s", u)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, id := range s.accepted {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			o := s.outcome(ctx, id)
			mu.Lock()
			defer mu.Unlock()
			switch o {
			case "200":
				c.Completed++
			case "lost":
				c.Lost++
				t.Errorf("task %s accepted, then lost", id)
			default:
				c.Failed++
				t.Errorf("task %s accepted, then failed: %s", id, o)
			}
		})
	}
	wg.Wait()
	return c
}

// outcome polls a task's envelope until it is final: its task_errcode, or "lost".
func (s *stream) outcome(ctx context.Context, id string) string {
	for {
		code, body, err := s.post("/api/task/info", map[string]any{"taskid": id})
		var e struct {
			Content struct {
				Task struct {
					Errcode string `json:"task_errcode"`
					Errmsg  string `json:"task_errmsg"`
				} `json:"task"`
			}
		}
		json.Unmarshal(body, &e)
		switch {
		case err == nil && code == http.StatusOK && e.Content.Task.Errcode != "202":
			if e.Content.Task.Errcode == "200" {
				return "200"
			}
			return e.Content.Task.Errcode + " " + e.Content.Task.Errmsg
		case err == nil && code == http.StatusNotFound:
			return "lost"
		}
		select {
		case <-ctx.Done():
			return "lost"
		case <-time.After(100 * time.Millisecond):
		}
	}
}
