package main

import (
	"bytes"
	"context"
	"encoding/json"
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

// globalFlags are brokerctl's own flags; they may stand anywhere on the line ("vm list -o json"
// as well as "-o json vm list"), so they are taken out before the command is read.
var globalFlags = map[string]bool{"url": true, "token": true, "o": true}

// commands are the first words of brokerctl's commands: a flag value equal to one is a
// missing value ("--token $BROKER_TOKEN task get X" with the variable unset), not a value.
var commands = map[string]bool{"task": true, "agents": true, "providers": true, "vm": true}

func parseGlobal(args []string) (*client, []string, error) {
	def := os.Getenv("BROKER_URL")
	if def == "" {
		def = "http://127.0.0.1:8080"
	}
	c := &client{http: &http.Client{Timeout: 60 * time.Second}, url: def, token: os.Getenv("BROKER_TOKEN"), output: "table"}
	values := map[string]*string{"url": &c.url, "token": &c.token, "o": &c.output}
	var rest []string
	for i := 0; i < len(args); i++ {
		name, value, hasValue := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		if !strings.HasPrefix(args[i], "-") || !globalFlags[name] {
			rest = append(rest, args[i])
			continue
		}
		if !hasValue {
			if i+1 == len(args) || commands[args[i+1]] {
				return nil, nil, fmt.Errorf("-%s needs a value%s", name, unsetHint(name))
			}
			i++
			value = args[i]
		}
		*values[name] = value
	}
	if c.output != "table" && c.output != "json" {
		return nil, nil, fmt.Errorf("-o must be table or json, not %q", c.output)
	}
	if c.token == "" {
		return nil, nil, fmt.Errorf("no token: pass --token or set BROKER_TOKEN")
	}
	c.url = strings.TrimRight(c.url, "/")
	return c, rest, nil
}

func unsetHint(flag string) string {
	switch flag {
	case "token":
		return " (is BROKER_TOKEN set? brokerctl reads it by itself: --token can be left out)"
	case "url":
		return " (is BROKER_URL set? brokerctl reads it by itself: --url can be left out)"
	}
	return ""
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
