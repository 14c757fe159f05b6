package redistest

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cluster is a Redis Cluster of three masters (no replicas), each its own redis-server
// process without persistence.
type Cluster struct {
	// Addrs are the masters' addresses, the seeds a client is given (redis.cluster_addrs).
	Addrs []string
	Nodes []*Server
}

// StartCluster starts three cluster-enabled redis-servers, joins them with
// `redis-cli --cluster create` (16384 slots split three ways) and waits until every node
// reports cluster_state:ok. The processes stop when the test ends.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	Require(t, "redis-server")
	cli := Require(t, "redis-cli")
	c := &Cluster{}
	for range 3 {
		s := &Server{dir: t.TempDir(), port: freePort(t)}
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
		s.cmd = exec.Command("redis-server", "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
			"--dir", s.dir, "--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(s.dir, "nodes.conf"),
			"--save", "", "--appendonly", "no", "--logfile", filepath.Join(s.dir, "redis.log"))
		if err := s.cmd.Start(); err != nil {
			t.Fatalf("starting redis-server: %v", err)
		}
		t.Cleanup(s.Stop)
		s.waitPing(t)
		c.Nodes = append(c.Nodes, s)
		c.Addrs = append(c.Addrs, s.Addr)
	}
	args := append([]string{"--cluster", "create"}, c.Addrs...)
	out, err := exec.Command(cli, append(args, "--cluster-replicas", "0", "--cluster-yes")...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, s := range c.Nodes {
		c.waitOK(t, s)
	}
	return c
}

// waitOK waits for one node to see the whole cluster as serving.
func (c *Cluster) waitOK(t testing.TB, s *Server) {
	t.Helper()
	rc := redis.NewClient(&redis.Options{Addr: s.Addr})
	defer rc.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		info, err := rc.ClusterInfo(context.Background()).Result()
		if err == nil && strings.Contains(info, "cluster_state:ok") {
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
			t.Fatalf("cluster node %s not ok within 20s: %v\n%s\n%s", s.Addr, err, info, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Client returns a cluster client, closed when the test ends.
func (c *Cluster) Client(t testing.TB) *redis.ClusterClient {
	rc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs})
	t.Cleanup(func() { rc.Close() })
	return rc
}
