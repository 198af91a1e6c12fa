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
	SystemOut  string  `xml:"system-out"`
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
	doc, _ := parseJUnit(t, run)

	// spec-1.1 selects all four checks, sds the passing one.
	if doc.Name != "rostercheck" || doc.Tests != 5 || doc.Failures != 1 || doc.Errors != 1 || doc.Skipped != 1 {
		t.Errorf("testsuites = name %q tests %d failures %d errors %d skipped %d; want rostercheck 5 1 1 1",
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
		for _, c := range s.Cases {
			if !strings.HasPrefix(c.Name, strings.Fields(c.Name)[0]) || !strings.Contains(c.Name, ".") {
				t.Errorf("case name %q does not start with the check ID", c.Name)
			}
		}
	}
	if got := strings.Join(names, ","); got != "spec-1.1,sds" {
		t.Errorf("suites = %s; want one per profile in the run's order", got)
	}

	cases := allCases(doc)
	pc := run.Checks[0]
	pass, ok := cases["spec-1_1.rostering.users | "+pc.ID+" "+pc.Title]
	if !ok {
		t.Fatalf("pass case missing; have %v", keys(cases))
	}
	if pass.Failure != nil || pass.Error != nil || pass.Skipped != nil || pass.Time != "0.120" {
		t.Errorf("pass case = %+v", pass)
	}
	if _, ok := cases["sds.rostering.users | "+pc.ID+" "+pc.Title]; !ok {
		t.Errorf("the sds suite lacks its check; have %v", keys(cases))
	}

	fc := failedCheck(run)
	fail, ok := cases["spec-1_1.rostering.schools-classes | "+fc.ID+" "+fc.Title]
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
	for _, want := range []string{"-> 200", "-> 401", "Rule paging.disjoint: 3 violation(s)", "on /schools/{id}/classes (MUST)"} {
		if !strings.Contains(fail.Failure.Body, want) {
			t.Errorf("failure body lacks %q:\n%s", want, fail.Failure.Body)
		}
	}

	sc := run.Checks[2]
	skip, ok := cases["spec-1_1.gradebook.lineitems | "+sc.ID+" "+sc.Title]
	if !ok || skip.Skipped == nil || skip.Skipped.Message != "not-supported: feature gradebook.lineitems.write not declared" {
		t.Errorf("not-supported case = %+v (found %v)", skip, ok)
	}

	ec := run.Checks[3]
	errc, ok := cases["spec-1_1.resources.resources | "+ec.ID+" "+ec.Title]
	if !ok || errc.Error == nil || errc.Error.Type != "harness" || errc.Error.Message != ec.Message {
		t.Errorf("error case = %+v (found %v)", errc, ok)
	} else if !strings.Contains(errc.Error.Body, "GET https://sis.example.test/ims/oneroster/v1p1/resources -> error: connection refused") {
		t.Errorf("error body lacks the failed exchange:\n%s", errc.Error.Body)
	}
}

// An advisory (a SHOULD violation) is no JUnit failure: the name says so
// and <system-out> carries the detail. Only what fails the profile is a
// <failure>, an optional operation the provider serves included.
func TestJUnitAdvisoryIsNotAFailure(t *testing.T) {
	run := &reports.Run{SchemaVersion: 1, Verdict: "pass",
		Profiles: []reports.ProfileVerdict{{Name: "sds", Verdict: "pass"}, {Name: "oneroster-1.1", Verdict: "pass"}},
		Checks: []reports.CheckResult{
			{ID: "rostering.users.data", Title: "GET /users data [SHOULD]", Area: "rostering", Outcome: reports.Advisory,
				Message:    "2 violations",
				Violations: []reports.Violation{{Rule: "data.email", Pointer: "/users/3/email", RecordID: "u3", Message: "not an email"}},
				Profiles: []reports.ProfileOutcome{
					{Profile: "sds", Tier: "required", Outcome: reports.Advisory},
					{Profile: "oneroster-1.1", Tier: "optional", Outcome: reports.Advisory},
				}},
		}}
	doc, raw := parseJUnit(t, run)
	if doc.Failures != 0 || doc.Errors != 0 || strings.Contains(raw, "<failure") {
		t.Fatalf("advisories became failures:\n%s", raw)
	}
	if doc.Tests != 2 {
		t.Fatalf("tests = %d, want the check once per profile", doc.Tests)
	}
	for _, s := range doc.Suites {
		c := s.Cases[0]
		if !strings.HasPrefix(c.Name, "rostering.users.data [advisory] ") {
			t.Errorf("suite %s: name %q does not say advisory after the ID", s.Name, c.Name)
		}
		if !strings.Contains(c.SystemOut, "advisory") || !strings.Contains(c.SystemOut, "/users/3/email") {
			t.Errorf("suite %s: system-out = %q", s.Name, c.SystemOut)
		}
	}

	// Under --strict the profile judges the advisory fail: then it is a
	// <failure>; so is an optional operation judged fail (it is served,
	// and its rules count in full).
	run.Checks[0].Profiles[0].Outcome = reports.Fail
	run.Checks[0].Outcome = reports.Fail
	run.Verdict = "fail"
	doc, _ = parseJUnit(t, run)
	if doc.Failures != 1 {
		t.Errorf("failures = %d; a required check judged fail must be one <failure>", doc.Failures)
	}
	run.Checks[0].Profiles[1].Outcome = reports.Fail
	if doc, _ = parseJUnit(t, run); doc.Failures != 2 {
		t.Errorf("failures = %d; an optional check judged fail must be a <failure> too", doc.Failures)
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
	if doc.Suites[0].Name != "rostercheck.suite" || c.Classname != "rostercheck.suite" || c.Name != "suite setup" {
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
	if doc.Tests != 6 || doc.Errors != 2 || doc.Suites[0].Name != "rostercheck.suite" {
		t.Errorf("tests=%d errors=%d first suite %q; want 6, 2, rostercheck.suite", doc.Tests, doc.Errors, doc.Suites[0].Name)
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
		{ID: "rostering.users.a", Title: "GET /users same [MUST]", Area: "rostering", Outcome: reports.Pass},
		{ID: "odd", Title: "no slug in id", Area: "gradebook", Endpoint: "/classes/{id}/lineItems/{id}/results", Outcome: reports.Pass},
		{ID: "x.y.z", Title: "weird outcome", Area: "rostering", Outcome: "exploded"},
	}}
	doc, _ := parseJUnit(t, run)
	cases := allCases(doc)
	for _, want := range []string{
		"rostercheck.rostering.users | rostering.users.a GET /users same [MUST]",
		"rostercheck.rostering.users | rostering.users.a GET /users same [MUST] (2)",
		"rostercheck.gradebook.classes-lineitems-results | odd no slug in id",
	} {
		if _, ok := cases[want]; !ok {
			t.Errorf("missing case %q; have %v", want, keys(cases))
		}
	}
	if c := cases["rostercheck.rostering.y | x.y.z weird outcome"]; c.Error == nil || !strings.Contains(c.Error.Message, "exploded") {
		t.Errorf("unknown outcome must be an error, got %+v", c)
	}
	if doc.Tests != 4 || doc.Errors != 1 {
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
