package tenancy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// attempt is one request tenant A makes with B's ids.
type attempt struct {
	name   string
	method string
	path   string
	body   any
	header []string // A's credentials (or none) and any chosen id
	// refuse: A must be refused (an error status, or a ZStack job that fails). Otherwise A may
	// be answered (a list, an idempotent delete) but must see and change nothing of B's.
	refuse bool
}

// try makes the attempt and checks it: nothing of B's in the answer, a refusal in A's dialect,
// and (for anything but a GET) B's own view unchanged. It returns B's view after it.
func (w *world) try(t *testing.T, a attempt, before view) view {
	t.Helper()
	code, hdr, out := w.b.Request(t, a.method, a.path, a.body, a.header...)
	answers := [][]byte{out}
	final, finalBody := code, out
	if strings.HasPrefix(a.path, "/zstack/") && code == http.StatusAccepted {
		// The api-job holds the answer: A polls it as it made it.
		final, finalBody = w.poll(t, sessionOf(a.header), out, 3*time.Second)
		answers = append(answers, finalBody)
	}
	var hdrs []string
	for k, vs := range hdr {
		hdrs = append(hdrs, k+": "+strings.Join(vs, ","))
	}
	answers = append(answers, []byte(strings.Join(hdrs, "\n")))
	w.noLeak(t, a, answers)

	refused := code >= 400 || final >= 400
	switch {
	case a.refuse && !refused:
		t.Errorf("A was not refused: %d %s (then %d %s)", code, clip(out), final, clip(finalBody))
	case refused && a.method != http.MethodHead:
		body, status := out, code
		if code < 400 {
			body, status = finalBody, final
		}
		if err := dialectShape(a.path, body); err != nil {
			t.Errorf("refusal %d is not in A's dialect: %v: %s", status, err, clip(body))
		}
	}
	if a.method == http.MethodGet || a.method == http.MethodHead {
		return before
	}
	after := w.bView(t)
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("B's view changed (-before +after):\n%s", diff)
	}
	return after
}

// noLeak fails for each of B's strings in an answer that A did not send itself.
func (w *world) noLeak(t *testing.T, a attempt, answers [][]byte) {
	t.Helper()
	sent, _ := json.Marshal(a.body)
	req := a.path + " " + string(sent) + " " + strings.Join(a.header, " ")
	for _, s := range w.secrets {
		if s.id == "" || strings.Contains(req, s.id) {
			continue
		}
		for _, ans := range answers {
			if strings.Contains(string(ans), s.id) {
				t.Errorf("answer shows B's %s %q: %s", s.name, s.id, clip(ans))
				break
			}
		}
	}
}

// dialectShape checks that an error answer is in the shape of the path's dialect.
func dialectShape(path string, body []byte) error {
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return fmt.Errorf("not a JSON object")
	}
	switch {
	case strings.HasPrefix(path, "/api/"):
		code, ok1 := m["errcode"].(string)
		_, ok2 := m["errmsg"].(string)
		if !ok1 || !ok2 || code == "200" {
			return fmt.Errorf(`want vcproxy {"errcode":"<status>","errmsg":...}`)
		}
	case strings.HasPrefix(path, "/dicloud/"):
		errno, ok1 := m["errno"].(float64)
		id, ok2 := m["requestId"].(string)
		if !ok1 || errno == 0 || !ok2 || id == "" {
			return fmt.Errorf(`want DiDi {"errno":<non-zero>,"errmsg":...,"requestId":...}`)
		}
	case strings.HasPrefix(path, "/zstack/"):
		e, ok := m["error"].(map[string]any)
		if !ok {
			return fmt.Errorf(`want ZStack {"error":{"code":...}}`)
		}
		if c, ok := e["code"].(string); !ok || c == "" {
			return fmt.Errorf(`want ZStack {"error":{"code":...}}`)
		}
	default:
		if _, ok := m["error"]; !ok {
			return fmt.Errorf(`want {"error":...}`)
		}
	}
	return nil
}

// sessionOf is the ZStack session in a header list ("" for none).
func sessionOf(header []string) string {
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Authorization" && strings.HasPrefix(header[i+1], "OAuth ") {
			return strings.TrimPrefix(header[i+1], "OAuth ")
		}
	}
	return ""
}

func clip(b []byte) string {
	const n = 400
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
