// Command vcsimd serves govmomi's vCenter simulator (cloudbroker/drivers/vcenter/vcsim) in a
// process of its own for the tests' harness (vcsim.StartProcess): it prints one JSON line with
// the simulator's URL and datastore directories, and serves until its stdin closes.
package main

import (
	"fmt"
	"os"

	"cloudbroker/drivers/vcenter/vcsim"
)

func main() {
	if err := vcsim.Serve(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "vcsimd:", err)
		os.Exit(1)
	}
}
