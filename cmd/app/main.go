package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"cloudbroker/config"
)

// Main runs the command name (cmd/broker, cmd/agent): run's context ends on SIGINT or SIGTERM,
// and its error is printed as "name: error" with exit status 1.
func Main(name string, run func(ctx context.Context) error) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx)
	stop()
	if err != nil {
		if !errors.Is(err, errReported) {
			fmt.Fprintln(os.Stderr, name+":", err)
		}
		os.Exit(1)
	}
}

// errReported ends a command with status 1 after it said why itself.
var errReported = errors.New("reported")

// Check is a command's --check-config: CheckConfig to stdout, and an error if the file is not
// usable.
func Check(path, clientid string) error {
	if !CheckConfig(path, clientid, os.Stdout) {
		return errReported
	}
	return nil
}

// SetLogger makes the process's logger from the configuration, the default one too.
func SetLogger(c config.Log) *slog.Logger {
	log := NewLogger(c, os.Stderr)
	slog.SetDefault(log)
	return log
}
