package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

func dispatch(ctx context.Context, c *client, args []string, out, errw io.Writer) error {
	if len(args) == 0 {
		return usageError("no command")
	}
	switch args[0] {
	case "task":
		if len(args) < 3 {
			return usageError("task needs get|wait|cancel and a taskid")
		}
		switch args[1] {
		case "get":
			return c.taskGet(ctx, args[2], out)
		case "wait":
			return c.taskWait(ctx, args[2:], out, errw)
		case "cancel":
			return c.taskCancel(ctx, args[2], out)
		}
		return usageError("unknown task command " + args[1])
	case "agents":
		return c.agents(ctx, out)
	case "providers":
		return c.providers(ctx, out)
	case "vm":
		if len(args) < 2 || args[1] != "list" {
			return usageError("vm needs list")
		}
		return c.vmList(ctx, args[2:], out)
	}
	return usageError("unknown command " + args[0])
}

type envelope struct {
	TaskID   string `json:"TaskID"`
	Describe string `json:"Describe"`
	Clientid string `json:"Clientid"`
	Content  struct {
		Task struct {
			EventName string `json:"event_name"`
			Errcode   string `json:"task_errcode"`
			Errmsg    string `json:"task_errmsg"`
			Progress  *struct {
				Percent int    `json:"percent"`
				Step    string `json:"step"`
			} `json:"progress"`
		} `json:"task"`
		VM json.RawMessage `json:"vm"`
	} `json:"Content"`
	InsertTime int64 `json:"InsertTime"`
	UpdateTime int64 `json:"UpdateTime"`
	ExpireTime int64 `json:"ExpireTime"`
}

func (e envelope) done() bool { return e.Content.Task.Errcode != "202" }

func (c *client) task(ctx context.Context, id string) (envelope, []byte, error) {
	raw, err := c.post(ctx, "/api/task/info", map[string]string{"taskid": id})
	if err != nil {
		return envelope{}, nil, err
	}
	var e envelope
	return e, raw, json.Unmarshal(raw, &e)
}

func (c *client) printTask(out io.Writer, e envelope, raw []byte) error {
	if c.output == "json" {
		_, err := fmt.Fprintln(out, string(raw))
		return err
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "TASK\t%s\n", e.TaskID)
	fmt.Fprintf(w, "EVENT\t%s (%s)\n", e.Content.Task.EventName, e.Describe)
	fmt.Fprintf(w, "STATE\t%s %s\n", e.Content.Task.Errcode, e.Content.Task.Errmsg)
	if e.Clientid != "" {
		fmt.Fprintf(w, "CLIENTID\t%s\n", e.Clientid)
	}
	fmt.Fprintf(w, "INSERTED\t%s\n", unix(e.InsertTime))
	fmt.Fprintf(w, "UPDATED\t%s\n", unix(e.UpdateTime))
	fmt.Fprintf(w, "EXPIRES\t%s\n", unix(e.ExpireTime))
	if len(e.Content.VM) > 0 && string(e.Content.VM) != "null" {
		fmt.Fprintf(w, "VM\t%s\n", e.Content.VM)
	}
	return w.Flush()
}

func unix(s int64) string { return time.Unix(s, 0).UTC().Format(time.RFC3339) }

func (c *client) taskGet(ctx context.Context, id string, out io.Writer) error {
	e, raw, err := c.task(ctx, id)
	if err != nil {
		return err
	}
	return c.printTask(out, e, raw)
}

