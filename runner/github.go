package runner

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/rostercheck/rostercheck/reports"
)

// ciOutputs writes what CI systems read beyond the report folder: on GitHub
// Actions at most 10 ::error annotations (one per failing root cause) and,
// when $GITHUB_STEP_SUMMARY names a file, the Markdown summary appended to it.
func ciOutputs(run *reports.Run, red *reports.Redactor, out, errw io.Writer) {
	clean := red.RedactRun(run)
	if os.Getenv("GITHUB_ACTIONS") == "true" {
		for _, a := range reports.Annotations(clean) {
			fmt.Fprintln(out, a.GitHubCommand())
		}
	}
	path := os.Getenv("GITHUB_STEP_SUMMARY")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		fmt.Fprintf(errw, "rostercheck: $GITHUB_STEP_SUMMARY: %v\n", err)
		return
	}
	w := red.Writer(f)
	if err := reports.WriteMarkdown(w, clean); err == nil {
		err = w.Close()
	}
	if err := f.Close(); err != nil {
		fmt.Fprintf(errw, "rostercheck: $GITHUB_STEP_SUMMARY: %v\n", err)
	}
}

// reportsLine says where the reports are.
func reportsLine(dir string) string {
	d := strings.TrimRight(dir, "/")
	return fmt.Sprintf("%s/report.html (open this), %s/junit.xml, %s/results.json, %s/summary.md, %s/badge-*.svg", d, d, d, d, d)
}
