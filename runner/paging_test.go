package runner_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rostercheck/rostercheck/fixtures/district"
	"github.com/rostercheck/rostercheck/fixtures/provider"
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

// Behind a limiter that answers every fifth request with 429 and
// Retry-After, a run passes as it does without one: every throttled
// answer is waited out and reported as a finding, never a check failure.
func TestThrottledProviderPassesWithAFinding(t *testing.T) {
	d, err := district.Generate(district.Spec{Seed: 1, Size: "small"})
	if err != nil {
		t.Fatal(err)
	}
	const id, secret = "limited", "limited-secret-0123456789"
	p, err := provider.New(provider.Options{District: d, ClientID: id, ClientSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, provider.BasePath) && n.Add(1)%5 == 0 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		p.ServeHTTP(w, r)
	}))
	defer srv.Close()
	dir := t.TempDir()
	r := rostercheck(t, []string{"ROSTERCHECK_CLIENT_SECRET=" + secret}, "run", "--base-url", srv.URL+provider.BasePath,
		"--token-url", srv.URL+provider.TokenPath, "--client-id", id, "--profile", "oneroster-1.1,sds", "--allow-writes", "--out", dir)
	if r.code != runner.ExitPass {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	run := readResults(t, dir)
	if run.Stats.Throttled == 0 || run.Stats.Throttled < n.Load()/5-1 {
		t.Fatalf("throttled %d of %d requests reported", run.Stats.Throttled, n.Load()/5)
	}
	if !strings.Contains(r.stdout, "the provider throttled") {
		t.Fatalf("no throttling note on the console:\n%s", r.stdout)
	}
}

// The main walk pages at the largest page size the selected profiles'
// consumers use, unless --page-size says otherwise.
func TestPageSizeFollowsTheProfiles(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--profile", "sds"}, "5000"},
		{[]string{"--profile", "sds", "--page-size", "100"}, "100"},
	} {
		dir := t.TempDir()
		args := append([]string{"run", "--check", "rostering.orgs.envelope", "--out", dir}, tc.args...)
		r := rostercheck(t, nil, args...)
		if r.code != runner.ExitPass {
			t.Fatalf("%v: exit %d\n%s\n%s", tc.args, r.code, r.stdout, r.stderr)
		}
		if got := fmt.Sprint(readResults(t, dir).Config["page-size"]); got != tc.want {
			t.Errorf("%v: page-size %s, want %s", tc.args, got, tc.want)
		}
	}
}
