// Command brokerctl is the ops team's command line for a cloudbroker: tasks, agents,
// providers and VMs, through the broker's vCenter-proxy API.
//
//	brokerctl [--url URL] [--token TOKEN] [-o table|json] COMMAND
//
//	task get <taskid>        show a task
//	task wait <taskid>       wait for a task, showing its state as it goes
//	task cancel <taskid>     cancel a queued or running task
//	agents                   list proxy agents and whether they are online
//	providers                list providers and how fresh their inventory is
//	vm list [--provider P] [--clientid C] [--limit N] [--offset N]
//
// URL and TOKEN default to $BROKER_URL (else http://127.0.0.1:8080) and $BROKER_TOKEN. The
// global flags may stand anywhere on the line.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole command, testable without a process: it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cl, rest, err := parseGlobal(args)
	if err != nil {
		fmt.Fprintln(stderr, "brokerctl:", err)
		fmt.Fprint(stderr, usage)
		return 2
	}
	if err := dispatch(ctx, cl, rest, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "brokerctl:", err)
		if _, ok := err.(usageError); ok {
			fmt.Fprint(stderr, usage)
			return 2
		}
		return 1
	}
	return 0
}

const usage = `usage: brokerctl [--url URL] [--token TOKEN] [-o table|json] COMMAND
  task get <taskid> | task wait <taskid> [--timeout 5m] | task cancel <taskid>
  agents | providers
  vm list [--provider P] [--clientid C] [--limit N] [--offset N]
`

type usageError string

func (e usageError) Error() string { return string(e) }
