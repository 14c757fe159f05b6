package vcsim

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Announcement is the one JSON line a simulator process (Serve) prints on its stdout once it
// listens: what StartProcess needs to reach it.
type Announcement struct {
	URL        string            `json:"url"`        // the SDK URL, credentials included
	Datastores map[string]string `json:"datastores"` // as DatastoreDir: name -> local directory
}

// command is what the parent asks of a simulator process, one JSON line each on its stdin;
// the process answers each with one reply line on its stdout.
type command struct {
	ToolsRunning *toolsRunning `json:"toolsRunning,omitempty"`
}

type toolsRunning struct {
	VM      string `json:"vm"`
	Running bool   `json:"running"`
}

type reply struct {
	Err string `json:"err,omitempty"`
}

// Serve runs a simulator for the program that StartProcess starts: it announces the
// simulator on out, answers the parent's commands from in until in is closed (the parent
// ended or called Close), then closes it.
func Serve(in io.Reader, out io.Writer, opts ...Option) error {
	sim, err := Start(opts...)
	if err != nil {
		return err
	}
	defer sim.Close()
	enc := json.NewEncoder(out)
	if err := enc.Encode(Announcement{URL: sim.URL().String(), Datastores: sim.dsDirs}); err != nil {
		return err
	}
	dec := json.NewDecoder(in)
	for {
		var c command
		if err := dec.Decode(&c); err != nil {
			return nil // the parent is gone or done
		}
		var r reply
		switch {
		case c.ToolsRunning != nil:
			if err := sim.SetToolsRunning(c.ToolsRunning.VM, c.ToolsRunning.Running); err != nil {
				r.Err = err.Error()
			}
		default:
			r.Err = "vcsim: unknown command"
		}
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
}

// process is the parent's end of a simulator process.
type process struct {
	mu   sync.Mutex
	in   io.WriteCloser
	out  *bufio.Reader
	stop func()
}

// do sends c and reads its reply.
func (p *process) do(c command) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	b, _ := json.Marshal(c)
	if _, err := p.in.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("vcsim: simulator process: %w", err)
	}
	line, err := p.out.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("vcsim: simulator process: %w", err)
	}
	var r reply
	if err := json.Unmarshal(line, &r); err != nil {
		return fmt.Errorf("vcsim: simulator process: %w", err)
	}
	if r.Err != "" {
		return errors.New(r.Err)
	}
	return nil
}

// StartProcess starts bin, a program that calls Serve, and returns its simulator. Running it
// in its own process keeps the simulator's internal data races (govmomi's simulator updates
// a VM it is cloning while a property collector reads it) out of a race-checked test binary:
// the simulator is then a server like any vCenter. The process ends with Close, or with its
// parent: it serves until its stdin closes.
func StartProcess(bin string) (*Sim, error) {
	cmd := exec.Command(bin)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("vcsim: start %s: %w", bin, err)
	}
	stop := func() {
		_ = stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	out := bufio.NewReader(stdout)
	line, err := out.ReadBytes('\n')
	var a Announcement
	if err == nil {
		err = json.Unmarshal(line, &a)
	}
	var u *url.URL
	if err == nil {
		u, err = url.Parse(a.URL)
	}
	if err != nil {
		stop()
		return nil, fmt.Errorf("vcsim: %s announced no simulator: %w", bin, err)
	}
	return &Sim{url: *u, dsDirs: a.Datastores, proc: &process{in: stdin, out: out, stop: stop}}, nil
}
