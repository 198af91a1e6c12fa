package runner_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/rostercheck/rostercheck/runner"
)

// validateResultsSchema validates a results.json against the published
// schemas/results.schema.json.
func validateResultsSchema(t *testing.T, path string) {
	t.Helper()
	c := jsonschema.NewCompiler()
	sch, err := c.Compile(filepath.Join("..", "schemas", "results.schema.json"))
	if err != nil {
		t.Fatalf("schemas/results.schema.json: %v", err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(doc); err != nil {
		t.Fatalf("%s does not validate against schemas/results.schema.json:\n%v", path, err)
	}
}

// validateJUnit validates a junit.xml against the vendored common JUnit XSD.
func validateJUnit(t *testing.T, path string) {
	t.Helper()
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Log("xmllint not found (install libxml2-utils; .ci/run does): junit.xml not validated against the XSD")
		return
	}
	out, err := exec.Command(xmllint, "--noout", "--schema", filepath.Join("..", "reports", "testdata", "junit.xsd"), path).CombinedOutput()
	if err != nil {
		t.Fatalf("%s does not validate against the common JUnit XSD: %v\n%.2000s", path, err, out)
	}
}

var allProfiles = "oneroster-1.1,sds,sds-classic,gradesync,datasync,asm"

// TestReportsOfRealRuns renders the reports of a passing run and of a
// failing run on the medium district and checks every format: the JSON
// schema, the JUnit XSD, the HTML size budget, re-rendering with report
// --from, and the pages in a real headless browser at 1280 px.
func TestReportsOfRealRuns(t *testing.T) {
	passDir, failDir := t.TempDir(), t.TempDir()
	r := rostercheck(t, nil, "run", "--profile", allProfiles, "--allow-writes", "--out", passDir)
	if r.code != runner.ExitPass {
		t.Fatalf("clean run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"PROFILE", "VERDICT", "sds-classic", "verdict: PASS", "report.html"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the console summary lacks %q:\n%s", want, r.stdout)
		}
	}
	// The medium district with a defect that breaks every record: the
	// largest report the catalogue of defects produces.
	r = rostercheck(t, nil, "run", "--size", "medium", "--defect", "local-times", "--profile", allProfiles, "--out", failDir)
	if r.code != runner.ExitFail {
		t.Fatalf("failing run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "Top failures by root cause") || strings.Count(r.stdout, "\n") > 100 { // the summary, the top causes and three short import previews
		t.Errorf("the console summary of the failing run:\n%s", r.stdout)
	}

	for name, dir := range map[string]string{"pass": passDir, "fail": failDir} {
		t.Run(name+"/formats", func(t *testing.T) {
			validateResultsSchema(t, filepath.Join(dir, "results.json"))
			validateJUnit(t, filepath.Join(dir, "junit.xml"))
			for _, f := range []string{"report.html", "summary.md", "badge.svg", "badge-sds.svg", "badge-sds.json", "badge-oneroster-1.1.svg"} {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Errorf("missing %s: %v", f, err)
				}
			}
			// report --from re-renders every file the run wrote, identically.
			again := t.TempDir()
			rr := rostercheck(t, nil, "report", "--from", filepath.Join(dir, "results.json"), "--out", again)
			if rr.code != 0 {
				t.Fatalf("report --from: exit %d\n%s", rr.code, rr.stderr)
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				a, _ := os.ReadFile(filepath.Join(dir, e.Name()))
				b, err := os.ReadFile(filepath.Join(again, e.Name()))
				if err != nil || !bytes.Equal(a, b) {
					t.Errorf("report --from does not reproduce %s (%v)", e.Name(), err)
				}
			}
		})
	}
	t.Run("fail/html under 1 MB", func(t *testing.T) {
		fi, err := os.Stat(filepath.Join(failDir, "report.html"))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("failing medium run: report.html is %d bytes", fi.Size())
		if fi.Size() >= 1<<20 {
			t.Errorf("report.html of a failing medium run is %d bytes, over 1 MB", fi.Size())
		}
	})
	t.Run("browser", func(t *testing.T) {
		page := startBrowser(t)
		// The console-error check itself works: a page that logs one is caught.
		page.open(t, "data:text/html,<p>x</p><script>console.error('planted')</script>")
		if errs := page.consoleErrors(); len(errs) == 0 {
			t.Fatal("the browser harness does not see console errors")
		}
		for _, c := range []struct {
			name, dir, verdict string
		}{{"pass", passDir, "PASS"}, {"fail", failDir, "FAIL"}} {
			path, _ := filepath.Abs(filepath.Join(c.dir, "report.html"))
			page.open(t, path)
			var f pageFacts
			page.eval(t, factsJS, &f)
			t.Logf("%s: %+v", c.name, f)
			if f.Verdict != c.verdict || !f.VerdictVisible || f.Cards != 6 {
				t.Errorf("%s: verdict %q visible %v with %d profile cards; want %s and 6", c.name, f.Verdict, f.VerdictVisible, f.Cards, c.verdict)
			}
			if !f.MatrixVisible || f.MatrixRows < 30 {
				t.Errorf("%s: matrix visible %v with %d rows", c.name, f.MatrixVisible, f.MatrixRows)
			}
			if c.verdict == "FAIL" && (f.Groups == 0 || !f.GroupVisible || !f.GroupCollapsed || f.FailCells == 0) {
				t.Errorf("%s: %d failure groups, first visible %v collapsed %v; %d failing matrix cells", c.name, f.Groups, f.GroupVisible, f.GroupCollapsed, f.FailCells)
			}
			if c.verdict == "PASS" && (f.Groups != 0 || f.FailCells != 0) {
				t.Errorf("%s: a passing run shows %d failure groups and %d failing cells", c.name, f.Groups, f.FailCells)
			}
			if f.Width != 1280 || f.ScrollWidth > f.ClientWidth {
				t.Errorf("%s: horizontal overflow at %d px: scrollWidth %d > clientWidth %d", c.name, f.Width, f.ScrollWidth, f.ClientWidth)
			}
			// Opened, the groups' tables and bodies must not overflow either.
			var open struct{ ScrollWidth, ClientWidth int }
			page.eval(t, `(() => { document.querySelectorAll('details').forEach(d => d.open = true);
				return {ScrollWidth: document.documentElement.scrollWidth, ClientWidth: document.documentElement.clientWidth}; })()`, &open)
			if open.ScrollWidth > open.ClientWidth {
				t.Errorf("%s: with every <details> open, horizontal overflow: scrollWidth %d > clientWidth %d", c.name, open.ScrollWidth, open.ClientWidth)
			}
			if errs := page.consoleErrors(); len(errs) > 0 {
				t.Errorf("%s: console errors: %q", c.name, errs)
			}
		}
	})
}

// On GitHub Actions a run writes the step summary and at most 10 ::error
// annotations.
func TestGitHubStepSummaryAndAnnotations(t *testing.T) {
	summary := filepath.Join(t.TempDir(), "step-summary.md")
	r := rostercheck(t, []string{"GITHUB_ACTIONS=true", "GITHUB_STEP_SUMMARY=" + summary, "CI=true"},
		"run", "--defect", "local-times", "--profile", allProfiles, "--out", t.TempDir())
	if r.code != runner.ExitFail {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	n := strings.Count(r.stdout, "::error title=rostercheck ")
	if n == 0 || n > 10 {
		t.Errorf("%d ::error annotations, want 1 to 10:\n%s", n, r.stdout)
	}
	b, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## rostercheck: FAIL", "| sds | **FAIL** |", "### Failures by root cause", "datetime.invalid"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("step summary lacks %q:\n%s", want, b)
		}
	}
	if strings.Contains(r.stderr, "\x1b[") || strings.Contains(r.stdout, "\x1b[") {
		t.Error("colour codes without a terminal")
	}
}
