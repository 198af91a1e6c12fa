package runner_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rostercheck/rostercheck/fixtures/district"
	"github.com/rostercheck/rostercheck/fixtures/provider"
	"github.com/rostercheck/rostercheck/reports"
	"github.com/rostercheck/rostercheck/runner"
)

// writeSpy wraps the reference provider (no auth): it counts requests by
// method, remembers every object path a PUT named, and can hold the
// answer to the first PUT or refuse DELETEs.
type writeSpy struct {
	p http.Handler

	mu       sync.Mutex
	methods  map[string]int
	putPaths map[string]bool

	holdFirstPut bool
	held         chan string   // the path of the held PUT, once stored
	release      chan struct{} // closed to let the held answer go
	refuseDelete bool
}

func newWriteSpy(t *testing.T) (*writeSpy, string) {
	t.Helper()
	d, err := district.Generate(district.Spec{Seed: 5, Size: "small"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := provider.New(provider.Options{District: d, NoAuth: true})
	if err != nil {
		t.Fatal(err)
	}
	s := &writeSpy{p: p, methods: map[string]int{}, putPaths: map[string]bool{}, held: make(chan string, 1), release: make(chan struct{})}
	srv := httptest.NewServer(s) // binds 127.0.0.1
	t.Cleanup(srv.Close)
	t.Cleanup(s.let)
	return s, srv.URL + provider.BasePath
}

func (s *writeSpy) let() {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.release:
	default:
		close(s.release)
	}
}

func (s *writeSpy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.methods[r.Method]++
	first := r.Method == http.MethodPut && len(s.putPaths) == 0
	if r.Method == http.MethodPut {
		s.putPaths[r.URL.EscapedPath()] = true
	}
	refuse := s.refuseDelete && r.Method == http.MethodDelete
	hold := s.holdFirstPut && first
	s.mu.Unlock()
	if refuse {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"statusInfoSet":[{"imsx_codeMajor":"failure","imsx_severity":"error","imsx_codeMinor":"deletefailure"}]}`))
		return
	}
	if !hold {
		s.p.ServeHTTP(w, r)
		return
	}
	// Store the object, then hold the answer: the run is mid-flow.
	rec := httptest.NewRecorder()
	s.p.ServeHTTP(rec, r)
	s.held <- r.URL.EscapedPath()
	<-s.release
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

func (s *writeSpy) count(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.methods[method]
}

// get reads the provider directly (not counted).
func (s *writeSpy) get(t *testing.T, path string) (int, map[string]any) {
	t.Helper()
	rec := httptest.NewRecorder()
	s.p.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, provider.BasePath+path, nil))
	var doc map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &doc)
	return rec.Code, doc
}

// totals are the X-Total-Count of the three writable collections.
func (s *writeSpy) totals(t *testing.T) string {
	var out []string
	for _, c := range []string{"/categories", "/lineItems", "/results"} {
		rec := httptest.NewRecorder()
		s.p.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, provider.BasePath+c+"?limit=1", nil))
		out = append(out, c+"="+rec.Header().Get("X-Total-Count"))
	}
	return strings.Join(out, " ")
}

// leftBehind lists every object a PUT named that the provider still serves.
func (s *writeSpy) leftBehind(t *testing.T) []string {
	s.mu.Lock()
	paths := make([]string, 0, len(s.putPaths))
	for p := range s.putPaths {
		paths = append(paths, strings.TrimPrefix(p, provider.BasePath))
	}
	s.mu.Unlock()
	var out []string
	for _, p := range paths {
		if code, _ := s.get(t, p); code != http.StatusNotFound {
			out = append(out, p)
		}
	}
	return out
}

func targetArgs(base string) []string {
	return []string{"--base-url", base, "--auth", "none"}
}

// TestNoWritesWithoutAllowWrites: without --allow-writes no PUT or DELETE
// reaches the provider, the write checks are not run (with the reason) and
// a profile that needs them is partial, never pass. With it, the same run
// writes, passes, and leaves nothing behind.
func TestNoWritesWithoutAllowWrites(t *testing.T) {
	spy, base := newWriteSpy(t)
	before := spy.totals(t)
	dir := t.TempDir()
	r := rostercheck(t, nil, append([]string{"run", "--profile", "oneroster-1.1,gradesync,datasync", "--out", dir}, targetArgs(base)...)...)
	if n, m := spy.count(http.MethodPut), spy.count(http.MethodDelete); n != 0 || m != 0 || spy.count(http.MethodGet) == 0 {
		t.Fatalf("without --allow-writes the provider saw %d PUT and %d DELETE (%d GET)", n, m, spy.count(http.MethodGet))
	}
	if r.code != runner.ExitFail {
		t.Fatalf("exit %d, want 1 (partial)\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	run := readResults(t, dir)
	writes := 0
	for _, c := range run.Checks {
		if !strings.Contains(c.ID, ".writes.") {
			continue
		}
		writes++
		if c.Outcome != reports.NotRun || !strings.Contains(c.Message, "--allow-writes") {
			t.Errorf("%s: %s %q, want not-run saying --allow-writes", c.ID, c.Outcome, c.Message)
		}
	}
	if writes != 7 {
		t.Fatalf("%d write checks reported, want 7", writes)
	}
	for _, p := range []string{"oneroster-1.1", "gradesync"} {
		if v := verdictOf(run, p); v != "partial" {
			t.Errorf("profile %s: verdict %s, want partial", p, v)
		}
	}
	// The console says how to run the write checks, for each partial profile.
	for _, want := range []string{"gradesync: 5 required write check(s) not run: add --allow-writes to run the 5 write checks",
		"oneroster-1.1: 7 required write check(s) not run: add --allow-writes to run the 7 write checks"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("console lacks %q:\n%s", want, r.stdout)
		}
	}

	dir = t.TempDir()
	r = rostercheck(t, nil, append([]string{"run", "--profile", "oneroster-1.1,gradesync,datasync", "--allow-writes", "--out", dir}, targetArgs(base)...)...)
	if r.code != runner.ExitPass {
		t.Fatalf("with --allow-writes: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if spy.count(http.MethodPut) == 0 || spy.count(http.MethodDelete) == 0 {
		t.Fatalf("with --allow-writes: %d PUT, %d DELETE", spy.count(http.MethodPut), spy.count(http.MethodDelete))
	}
	if left := spy.leftBehind(t); len(left) > 0 {
		t.Fatalf("objects left behind: %v", left)
	}
	if after := spy.totals(t); after != before {
		t.Fatalf("collections changed: %s, was %s", after, before)
	}
	t.Logf("with --allow-writes: %d PUT, %d DELETE", spy.count(http.MethodPut), spy.count(http.MethodDelete))
}

// TestInterruptMidFlowLeavesNothing interrupts a run while a write flow
// waits for the answer to a PUT the provider has already stored: the
// cleanup deletes it, and nothing the harness wrote is left.
func TestInterruptMidFlowLeavesNothing(t *testing.T) {
	spy, base := newWriteSpy(t)
	spy.mu.Lock()
	spy.holdFirstPut = true
	spy.mu.Unlock()
	before := spy.totals(t)
	exe, _ := os.Executable()
	dir := t.TempDir()
	cmd := exec.Command(exe, append([]string{"run", "--profile", "oneroster-1.1", "--allow-writes", "--check", "gradebook.*.writes.*", "--out", dir}, targetArgs(base)...)...)
	cmd.Env = append(filteredEnv(), mainEnv+"=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
		}
	}()
	var path string
	select {
	case path = <-spy.held:
	case <-time.After(60 * time.Second): // a hang guard, not a timing assertion
		t.Fatal("no PUT reached the provider")
	}
	if code, _ := spy.get(t, strings.TrimPrefix(path, provider.BasePath)); code != http.StatusOK {
		t.Fatalf("the held PUT %s was not stored (%d): nothing to clean up", path, code)
	}
	_ = cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the interrupted run did not stop")
	}
	spy.let()
	if code := cmd.ProcessState.ExitCode(); code != runner.ExitFail {
		t.Fatalf("exit %d, want 1\n%s", code, stdout.String())
	}
	run := readResults(t, dir)
	if run.Verdict != "partial" || len(run.Leftovers) > 0 { // an interrupted run is partial
		t.Fatalf("verdict %q leftovers %+v", run.Verdict, run.Leftovers)
	}
	if left := spy.leftBehind(t); len(left) > 0 {
		t.Fatalf("objects left behind after the interrupt: %v", left)
	}
	if after := spy.totals(t); after != before {
		t.Fatalf("collections changed: %s, was %s", after, before)
	}
}

// TestLeftoversListedAndCleanedUp: a provider that refuses every DELETE
// keeps what the write checks created. Each object is listed, with its id,
// on the console and in results.json; 'rostercheck cleanup --from' deletes
// them once the provider accepts DELETE again.
func TestLeftoversListedAndCleanedUp(t *testing.T) {
	spy, base := newWriteSpy(t)
	spy.mu.Lock()
	spy.refuseDelete = true
	spy.mu.Unlock()
	before := spy.totals(t)
	dir := t.TempDir()
	r := rostercheck(t, nil, append([]string{"run", "--profile", "gradesync", "--allow-writes", "--check", "gradebook.lineitems.writes.flow", "--out", dir}, targetArgs(base)...)...)
	if r.code != runner.ExitFail {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	run := readResults(t, dir)
	if len(run.Leftovers) != 1 {
		t.Fatalf("leftovers %+v, want the one lineItem", run.Leftovers)
	}
	l := run.Leftovers[0]
	if l.Collection != "lineItems" || l.CheckID != "gradebook.lineitems.writes.flow" || !strings.Contains(l.Reason, "503") {
		t.Fatalf("leftover %+v", l)
	}
	if !strings.Contains(r.stdout, "LEFTOVER lineItems "+l.ID) || !strings.Contains(r.stdout, "rostercheck cleanup --from "+filepath.Join(dir, "results.json")) {
		t.Fatalf("console does not list the leftover:\n%s", r.stdout)
	}
	if html, err := os.ReadFile(filepath.Join(dir, "report.html")); err != nil || !bytes.Contains(html, []byte("/lineItems/"+l.ID)) {
		t.Fatalf("report.html does not list the leftover (%v)", err)
	}
	if code, doc := spy.get(t, "/lineItems/"+url.PathEscape(l.ID)); code != 200 || !strings.Contains(doc["lineItem"].(map[string]any)["title"].(string), "rostercheck") {
		t.Fatalf("the leftover is not on the provider, tagged rostercheck: %d %v", code, doc)
	}

	// Still refused: cleanup says so and fails.
	c := rostercheck(t, nil, append([]string{"cleanup", "--from", filepath.Join(dir, "results.json")}, targetArgs(base)...)...)
	if c.code != runner.ExitFail || !strings.Contains(c.stdout, "LEFTOVER lineItems "+l.ID) {
		t.Fatalf("cleanup against a refusing provider: exit %d\n%s\n%s", c.code, c.stdout, c.stderr)
	}
	spy.mu.Lock()
	spy.refuseDelete = false
	spy.mu.Unlock()
	c = rostercheck(t, nil, append([]string{"cleanup", "--from", filepath.Join(dir, "results.json")}, targetArgs(base)...)...)
	if c.code != runner.ExitPass || !strings.Contains(c.stdout, "deleted lineItems "+l.ID) {
		t.Fatalf("cleanup: exit %d\n%s\n%s", c.code, c.stdout, c.stderr)
	}
	if left := spy.leftBehind(t); len(left) > 0 {
		t.Fatalf("objects left behind after cleanup: %v", left)
	}
	if after := spy.totals(t); after != before {
		t.Fatalf("collections changed: %s, was %s", after, before)
	}
}
