package runner_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

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

// Behind a limiter that throttles (429 with Retry-After) what goes past
// 300 requests/s, and every third token request, a run passes as it does
// without one: every throttled answer is waited out and counted, never a
// check failure (the token checks' requests too: sent once, a throttled
// one failed auth.token.response).
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
	var mu sync.Mutex
	var window time.Time
	var inWindow, tokens, api429, token429 int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		throttle := false
		switch {
		case r.URL.Path == provider.TokenPath:
			tokens++
			throttle = tokens%3 == 0
			if throttle {
				token429++
			}
		case strings.HasPrefix(r.URL.Path, provider.BasePath):
			if now := time.Now(); now.Sub(window) >= 100*time.Millisecond {
				window, inWindow = now, 0
			}
			inWindow++
			throttle = inWindow > 30
			if throttle {
				api429++
			}
		}
		mu.Unlock()
		if throttle {
			w.Header().Set("Retry-After", "1")
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
	mu.Lock()
	defer mu.Unlock()
	if api429 == 0 || token429 == 0 {
		t.Fatalf("the limiter throttled %d API and %d token requests: the test proves nothing", api429, token429)
	}
	if want := int64(api429 + token429); run.Stats.Throttled != want {
		t.Fatalf("throttled %d requests reported, the limiter throttled %d (%d API, %d token)", run.Stats.Throttled, want, api429, token429)
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
