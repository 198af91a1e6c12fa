package reports_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rostercheck/rostercheck/reports"
)

func failing(id, rule string, vs ...reports.Violation) reports.CheckResult {
	return reports.CheckResult{ID: id, Title: "t", Area: "rostering", Endpoint: "/users", Outcome: reports.Fail,
		Rules: []reports.RuleCount{{Rule: rule, Count: len(vs)}}, Violations: vs, ViolationsTotal: len(vs),
		Profiles: []reports.ProfileOutcome{{Profile: "sds", Tier: "required", Outcome: reports.Fail}}}
}

// A blocker ranks above a rule with many more violations, and a rule that
// costs records above one that names none.
func TestGroupsRankByImpact(t *testing.T) {
	levels := map[string]string{"sds": "MUST"}
	run := &reports.Run{SchemaVersion: 1, Verdict: "fail", Profiles: []reports.ProfileVerdict{{Name: "sds", Verdict: "fail"}},
		Rules: []reports.RuleInfo{{ID: "phone.e164", Levels: levels}, {ID: "auth.token.refused", Levels: levels}, {ID: "header.x", Levels: levels}}}
	var phones, headers []reports.Violation
	for i := range 12 {
		phones = append(phones, reports.Violation{Rule: "phone.e164", Pointer: fmt.Sprintf("/users/%d/phone", i), RecordID: fmt.Sprint("u", i), Message: "not E.164"})
	}
	for range 30 {
		headers = append(headers, reports.Violation{Rule: "header.x", Message: "no header"})
	}
	run.Checks = []reports.CheckResult{
		failing("rostering.users.phone", "phone.e164", phones...),
		failing("rostering.users.header", "header.x", headers...),
		failing("auth.token.response", "auth.token.refused", reports.Violation{Rule: "auth.token.refused", Message: "401"}),
	}
	gs := reports.GroupFailures(run)
	var got []string
	for _, g := range gs {
		got = append(got, fmt.Sprintf("%s:%d", g.Name(), g.Tier))
	}
	if want := "auth.token.refused:1 phone.e164:2 header.x:3"; strings.Join(got, " ") != want {
		t.Errorf("order %v, want %s", got, want)
	}
	top := reports.TopCauses(gs, "sds", 3)
	if len(top) != 3 || top[0].Rule != "auth.token.refused" {
		t.Errorf("top causes %v", top)
	}
}

// Examples show each kind (field × message shape) before repeating one.
func TestExamplesCoverDistinctKinds(t *testing.T) {
	run := &reports.Run{SchemaVersion: 1, Verdict: "fail", Rules: []reports.RuleInfo{{ID: "schema.invalid", Levels: map[string]string{"sds": "MUST"}}}}
	var vs []reports.Violation
	for i := range 40 {
		vs = append(vs, reports.Violation{Rule: "schema.invalid", Pointer: fmt.Sprintf("/users/%d/metadata", i), RecordID: fmt.Sprint("u", i), Message: "metadata: got null"})
	}
	for i, f := range []string{"email", "phone", "grades", "identifier", "sms"} {
		vs = append(vs, reports.Violation{Rule: "schema.invalid", Pointer: fmt.Sprintf("/users/%d/%s", 100+i, f), RecordID: fmt.Sprint("v", i), Message: fmt.Sprintf("%s: got %q", f, "x")})
	}
	run.Checks = []reports.CheckResult{failing("rostering.users.schema", "schema.invalid", vs...)}
	g := reports.GroupFailures(run)[0]
	if g.Kinds != 6 || len(g.Examples) != 8 {
		t.Fatalf("%d kinds, %d examples", g.Kinds, len(g.Examples))
	}
	seen := map[string]bool{}
	for _, e := range g.Examples[:6] {
		f := e.Pointer[strings.LastIndex(e.Pointer, "/")+1:]
		if seen[f] {
			t.Errorf("field %s repeated before every kind is shown: %v", f, g.Examples)
		}
		seen[f] = true
	}
}

// The repro gets a token as the run did and fails loudly without one.
func TestReproScript(t *testing.T) {
	run := sampleRun()
	run.Config["scope"] = []string{"https://purl.imsglobal.org/spec/or/v1p1/scope/roster-core.readonly", "https://purl.imsglobal.org/spec/or/v1p1/scope/roster.readonly"}
	gs := reports.GroupsWithRepro(run)
	var repro string
	for _, g := range gs {
		if g.Rule == "paging.disjoint" {
			repro = g.Repro
		}
	}
	for _, want := range []string{
		"#!/bin/sh\n", "set -eu\n",
		`: "${ROSTERCHECK_CLIENT_SECRET:?`,
		`--user "$(urlenc "$ROSTERCHECK_CLIENT_ID"):$(urlenc "$ROSTERCHECK_CLIENT_SECRET")"`,
		"--data-urlencode 'scope=https://purl.imsglobal.org/spec/or/v1p1/scope/roster-core.readonly https://purl.imsglobal.org/spec/or/v1p1/scope/roster.readonly'",
		`if [ -z "$ROSTERCHECK_TOKEN" ]`,
		"--include",
	} {
		if !strings.Contains(repro, want) {
			t.Errorf("repro lacks %q:\n%s", want, repro)
		}
	}
	if strings.Index(repro, "token_response=") > strings.Index(repro, "--include") {
		t.Error("the token request does not come first")
	}
}

