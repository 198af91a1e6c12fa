package runner_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rostercheck/rostercheck/fixtures/district"
	"github.com/rostercheck/rostercheck/fixtures/provider"
	"github.com/rostercheck/rostercheck/reports"
	"github.com/rostercheck/rostercheck/runner"
)

// TestEmptyRosterCollectionFails: a provider that serves no enrollments
// gives a consumer nothing to import; the profiles that read /enrollments
// fail on collection.empty, not "not supported".
func TestEmptyRosterCollectionFails(t *testing.T) {
	d, err := district.Generate(district.Spec{Seed: 1, Size: "small"})
	if err != nil {
		t.Fatal(err)
	}
	d.Enrollments = nil
	p, err := provider.New(provider.Options{District: d, ClientID: "id", ClientSecret: "empty-enrollments-secret"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	defer srv.Close()
	dir := t.TempDir()
	r := rostercheck(t, []string{"ROSTERCHECK_CLIENT_SECRET=empty-enrollments-secret"}, "run",
		"--base-url", srv.URL+provider.BasePath, "--token-url", srv.URL+provider.TokenPath, "--client-id", "id",
		"--profile", "sds", "--check", "integrity.enrollments.refs-resolve", "--out", dir)
	if r.code != runner.ExitFail {
		t.Fatalf("exit %d, want %d\n%s\n%s", r.code, runner.ExitFail, r.stdout, r.stderr)
	}
	run := readResults(t, dir)
	if len(run.Checks) != 1 || len(run.Checks[0].Rules) != 1 || run.Checks[0].Rules[0].Rule != "collection.empty" {
		t.Fatalf("checks %+v", run.Checks)
	}
}

// TestImportPreview: the profiles that carry preview rules get an import
// preview in results.json and on the console, and a defect shows in it.
func TestImportPreview(t *testing.T) {
	dir := t.TempDir()
	r := rostercheck(t, nil, "run", "--profile", "sds,gradesync,asm", "--defect", "dangling-lineitem-category", "--out", dir)
	run := readResults(t, dir)
	if len(run.Previews) != 3 {
		t.Fatalf("previews %+v", run.Previews)
	}
	for _, p := range run.Previews {
		if len(p.Imported) == 0 || len(p.Incomplete) > 0 {
			t.Errorf("%s: imported %v, incomplete %v", p.Profile, p.Imported, p.Incomplete)
		}
		if !strings.Contains(r.stdout, "import preview: "+p.Consumer+" (profile "+p.Profile+")") {
			t.Errorf("console lacks the %s preview:\n%s", p.Profile, r.stdout)
		}
	}
	var gs reports.ImportPreview
	for _, p := range run.Previews {
		if p.Profile == "gradesync" {
			gs = p
		}
	}
	found := false
	for _, d := range gs.Dropped {
		if strings.Contains(d.Sentence, "whose category is missing") {
			found = d.Count == 1 && len(d.Examples) == 1 && d.Sentence == "Grade Sync would reject 1 lineItem whose category is missing or tobedeleted"
			if !found {
				t.Errorf("drop %+v", d)
			}
		}
	}
	if !found {
		t.Fatalf("gradesync preview lacks the dangling category: %+v", gs.Dropped)
	}
}

// TestEveryParentWhenTheProfileAsks: a relationship endpoint wrong for the
// last school only escapes a sample of the first parents (oneroster-1.1
// alone) and is caught when a selected profile compares every parent
// (sds-classic: integrity.parents all).
func TestEveryParentWhenTheProfileAsks(t *testing.T) {
	const id = "integrity.schools-students.agrees"
	for _, c := range []struct {
		profiles string
		caught   bool
	}{{"oneroster-1.1", false}, {"sds-classic", true}} {
		dir := t.TempDir()
		rostercheck(t, nil, "run", "--profile", c.profiles, "--defect", "relationship-missing-student", "--check", id, "--out", dir)
		run := readResults(t, dir)
		if len(run.Checks) != 1 || (run.Checks[0].Outcome == reports.Fail) != c.caught {
			t.Errorf("--profile %s: %+v, want caught=%v", c.profiles, run.Checks, c.caught)
		}
	}
}
