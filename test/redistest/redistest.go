// Package redistest starts a real redis-server for a test package: its own process on a free
// loopback port, so parallel packages never share asynq queues. Besides a single server it
// starts a Sentinel set that can fail over (sentinel.go) and a TLS-only server (tls.go). In CI (CI=true) a missing
// redis-server fails the test; elsewhere the test is skipped with how to get one.
package redistest

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"cloudbroker/test/ci"

	"github.com/redis/go-redis/v9"
)

// Server is one redis-server process.
type Server struct {
	Addr string
	// Password, if set, is required by the server (requirepass).
	Password string
	dir      string
	port     int
	// argv is the redis-server command line, made by the constructor (Start, StartTLS, ...)
	// so Restart repeats it.
	argv []string
	// tls is the client side of a TLS-only server; nil for plain TCP.
	tls *tls.Config
	cmd *exec.Cmd
}

// Require returns the path of redis-server, failing in CI and skipping elsewhere if absent.
func Require(t testing.TB, binary string) string {
	t.Helper()
	p, err := exec.LookPath(binary)
	if err != nil {
		msg := fmt.Sprintf("%s not found: run `make test` (it installs it) or apt-get install redis-server", binary)
		ci.Missing(t, msg)
	}
	return p
}

// Start starts a redis-server with append-only persistence (fsync every second, the usual
// production setting) in a temp dir, so Restart keeps the data. It stops when the test ends.
func Start(t testing.TB) *Server { return StartWithPassword(t, "") }

// StartWithPassword is Start with requirepass set.
func StartWithPassword(t testing.TB, password string) *Server {
	t.Helper()
	s := newServer(t)
	s.Password = password
	s.argv = append(s.common("--port"), "--appendonly", "yes", "--appendfsync", "everysec")
	if password != "" {
		s.argv = append(s.argv, "--requirepass", password)
	}
	s.launch(t)
	return s
}

// newServer gives a server its directory and port; the constructor sets argv, then launches.
func newServer(t testing.TB) *Server {
	t.Helper()
	Require(t, "redis-server")
	s := &Server{dir: t.TempDir(), port: freePort(t)}
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
	return s
}

// common is the command line every server shares: its port under portFlag ("--port", or
// "--tls-port" for a TLS-only one), loopback, its own directory and log, no RDB snapshots.
func (s *Server) common(portFlag string) []string {
	return []string{portFlag, strconv.Itoa(s.port), "--bind", "127.0.0.1", "--dir", s.dir,
		"--logfile", filepath.Join(s.dir, "redis.log"), "--save", ""}
}

// launch starts the server and stops it when the test ends.
func (s *Server) launch(t testing.TB) {
	t.Helper()
	s.start(t)
	t.Cleanup(s.Stop)
}

func (s *Server) start(t testing.TB) {
	t.Helper()
	s.cmd = exec.Command("redis-server", s.argv...)
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("starting redis-server: %v", err)
	}
	s.waitPing(t)
}

// waitPing waits for the server to answer, failing the test (with its log) after 10s.
func (s *Server) waitPing(t testing.TB) {
	t.Helper()
	c := s.client()
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := c.Ping(context.Background()).Err(); err == nil {
			return
		} else if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
			t.Fatalf("redis-server on %s did not answer within 10s: %v\n%s", s.Addr, err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill ends the server with SIGKILL, as a crash would: nothing is flushed.
func (s *Server) Kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Kill()
	s.cmd.Wait()
	s.cmd = nil
}

// Stop shuts the server down as an operator's restart would (SIGTERM: Redis flushes its AOF
// and exits), killing it if it has not exited within 5s.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
	s.cmd = nil
}

// Restart stops the server and starts it again on the same port with the same data.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	s.start(t)
}

// Client returns a client for the server, closed when the test ends.
func (s *Server) Client(t testing.TB) redis.UniversalClient {
	c := s.client()
	t.Cleanup(func() { c.Close() })
	return c
}

func (s *Server) client() *redis.Client {
	return redis.NewClient(&redis.Options{Addr: s.Addr, Password: s.Password, TLSConfig: s.tls})
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// PID is the redis-server process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }
