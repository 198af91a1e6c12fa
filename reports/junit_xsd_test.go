package reports_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/rostercheck/rostercheck/reports"
)

// validateJUnitXSD validates a junit.xml document against the common JUnit
// schema in testdata/junit.xsd with xmllint (Debian's libxml2-utils, which
// .ci/run installs). It skips, saying so, only where xmllint is missing.
func validateJUnitXSD(t *testing.T, doc []byte) {
	t.Helper()
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint not found: install libxml2-utils (.ci/run does) to validate junit.xml against testdata/junit.xsd")
	}
	f := filepath.Join(t.TempDir(), "junit.xml")
	if err := os.WriteFile(f, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(xmllint, "--noout", "--schema", "testdata/junit.xsd", f).CombinedOutput()
	if err != nil {
		t.Fatalf("junit.xml does not validate against testdata/junit.xsd: %v\n%s", err, out)
	}
}

func TestJUnitValidatesAgainstCommonXSD(t *testing.T) {
	runs := map[string]*reports.Run{
		"sample":       sampleRun(),
		"suite errors": {SchemaVersion: 1, Verdict: "error", SuiteErrors: []string{"BeforeSuite failed"}},
		"empty":        {SchemaVersion: 1, Verdict: "pass"},
	}
	strict := sampleRun()
	strict.Checks[1].Outcome = reports.Advisory
	strict.Checks[1].Profiles[0].Outcome = reports.Advisory
	runs["advisory"] = strict
	for name, run := range runs {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := reports.WriteJUnit(&buf, run); err != nil {
				t.Fatal(err)
			}
			validateJUnitXSD(t, buf.Bytes())
		})
	}
}

// The schema must reject what the common readers reject, or the test
// above proves nothing.
func TestJUnitXSDRejectsForeignShapes(t *testing.T) {
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Skip("xmllint not found: install libxml2-utils")
	}
	bad := []byte(`<?xml version="1.0"?><testsuites><testsuite name="x" tests="1"><testcase name="a"><properties/></testcase></testsuite></testsuites>`)
	f := filepath.Join(t.TempDir(), "bad.xml")
	if err := os.WriteFile(f, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("xmllint", "--noout", "--schema", "testdata/junit.xsd", f).CombinedOutput(); err == nil {
		t.Fatalf("testdata/junit.xsd accepts testcase properties:\n%s", out)
	}
}
