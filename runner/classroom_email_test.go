package runner_test

import (
	"strings"
	"testing"

	"github.com/rostercheck/rostercheck/reports"
	"github.com/rostercheck/rostercheck/runner"
)

// TestClassroomTeachersWithoutEmail: teachers served without e-mail (1.2
// makes it optional) fail google-classroom's roster check with
// classroom.user.no-email, at a teacher's email pointer, with the request
// that shows it; the write check says it has no teacher to write for; and
// oneroster-1.2, over the same walk, passes.
func TestClassroomTeachersWithoutEmail(t *testing.T) {
	dir := t.TempDir()
	r := rostercheck(t, nil, "run", "--defect", "v1p2-teachers-no-email", "--profile", "google-classroom,oneroster-1.2",
		"--allow-writes", "--out", dir)
	if r.code != runner.ExitFail {
		t.Fatalf("exit %d, want %d\n%s", r.code, runner.ExitFail, r.stderr)
	}
	run := readResults(t, dir)
	for _, p := range run.Profiles {
		if want := map[string]string{"google-classroom": "fail", "oneroster-1.2": "pass"}[p.Name]; p.Verdict != want {
			t.Errorf("%s: %s, want %s", p.Name, p.Verdict, want)
		}
	}
	var roster, writes *reports.CheckResult
	for i, c := range run.Checks {
		switch c.ID {
		case "v1p2.classroom.roster":
			roster = &run.Checks[i]
		case "v1p2.classroom.writes":
			writes = &run.Checks[i]
		}
	}
	if roster == nil || writes == nil {
		t.Fatal("the Classroom checks did not run")
	}
	if len(roster.Violations) != 1 {
		t.Fatalf("roster: %d violations %+v, want the one", len(roster.Violations), roster.Violations)
	}
	v := roster.Violations[0]
	if v.Rule != "classroom.user.no-email" || !strings.HasSuffix(v.Pointer, "/email") || v.RecordID == "" || !strings.Contains(v.Message, "carries an email") {
		t.Errorf("roster violation %+v", v)
	}
	shown := false
	for _, ex := range roster.Exchanges {
		shown = shown || strings.Contains(ex.URL, "/rostering/v1p2/teachers?") && ex.Status == 200 && !strings.Contains(ex.ResponseBody, `"email"`)
	}
	if !shown {
		t.Error("the roster check does not show the /teachers page without e-mails")
	}
	if writes.Outcome != reports.NotSupported || !strings.Contains(writes.Message, "teacher e-mail") {
		t.Errorf("writes: %s %q, want not-supported for want of a teacher e-mail", writes.Outcome, writes.Message)
	}
}
