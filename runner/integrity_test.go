package runner_test

import (
	"net/http/httptest"
	"testing"

	"github.com/rostercheck/rostercheck/fixtures/district"
	"github.com/rostercheck/rostercheck/fixtures/provider"
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
