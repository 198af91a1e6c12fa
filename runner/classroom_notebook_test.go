package runner_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rostercheck/rostercheck/fixtures/district"
	"github.com/rostercheck/rostercheck/fixtures/provider"
	"github.com/rostercheck/rostercheck/reports"
	"github.com/rostercheck/rostercheck/runner"
	"github.com/rostercheck/rostercheck/suites"
)

// notebook is testdata/classroom-notebook.json: Google Classroom's 21
// requests, from rostercheck's research table of its 1.2 test notebook.
type notebook struct {
	Scopes   []string       `json:"scopes"`
	Requests []notebookStep `json:"requests"`
}

type notebookStep struct {
	Row      int    `json:"row"`
	Name     string `json:"name"`
	Method   string `json:"method"`
	Service  string `json:"service"`
	Path     string `json:"path"`
	Query    string `json:"query"`
	FormBody bool   `json:"formBody"`
	Body     string `json:"body"`
	Expect   []int  `json:"expect"`
	Assert   string `json:"assert"`
	Check    string `json:"check"`
}

func loadNotebook(t *testing.T) notebook {
	t.Helper()
	b, err := os.ReadFile("testdata/classroom-notebook.json")
	if err != nil {
		t.Fatal(err)
	}
	var nb notebook
	if err := json.Unmarshal(b, &nb); err != nil {
		t.Fatal(err)
	}
	if len(nb.Requests) != 21 {
		t.Fatalf("%d notebook requests, want 21", len(nb.Requests))
	}
	return nb
}

// seen is one request the spy saw.
type seen struct {
	check, method, path, query, ctype, auth, body string
}

// classroomSpy serves the reference provider (with OAuth 2) and logs
// every request.
type classroomSpy struct {
	p   http.Handler
	mu  sync.Mutex
	log []seen
}

func (s *classroomSpy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(b))
	auth, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	s.mu.Lock()
	s.log = append(s.log, seen{check: r.Header.Get("X-Rostercheck-Check"), method: r.Method, path: r.URL.EscapedPath(), query: r.URL.RawQuery,
		ctype: r.Header.Get("Content-Type"), auth: auth, body: string(b)})
	s.mu.Unlock()
	s.p.ServeHTTP(w, r)
}

const (
	nbClient = "classroom-client"
	nbSecret = "classroom-secret-7Kq2" // no '+' or '%': Classroom sends it raw
)

