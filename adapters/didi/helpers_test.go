package didi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"testing"

	"cloudbroker/config"
	"cloudbroker/test/golden"
	"cloudbroker/test/harness"
)

const (
	admin    = harness.AdminToken
	listPath = "/dicloud/i/storage/cimg/list"
)

// answer is any DiDi answer.
type answer struct {
	Errno     int             `json:"errno"`
	Errmsg    string          `json:"errmsg"`
	RequestID string          `json:"requestId"`
	Data      json.RawMessage `json:"data"`
}

type listData struct {
	Count int `json:"count"`
	Items []struct {
		CimgUUID   string   `json:"cimgUuid"`
		Name       string   `json:"name"`
		Regions    []string `json:"regions"`
		Zones      []string `json:"zones"`
		OSFamily   string   `json:"osFamily"`
		CreateTime int64    `json:"createTime"`
		Job        *struct {
			JobUUID      string  `json:"jobUuid"`
			ResourceUUID string  `json:"resourceUuid"`
			Type         string  `json:"type"`
			Progress     float64 `json:"progress"`
			Done         bool    `json:"done"`
			Success      bool    `json:"success"`
		} `json:"job"`
	} `json:"items"`
	FailedProviders []struct {
		Provider string
		Errno    int
		Errmsg   string
	} `json:"failedProviders"`
}

// response is one HTTP answer.
type response struct {
	code   int
	header http.Header
	body   []byte
}

func (r response) answer(t *testing.T) answer {
	t.Helper()
	var a answer
	if err := json.Unmarshal(r.body, &a); err != nil {
		t.Fatalf("HTTP %d: not a DiDi JSON answer: %s", r.code, r.body)
	}
	return a
}

func (r response) list(t *testing.T) listData {
	t.Helper()
	a := r.answer(t)
	if r.code != http.StatusOK || a.Errno != 0 {
		t.Fatalf("HTTP %d: %s", r.code, r.body)
	}
	var d listData
	if err := json.Unmarshal(a.Data, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// call sends a request with a Bearer token (none if token is ""), extra headers and a body: a
// value is sent as JSON, a string or []byte as is.
func call(t *testing.T, b *harness.Broker, method, path, token string, body any, header ...string) response {
	t.Helper()
	code, h, out := b.Request(t, method, path, body, append(harness.Bearer(token), header...)...)
	return response{code, h, out}
}

func list(t *testing.T, b *harness.Broker, body any) listData {
	t.Helper()
	return call(t, b, http.MethodPost, listPath, admin, body).list(t)
}

// seedRegion puts vc1 where the seed's image lives: region bj, zone bj01.
func seedRegion(c *config.Config) {
	c.Providers[0].Region, c.Providers[0].Zones = "bj", []string{"bj01"}
}

var (
	hex32  = regexp.MustCompile(`^[0-9a-f]{32}$`)
	cimgID = regexp.MustCompile(`^cimg-[0-9a-z]{8}$`)
)

// mask replaces what differs from run to run (ids, times) with placeholders, but only where the
// value has the right form: a malformed id stays visible in the diff.
func mask(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			switch s, _ := e.(string); {
			case (k == "requestId" || k == "cimgUuid" || k == "bsUuid" || k == "jobUuid" || k == "resourceUuid") && hex32.MatchString(s):
				x[k] = "<id>"
			case k == "cimgId" && cimgID.MatchString(s):
				x[k] = "cimg-<id>"
			case k == "createTime" || k == "updateTime":
				if n, ok := e.(float64); ok && n > 1e12 {
					x[k] = "<ms>"
				}
			default:
				x[k] = mask(e)
			}
		}
	case []any:
		for i := range x {
			x[i] = mask(x[i])
		}
	}
	return v
}

func masked(t *testing.T, body []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("not JSON: %s", body)
	}
	return mask(v)
}

// golden compares a masked answer with testdata/<name>.golden.
func goldenJSON(t *testing.T, name string, body []byte) {
	t.Helper()
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false) // keep the placeholders' <> readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(masked(t, body)); err != nil {
		t.Fatal(err)
	}
	golden.Compare(t, name, out.String())
}
