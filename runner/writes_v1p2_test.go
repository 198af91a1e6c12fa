package runner_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/rostercheck/rostercheck/fixtures/district"
	"github.com/rostercheck/rostercheck/fixtures/provider"
	"github.com/rostercheck/rostercheck/reports"
	"github.com/rostercheck/rostercheck/runner"
)

// gb12Spy wraps the reference provider (no auth) and remembers every 1.2
// gradebook object the harness wrote: the paths its PUTs named and the
// ids the provider allocated to its POSTs.
type gb12Spy struct {
	p       http.Handler
	mu      sync.Mutex
	methods map[string]int
	objects map[string]bool // path under the 1.2 gradebook root
	// refuseDelete answers every 1.2 DELETE 503.
	refuseDelete bool
}

const gb12Base = "/ims/oneroster/gradebook/v1p2"

func (s *gb12Spy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.EscapedPath()
	if !strings.HasPrefix(path, gb12Base+"/") || r.Method == http.MethodGet {
		s.p.ServeHTTP(w, r)
		return
	}
	s.mu.Lock()
	refuse := s.refuseDelete && r.Method == http.MethodDelete
	s.mu.Unlock()
	if refuse {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"imsx_codeMajor":"failure","imsx_severity":"error"}`))
		return
	}
	rec := httptest.NewRecorder()
	s.p.ServeHTTP(rec, r)
	s.mu.Lock()
	s.methods[r.Method]++
	rel := strings.TrimPrefix(path, gb12Base)
	switch r.Method {
	case http.MethodPut:
		s.objects[rel] = true
	case http.MethodPost:
		var ans struct {
			Pairs []struct {
				Allocated string `json:"allocatedSourcedId"`
			} `json:"sourcedIdPairs"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &ans)
		coll := "/lineItems/"
		if strings.HasSuffix(rel, "/results") {
			coll = "/results/"
		}
		for _, p := range ans.Pairs {
			s.objects[coll+p.Allocated] = true
		}
	}
	s.mu.Unlock()
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// newGb12Spy serves the reference provider (no auth) behind a spy on
// 127.0.0.1 and returns the spy and the shared root URL.
func newGb12Spy(t *testing.T) (*gb12Spy, string) {
	t.Helper()
	d, err := district.Generate(district.Spec{Seed: 5, Size: "small"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := provider.New(provider.Options{District: d, NoAuth: true})
	if err != nil {
		t.Fatal(err)
	}
	spy := &gb12Spy{p: p, methods: map[string]int{}, objects: map[string]bool{}}
	srv := httptest.NewServer(spy) // binds 127.0.0.1
	t.Cleanup(srv.Close)
	return spy, srv.URL + "/ims/oneroster"
}

// total is the X-Total-Count of a 1.2 gradebook collection, read at the
// provider.
func (s *gb12Spy) total(coll string) string {
	rec := httptest.NewRecorder()
	s.p.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, gb12Base+coll+"?limit=1", nil))
	return rec.Header().Get("X-Total-Count")
}

func (s *gb12Spy) totals() string {
	var out []string
	for _, c := range []string{"/categories", "/lineItems", "/results", "/scoreScales", "/assessmentLineItems", "/assessmentResults"} {
		out = append(out, c+"="+s.total(c))
	}
	return strings.Join(out, " ")
}

