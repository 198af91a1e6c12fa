// Command schemagen regenerates rostercheck's OneRoster 1.2 schemas
// (schemas/v1p2) and catalogue (suites/catalogue/v1p2/catalogue.json) from
// the official OneRoster 1.2 OpenAPI files, which are not part of the
// repository:
//
//	ROSTERCHECK_ONEROSTER12_OPENAPI=/dir/with/the/files go generate ./schemas/
//	go run ./cmd/schemagen -dir /dir/with/the/files -root .
//
// Exit codes: 0 written, 2 usage (bad flag or no directory), 1 generation
// failed. Errors are one line on stderr.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/rostercheck/rostercheck/internal/openapigen"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv(openapigen.EnvDir), os.Stderr))
}

func run(args []string, envDir string, stderr io.Writer) int {
	fs := flag.NewFlagSet("schemagen", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dir := fs.String("dir", envDir, "directory holding the three OneRoster 1.2 OpenAPI files (default $"+openapigen.EnvDir+")")
	root := fs.String("root", ".", "repository root to write into")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintln(stderr, "schemagen:", err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "schemagen: unexpected argument", fs.Arg(0))
		return 2
	}
	if *dir == "" {
		fmt.Fprintln(stderr, "schemagen: no OpenAPI directory: set "+openapigen.EnvDir+" or pass -dir")
		return 2
	}
	if err := openapigen.Write(*dir, *root); err != nil {
		fmt.Fprintln(stderr, "schemagen:", err)
		return 1
	}
	return 0
}
