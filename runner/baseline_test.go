package runner_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rostercheck/rostercheck/runner"
)

// --baseline on the reference provider: a defect turned on shows as new
// failures, turned off again as fixed, in results.json, the console and
// summary.md (which lead with them). A bad baseline is one line and exit 2.
func TestBaselineNewThenFixed(t *testing.T) {
	const defect, check = "phone-not-e164", "rostering.users.data"
	clean, broken, again := t.TempDir(), t.TempDir(), t.TempDir()
	args := func(out string, extra ...string) []string {
		return append([]string{"run", "--profile", "sds", "--out", out}, extra...)
	}
	if r := rostercheck(t, nil, args(clean)...); r.code != runner.ExitPass {
		t.Fatalf("clean run: exit %d\n%s", r.code, r.stderr)
	}
	r := rostercheck(t, nil, args(broken, "--defect", defect, "--baseline", filepath.Join(clean, "results.json"))...)
	if r.code != runner.ExitFail {
		t.Fatalf("defect run: exit %d\n%s", r.code, r.stderr)
	}
	run := readResults(t, broken)
	if run.Diff == nil || len(run.Diff.New) == 0 || len(run.Diff.Fixed) != 0 {
		t.Fatalf("defect on: diff %+v", run.Diff)
	}
	found := false
	for _, e := range run.Diff.New {
		if e.Check == check && e.Profile == "sds" && len(e.Rules) > 0 && e.Rules[0].Count > 0 {
			found = true
		}
	}
	if !found {
		t.Errorf("defect on: %s in sds is not a new failure with its rule counts: %+v", check, run.Diff.New)
	}
	md, _ := os.ReadFile(filepath.Join(broken, "summary.md"))
	for name, text := range map[string]string{"console": r.stdout, "summary.md": string(md)} {
		at := strings.Index(text, check)
		if at < 0 || !strings.Contains(text[:at], "new failure") {
			t.Errorf("%s does not lead with the new failure %s:\n%s", name, check, text)
		}
	}
	html, _ := os.ReadFile(filepath.Join(broken, "report.html"))
	if d, f := strings.Index(string(html), `id="diff"`), strings.Index(string(html), `id="fix-first"`); d < 0 || d > f {
		t.Errorf("report.html does not lead with the diff (at %d, fix-first at %d)", d, f)
	}

	r = rostercheck(t, nil, args(again, "--baseline", filepath.Join(broken, "results.json"))...)
	if r.code != runner.ExitPass {
		t.Fatalf("defect off: exit %d\n%s", r.code, r.stderr)
	}
	run = readResults(t, again)
	if run.Diff == nil || len(run.Diff.New) != 0 || len(run.Diff.Unchanged) != 0 {
		t.Fatalf("defect off: diff %+v", run.Diff)
	}
	found = false
	for _, e := range run.Diff.Fixed {
		found = found || (e.Check == check && e.Profile == "sds")
	}
	if !found {
		t.Errorf("defect off: %s is not fixed: %+v", check, run.Diff.Fixed)
	}

	// Bad input: one line, exit 2, nothing run.
	for _, bad := range []string{filepath.Join(clean, "missing.json"), filepath.Join(clean, "report.html")} {
		r = rostercheck(t, nil, args(t.TempDir(), "--baseline", bad)...)
		if r.code != runner.ExitUsage || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, "--baseline") {
			t.Errorf("--baseline %s: exit %d, stderr %q", bad, r.code, r.stderr)
		}
	}
}
