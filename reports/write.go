package reports

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Report file names written by WriteAll.
const (
	JUnitFile = "junit.xml"
	JSONFile  = "results.json"
	HTMLFile  = "report.html"
)

// WriteAll writes junit.xml, results.json and report.html into dir (created
// if needed), each through red. The run's strings are redacted before
// formatting as well (RedactRun), so a secret is caught whatever escaping a
// format applies; in junit.xml and report.html the final writer spells the
// marker "&lt;redacted&gt;" so the documents stay well-formed. It attempts all three even if one fails and returns the
// joined errors. Each file is written to a temporary name and renamed into
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
	for _, f := range []struct {
		name   string
		write  func(io.Writer, *Run) error
		markup bool
	}{
		{JUnitFile, WriteJUnit, true},
		{JSONFile, WriteJSON, false},
		{HTMLFile, WriteHTML, true},
	} {
		wrap := red.Writer
		if f.markup {
			wrap = red.markupWriter
		}
		if err := writeFile(filepath.Join(dir, f.name), clean, wrap, f.write); err != nil {
			errs = append(errs, fmt.Errorf("reports: %s: %w", f.name, err))
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
