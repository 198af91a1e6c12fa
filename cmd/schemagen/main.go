// Command schemagen regenerates rostercheck's OneRoster 1.2 schemas
// (schemas/v1p2) and catalogue (suites/catalogue/v1p2/catalogue.json) from
// the official OneRoster 1.2 OpenAPI files, which are not part of the
// repository:
//
//	ROSTERCHECK_ONEROSTER12_OPENAPI=/dir/with/the/files go generate ./schemas/
//	go run ./cmd/schemagen -dir /dir/with/the/files -root .
//
// Exit codes: 0 written, 2 usage (no directory), 1 generation failed.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/rostercheck/rostercheck/internal/openapigen"
)

func main() {
	dir := flag.String("dir", os.Getenv(openapigen.EnvDir), "directory holding the three OneRoster 1.2 OpenAPI files (default $"+openapigen.EnvDir+")")
	root := flag.String("root", ".", "repository root to write into")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "schemagen: no OpenAPI directory: set "+openapigen.EnvDir+" or pass -dir")
		os.Exit(2)
	}
	if err := openapigen.Write(*dir, *root); err != nil {
		fmt.Fprintln(os.Stderr, "schemagen:", err)
		os.Exit(1)
	}
}
