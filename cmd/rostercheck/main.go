// Command rostercheck proves that a OneRoster 1.1 provider serves what its
// consumers need, on every record of every page. See README.md.
package main

import (
	"context"
	"os"

	"github.com/rostercheck/rostercheck/runner"
)

func main() {
	os.Exit(runner.Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}
