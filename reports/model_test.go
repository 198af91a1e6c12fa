package reports_test

import (
	"testing"

	"github.com/rostercheck/rostercheck/reports"
)

func TestRecount(t *testing.T) {
	run := &reports.Run{Summary: reports.Summary{Total: 99, Pass: 99}}
	for _, o := range []reports.Outcome{reports.Pass, reports.Pass, reports.Fail, reports.NotSupported, reports.NotRun, reports.NotRun, reports.Advisory, reports.Error, "bogus"} {
		run.Checks = append(run.Checks, reports.CheckResult{Outcome: o})
	}
	run.Recount()
	want := reports.Summary{Total: 9, Pass: 2, Fail: 1, Advisory: 1, NotSupported: 1, NotRun: 2, Error: 2}
	if run.Summary != want {
		t.Errorf("Recount = %+v, want %+v (unknown outcomes count as errors)", run.Summary, want)
	}
	run.Checks = nil
	run.Recount()
	if run.Summary != (reports.Summary{}) {
		t.Errorf("Recount of no checks = %+v", run.Summary)
	}
}
