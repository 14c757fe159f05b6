package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"cloudbroker/broker/model"
)

// list makes one cimg/list call.
func (c *Conn) list(ctx context.Context, start, limit int) (listData, error) {
	if err := c.checkOpen(); err != nil {
		return listData{}, err
	}
	body, _ := json.Marshal(listRequest{RegionID: c.set.region, Start: start, Limit: limit})
	ctx, cancel := context.WithTimeout(ctx, c.set.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.set.endpoint, bytes.NewReader(body))
	if err != nil {
		return listData{}, c.errorf(nil, "building request: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.set.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return listData{}, c.transportErr(ctx, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes+1))
	if err != nil {
		return listData{}, c.transportErr(ctx, err)
	}
	if len(raw) > maxAnswerBytes {
		return listData{}, c.errorf(nil, "answer larger than %d bytes", maxAnswerBytes)
	}
	var a answer
	if err := json.Unmarshal(raw, &a); err != nil || a.Errno == nil {
		return listData{}, c.notDiDi(resp, raw, err)
	}
	if *a.Errno != 0 || resp.StatusCode != http.StatusOK {
		return listData{}, c.remoteErr(resp.StatusCode, a)
	}
	var d listData
	if err := json.Unmarshal(a.Data, &d); err != nil {
		return listData{}, c.errorf(nil, "data of the answer (requestId %s) is not {count, items}: %v", a.RequestID, err)
	}
	if len(d.FailedProviders) > 0 {
		// A broker answering for several providers lost some: a partial list would hide them.
		var parts []string
		for _, f := range d.FailedProviders {
			parts = append(parts, fmt.Sprintf("%s: %s", f.Provider, f.Errmsg))
		}
		return listData{}, c.errorf(model.ErrUnavailable, "the catalog could not list all its providers (%s; requestId %s)",
			strings.Join(parts, "; "), a.RequestID)
	}
	return d, nil
}

// errorf names the provider and the endpoint (never the token) and wraps sentinel if set.
func (c *Conn) errorf(sentinel error, format string, args ...any) error {
	msg := fmt.Sprintf("catalog %s: POST %s: %s", c.set.provider, c.set.endpoint, fmt.Sprintf(format, args...))
	if sentinel == nil {
		return errors.New(msg)
	}
	return fmt.Errorf("%s: %w", msg, sentinel)
}

// transportErr classifies a failure to get an answer: the catalog is unreachable or slow, which
// is transient. A call the caller cancelled stays plain, so it is not mistaken for an outage.
func (c *Conn) transportErr(ctx context.Context, err error) error {
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("catalog %s: POST %s: %w", c.set.provider, c.set.endpoint, err)
	}
	var timeout interface{ Timeout() bool }
	if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil || (errors.As(err, &timeout) && timeout.Timeout()) {
		return c.errorf(model.ErrUnavailable, "no answer within %s", c.set.timeout)
	}
	return c.errorf(model.ErrUnavailable, "%v", unwrapURLError(err))
}

// unwrapURLError drops url.Error's "Post \"<url>\": " prefix, which errorf already says.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// notDiDi reports an answer that is not DiDi JSON: a proxy's error page, a wrong URL. A 5xx is
// still an outage (transient), a 401/403 still a credentials problem.
func (c *Conn) notDiDi(resp *http.Response, raw []byte, decodeErr error) error {
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	what := "not a DiDi JSON answer"
	if decodeErr != nil {
		what = fmt.Sprintf("not JSON (%v)", decodeErr)
	}
	return c.errorf(sentinelForStatus(resp.StatusCode), "HTTP %d, %s: %s: %q", resp.StatusCode, orNone(ct), what, snippet(raw))
}

// remoteErr is an answer with errno != 0: the catalog's message, its requestId (to trace the
// call on its side) and the sentinel its HTTP status, else its errno, means.
func (c *Conn) remoteErr(status int, a answer) error {
	sentinel := sentinelForStatus(status)
	if sentinel == nil {
		sentinel = sentinelForErrno(*a.Errno)
	}
	return c.errorf(sentinel, "HTTP %d, errno %d: %s (requestId %s)", status, *a.Errno, a.Errmsg, a.RequestID)
}

func sentinelForStatus(status int) error {
	switch {
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		return model.ErrUnauthorized
	case status == http.StatusNotFound:
		return model.ErrNotFound
	case status == http.StatusNotImplemented:
		return model.ErrUnsupported
	case status == http.StatusTooManyRequests, status >= 500:
		return model.ErrUnavailable
	case status >= 400:
		return model.ErrInvalid
	}
	return nil
}

// sentinelForErrno maps DiDi's documented common error codes, for catalogs that answer every
// error with HTTP 200.
func sentinelForErrno(errno int) error {
	switch errno {
	case 1, 13: // 传入参数非法: invalid parameters / call
		return model.ErrInvalid
	case 4, 10000001: // token认证失败, 没有权限
		return model.ErrUnauthorized
	case 16000002: // 查询地域与可用区信息失败: no such region
		return model.ErrNotFound
	case 2, 3, 40000: // system error, unknown problem, session trouble: try again later
		return model.ErrUnavailable
	}
	return nil
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "no content type"
	}
	return s
}
