package reports

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Report file names written by WriteAll.
const (
	JUnitFile    = "junit.xml"
	JSONFile     = "results.json"
	HTMLFile     = "report.html"
	MarkdownFile = "summary.md"
	BadgeFile    = "badge.svg" // the first profile's badge
)

// File is one report file WriteAll writes.
type File struct {
	Name   string
	Markup bool // XML or HTML: redaction markers are escaped
	Write  func(io.Writer, *Run) error
}

// Files lists every report of run: junit.xml, results.json, report.html,
// summary.md, and per profile badge-<profile>.svg with its shields endpoint
// JSON badge-<profile>.json (badge.svg is the first profile's).
func Files(run *Run) []File {
	fs := []File{
		{JUnitFile, true, WriteJUnit},
		{JSONFile, false, WriteJSON},
		{HTMLFile, true, WriteHTML},
		{MarkdownFile, false, WriteMarkdown},
	}
	for i, p := range run.Profiles {
		b := BadgeFor(p)
		svg := func(w io.Writer, _ *Run) error { return WriteBadgeSVG(w, b) }
		if i == 0 {
			fs = append(fs, File{BadgeFile, true, svg})
		}
		name := "badge-" + fileSafe(p.Name)
		fs = append(fs, File{name + ".svg", true, svg},
			File{name + ".json", false, func(w io.Writer, _ *Run) error { return WriteBadgeJSON(w, b) }})
	}
	return fs
}

func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

// WriteAll writes every report (Files) into dir (created if needed), each
// through red. The run's strings are redacted before formatting as well
// (RedactRun), so a secret is caught whatever escaping a format applies; in
// the XML, SVG and HTML files the final writer spells the marker
// "&lt;redacted&gt;" so the documents stay well-formed. It attempts every
// file even if one fails and returns the joined errors. Each file is written to a temporary name and renamed into
// place, so a failed write never leaves a truncated report behind. A nil red
// redacts nothing.
func WriteAll(dir string, run *Run, red *Redactor) error {
	if run == nil {
		return errors.New("reports: nil run")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	clean := red.RedactRun(run)
	var errs []error
	for _, f := range Files(clean) {
		wrap := red.Writer
		if f.Markup {
			wrap = red.markupWriter
		}
		if err := writeFile(filepath.Join(dir, f.Name), clean, wrap, f.Write); err != nil {
			errs = append(errs, fmt.Errorf("reports: %s: %w", f.Name, err))
		}
	}
	return errors.Join(errs...)
}

func writeFile(path string, run *Run, wrap func(io.Writer) io.WriteCloser, write func(io.Writer, *Run) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	rw := wrap(tmp)
	if err = write(rw, run); err != nil {
		return err
	}
	if err = rw.Close(); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
