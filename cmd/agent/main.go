// Command agent is a proxy agent: it runs near a site, holds that site's provider credentials,
// and runs the tasks the broker routes to its clientid's queue.
//
//	agent --clientid site-1 --config agent.yaml
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"cloudbroker/cmd/app"
	"cloudbroker/config"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "agent:", err)
		os.Exit(1)
	}
}

func run() error {
	clientid := flag.String("clientid", "", "this agent's clientid (required)")
	cfgPath := flag.String("config", "", "YAML config: redis, providers of this site, worker (required)")
	flag.Parse()
	if *clientid == "" || *cfgPath == "" {
		flag.Usage()
		return fmt.Errorf("--clientid and --config are required")
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	log := app.NewLogger(cfg.Log, os.Stderr)
	slog.SetDefault(log)
	a, err := app.NewAgent(cfg, *clientid, log)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return a.Run(ctx)
}
