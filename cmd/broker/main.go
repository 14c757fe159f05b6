// Command broker runs cloudbroker's API (all dialects) with an optional in-process worker.
//
//	broker --config broker.yaml   # production: Redis, providers, tokens from the file
//	broker                        # demo: in-process Redis, simulated vCenters, an agent, a catalog
//	broker --config broker.yaml --check-config   # validate the file, connect to nothing
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"cloudbroker/cmd/app"
	"cloudbroker/cmd/app/demo"
	"cloudbroker/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, nil); err != nil {
		if !errors.Is(err, errCheckFailed) { // --check-config printed the problems already
			fmt.Fprintln(os.Stderr, "broker:", err)
		}
		os.Exit(1)
	}
}

// errCheckFailed makes main exit 1 after --check-config printed the problems.
var errCheckFailed = errors.New("the configuration has problems")

// run is the whole command, so a test runs exactly what `make run` runs; listening, if not
// nil, is told the address once the broker accepts connections.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, listening func(net.Addr)) error {
	fs := flag.NewFlagSet("broker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "YAML config file; without it the broker starts the demo setup")
	listen := fs.String("listen", "", "listen address, overrides the config's listen")
	check := fs.Bool("check-config", false, "load and validate --config, print every problem, exit 0 if it is usable and 1 if not")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *check {
		if *cfgPath == "" {
			return fmt.Errorf("--check-config needs --config")
		}
		if !app.CheckConfig(*cfgPath, "", stdout) {
			return errCheckFailed
		}
		return nil
	}

	var cfg *config.Config
	var d *demo.Demo
	if *cfgPath == "" {
		var err error
		if d, err = demo.Start(ctx, getenv); err != nil {
			return err
		}
		defer d.Close()
		cfg = d.Config
	} else {
		var err error
		if cfg, err = config.Load(*cfgPath); err != nil {
			return err
		}
	}
	if *listen != "" {
		cfg.Listen = *listen
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	defer ln.Close()
	log := app.NewLogger(cfg.Log, stderr)
	slog.SetDefault(log)
	if d != nil {
		d.AddCatalog("http://" + ln.Addr().String()) // the broker's own images, federated
		log.Warn("DEMO SETUP: in-process Redis, two simulated vCenters (one behind the in-process agent " + demo.Site +
			") and a catalog of this broker's own images; not for production. Pass --config for a real deployment.")
		if tok := cfg.Auth.Tokens[0]; tok.Name == config.DemoTokenName { // not BROKER_TOKEN: the caller knows that one
			log.Warn("DEMO TOKEN (set BROKER_TOKEN to choose it): " + tok.Token)
		}
	}

	a, err := app.New(cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Start(); err != nil {
		return err
	}
	if d != nil {
		stopAgent, err := d.StartAgent(log)
		if err != nil {
			return fmt.Errorf("demo agent: %w", err)
		}
		defer stopAgent() // before a.Close: its goodbye needs the broker's Redis
	}
	if listening != nil {
		listening(ln.Addr())
	}
	return a.Serve(ctx, ln)
}
