package reports_test

import (
	"bytes"
	"fmt"
	"html"
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
		`<span class="verdict v-fail">FAIL</span>`,
		"v0.3.0",
		"https://sis.example.test/ims/oneroster/v1p1",
		"oauth2",
		"external",
		"2026-03-14T09:26:53Z",
		"color-scheme: light dark",
		`<meta charset="utf-8">`,
		// summary counts
		`<td class="n">4</td><td class="n o-pass">1</td><td class="n o-fail">1</td><td class="n">0</td><td class="n o-error">1</td><td class="n">1</td><td class="n">0</td>`,
		// profiles
		"<td>spec-1.1</td>", "<td>sds</td>",
		// pass rate with its denominator
		"50.0% (1 of 2 checks that passed or failed)",
		// endpoint table links to the failing check
		`<a href="#check-rostering.schools-classes.paging.links">rostering.schools-classes.paging.links</a>`,
		"<code>/schools/{id}/classes</code>",
		// evidence
		"&lt;b&gt;Algebra&lt;/b&gt;", // bodies escaped
		"(truncated by the harness)",
		"X-Total-Count",
		"→ 401",
		"connection refused",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, c := range run.Checks {
		if c.Outcome == reports.Fail || c.Outcome == reports.Error {
			if !strings.Contains(page, `<details open id="check-`+c.ID+`"`) {
				t.Errorf("no open details anchor for %s", c.ID)
			}
		}
		if !strings.Contains(page, `id="check-`+c.ID+`"`) {
			t.Errorf("no anchor for %s", c.ID)
		}
	}
	for _, v := range failedCheck(run).Violations {
		if !strings.Contains(page, "<code>"+v.Pointer+"</code>") {
			t.Errorf("page lacks violation pointer %s", v.Pointer)
		}
	}
	for _, e := range failedCheck(run).Exchanges {
		if !strings.Contains(page, html.EscapeString(e.Curl)[:20]) {
			t.Errorf("page lacks curl of exchange %d", e.ID)
		}
	}
	// Failures come before the (closed) list of passed checks.
	fail := strings.Index(page, `id="check-rostering.schools-classes.paging.links"`)
	passed := strings.Index(page, `<li id="check-rostering.users.schema">`)
	if fail < 0 || passed < 0 || fail > passed {
		t.Errorf("failed check at %d, passed list at %d", fail, passed)
	}
	if !regexp.MustCompile(`<details>\s*<summary>1 checks passed</summary>`).MatchString(page) {
		t.Error("passed checks are not in a closed <details>")
	}
	checkBalanced(t, page)
}

func TestHTMLSelfContained(t *testing.T) {
	page := renderHTML(t, sampleRun())
	lower := strings.ToLower(page)
	for _, banned := range []string{"<link", "<script", "@import", "url(", "<iframe", "<img", "<object", "@font-face", "src="} {
		if strings.Contains(lower, banned) {
			t.Errorf("page contains %q", banned)
		}
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

func TestHTMLCapsViolations(t *testing.T) {
	c := reports.CheckResult{ID: "rostering.users.schema", Title: "t", Area: "rostering", Endpoint: "/users", Outcome: reports.Fail, ViolationsTotal: 1000}
	for i := range 250 {
		c.Violations = append(c.Violations, reports.Violation{Pointer: fmt.Sprintf("/users/%d/email", i), Message: "bad"})
	}
	page := renderHTML(t, &reports.Run{SchemaVersion: 1, Verdict: "fail", Checks: []reports.CheckResult{c}})
	if !strings.Contains(page, "/users/199/email") || strings.Contains(page, "/users/200/email") {
		t.Error("violation display is not capped at 200")
	}
	if !strings.Contains(page, "and 800 more") || !strings.Contains(page, "Violations (200 of 1000)") {
		t.Error("missing the count of violations not shown")
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
