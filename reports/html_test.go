package reports_test

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/rostercheck/rostercheck/reports"
)

func renderHTML(t *testing.T, run *reports.Run) string {
	t.Helper()
	var buf bytes.Buffer
	if err := reports.WriteHTML(&buf, run); err != nil {
		t.Fatalf("WriteHTML: %v", err)
	}
	return buf.String()
}

func TestHTMLSampleRun(t *testing.T) {
	run := sampleRun()
	run.Verdict = "fail"
	page := renderHTML(t, run)

	if !strings.HasPrefix(page, "<!DOCTYPE html>") {
		t.Error("missing doctype")
	}
	for _, want := range []string{
		`<span class="big v-fail">FAIL</span>`,
		"v0.3.0",
		"https://sis.example.test/ims/oneroster/v1p1",
		"oauth2",
		"external",
		"2026-03-14T09:26:53Z",
		"color-scheme: light dark",
		`<meta charset="utf-8">`,
		// verdict per profile, at the top
		`<div class="card fail" id="profile-spec-1.1">`, `<div class="card pass" id="profile-sds">`,
		"1/3 of its checks pass · 1 MUST failure · 0 advisories",
		// the matrix: endpoint × family, coloured by outcome, linking to the group
		`<section id="matrix">`, `<th class="fam">paging</th>`, `<td class="c-fail"`, `href="#group-paging.disjoint"`, `<td class="c-error"`,
		// the failure group: rule, source, hint, affected checks with counts
		`<details class="group fail" id="group-paging.disjoint"`,
		"pages are disjoint", "OneRoster 1.1 §3.4.1 pagination", "sort pages by a stable key",
		"3 violations in 1 check on /schools/{id}/classes",
		// the error group of the check without a rule
		`id="group-resources.resources.list"`,
		// evidence
		"&lt;b&gt;Algebra&lt;/b&gt;", // bodies escaped
		"X-Total-Count",
		"→ 401",
		"connection refused",
		// the repro: the token request of the run's auth mode, then the curl
		"grant_type=client_credentials", "&#39;https://sis.example.test/oauth/token&#39;",
		// the top causes lead, linked to their groups
		`id="fix-first"`, `<a href="#group-paging.disjoint"><code>paging.disjoint</code></a>`,
		// every check with what it enforces
		`<section id="checks">`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, c := range run.Checks {
		if !strings.Contains(page, `id="check-`+c.ID+`"`) {
			t.Errorf("no anchor for %s", c.ID)
		}
	}
	for _, v := range failedCheck(run).Violations {
		if !strings.Contains(page, "<code>"+v.Pointer+"</code>") {
			t.Errorf("page lacks violation pointer %s", v.Pointer)
		}
	}
	tok := strings.Index(page, "token_response=$(curl")
	curl := strings.Index(page, "curl --include")
	if tok < 0 || curl < 0 || tok > curl {
		t.Errorf("the token command (at %d) does not precede the curl (at %d)", tok, curl)
	}
	// Verdicts first, then the matrix, then the failure groups, all before the list of every check.
	order := []string{`id="verdict"`, `id="matrix"`, `id="failures"`, `id="checks"`, `id="metadata"`}
	last := -1
	for _, o := range order {
		at := strings.Index(page, o)
		if at < last {
			t.Errorf("%s is out of order", o)
		}
		last = at
	}
	// Groups are collapsed by default.
	if strings.Contains(page, "<details open") {
		t.Error("a <details> is open by default")
	}
	checkBalanced(t, page)
}

func TestHTMLPrettyPrintsAndCutsBodies(t *testing.T) {
	var recs []string
	for i := range 400 {
		recs = append(recs, fmt.Sprintf(`{"sourcedId":"u%d","email":"x"}`, i))
	}
	body := `{"users":[` + strings.Join(recs, ",") + `]}`
	run := &reports.Run{SchemaVersion: 1, Verdict: "fail",
		Rules: []reports.RuleInfo{{ID: "data.email", Title: "email", Levels: map[string]string{"p": "MUST"}}},
		Checks: []reports.CheckResult{{ID: "rostering.users.data", Title: "t", Area: "rostering", Endpoint: "/users", Outcome: reports.Fail,
			Rules:      []reports.RuleCount{{Rule: "data.email", Count: 400}},
			Profiles:   []reports.ProfileOutcome{{Profile: "p", Tier: "required", Outcome: reports.Fail}},
			Violations: []reports.Violation{{Rule: "data.email", Pointer: "/users/0/email", ExchangeID: 5, Message: "bad"}},
			Exchanges:  []reports.Exchange{{ID: 5, Method: "GET", URL: "https://sis.example.test/users", Status: 200, ResponseBody: body[:12000], ResponseTruncated: true, ResponseSize: 123456}},
		}}}
	page := renderHTML(t, run)
	if !strings.Contains(page, "{\n  &#34;users&#34;: [\n    {\n      &#34;sourcedId&#34;: &#34;u0&#34;,") {
		i := strings.Index(page, "users&#34;")
		t.Errorf("body is not pretty-printed: %q", page[max(0, i-40):min(len(page), i+200)])
	}
	if !strings.Contains(page, "first 4,096 bytes shown of 123,456 bytes (pretty-printed)") {
		t.Error("the cut is not stated with the full size")
	}
	if strings.Contains(page, "u300") {
		t.Error("the body is not cut to a few KB")
	}
}

func TestHTMLSelfContained(t *testing.T) {
	page := renderHTML(t, sampleRun())
	lower := strings.ToLower(page)
	for _, banned := range []string{"<link", "@import", "url(", "<iframe", "<img", "<object", "@font-face", "src=", "fetch(", "xmlhttprequest", "import("} {
		if strings.Contains(lower, banned) {
			t.Errorf("page contains %q", banned)
		}
	}
	// One inline script (navigation); the page reads without it.
	if n := strings.Count(lower, "<script"); n != 1 || !strings.Contains(lower, "<script>\n") {
		t.Errorf("%d <script> elements, want 1 inline", n)
	}
	// Every absolute URL on the page comes from the run's data.
	for _, u := range regexp.MustCompile(`https?://[^\s"'<>]*`).FindAllString(page, -1) {
		if !strings.HasPrefix(u, "https://sis.example.test/") {
			t.Errorf("page references %q, which is not in the data", u)
		}
	}
	if n := strings.Count(page, "<style>"); n != 1 {
		t.Errorf("%d <style> elements, want 1 inline", n)
	}
}

func TestHTMLVerdicts(t *testing.T) {
	for _, tc := range []struct {
		verdict string
		errs    []string
		want    string
	}{
		{"pass", nil, ">PASS<"},
		{"fail", nil, ">FAIL<"},
		{"error", nil, ">ERROR<"},
		{"", nil, ">ERROR<"},
		{"pass", []string{"BeforeSuite failed: boom"}, ">ERROR<"},
	} {
		run := &reports.Run{SchemaVersion: 1, Verdict: tc.verdict, SuiteErrors: tc.errs}
		page := renderHTML(t, run)
		if !strings.Contains(page, tc.want) {
			t.Errorf("verdict %q errs %v: page lacks %s", tc.verdict, tc.errs, tc.want)
		}
		if tc.errs != nil && !strings.Contains(page, "BeforeSuite failed: boom") {
			t.Error("suite errors not shown")
		}
		checkBalanced(t, page)
	}
}

func TestHTMLGroupsByRule(t *testing.T) {
	// One root cause found by 30 checks is one group, with a few examples.
	run := &reports.Run{SchemaVersion: 1, Verdict: "fail",
		Rules: []reports.RuleInfo{{ID: "guidref.href", Title: "GUIDRef has href", Hint: "write href", Levels: map[string]string{"p": "MUST"}}}}
	for i := range 30 {
		c := reports.CheckResult{ID: fmt.Sprintf("rostering.e%02d.schema", i), Title: "t", Area: "rostering", Endpoint: fmt.Sprintf("/e%02d", i),
			Outcome: reports.Fail, ViolationsTotal: 20, Rules: []reports.RuleCount{{Rule: "guidref.href", Count: 20}},
			Profiles: []reports.ProfileOutcome{{Profile: "p", Tier: "required", Outcome: reports.Fail}}}
		for j := range 20 {
			c.Violations = append(c.Violations, reports.Violation{Rule: "guidref.href", Pointer: fmt.Sprintf("/x/%d/org", j), RecordID: fmt.Sprintf("r%d-%d", i, j), Message: "href missing"})
		}
		run.Checks = append(run.Checks, c)
	}
	page := renderHTML(t, run)
	if n := strings.Count(page, `<details class="group`); n != 1 {
		t.Errorf("%d groups, want 1", n)
	}
	if !strings.Contains(page, "600 violations in 30 checks on /e00, /e01, /e02 and 27 more endpoints") || !strings.Contains(page, "Examples (8 of 600)") {
		t.Error("the group does not sum its violations or cap its examples")
	}
	if strings.Count(page, "href missing") != 8 {
		t.Errorf("%d examples shown, want 8", strings.Count(page, "href missing"))
	}
}

func TestHTMLEscapesData(t *testing.T) {
	run := &reports.Run{SchemaVersion: 1, Verdict: "fail", Checks: []reports.CheckResult{{
		ID: "rostering.users.x", Title: `<script>alert(1)</script>`, Area: "rostering", Outcome: reports.Fail,
		Message: `"><img src=x onerror=alert(1)>`,
	}}}
	page := renderHTML(t, run)
	if strings.Contains(page, "<script>alert") || strings.Contains(page, "<img src=x") {
		t.Error("data reached the page unescaped")
	}
}

var tagRE = regexp.MustCompile(`<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*>`)

// checkBalanced asserts every non-void element is closed in order.
func checkBalanced(t *testing.T, page string) {
	t.Helper()
	void := map[string]bool{"meta": true, "br": true, "hr": true, "img": true, "input": true, "link": true}
	var stack []string
	for _, m := range tagRE.FindAllStringSubmatch(page, -1) {
		name := strings.ToLower(m[2])
		if void[name] {
			continue
		}
		if m[1] == "" {
			stack = append(stack, name)
			continue
		}
		if len(stack) == 0 || stack[len(stack)-1] != name {
			t.Fatalf("unbalanced </%s>; open: %v", name, stack)
		}
		stack = stack[:len(stack)-1]
	}
	if len(stack) != 0 {
		t.Fatalf("unclosed elements: %v", stack)
	}
}

// A check with nothing to compare is not-supported, with its one-line
// reason; the matrix never shows ✓ for it, alone or beside passes.
func TestHTMLMatrixNotSupportedIsNoTick(t *testing.T) {
	ns := reports.CheckResult{ID: "rostering.users.sort.x", Title: "t", Area: "rostering", Endpoint: "/users", Outcome: reports.NotSupported,
		Message: "no two records differ in the sort field: nothing to compare"}
	pass := reports.CheckResult{ID: "rostering.users.sort.y", Title: "t", Area: "rostering", Endpoint: "/users", Outcome: reports.Pass}
	alone := reports.CheckResult{ID: "rostering.classes.sort.x", Title: "t", Area: "rostering", Endpoint: "/classes", Outcome: reports.NotSupported,
		Message: "no two records differ in the sort field: nothing to compare"}
	page := renderHTML(t, &reports.Run{SchemaVersion: 1, Verdict: "pass", Checks: []reports.CheckResult{ns, pass, alone}})
	m := page[strings.Index(page, `<table class="matrix">`):]
	m = m[:strings.Index(m, "</table>")]
	if strings.Contains(m, "✓") {
		t.Errorf("the matrix shows ✓ for a not-supported check:\n%s", m)
	}
	if strings.Count(m, `class="c-not-supported"`) != 2 {
		t.Errorf("want two not-supported cells:\n%s", m)
	}
	if !strings.Contains(page, "no two records differ in the sort field: nothing to compare") {
		t.Error("the reason is not shown")
	}
}

// An import preview leaves out "would skip 0" lines and says when a blocker
// stops the consumer before it imports anything.
func TestHTMLPreviewBlockedAndNoZeroDrops(t *testing.T) {
	run := &reports.Run{SchemaVersion: 1, Verdict: "fail",
		Profiles: []reports.ProfileVerdict{{Name: "sds", Verdict: "fail"}},
		Rules:    []reports.RuleInfo{{ID: "auth.token.refused", Title: "the token endpoint refuses the client", Levels: map[string]string{"sds": "MUST"}}},
		Checks: []reports.CheckResult{{ID: "auth.token.response", Title: "t", Area: "auth", Outcome: reports.Fail,
			Rules:      []reports.RuleCount{{Rule: "auth.token.refused", Count: 1}},
			Violations: []reports.Violation{{Rule: "auth.token.refused", Message: "401"}},
			Profiles:   []reports.ProfileOutcome{{Profile: "sds", Tier: "required", Outcome: reports.Fail}}}},
		Previews: []reports.ImportPreview{{Profile: "sds", Consumer: "SDS",
			Imported: []reports.PreviewCount{{School: "A", Type: "users", Count: 3}},
			Dropped: []reports.PreviewDrop{{Type: "users", Count: 0, Sentence: "SDS would skip 0 users that are tobedeleted"},
				{Type: "users", Count: 2, Sentence: "SDS would skip 2 guardians without e-mail"}}}}}
	page := renderHTML(t, run)
	if strings.Contains(page, "would skip 0") || !strings.Contains(page, "would skip 2 guardians") {
		t.Error("zero-count drops are listed, or the others are not")
	}
	if !strings.Contains(page, "SDS would import nothing as it stands:</strong> <a href=\"#group-auth.token.refused\">") {
		t.Error("the preview does not say the token blocker stops SDS")
	}
	checkBalanced(t, page)
}
