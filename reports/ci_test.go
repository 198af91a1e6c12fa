package reports_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/rostercheck/rostercheck/reports"
)

func TestResultsJSONMatchesPublishedSchema(t *testing.T) {
	sch, err := jsonschema.NewCompiler().Compile(filepath.Join("..", "schemas", "results.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	run := sampleRun()
	run.Latency = reports.BuildLatency([]reports.LatencySample{{ID: 1, Endpoint: "/users", Method: "GET", URL: "https://x/users", Status: 200, Duration: 5e6}})
	for name, r := range map[string]*reports.Run{"sample": run, "empty": {SchemaVersion: 1, Verdict: "error"}} {
		var buf bytes.Buffer
		if err := reports.WriteJSON(&buf, r); err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(doc); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The schema is not a rubber stamp: an unknown outcome word fails it.
	bad := sampleRun()
	bad.Checks[0].Outcome = "exploded"
	var buf bytes.Buffer
	_ = reports.WriteJSON(&buf, bad)
	doc, _ := jsonschema.UnmarshalJSON(&buf)
	if sch.Validate(doc) == nil {
		t.Error("the schema accepts an unknown outcome")
	}
}

func TestBadges(t *testing.T) {
	for _, c := range []struct {
		p           reports.ProfileVerdict
		label, msg  string
		colour, svg string
	}{
		{reports.ProfileVerdict{Name: "sds", Verdict: "pass", Passed: 127, Total: 127}, "oneroster sds", "pass 127/127", "brightgreen", "#4c1"},
		{reports.ProfileVerdict{Name: "oneroster-1.1", Verdict: "fail", Passed: 120, Total: 127}, "oneroster-1.1", "fail 120/127", "red", "#e05d44"},
		{reports.ProfileVerdict{Name: "asm", Verdict: "partial", Passed: 3, Total: 30}, "oneroster asm", "partial 3/30", "yellow", "#dfb317"},
	} {
		b := reports.BadgeFor(c.p)
		var svg, js bytes.Buffer
		if err := reports.WriteBadgeSVG(&svg, b); err != nil {
			t.Fatal(err)
		}
		if err := reports.WriteBadgeJSON(&js, b); err != nil {
			t.Fatal(err)
		}
		if err := xml.Unmarshal(svg.Bytes(), new(struct{})); err != nil {
			t.Errorf("badge SVG is not XML: %v", err)
		}
		if !strings.Contains(svg.String(), ">"+c.label+"</text>") || !strings.Contains(svg.String(), ">"+c.msg+"</text>") || !strings.Contains(svg.String(), `fill="`+c.svg+`"`) {
			t.Errorf("badge SVG lacks %q | %q in %s:\n%s", c.label, c.msg, c.svg, svg.String())
		}
		var doc map[string]any
		if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if doc["schemaVersion"] != 1.0 || doc["label"] != c.label || doc["message"] != c.msg || doc["color"] != c.colour {
			t.Errorf("shields endpoint JSON = %v", doc)
		}
	}
}

// manyRules is a run with n failing root causes.
func manyRules(n int) *reports.Run {
	run := &reports.Run{SchemaVersion: 1, Verdict: "fail", Profiles: []reports.ProfileVerdict{{Name: "p", Verdict: "fail", Total: n}}}
	for i := range n {
		rule := fmt.Sprintf("rule.r%02d", i)
		run.Rules = append(run.Rules, reports.RuleInfo{ID: rule, Title: "title " + rule, Hint: "fix " + rule, Levels: map[string]string{"p": "MUST"}})
		run.Checks = append(run.Checks, reports.CheckResult{ID: fmt.Sprintf("rostering.e%02d.schema", i), Area: "rostering", Endpoint: "/e", Outcome: reports.Fail,
			Rules:    []reports.RuleCount{{Rule: rule, Count: 100 - i}},
			Profiles: []reports.ProfileOutcome{{Profile: "p", Tier: "required", Outcome: reports.Fail}}})
	}
	return run
}

func TestAnnotationsAtMostTen(t *testing.T) {
	as := reports.Annotations(manyRules(15))
	if len(as) != 10 {
		t.Fatalf("%d annotations, want 10", len(as))
	}
	if as[0].Title != "rostercheck rule.r00" || !strings.Contains(as[0].Message, "fix rule.r00") {
		t.Errorf("first annotation = %+v (want the largest root cause first, with its fix)", as[0])
	}
	cmd := reports.Annotation{Title: "a:b,c", Message: "50% done\nnext"}.GitHubCommand()
	if cmd != "::error title=a%3Ab%2Cc::50%25 done%0Anext" {
		t.Errorf("GitHub command = %q", cmd)
	}
}

func TestMarkdownSummary(t *testing.T) {
	var buf bytes.Buffer
	run := manyRules(12)
	run.Partial = "--check ran a subset"
	if err := reports.WriteMarkdown(&buf, run); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	for _, want := range []string{"## rostercheck: FAIL", "| p | **FAIL** |", "### Failures by root cause (10 of 12)", "Partial run", "Fix: fix rule.r00"} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q:\n%s", want, md)
		}
	}
}

// Grouping follows each profile's level of a rule: MUST fails, SHOULD is
// advisory (fail under --strict), ignore forms no group.
func TestGroupFailuresFollowLevels(t *testing.T) {
	run := &reports.Run{SchemaVersion: 1, Verdict: "fail", Config: map[string]any{"strict": false},
		Rules: []reports.RuleInfo{
			{ID: "a.must", Levels: map[string]string{"x": "MUST", "y": "SHOULD"}},
			{ID: "b.should", Levels: map[string]string{"x": "SHOULD", "y": "SHOULD"}},
			{ID: "c.ignored", Levels: map[string]string{"x": "ignore", "y": "ignore"}},
		},
		Checks: []reports.CheckResult{{ID: "rostering.users.data", Area: "rostering", Endpoint: "/users", Outcome: reports.Fail,
			Rules:    []reports.RuleCount{{Rule: "a.must", Count: 1}, {Rule: "b.should", Count: 5}, {Rule: "c.ignored", Count: 9}},
			Profiles: []reports.ProfileOutcome{{Profile: "x", Tier: "required", Outcome: reports.Fail}, {Profile: "y", Tier: "required", Outcome: reports.Advisory}}}},
	}
	gs := reports.GroupFailures(run)
	got := map[string]reports.FailureGroup{}
	for _, g := range gs {
		got[g.Rule] = g
	}
	if len(gs) != 2 || got["a.must"].Outcome != reports.Fail || got["b.should"].Outcome != reports.Advisory {
		t.Fatalf("groups = %+v", gs)
	}
	if a := got["a.must"]; strings.Join(a.FailIn, ",") != "x" || strings.Join(a.AdviseIn, ",") != "y" {
		t.Errorf("a.must fails in %v, advisory in %v", a.FailIn, a.AdviseIn)
	}
	if gs[0].Rule != "a.must" {
		t.Error("a failing root cause is not listed before an advisory one")
	}
	run.Config["strict"] = true
	for _, g := range reports.GroupFailures(run) {
		if g.Outcome != reports.Fail {
			t.Errorf("under --strict %s is %s", g.Rule, g.Outcome)
		}
	}
}
