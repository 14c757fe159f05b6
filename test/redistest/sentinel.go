package redistest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"cloudbroker/config"
)

// Sentinel is a Sentinel-managed Redis: a master, one replica and three sentinels (quorum 2),
// none persisting anything, each its own process.
type Sentinel struct {
	// Name is the master name the sentinels monitor (redis.sentinel_master).
	Name string
	// Nodes are the data nodes; Nodes[0] starts as the master.
	Nodes     []*Server
	Sentinels []*Server
}

// StartSentinel starts the processes and returns once the replica is in sync and every sentinel
// knows the replica and the other sentinels, so a failover can happen.
func StartSentinel(t testing.TB) *Sentinel {
	t.Helper()
	s := &Sentinel{Name: "m"}
	master := dataNode(t)
	replica := dataNode(t, "--replicaof", "127.0.0.1", strconv.Itoa(master.port))
	s.Nodes = []*Server{master, replica}
	for range 3 {
		sn := newServer(t)
		conf := filepath.Join(sn.dir, "sentinel.conf")
		// A short down-after makes the failover start about a second after the master dies.
		text := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nlogfile %s\n"+
			"sentinel monitor %s 127.0.0.1 %d 2\nsentinel down-after-milliseconds %[4]s 1000\n"+
			"sentinel failover-timeout %[4]s 5000\nsentinel parallel-syncs %[4]s 1\n",
			sn.port, sn.dir, filepath.Join(sn.dir, "sentinel.log"), s.Name, master.port)
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		sn.argv = []string{conf, "--sentinel"}
		sn.launch(t)
		s.Sentinels = append(s.Sentinels, sn)
	}
	s.waitInSync(t, master, replica)
	waitFor(t, "every sentinel to know the replica and the other two sentinels", 30*time.Second, func(ctx context.Context) error {
		for _, sn := range s.Sentinels {
			c := sn.sentinelClient()
			defer c.Close()
			if err := c.CkQuorum(ctx, s.Name).Err(); err != nil {
				return fmt.Errorf("%s: %w", sn.Addr, err)
			}
			peers, err := c.Sentinels(ctx, s.Name).Result()
			if err != nil || len(peers) != 2 {
				return fmt.Errorf("%s knows %d other sentinels (%v)", sn.Addr, len(peers), err)
			}
			reps, err := c.Replicas(ctx, s.Name).Result()
			if err != nil || len(reps) != 1 || reps[0]["flags"] != "slave" {
				return fmt.Errorf("%s sees replicas %v (%v)", sn.Addr, reps, err)
			}
		}
		return nil
	})
	return s
}

func dataNode(t testing.TB, extra ...string) *Server {
	n := newServer(t)
	n.argv = append(append(n.common("--port"), "--appendonly", "no"), extra...)
	n.launch(t)
	return n
}

// Config is the broker's configuration for this deployment.
func (s *Sentinel) Config() config.Redis {
	c := config.Redis{SentinelMaster: s.Name}
	for _, sn := range s.Sentinels {
		c.SentinelAddrs = append(c.SentinelAddrs, sn.Addr)
	}
	return c
}

// Master is the node the first sentinel names as master.
func (s *Sentinel) Master(t testing.TB) *Server {
	t.Helper()
	c := s.Sentinels[0].sentinelClient()
	defer c.Close()
	addr, err := c.GetMasterAddrByName(context.Background(), s.Name).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range s.Nodes {
		if n.Addr == addr[0]+":"+addr[1] {
			return n
		}
	}
	t.Fatalf("sentinels name %v as master, not one of the nodes", addr)
	return nil
}

// KillMaster SIGKILLs the master and returns it. Redis replicates asynchronously, so a crash
// loses the writes the replica has not received yet: that loss is Redis's, not the broker's.
// To test the broker's side of a failover (no accepted task lost by the broker), the master's
// client writes are paused and the replica caught up first; the writes blocked by the pause
// fail when the master dies, as a crash would fail them.
func (s *Sentinel) KillMaster(t testing.TB) *Server {
	t.Helper()
	m := s.Master(t)
	c := m.client()
	defer c.Close()
	if err := c.Do(context.Background(), "CLIENT", "PAUSE", 60000, "WRITE").Err(); err != nil {
		t.Fatal(err)
	}
	for _, n := range s.Nodes {
		if n != m && n.cmd != nil {
			s.waitInSync(t, m, n)
		}
	}
	m.Kill()
	return m
}

// WaitPromoted waits until the sentinels name another node than old as master and that node
// says it is one, and returns it.
func (s *Sentinel) WaitPromoted(t testing.TB, old *Server) *Server {
	t.Helper()
	var promoted *Server
	waitFor(t, "a replica promoted", 60*time.Second, func(ctx context.Context) error {
		promoted = nil
		for _, sn := range s.Sentinels {
			c := sn.sentinelClient()
			defer c.Close()
			addr, err := c.GetMasterAddrByName(ctx, s.Name).Result()
			if err != nil || addr[0]+":"+addr[1] == old.Addr {
				return fmt.Errorf("sentinel %s names %v (%v)", sn.Addr, addr, err)
			}
		}
		m := s.Master(t)
		if role := info(ctx, m, "role"); role != "master" {
			return fmt.Errorf("%s is still %s", m.Addr, role)
		}
		promoted = m
		return nil
	})
	return promoted
}

// waitInSync waits until replica's link to master is up and it has all of master's stream.
func (s *Sentinel) waitInSync(t testing.TB, master, replica *Server) {
	t.Helper()
	waitFor(t, "the replica "+replica.Addr+" in sync", 30*time.Second, func(ctx context.Context) error {
		if st := info(ctx, replica, "master_link_status"); st != "up" {
			return fmt.Errorf("master_link_status %q", st)
		}
		want, got := info(ctx, master, "master_repl_offset"), info(ctx, replica, "slave_repl_offset")
		if want == "" || want != got {
			return fmt.Errorf("replica offset %s, master %s", got, want)
		}
		return nil
	})
}

// info is one field of a node's INFO replication ("" if unreadable).
func info(ctx context.Context, n *Server, field string) string {
	c := n.client()
	defer c.Close()
	text, err := c.Info(ctx, "replication").Result()
	if err != nil {
		return ""
	}
	for line := range strings.SplitSeq(text, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v
		}
	}
	return ""
}

func (s *Server) sentinelClient() *redis.SentinelClient {
	return redis.NewSentinelClient(&redis.Options{Addr: s.Addr})
}

// waitFor polls cond until it returns nil, failing the test with its last error after timeout.
func waitFor(t testing.TB, what string, timeout time.Duration, cond func(context.Context) error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := cond(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