// TestV1p2WritesLeaveNothingBehind runs the 1.2 gradebook write checks
// against the reference provider: without --allow-writes nothing is
// written and oneroster-1.2 is partial; with it every write check passes,
// PUTs, POSTs and DELETEs reach the provider, and afterwards the provider
// serves none of the objects written and every gradebook collection has
// its old size (checked at the provider, not through the harness).
func TestV1p2WritesLeaveNothingBehind(t *testing.T) {
	spy, root := newGb12Spy(t)
	p := spy.p
	args := []string{"--profile", "oneroster-1.2", "--base-url", root, "--auth", "none"}
	before := spy.totals()

	dir := t.TempDir()
	r := rostercheck(t, nil, append([]string{"run", "--out", dir}, args...)...)
	run := readResults(t, dir)
	if len(spy.methods) != 0 || r.code != runner.ExitFail || verdictOf(run, "oneroster-1.2") != "partial" {
		t.Fatalf("without --allow-writes: writes %v, exit %d, verdict %s", spy.methods, r.code, verdictOf(run, "oneroster-1.2"))
	}

	dir = t.TempDir()
	r = rostercheck(t, nil, append([]string{"run", "--allow-writes", "--out", dir}, args...)...)
	if r.code != runner.ExitPass {
		t.Fatalf("with --allow-writes: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	run = readResults(t, dir)
	writes := 0
	for _, c := range run.Checks {
		if strings.HasPrefix(c.ID, "v1p2.gradebook.") && strings.Contains(c.Source, "PUT") || strings.HasSuffix(c.ID, ".post") {
			writes++
			if strings.HasSuffix(c.ID, ".scopes") {
				// --auth none: no tokens of one scope to tell apart.
				if c.Outcome != reports.NotSupported || !strings.Contains(c.Message, "--auth oauth2") {
					t.Errorf("%s: %s %s, want not-supported under --auth none", c.ID, c.Outcome, c.Message)
				}
				continue
			}
			if c.Outcome != reports.Pass {
				t.Errorf("%s: %s %s", c.ID, c.Outcome, c.Message)
			}
		}
	}
	// The 19 checks of the flows (the lineItem scopes among them), and the
	// scope checks whose operations include a PUT: the two assessment
	// writes and the lineItem results POST (its lineItem is PUT); the class
	// lineItems POST sends POSTs only and is not counted here.
	if writes != 22 {
		t.Errorf("%d 1.2 write checks, want 22", writes)
	}
	for _, m := range []string{http.MethodPut, http.MethodPost, http.MethodDelete} {
		if spy.methods[m] == 0 {
			t.Errorf("no %s reached the provider (%v)", m, spy.methods)
		}
	}
	var left []string
	for obj := range spy.objects {
		rec := httptest.NewRecorder()
		p.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, gb12Base+obj, nil))
		if rec.Code != http.StatusNotFound {
			left = append(left, obj)
		}
	}
	if len(left) > 0 {
		t.Fatalf("objects left behind at the provider: %v", left)
	}
	if after := spy.totals(); after != before {
		t.Fatalf("gradebook collections changed: %s, was %s", after, before)
	}
	t.Logf("%d objects written (%v), none left", len(spy.objects), spy.methods)
}

// TestV1p2LeftoversCleanedUp: a 1.2 object the provider will not let the
// harness delete is listed as a leftover under its 1.2 collection, and
// 'rostercheck cleanup --from' deletes it at the 1.2 root once the
// provider accepts DELETE again.
func TestV1p2LeftoversCleanedUp(t *testing.T) {
	spy, root := newGb12Spy(t)
	spy.mu.Lock()
	spy.refuseDelete = true
	spy.mu.Unlock()
	before := spy.totals()
	dir := t.TempDir()
	target := []string{"--base-url", root, "--auth", "none"}
	r := rostercheck(t, nil, append([]string{"run", "--profile", "oneroster-1.2", "--allow-writes", "--check", "v1p2.gradebook.lineitems.put.create", "--out", dir}, target...)...)
	run := readResults(t, dir)
	if len(run.Leftovers) != 1 || run.Leftovers[0].Collection != "gradebook/v1p2/lineItems" || !strings.Contains(run.Leftovers[0].Reason, "503") {
		t.Fatalf("leftovers %+v, want the one lineItem (exit %d)\n%s", run.Leftovers, r.code, r.stdout)
	}
	l := run.Leftovers[0]
	spy.mu.Lock()
	spy.refuseDelete = false
	spy.mu.Unlock()
	c := rostercheck(t, nil, append([]string{"cleanup", "--from", dir + "/results.json"}, target...)...)
	if c.code != runner.ExitPass || !strings.Contains(c.stdout, "deleted gradebook/v1p2/lineItems "+l.ID) {
		t.Fatalf("cleanup: exit %d\n%s\n%s", c.code, c.stdout, c.stderr)
	}
	rec := httptest.NewRecorder()
	spy.p.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, gb12Base+"/lineItems/"+l.ID, nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("the leftover is still served after cleanup: %d", rec.Code)
	}
	if after := spy.totals(); after != before {
		t.Fatalf("gradebook collections changed: %s, was %s", after, before)
	}
}