// Compare sorts checks into new, fixed and unchanged failures per profile.
func TestCompare(t *testing.T) {
	mk := func(outcomes map[string]reports.Outcome) *reports.Run {
		r := &reports.Run{SchemaVersion: 1}
		for id, o := range outcomes {
			r.Checks = append(r.Checks, reports.CheckResult{ID: id, Outcome: o, Rules: []reports.RuleCount{{Rule: "r", Count: 2}},
				Profiles: []reports.ProfileOutcome{{Profile: "sds", Outcome: o}}})
		}
		return r
	}
	base := mk(map[string]reports.Outcome{"a": reports.Fail, "b": reports.Fail, "c": reports.Pass, "d": reports.Fail})
	now := mk(map[string]reports.Outcome{"a": reports.Pass, "b": reports.Fail, "c": reports.Fail, "d": reports.NotRun})
	d := reports.Compare(base, now)
	str := func(es []reports.DiffEntry) string {
		var s []string
		for _, e := range es {
			s = append(s, e.Profile+"/"+e.Check)
		}
		return strings.Join(s, ",")
	}
	if str(d.New) != "sds/c" || str(d.Fixed) != "sds/a" || str(d.Unchanged) != "sds/b" {
		t.Errorf("new %s fixed %s unchanged %s", str(d.New), str(d.Fixed), str(d.Unchanged))
	}
	if d.New[0].Rules[0].Count != 2 || d.Unchanged[0].BaselineRules[0].Count != 2 {
		t.Error("rule counts missing")
	}
}

// A write repro says it changes data; a token-endpoint finding replays the
// token request alone; a token placed in a cookie or the query string goes
// back where the run put it.
func TestReproWritesTokenEndpointAndPlacement(t *testing.T) {
	levels := map[string]string{"p": "MUST"}
	mk := func(rule string, e reports.Exchange) *reports.Run {
		return &reports.Run{SchemaVersion: 1, Verdict: "fail",
			Target: reports.Target{BaseURL: "http://127.0.0.1:1/ims/oneroster/v1p1", TokenURL: "http://127.0.0.1:1/token", Auth: "oauth2"},
			Config: map[string]any{"client-id": "c"},
			Rules:  []reports.RuleInfo{{ID: rule, Levels: levels}},
			Checks: []reports.CheckResult{{ID: "x.y.z", Outcome: reports.Fail, Rules: []reports.RuleCount{{Rule: rule, Count: 1}},
				Violations: []reports.Violation{{Rule: rule, Message: "m", ExchangeID: e.ID}}, Exchanges: []reports.Exchange{e},
				Profiles: []reports.ProfileOutcome{{Profile: "p", Tier: "required", Outcome: reports.Fail}}}}}
	}
	repro := func(run *reports.Run) string { return reports.GroupsWithRepro(run)[0].Repro }

	w := repro(mk("w", reports.Exchange{ID: 1, Method: "PUT", URL: "http://127.0.0.1:1/ims/oneroster/v1p1/lineItems/a", Status: 201,
		Curl: "curl --silent --show-error --globoff \\\n  --request 'PUT' \\\n  'http://127.0.0.1:1/ims/oneroster/v1p1/lineItems/a'"}))
	if !strings.Contains(w, "WARNING: this request changes data on the target (PUT)") {
		t.Errorf("write repro:\n%s", w)
	}
	tk := repro(mk("auth.token.x", reports.Exchange{ID: 2, Method: "POST", URL: "http://127.0.0.1:1/token", Status: 200,
		Curl: "curl --silent --show-error --globoff \\\n  --user \"$ROSTERCHECK_CLIENT_ID:$ROSTERCHECK_CLIENT_SECRET\" \\\n  --data-binary 'grant_type=client_credentials' \\\n  'http://127.0.0.1:1/token'"}))
	if strings.Contains(tk, "token_response=") || !strings.Contains(tk, `: "${ROSTERCHECK_CLIENT_SECRET:?`) {
		t.Errorf("token-endpoint repro:\n%s", tk)
	}
	q := repro(mk("auth.api.credentials-in-url", reports.Exchange{ID: 3, Method: "GET", URL: "http://127.0.0.1:1/ims/oneroster/v1p1/orgs?jwt=<redacted>", Status: 200,
		RequestHeaders: map[string]string{"Cookie": "access_token=<redacted>; jwt=<redacted>"},
		Curl:           "# the original request also sent a Cookie header (omitted)\ncurl --silent --show-error --globoff \\\n  'http://127.0.0.1:1/ims/oneroster/v1p1/orgs?jwt=<redacted>'"}))
	for _, want := range []string{`?jwt='"$ROSTERCHECK_TOKEN"''`, `--header 'Cookie: access_token='"$ROSTERCHECK_TOKEN"'; jwt='"$ROSTERCHECK_TOKEN"''`} {
		if !strings.Contains(q, want) {
			t.Errorf("placement repro lacks %s:\n%s", want, q)
		}
	}
	if strings.Contains(q, "<redacted>") || strings.Contains(q, "(omitted)") {
		t.Errorf("placement repro still has a redacted or omitted credential:\n%s", q)
	}
}
