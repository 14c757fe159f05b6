// Command broker runs cloudbroker's API (all dialects) with an optional in-process worker.
//
//	broker --config broker.yaml   # production: Redis, providers, tokens from the file
//	broker                        # demo: in-process Redis and a simulated vCenter
//	broker --config broker.yaml --check-config   # validate the file, connect to nothing
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"

	"cloudbroker/cmd/app"
	"cloudbroker/config"
	"cloudbroker/drivers/vcenter/vcsim"
)

func main() { app.Main("broker", run) }

func run(ctx context.Context) error {
	cfgPath := flag.String("config", "", "YAML config file; without it the broker starts the demo setup")
	listen := flag.String("listen", "", "listen address, overrides the config's listen")
	check := flag.Bool("check-config", false, "load and validate --config, print every problem, exit 0 if it is usable and 1 if not")
	flag.Parse()
	if *check {
		if *cfgPath == "" {
			return fmt.Errorf("--check-config needs --config")
		}
		return app.Check(*cfgPath, "")
	}

	var cfg *config.Config
	var sim *vcsim.Sim
	if *cfgPath == "" {
		var err error
		if sim, err = vcsim.Start(); err != nil {
			return fmt.Errorf("demo vCenter simulator: %w", err)
		}
		defer sim.Close()
		cfg = config.Demo(sim.URL().String(), os.Getenv)
	} else {
		var err error
		if cfg, err = config.Load(*cfgPath); err != nil {
			return err
		}
	}
	if *listen != "" {
		cfg.Listen = *listen
	}
	log := app.SetLogger(cfg.Log)
	if cfg.Demo {
		log.Warn("DEMO SETUP: in-process Redis and a simulated vCenter; not for production. Pass --config for a real deployment.",
			"vcenter", sim.URL().Redacted())
		log.Warn("DEMO TOKEN (set BROKER_TOKEN to choose it): " + cfg.Auth.Tokens[0].Token)
	}

	a, err := app.New(cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	if err := a.Start(); err != nil {
		return err
	}
	return a.Serve(ctx, ln)
}
