package runner_test

import (
	"strings"
	"testing"

	"github.com/rostercheck/rostercheck/reports"
	"github.com/rostercheck/rostercheck/runner"
)

// A rel="next" on another origin is never followed: the walk pages by
// offset and completes, only the Link check reports it, the spec-strict
// profile as advisory (Link is SHOULD) and SDS (which never reads Link)
// not at all. Nothing was sent to the other host.
func TestNextOffOriginIsOnlyALinkFinding(t *testing.T) {
	dir := t.TempDir()
	r := rostercheck(t, nil, "run", "--profile", "oneroster-1.1,sds", "--defect", "next-offhost", "--check", "rostering.users.*", "--out", dir)
	if r.code != runner.ExitPass {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	run := readResults(t, dir)
	for _, p := range []string{"oneroster-1.1", "sds"} {
		// (--check runs a subset: the verdict is partial, never fail.)
		if v := verdictOf(run, p); v != "pass" && v != "partial" {
			t.Errorf("profile %s: verdict %s, want pass", p, v)
		}
	}
	for _, c := range run.Checks {
		got := outcomeIn(c, "oneroster-1.1")
		if c.ID != "rostering.users.paging.links" {
			if got != reports.Pass {
				t.Errorf("%s: %s (%s), want pass", c.ID, got, c.Message)
			}
			continue
		}
		if got != reports.Advisory {
			t.Fatalf("%s: %s under oneroster-1.1, want advisory", c.ID, got)
		}
		if o := outcomeIn(c, "sds"); o != "" && o != reports.Pass {
			t.Errorf("%s: %s under sds, want pass", c.ID, o)
		}
		off := 0
		for _, v := range c.Violations {
			if v.Rule == "link.off-origin" && strings.Contains(v.Message, "points at another origin") {
				off++
			}
		}
		if off == 0 {
			t.Fatalf("%s: no link.off-origin violation: %+v", c.ID, c.Violations)
		}
		for _, ex := range c.Exchanges {
			if strings.Contains(ex.URL, "127.0.0.2") {
				t.Fatalf("a request went to the other origin: %s", ex.URL)
			}
		}
	}
}
