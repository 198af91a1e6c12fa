package runner_test

import (
	"testing"

	"github.com/rostercheck/rostercheck/fixtures/provider"
	"github.com/rostercheck/rostercheck/fixtures/provider/v1p2"
	"github.com/rostercheck/rostercheck/runner"
)

// One run judges a provider by the 1.1 and 1.2 profiles together, the
// base URL being the 1.2 rostering root: the 1.1 root derives from it, and
// each profile judges only the checks of its version.
func TestOneRunBothVersionsFromA12Root(t *testing.T) {
	srv, _ := startTarget(t, "id", "right-secret-123", "")
	dir := t.TempDir()
	r := rostercheck(t, []string{"ROSTERCHECK_CLIENT_SECRET=right-secret-123"}, "run",
		"--base-url", srv.URL+v1p2.RosteringPath, "--token-url", srv.URL+provider.TokenPath, "--client-id", "id",
		"--profile", "oneroster-1.2,sds", "--allow-writes", "--out", dir) // oneroster-1.2 requires the gradebook writes
	if r.code != runner.ExitPass {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	run := readResults(t, dir)
	specs := map[string]string{}
	for _, p := range run.Profiles {
		specs[p.Name] = p.Spec
	}
	if specs["oneroster-1.2"] != "oneroster-1.2" || specs["sds"] != "oneroster-1.1" {
		t.Fatalf("profile specs %v", specs)
	}
	var v11, v12 int
	for _, c := range run.Checks {
		for _, p := range c.Profiles {
			is12 := len(c.ID) > 5 && c.ID[:5] == "v1p2."
			switch {
			case p.Profile == "oneroster-1.2" && !is12, p.Profile == "sds" && is12:
				t.Errorf("%s judged by %s", c.ID, p.Profile)
			case is12:
				v12++
			default:
				v11++
			}
		}
	}
	if v11 == 0 || v12 == 0 {
		t.Fatalf("1.1 judgements %d, 1.2 judgements %d: want both", v11, v12)
	}
}
