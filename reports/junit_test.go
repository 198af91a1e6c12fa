package reports_test

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/rostercheck/rostercheck/reports"
)

// Independent of the writer's structs: what a JUnit consumer would read.
type xSuites struct {
	XMLName  xml.Name `xml:"testsuites"`
	Name     string   `xml:"name,attr"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Skipped  int      `xml:"skipped,attr"`
	Time     string   `xml:"time,attr"`
	Suites   []xSuite `xml:"testsuite"`
}

type xSuite struct {
	Name      string  `xml:"name,attr"`
	Tests     int     `xml:"tests,attr"`
	Failures  int     `xml:"failures,attr"`
	Errors    int     `xml:"errors,attr"`
	Skipped   int     `xml:"skipped,attr"`
	Time      string  `xml:"time,attr"`
	Timestamp string  `xml:"timestamp,attr"`
	Cases     []xCase `xml:"testcase"`
}

type xCase struct {
	Name       string  `xml:"name,attr"`
	Classname  string  `xml:"classname,attr"`
	Time       string  `xml:"time,attr"`
	Properties []xProp `xml:"properties>property"`
	Failure    *xRes   `xml:"failure"`
	Error      *xRes   `xml:"error"`
	Skipped    *xRes   `xml:"skipped"`
}

type xProp struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type xRes struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

func parseJUnit(t *testing.T, run *reports.Run) (*xSuites, string) {
	t.Helper()
	var buf bytes.Buffer
	if err := reports.WriteJUnit(&buf, run); err != nil {
		t.Fatalf("WriteJUnit: %v", err)
	}
	var doc xSuites
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("junit.xml does not parse: %v\n%s", err, buf.String())
	}
	return &doc, buf.String()
}

func allCases(doc *xSuites) map[string]xCase {
	m := map[string]xCase{}
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			m[c.Classname+" | "+c.Name] = c
		}
	}
	return m
}

func TestJUnitSampleRun(t *testing.T) {
	run := sampleRun()
	doc, raw := parseJUnit(t, run)

	if doc.Name != "rostercheck" || doc.Tests != 4 || doc.Failures != 1 || doc.Errors != 1 || doc.Skipped != 1 {
		t.Errorf("testsuites = name %q tests %d failures %d errors %d skipped %d; want rostercheck 4 1 1 1",
			doc.Name, doc.Tests, doc.Failures, doc.Errors, doc.Skipped)
	}
	if doc.Time != "4.500" {
		t.Errorf("testsuites time = %q, want the run's wall time 4.500", doc.Time)
	}
	var names []string
	for _, s := range doc.Suites {
		names = append(names, s.Name)
		if s.Timestamp != "2026-03-14T09:26:53" {
			t.Errorf("suite %s timestamp = %q", s.Name, s.Timestamp)
		}
		if s.Tests != len(s.Cases) {
			t.Errorf("suite %s tests=%d but has %d cases", s.Name, s.Tests, len(s.Cases))
		}
	}
	if got := strings.Join(names, ","); got != "oneroster.gradebook,oneroster.resources,oneroster.rostering" {
		t.Errorf("suites = %s; want one per area, sorted, and no suite-setup case", got)
	}
	if strings.Contains(raw, "oneroster.suite") {
		t.Error("a run without suite errors must not get a suite setup case")
	}

	cases := allCases(doc)
	pass, ok := cases["oneroster.rostering.users | "+run.Checks[0].Title]
	if !ok {
		t.Fatalf("pass case missing; have %v", keys(cases))
	}
	if pass.Failure != nil || pass.Error != nil || pass.Skipped != nil || pass.Time != "0.120" {
		t.Errorf("pass case = %+v", pass)
	}
	props := map[string][]string{}
	for _, p := range pass.Properties {
		props[p.Name] = append(props[p.Name], p.Value)
	}
	if props["check.id"][0] != "rostering.users.schema" || props["level"][0] != "MUST" || props["feature"][0] != "rostering.users.list" {
		t.Errorf("pass properties = %v", props)
	}

	fc := failedCheck(run)
	fail, ok := cases["oneroster.rostering.schools-classes | "+fc.Title]
	if !ok {
		t.Fatalf("fail case missing; have %v", keys(cases))
	}
	if fail.Failure == nil || fail.Failure.Type != "conformance" || fail.Error != nil {
		t.Fatalf("fail case = %+v", fail)
	}
	if fail.Failure.Message != fc.Message {
		t.Errorf("failure message = %q", fail.Failure.Message)
	}
	for _, v := range fc.Violations {
		for _, want := range []string{v.Pointer, v.RecordID, v.Message} {
			if !strings.Contains(fail.Failure.Body, want) {
				t.Errorf("failure body lacks %q:\n%s", want, fail.Failure.Body)
			}
		}
	}
	for _, e := range fc.Exchanges {
		line := e.Method + " " + e.URL + " -> "
		if !strings.Contains(fail.Failure.Body, line) || !strings.Contains(fail.Failure.Body, e.Curl) {
			t.Errorf("failure body lacks exchange %q or its curl:\n%s", line, fail.Failure.Body)
		}
	}
	if !strings.Contains(fail.Failure.Body, "-> 200") || !strings.Contains(fail.Failure.Body, "-> 401") {
		t.Errorf("failure body lacks statuses:\n%s", fail.Failure.Body)
	}
	nFeatures := 0
	for _, p := range fail.Properties {
		if p.Name == "feature" {
			nFeatures++
		}
	}
	if nFeatures != 2 {
		t.Errorf("fail case has %d feature properties, want 2", nFeatures)
	}

	skip, ok := cases["oneroster.gradebook.lineitems | "+run.Checks[2].Title]
	if !ok || skip.Skipped == nil || skip.Skipped.Message != "not-supported: feature gradebook.lineitems.write not declared" {
		t.Errorf("not-supported case = %+v (found %v)", skip, ok)
	}

	errc, ok := cases["oneroster.resources.resources | "+run.Checks[3].Title]
	if !ok || errc.Error == nil || errc.Error.Type != "harness" || errc.Error.Message != run.Checks[3].Message {
		t.Errorf("error case = %+v (found %v)", errc, ok)
	} else if !strings.Contains(errc.Error.Body, "GET https://sis.example.test/ims/oneroster/v1p1/resources -> error: connection refused") {
		t.Errorf("error body lacks the failed exchange:\n%s", errc.Error.Body)
	}

	// No labels or brackets in names beyond the title's own level.
	for k, c := range cases {
		if strings.Count(c.Name, "[") != 1 || strings.Contains(c.Name, "check:") {
			t.Errorf("case %q carries labels", k)
		}
	}
}

func TestJUnitSuiteErrorsFailEvenWithoutChecks(t *testing.T) {
	run := &reports.Run{SchemaVersion: 1, Verdict: "error", SuiteErrors: []string{
		"BeforeSuite failed: token endpoint answered 500",
		"suite timed out after 10m",
	}}
	doc, _ := parseJUnit(t, run)
	if doc.Tests != 1 || doc.Errors != 1 {
		t.Fatalf("tests=%d errors=%d; a failed setup must produce an erroring testcase", doc.Tests, doc.Errors)
	}
	c := doc.Suites[0].Cases[0]
	if doc.Suites[0].Name != "oneroster.suite" || c.Classname != "oneroster.suite" || c.Name != "suite setup" {
		t.Errorf("suite case = suite %q classname %q name %q", doc.Suites[0].Name, c.Classname, c.Name)
	}
	if c.Error == nil || c.Error.Type != "harness" {
		t.Fatalf("suite case has no harness error: %+v", c)
	}
	if !strings.Contains(c.Error.Message, "token endpoint answered 500") || !strings.Contains(c.Error.Message, "1 more") {
		t.Errorf("message = %q", c.Error.Message)
	}
	for _, e := range run.SuiteErrors {
		if !strings.Contains(c.Error.Body, e) {
			t.Errorf("body lacks %q", e)
		}
	}
}

func TestJUnitSuiteErrorsAlongsideChecks(t *testing.T) {
	run := sampleRun()
	run.SuiteErrors = []string{"AfterSuite failed: cleanup left 2 line items"}
	doc, _ := parseJUnit(t, run)
	if doc.Tests != 5 || doc.Errors != 2 || doc.Suites[0].Name != "oneroster.suite" {
		t.Errorf("tests=%d errors=%d first suite %q; want 5, 2, oneroster.suite", doc.Tests, doc.Errors, doc.Suites[0].Name)
	}
}

func TestJUnitRedVerdictNeverLooksGreen(t *testing.T) {
	run := &reports.Run{SchemaVersion: 1, Verdict: "fail", Checks: []reports.CheckResult{
		{ID: "rostering.users.schema", Title: "t [MUST]", Area: "rostering", Outcome: reports.Pass},
	}}
	doc, _ := parseJUnit(t, run)
	if doc.Errors != 1 {
		t.Errorf("verdict fail with only passing cases: errors=%d, want a suite setup error", doc.Errors)
	}
	run.Verdict = "pass"
	doc, _ = parseJUnit(t, run)
	if doc.Errors != 0 || doc.Tests != 1 {
		t.Errorf("passing run: tests=%d errors=%d, want 1 0", doc.Tests, doc.Errors)
	}
}

func TestJUnitUniqueNamesAndSlugs(t *testing.T) {
	run := &reports.Run{SchemaVersion: 1, Verdict: "pass", Checks: []reports.CheckResult{
		{ID: "rostering.users.a", Title: "GET /users same [MUST]", Area: "rostering", Outcome: reports.Pass},
		{ID: "rostering.users.b", Title: "GET /users same [MUST]", Area: "rostering", Outcome: reports.Pass},
		{ID: "rostering.users.c", Title: "GET /users same [MUST]", Area: "rostering", Outcome: reports.Pass},
		{ID: "rostering.classes.a", Title: "GET /users same [MUST]", Area: "rostering", Outcome: reports.Pass},
		{ID: "odd", Title: "no slug in id", Area: "gradebook", Endpoint: "/classes/{id}/lineItems/{id}/results", Outcome: reports.Pass},
		{ID: "x.y.z", Title: "weird outcome", Area: "rostering", Outcome: "exploded"},
	}}
	doc, _ := parseJUnit(t, run)
	cases := allCases(doc)
	for _, want := range []string{
		"oneroster.rostering.users | GET /users same [MUST]",
		"oneroster.rostering.users | GET /users same [MUST] (2)",
		"oneroster.rostering.users | GET /users same [MUST] (3)",
		"oneroster.rostering.classes | GET /users same [MUST]",
		"oneroster.gradebook.classes-lineitems-results | no slug in id",
	} {
		if _, ok := cases[want]; !ok {
			t.Errorf("missing case %q; have %v", want, keys(cases))
		}
	}
	if c := cases["oneroster.rostering.y | weird outcome"]; c.Error == nil || !strings.Contains(c.Error.Message, "exploded") {
		t.Errorf("unknown outcome must be an error, got %+v", c)
	}
	if doc.Tests != 6 || doc.Errors != 1 {
		t.Errorf("tests=%d errors=%d", doc.Tests, doc.Errors)
	}
}

func TestJUnitMultiLineMessageIsOneLine(t *testing.T) {
	run := &reports.Run{SchemaVersion: 1, Verdict: "fail", Checks: []reports.CheckResult{
		{ID: "a.b.c", Title: "t", Area: "a", Outcome: reports.Fail, Message: "first line\nsecond\tline"},
	}}
	doc, _ := parseJUnit(t, run)
	if got := doc.Suites[0].Cases[0].Failure.Message; got != "first line second line" {
		t.Errorf("message = %q", got)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
