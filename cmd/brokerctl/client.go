package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// client calls the broker's vcproxy API.
type client struct {
	url, token, output string
	http               *http.Client
}

func parseGlobal(args []string) (*client, []string, error) {
	fs := flag.NewFlagSet("brokerctl", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	def := os.Getenv("BROKER_URL")
	if def == "" {
		def = "http://127.0.0.1:8080"
	}
	c := &client{http: &http.Client{Timeout: 60 * time.Second}}
	fs.StringVar(&c.url, "url", def, "broker URL")
	fs.StringVar(&c.token, "token", os.Getenv("BROKER_TOKEN"), "API token")
	fs.StringVar(&c.output, "o", "table", "output: table or json")
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if c.output != "table" && c.output != "json" {
		return nil, nil, fmt.Errorf("-o must be table or json, not %q", c.output)
	}
	if c.token == "" {
		return nil, nil, fmt.Errorf("no token: pass --token or set BROKER_TOKEN")
	}
	c.url = strings.TrimRight(c.url, "/")
	return c, fs.Args(), nil
}

// apiError is the broker's error answer.
type apiError struct {
	Status  int
	Errcode string `json:"errcode"`
	Errmsg  string `json:"errmsg"`
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s (errcode %s, HTTP %d)", e.Errmsg, e.Errcode, e.Status)
}

// post calls path and returns the raw body of a success. A task envelope has no errcode, so
// success is HTTP 200.
func (c *client) post(ctx context.Context, path string, body any) ([]byte, error) {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url+path, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("broker at %s unreachable: %w", c.url, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		e := &apiError{Status: resp.StatusCode}
		if json.Unmarshal(out, e) != nil || e.Errmsg == "" {
			e.Errmsg = strings.TrimSpace(string(out))
		}
		return nil, e
	}
	return out, nil
}

// data decodes the "data" of an {"errcode","errmsg","data"} answer into v.
func (c *client) data(ctx context.Context, path string, body, v any) error {
	raw, err := c.post(ctx, path, body)
	if err != nil {
		return err
	}
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("unexpected answer from %s: %w", path, err)
	}
	return json.Unmarshal(env.Data, v)
}