// taskWait polls until the task is done, drawing its state (and how long it has waited) on
// one line of errw; the final envelope goes to out. A failed task exits non-zero.
func (c *client) taskWait(ctx context.Context, args []string, out, errw io.Writer) error {
	fs := flag.NewFlagSet("task wait", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	timeout := fs.Duration("timeout", 5*time.Minute, "give up after this long")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError(err.Error())
	}
	id := args[0]
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	start := time.Now()
	spin := []string{"|", "/", "-", "\\"}
	for i := 0; ; i++ {
		e, raw, err := c.task(ctx, id)
		if err != nil {
			return err
		}
		if e.done() {
			fmt.Fprintf(errw, "\r%-70s\r", "")
			if err := c.printTask(out, e, raw); err != nil {
				return err
			}
			if e.Content.Task.Errcode != "200" {
				return fmt.Errorf("task %s ended with %s: %s", id, e.Content.Task.Errcode, e.Content.Task.Errmsg)
			}
			return nil
		}
		status := e.Content.Task.Errmsg
		if p := e.Content.Task.Progress; p != nil {
			status = bar(p.Percent) + " " + p.Step
		}
		fmt.Fprintf(errw, "\r%s %s %-60.60s %6s", spin[i%len(spin)], id[:min(8, len(id))], status, time.Since(start).Round(time.Second))
		select {
		case <-ctx.Done():
			return fmt.Errorf("task %s not done after %s (still %s): %w", id, *timeout, e.Content.Task.Errmsg, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func (c *client) taskCancel(ctx context.Context, id string, out io.Writer) error {
	raw, err := c.post(ctx, "/api/task/cancel", map[string]string{"taskid": id})
	if err != nil {
		return err
	}
	var e envelope
	if err := json.Unmarshal(raw, &e); err != nil {
		return err
	}
	return c.printTask(out, e, raw)
}

func (c *client) agents(ctx context.Context, out io.Writer) error {
	var d struct {
		Agents []struct {
			Clientid  string   `json:"clientid"`
			State     string   `json:"state"`
			Version   string   `json:"version"`
			Hostname  string   `json:"hostname"`
			Providers []string `json:"providers"`
			LastSeen  int64    `json:"last_seen"`
		} `json:"agents"`
	}
	if err := c.data(ctx, "/api/agent/list", nil, &d); err != nil {
		return err
	}
	if c.output == "json" {
		return json.NewEncoder(out).Encode(d.Agents)
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "CLIENTID\tSTATE\tLAST SEEN\tVERSION\tHOST\tPROVIDERS")
	for _, a := range d.Agents {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", a.Clientid, a.State, unix(a.LastSeen), a.Version, a.Hostname, strings.Join(a.Providers, ","))
	}
	return w.Flush()
}

func (c *client) providers(ctx context.Context, out io.Writer) error {
	var d struct {
		Providers []struct {
			Name      string `json:"name"`
			Driver    string `json:"driver"`
			Clientid  string `json:"clientid"`
			Region    string `json:"region"`
			SyncState string `json:"sync_state"`
			Stale     bool   `json:"stale"`
			LastSync  int64  `json:"last_sync"`
			LastError string `json:"last_error"`
			VMs       int    `json:"vms"`
		} `json:"providers"`
	}
	if err := c.data(ctx, "/api/provider/list", nil, &d); err != nil {
		return err
	}
	if c.output == "json" {
		return json.NewEncoder(out).Encode(d.Providers)
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tDRIVER\tCLIENTID\tREGION\tSYNC\tVMS\tLAST SYNC\tLAST ERROR")
	for _, p := range d.Providers {
		last := "never"
		if p.LastSync > 0 {
			last = unix(p.LastSync)
		}
		state := p.SyncState
		if state == "" {
			state = "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", p.Name, p.Driver, p.Clientid, p.Region, state, p.VMs, last, p.LastError)
	}
	return w.Flush()
}

func (c *client) vmList(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("vm list", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	provider := fs.String("provider", "", "only this provider")
	clientid := fs.String("clientid", "", "only this agent's providers")
	limit := fs.Int("limit", 100, "page size (max 1000)")
	offset := fs.Int("offset", 0, "skip this many")
	if err := fs.Parse(args); err != nil {
		return usageError(err.Error())
	}
	var d struct {
		Total int `json:"total"`
		VMs   []struct {
			VMID       string `json:"vmid"`
			Name       string `json:"name"`
			PowerState string `json:"power_state"`
			Provider   string `json:"provider"`
			Clientid   string `json:"clientid"`
		} `json:"vms"`
		Failed []struct {
			Provider string `json:"provider"`
			Errmsg   string `json:"errmsg"`
		} `json:"failed_providers"`
	}
	if err := c.data(ctx, "/api/vm/list", map[string]any{"provider": *provider, "clientid": *clientid, "limit": *limit, "offset": *offset}, &d); err != nil {
		return err
	}
	if c.output == "json" {
		return json.NewEncoder(out).Encode(d)
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "VMID\tNAME\tPOWER\tPROVIDER\tCLIENTID")
	for _, vm := range d.VMs {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", vm.VMID, vm.Name, vm.PowerState, vm.Provider, vm.Clientid)
	}
	fmt.Fprintf(w, "(%d of %d)\n", len(d.VMs), d.Total)
	for _, f := range d.Failed {
		fmt.Fprintf(w, "provider %s failed: %s\n", f.Provider, f.Errmsg)
	}
	return w.Flush()
}

// bar draws a 20-cell progress bar with its percentage.
func bar(percent int) string {
	n := min(max(percent, 0), 100) / 5
	return "[" + strings.Repeat("#", n) + strings.Repeat(".", 20-n) + "] " + fmt.Sprintf("%3d%%", percent)
}
