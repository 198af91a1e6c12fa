package runner_test

import (
	"strings"
	"testing"

	"github.com/rostercheck/rostercheck/fixtures/defects"
	"github.com/rostercheck/rostercheck/reports"
	"github.com/rostercheck/rostercheck/runner"
	"github.com/rostercheck/rostercheck/schemas"
)

// oracleEnv is the environment of the self-test's runs: every record is
// validated by the compiled validator and by the reference validator, and a
// disagreement is a harness error, which fails the self-test (a check in
// error, or a check failing that the defect does not declare). This is how
// the self-test shows the compiled validator reports exactly what the
// reference reports on every defect. It costs about 3% of a run.
var oracleEnv = []string{schemas.OracleEnv + "=1"}

// checkRunError asserts what a run against a provider no check can judge
// (a defect with RunError, e.g. trickle-all) must show: the error verdict,
// exit code 3, one console line and a run-level error naming the cause, and
// no check failing or passing a profile on what never arrived.
func checkRunError(t *testing.T, d defects.Defect, r cliResult, run *reports.Run) {
	t.Helper()
	if r.code != runner.ExitUnreachable || run.Verdict != "error" {
		t.Fatalf("exit %d verdict %q, want %d and error\nstdout:\n%s\nstderr:\n%s", r.code, run.Verdict, runner.ExitUnreachable, r.stdout, r.stderr)
	}
	if !strings.Contains(strings.Join(run.SuiteErrors, "\n"), d.RunError) || !strings.Contains(r.stderr, "rostercheck: "+d.RunError) {
		t.Fatalf("the run's errors %q and console do not say %q\nstderr:\n%s", run.SuiteErrors, d.RunError, r.stderr)
	}
	for _, c := range run.Checks {
		if c.Outcome == reports.Fail {
			t.Errorf("%s failed (%s): a check judged a provider that never answered", c.ID, c.Message)
		}
	}
}
