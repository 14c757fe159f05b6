// Command agent is a proxy agent: it runs near a site, holds that site's provider credentials,
// and runs the tasks the broker routes to its clientid's queue.
//
//	agent --clientid site-1 --config agent.yaml
//	agent --clientid site-1 --config agent.yaml --check-config   # validate, connect to nothing
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
	check := flag.Bool("check-config", false, "load and validate --config (for --clientid if given), print every problem, exit 0 if it is usable and 1 if not")
	flag.Parse()
	if *check && *cfgPath != "" {
		if !app.CheckConfig(*cfgPath, *clientid, os.Stdout) {
			os.Exit(1)
		}
		return nil
	}
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
