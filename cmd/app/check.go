package app

import (
	"fmt"
	"io"
	"strings"

	"cloudbroker/config"
)

// CheckConfig loads and validates the file at path as the broker would (clientid "") or the
// agent for clientid, and writes every problem to out, one a line, or one line saying what was
// found. It reports whether the file is usable; it connects to nothing.
func CheckConfig(path, clientid string, out io.Writer) bool {
	cfg, err := config.Load(path)
	if err == nil && clientid != "" {
		err = agentProviders(cfg, clientid)
	}
	if err != nil {
		fmt.Fprintln(out, strings.TrimSpace(err.Error()))
		return false
	}
	fmt.Fprintf(out, "%s: ok: Redis %s, %d providers, %d tokens, %d ZStack accounts\n",
		path, redisMode(cfg.Redis), len(cfg.Providers), len(cfg.Auth.Tokens), len(cfg.ZStack.Accounts))
	return true
}

func redisMode(r config.Redis) string {
	mode := "at " + r.Addr
	switch {
	case r.Embedded:
		return "embedded (demo)"
	case len(r.ClusterAddrs) > 0:
		mode = fmt.Sprintf("Cluster (%d seed nodes)", len(r.ClusterAddrs))
	case r.SentinelMaster != "":
		mode = fmt.Sprintf("Sentinel master %q (%d sentinels)", r.SentinelMaster, len(r.SentinelAddrs))
	}
	if r.TLS {
		mode += " over TLS"
	}
	return mode
}
