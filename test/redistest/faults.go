package redistest

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Faults an operator meets: Redis emptied while it runs, restarted without its data, frozen.

// Flush empties the server (FLUSHALL), as an operator's mistake or a script would.
func (s *Server) Flush(t testing.TB) {
	t.Helper()
	c := s.Client(t)
	if err := c.FlushAll(context.Background()).Err(); err != nil {
		t.Fatalf("FLUSHALL: %v", err)
	}
}

// RestartEmpty kills the server (SIGKILL) and starts it again on the same port with no data,
// as a restart without persistence or a failover to an empty replica looks to its clients.
func (s *Server) RestartEmpty(t testing.TB) {
	t.Helper()
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "redis.log" {
			if err := os.RemoveAll(filepath.Join(s.dir, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	s.start(t)
}

// Freeze stops the server process (SIGSTOP): connections stay open and commands are accepted
// by the kernel but not answered until Thaw. The test's end thaws it.
func (s *Server) Freeze(t testing.TB) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatalf("SIGSTOP redis-server: %v", err)
	}
	t.Cleanup(func() { s.cmd.Process.Signal(syscall.SIGCONT) })
}

// Thaw resumes a frozen server (SIGCONT).
func (s *Server) Thaw(t testing.TB) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatalf("SIGCONT redis-server: %v", err)
	}
}