func newClassroomSpy(t *testing.T) (*classroomSpy, string) {
	t.Helper()
	d, err := district.Generate(district.Spec{Seed: 1, Size: "small"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := provider.New(provider.Options{District: d, ClientID: nbClient, ClientSecret: nbSecret})
	if err != nil {
		t.Fatal(err)
	}
	s := &classroomSpy{p: p}
	srv := httptest.NewServer(s) // binds 127.0.0.1
	t.Cleanup(srv.Close)
	return s, srv.URL
}

// replayer sends the notebook's requests as the notebook does (Python
// requests: raw Basic, unencoded queries, response.json() first).
type replayer struct {
	t      *testing.T
	origin string
	token  string
	vars   map[string]string
}

func (rp *replayer) fill(s string) string {
	for k, v := range rp.vars {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}

func uuid4() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func (rp *replayer) body(kind string) []byte {
	now := time.Now().UTC()
	stamp := now.Format("2006-01-02T15:04:05.000Z")
	li := map[string]any{"sourcedId": rp.vars["lineItem"], "title": "New test item", "description": "Test Line Item",
		"resultValueMin": 0, "resultValueMax": 100, "assignDate": stamp, "dueDate": now.Add(time.Minute).Format("2006-01-02T15:04:05.000Z"),
		"class": map[string]any{"sourcedId": rp.vars["class"]}, "category": map[string]any{"sourcedId": rp.vars["category"]},
		"school": map[string]any{"sourcedId": rp.vars["school"]}}
	res := map[string]any{"sourcedId": rp.vars["result"], "score": 80, "comment": "", "scoreStatus": "fully graded", "scoreDate": stamp,
		"lineItem": map[string]any{"sourcedId": rp.vars["lineItem"]}, "student": map[string]any{"sourcedId": rp.vars["student"]}}
	var v any
	switch kind {
	case "lineItem":
		v = map[string]any{"lineItem": li}
	case "lineItem-amended":
		li["title"] = "[Amended] Reallllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllly Long Google Test Line Item Title"
		v = map[string]any{"lineItem": li}
	case "result-80":
		v = map[string]any{"result": res}
	case "result-300":
		res["score"] = 300
		v = map[string]any{"result": res}
	case "result-exempt":
		res["scoreStatus"] = "exempt"
		v = map[string]any{"result": res}
	default:
		rp.t.Fatalf("unknown body %q", kind)
	}
	b, _ := json.Marshal(v)
	return b
}

func (rp *replayer) step(nb notebook, st notebookStep) {
	t := rp.t
	var req *http.Request
	scope := make([]string, len(nb.Scopes))
	for i, s := range nb.Scopes {
		scope[i] = "https://purl.imsglobal.org/spec/or/v1p2/scope/" + s
	}
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {strings.Join(scope, " ")}}.Encode()
	switch st.Service {
	case "token":
		req, _ = http.NewRequest(st.Method, rp.origin+"/oauth/token", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(nbClient+":"+nbSecret)))
	default:
		for _, k := range []string{"lineItem", "result"} {
			if strings.Contains(st.Path, "{"+k+"}") && rp.vars[k] == "" {
				rp.vars[k] = uuid4()
			}
		}
		u := rp.origin + "/ims/oneroster/" + st.Service + "/v1p2" + rp.fill(st.Path)
		if st.Query != "" {
			u += "?" + rp.fill(st.Query)
		}
		var body io.Reader
		switch {
		case st.FormBody:
			body = strings.NewReader(form) // the token request's dict, re-sent
		case st.Body != "":
			body = bytes.NewReader(rp.body(st.Body))
		}
		req, _ = http.NewRequest(st.Method, u, body)
		req.Header.Set("Authorization", "Bearer "+rp.token)
		switch {
		case st.FormBody:
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		case st.Body != "":
			req.Header.Set("Content-Type", "application/json")
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("row %d %s: %v", st.Row, st.Name, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var doc map[string]any
	if len(b) > 0 || resp.StatusCode != http.StatusNoContent {
		// response.json() before the status: a body that is not JSON stops the notebook.
		if err := json.Unmarshal(b, &doc); err != nil && resp.StatusCode != http.StatusNoContent {
			t.Fatalf("row %d %s: answer %d is not JSON: %q", st.Row, st.Name, resp.StatusCode, b)
		}
	}
	if len(st.Expect) > 0 && !slices.Contains(st.Expect, resp.StatusCode) {
		t.Fatalf("row %d %s: status %d, the notebook accepts %v", st.Row, st.Name, resp.StatusCode, st.Expect)
	}
	list := func(key string) []map[string]any {
		arr, _ := doc[key].([]any)
		out := make([]map[string]any, len(arr))
		for i, a := range arr {
			out[i], _ = a.(map[string]any)
		}
		return out
	}
	id := func(m map[string]any, k string) string {
		if k == "" {
			s, _ := m["sourcedId"].(string)
			return s
		}
		r, _ := m[k].(map[string]any)
		s, _ := r["sourcedId"].(string)
		return s
	}
	need := func(ok bool, what string) {
		if !ok {
			t.Fatalf("row %d %s: %s", st.Row, st.Name, what)
		}
	}
	a := st.Assert
	switch {
	case a == "access-token":
		rp.token, _ = doc["access_token"].(string)
		need(rp.token != "", "no access_token")
	case a == "one-teacher":
		us := list("users")
		need(len(us) == 1 && us[0]["email"] != nil && us[0]["sourcedId"] != nil, fmt.Sprintf("%d teachers returned", len(us)))
		rp.vars["teacher"] = id(us[0], "")
	case a == "class":
		cs := list("classes")
		need(len(cs) > 0, "no class")
		ts, _ := cs[0]["terms"].([]any)
		need(len(ts) > 0, "no terms")
		t0, _ := ts[0].(map[string]any)
		rp.vars["class"], rp.vars["school"], rp.vars["term"] = id(cs[0], ""), id(cs[0], "school"), id(t0, "")
	case a == "student":
		us := list("users")
		need(len(us) > 0 && us[0]["email"] != nil && us[0]["sourcedId"] != nil, "No students found")
		rp.vars["student"] = id(us[0], "")
	case a == "category":
		cs := list("categories")
		need(len(cs) > 0, "no category")
		rp.vars["category"] = id(cs[0], "")
	case a == "grading-periods":
		gps := list("academicSessions")
		need(len(gps) > 0, "no grading period")
		for _, k := range []string{"sourcedId", "title", "startDate", "endDate", "schoolYear"} {
			need(gps[0][k] != nil, "grading period lacks "+k)
		}
		for _, gp := range gps {
			need(gp["type"] == "gradingPeriod", "Academic sessions all grading period types")
		}
	case strings.HasPrefix(a, "listed:"), strings.HasPrefix(a, "absent:"):
		parts := strings.SplitN(a, ":", 3)
		want, found := rp.fill(parts[2]), false
		for _, r := range list(parts[1]) {
			found = found || id(r, "") == want
		}
		need(found == (parts[0] == "listed"), fmt.Sprintf("%s %s: found=%v", parts[0], want, found))
	case a == "score-300":
		for _, r := range list("results") {
			if id(r, "") == rp.vars["result"] {
				need(r["score"] == 300.0, fmt.Sprintf("score %v", r["score"]))
			}
		}
	case a == "exempt":
		for _, r := range list("results") {
			if id(r, "") == rp.vars["result"] {
				need(r["scoreStatus"] == "exempt", fmt.Sprintf("scoreStatus %v", r["scoreStatus"]))
			}
		}
	}
}

// TestClassroomNotebookReplay replays the notebook's 21 requests against
// the reference provider (it passes Google's own run), then runs the
// google-classroom profile against the same provider and shows that the
// profile asks at least what Classroom asks: every notebook request is
// sent by a required check of the profile, with the same method, path,
// query, credentials and body shape.
func TestClassroomNotebookReplay(t *testing.T) {
	nb := loadNotebook(t)
	spy, origin := newClassroomSpy(t)

	// The teacher: the district's first, as the tester would pick one.
	rp := &replayer{t: t, origin: origin, vars: map[string]string{}}
	rp.step(nb, nb.Requests[0])
	req, _ := http.NewRequest(http.MethodGet, origin+"/ims/oneroster/rostering/v1p2/teachers?limit=1", nil)
	req.Header.Set("Authorization", "Bearer "+rp.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var first struct {
		Users []struct{ Email string } `json:"users"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&first)
	resp.Body.Close()
	if len(first.Users) == 0 || first.Users[0].Email == "" {
		t.Fatal("the reference district's first teacher has no e-mail")
	}
	rp.vars["email"] = first.Users[0].Email
	for _, st := range nb.Requests[1:] {
		rp.step(nb, st)
	}

	// The harness, as a vendor runs it, over the same provider.
	before := gradebookCounts(t, origin, rp.token)
	spy.mu.Lock()
	spy.log = nil
	spy.mu.Unlock()
	dir := t.TempDir()
	r := rostercheck(t, []string{"ROSTERCHECK_CLIENT_SECRET=" + nbSecret}, "run", "--profile", "google-classroom", "--allow-writes",
		"--base-url", origin+"/ims/oneroster", "--token-url", origin+"/oauth/token", "--client-id", nbClient,
		"--option", "google.teacher-email="+rp.vars["email"], "--out", dir)
	if r.code != runner.ExitPass {
		t.Fatalf("google-classroom: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	run := readResults(t, dir)
	// A clean run leaves nothing behind, checked at the provider.
	if after := gradebookCounts(t, origin, rp.token); after != before || len(run.Leftovers) > 0 {
		t.Errorf("gradebook after the run %s, before %s; leftovers %v", after, before, run.Leftovers)
	}
	p, err := suites.LoadProfile("google-classroom")
	if err != nil {
		t.Fatal(err)
	}
	required := map[string]bool{}
	for _, c := range run.Checks {
		if outcomeIn(c, "google-classroom") == reports.Pass {
			for _, po := range c.Profiles {
				if po.Profile == "google-classroom" && po.Tier == "required" {
					required[c.ID] = true
				}
			}
		}
	}
	if !strings.Contains(r.stdout, "Google Classroom latency report") {
		t.Errorf("console lacks Classroom's latency report:\n%s", r.stdout)
	}
	if cl := run.ConsumerLatency; cl == nil || len(cl.Rows) < len(nb.Requests) {
		t.Errorf("results.json consumerLatency: %+v", cl)
	}
	// report.html and summary.md carry the latency table and the import
	// preview too (reports/consumers_test.go tests their content).
	for file, wants := range map[string][]string{
		"report.html": {`<section id="consumer-latency">`, "<h3>Google Classroom (profile google-classroom)</h3>"},
		"summary.md":  {"### Google Classroom latency report", "### Import preview: Google Classroom (profile google-classroom)"},
	} {
		b, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range wants {
			if !strings.Contains(string(b), w) {
				t.Errorf("%s lacks %q", file, w)
			}
		}
	}
	spy.mu.Lock()
	log := append([]seen(nil), spy.log...)
	spy.mu.Unlock()
	for _, st := range nb.Requests {
		if !required[st.Check] {
			t.Errorf("row %d %s: check %s is not a required, passing check of %s", st.Row, st.Name, st.Check, p.Name)
			continue
		}
		if !slices.ContainsFunc(log, func(s seen) bool { return sameRequest(nb, st, s) }) {
			t.Errorf("row %d %s: no request of %s matches %s %s?%s", st.Row, st.Name, st.Check, st.Method, st.Path, st.Query)
		}
	}
}

var placeholder = regexp.MustCompile(`\{[a-zA-Z]+\}`)

// sameRequest reports whether the harness's request s is the notebook's st.
func sameRequest(nb notebook, st notebookStep, s seen) bool {
	if s.check != st.Check || s.method != st.Method {
		return false
	}
	if st.Service == "token" {
		form, _ := url.ParseQuery(s.body)
		return s.path == "/oauth/token" && s.auth == "Basic" && form.Get("grant_type") == "client_credentials" &&
			len(strings.Fields(form.Get("scope"))) == len(nb.Scopes) && !strings.Contains(s.body, "client_secret")
	}
	if ok, _ := regexp.MatchString(templateRe("/ims/oneroster/"+st.Service+"/v1p2"+st.Path, `[^/]+`), s.path); !ok {
		return false
	}
	if st.Query != "" {
		if ok, _ := regexp.MatchString(templateRe(st.Query, `.+`), s.query); !ok {
			return false
		}
	}
	if st.FormBody && (s.ctype != "application/x-www-form-urlencoded" || !strings.Contains(s.body, "grant_type=client_credentials")) {
		return false
	}
	if st.Body != "" {
		var doc map[string]map[string]any
		if json.Unmarshal([]byte(s.body), &doc) != nil {
			return false
		}
		for _, rec := range doc {
			// Classroom's shape: no status, no dateLastModified, references by sourcedId only.
			if _, has := rec["status"]; has {
				return false
			}
			if _, has := rec["dateLastModified"]; has {
				return false
			}
			for _, v := range rec {
				if ref, ok := v.(map[string]any); ok && len(ref) != 1 {
					return false
				}
			}
		}
	}
	return s.auth == "Bearer"
}

// templateRe is an anchored pattern of a template: its literal parts
// quoted, each {placeholder} matching wild.
func templateRe(tmpl, wild string) string {
	parts := placeholder.Split(tmpl, -1)
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	return "^" + strings.Join(parts, wild) + "$"
}

// TestClassroomSecretChars: a secret with '+' works form-encoded (RFC 6749
// §2.3.1) but not raw, as Classroom sends it: advisory in google-classroom
// (the vendor picks the secret); without '+' the token check passes
// (TestClassroomNotebookReplay). A teacher-email option without a value is
// a usage error.
func TestClassroomSecretChars(t *testing.T) {
	dir := t.TempDir()
	r := rostercheck(t, nil, "run", "--profile", "google-classroom", "--client-secret", "abc+def", "--check", "v1p2.classroom.token", "--out", dir)
	run := readResults(t, dir)
	var tok *reports.CheckResult
	for i := range run.Checks {
		if run.Checks[i].ID == "v1p2.classroom.token" {
			tok = &run.Checks[i]
		}
	}
	if tok == nil || outcomeIn(*tok, "google-classroom") != reports.Advisory || len(tok.Violations) == 0 || tok.Violations[0].Rule != "classroom.token.secret-chars" {
		t.Fatalf("token check: %+v\n%s", tok, r.stdout)
	}
	if strings.Contains(r.stdout+r.stderr, "abc+def") {
		t.Error("the secret is printed")
	}
	r = rostercheck(t, nil, "run", "--profile", "google-classroom", "--option", "google.teacher-email", "--out", "none")
	if r.code != runner.ExitUsage || !strings.Contains(r.stderr, "google.teacher-email=<e-mail>") {
		t.Fatalf("--option without a value: exit %d\n%s", r.code, r.stderr)
	}
}

// TestClassroomPreview: the Classroom import preview counts, per school,
// the classes a teacher can link and those ready for grade export; with
// no categories served, none is ready and each school says why.
func TestClassroomPreview(t *testing.T) {
	preview := func(args ...string) reports.ImportPreview {
		t.Helper()
		dir := t.TempDir()
		rostercheck(t, nil, append([]string{"run", "--profile", "google-classroom", "--out", dir}, args...)...)
		for _, p := range readResults(t, dir).Previews {
			if p.Profile == "google-classroom" {
				return p
			}
		}
		t.Fatal("no google-classroom preview")
		return reports.ImportPreview{}
	}
	sum := func(p reports.ImportPreview, typ string) (n int, schools int) {
		for _, c := range p.Imported {
			if c.Type == typ {
				n += c.Count
				schools++
			}
		}
		return n, schools
	}
	clean := preview()
	link, schools := sum(clean, "classes a teacher can link")
	ready, _ := sum(clean, "ready for grade export")
	if schools < 2 || link == 0 || ready == 0 || ready > link || len(clean.Incomplete) > 0 {
		t.Fatalf("clean preview: %d schools, %d linkable, %d ready, incomplete %v", schools, link, ready, clean.Incomplete)
	}
	empty := preview("--defect", "v1p2-class-categories-empty")
	if l, _ := sum(empty, "classes a teacher can link"); l != link {
		t.Errorf("linkable classes %d, want %d (categories do not decide linking)", l, link)
	}
	if r, _ := sum(empty, "ready for grade export"); r != 0 {
		t.Errorf("%d classes ready for grade export without categories", r)
	}
	without := 0
	for _, d := range empty.Dropped {
		if strings.Contains(d.Sentence, "without a category") {
			without += d.Count
			if len(d.Examples) == 0 || !strings.Contains(d.Sentence, " in ") {
				t.Errorf("drop without examples or school: %+v", d)
			}
		}
	}
	if without != link {
		t.Errorf("%d classes said to lack a category, want %d", without, link)
	}
}

// TestClassroomDocumentedBaseURL: Google's documented URL ending
// (…/ims/oneroster/v1p2) names no 1.2 service; the run says to give the
// shared root instead (exit 2).
func TestClassroomDocumentedBaseURL(t *testing.T) {
	r := rostercheck(t, []string{"ROSTERCHECK_CLIENT_SECRET=s"}, "run", "--profile", "google-classroom", "--base-url", "https://sis.example/ims/oneroster/v1p2",
		"--token-url", "https://sis.example/oauth/token", "--client-id", "c", "--out", "none")
	if r.code != runner.ExitUsage || !strings.Contains(r.stderr, "give the shared root https://sis.example/ims/oneroster") {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
}

// gradebookCounts counts the provider's 1.2 lineItems and results.
func gradebookCounts(t *testing.T, origin, token string) string {
	t.Helper()
	var out []string
	for _, c := range []string{"lineItems", "results"} {
		req, _ := http.NewRequest(http.MethodGet, origin+"/ims/oneroster/gradebook/v1p2/"+c+"?limit=1", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("X-Total-Count") == "" {
			t.Fatalf("GET %s: no X-Total-Count (%d)", c, resp.StatusCode)
		}
		out = append(out, c+"="+resp.Header.Get("X-Total-Count"))
	}
	return strings.Join(out, " ")
}
