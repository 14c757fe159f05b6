package queue

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/hibiken/asynq"
)

// delivery is a delivery task's payload: everything the POST needs, rendered when the job
// finished, so a retry sends exactly what the first attempt did.
type delivery struct {
	URL     string          `json:"url"`
	JobID   string          `json:"jobId"`
	Success bool            `json:"success"`
	Body    json.RawMessage `json:"body"`
}

// Headers of a callback, as ZStack sends them.
const (
	HeaderJobUUID    = "X-Job-UUID"
	HeaderJobSuccess = "X-Job-Success"
)

// deliver POSTs one callback. A receiver that does not answer 2xx, or cannot be reached, fails
// the attempt and asynq retries it with backoff; a URL no longer allowed is dropped.
func (w *Webhooks) deliver(ctx context.Context, t *asynq.Task) error {
	var d delivery
	if err := json.Unmarshal(t.Payload(), &d); err != nil {
		return fmt.Errorf("corrupt webhook delivery: %v: %w", err, asynq.SkipRetry)
	}
	log := w.cfg.Logger.With("job", d.JobID, "url", d.URL)
	u, err := url.Parse(d.URL)
	if err == nil {
		err = w.cfg.Allowed(u)
	}
	if err != nil {
		log.Warn("webhook dropped: URL not allowed", "err", err)
		return fmt.Errorf("webhook %s: %v: %w", d.URL, err, asynq.SkipRetry)
	}
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Body))
	if err != nil {
		return fmt.Errorf("webhook %s: %v: %w", d.URL, err, asynq.SkipRetry)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set(HeaderJobUUID, d.JobID)
	req.Header.Set(HeaderJobSuccess, strconv.FormatBool(d.Success))
	resp, err := w.http.Do(req)
	if err == nil {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			log.Info("webhook delivered", "attempt", retried+1, "status", resp.StatusCode)
			return nil
		}
		err = fmt.Errorf("receiver answered %s", resp.Status)
	}
	w.cfg.Failed()
	if retried < maxRetry {
		log.Warn("webhook delivery failed, will retry", "attempt", retried+1, "of", maxRetry+1, "err", err)
	} else {
		log.Error("webhook delivery failed for good", "attempts", retried+1, "err", err)
	}
	return fmt.Errorf("webhook %s: %w", d.URL, err)
}
