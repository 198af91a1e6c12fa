package suites

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/rostercheck/rostercheck/suites/catalogue"
)

var update = flag.Bool("update", false, "rewrite checks.golden")

// TestCatalogueGolden keeps the published check list a reviewed diff:
// adding, removing or renaming a check must update checks.golden
// (go test ./suites -run Golden -update).
func TestCatalogueGolden(t *testing.T) {
	var b strings.Builder
	for _, c := range Catalogue() {
		b.WriteString(c.ID + "\t" + c.Level + "\t" + strings.Join(c.Features, ",") + "\t" + c.Title + "\n")
	}
	if *update {
		if err := os.WriteFile("checks.golden", []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("checks.golden")
	if err != nil {
		t.Fatalf("%v (run: go test ./suites -run Golden -update)", err)
	}
	if string(want) != b.String() {
		t.Fatal("the check catalogue changed: review and run go test ./suites -run Golden -update")
	}
}

func TestCheckIDsUniqueAndWellFormed(t *testing.T) {
	seen := map[string]bool{}
	titles := map[string]bool{}
	for _, c := range Catalogue() {
		if seen[c.ID] {
			t.Errorf("duplicate check ID %s", c.ID)
		}
		seen[c.ID] = true
		if titles[c.Title] {
			t.Errorf("duplicate title %q", c.Title)
		}
		titles[c.Title] = true
		if c.ID != strings.ToLower(c.ID) || strings.ContainsAny(c.ID, " /{}") {
			t.Errorf("check ID %q is not lower-case dotted", c.ID)
		}
		if !strings.HasSuffix(c.Title, "["+c.Level+"]") {
			t.Errorf("title %q does not end with its level", c.Title)
		}
		for _, f := range c.Features {
			if !ValidFeature(f) {
				t.Errorf("%s declares unregistered feature %q", c.ID, f)
			}
		}
	}
	if len(seen) < 300 {
		t.Errorf("only %d checks", len(seen))
	}
}

func TestCatalogueEndpoints(t *testing.T) {
	slugs := map[string]bool{}
	for _, ep := range catalogue.Endpoints {
		if slugs[ep.Feature()] {
			t.Errorf("duplicate endpoint feature %s", ep.Feature())
		}
		slugs[ep.Feature()] = true
		params := catalogue.Params(ep.Path)
		if ep.TopLevel() != (len(params) == 0) {
			t.Errorf("%s: parent spec does not match its parameters", ep.Path)
		}
		if ep.Parent == nil {
			continue
		}
		for _, p := range params {
			if _, ok := ep.Parent.Params[p]; !ok {
				t.Errorf("%s: no source for {%s}", ep.Path, p)
			}
		}
		if src, ok := catalogue.Lookup(ep.Parent.From); !ok || !src.TopLevel() {
			t.Errorf("%s: parent source %s is not a top-level endpoint", ep.Path, ep.Parent.From)
		}
	}
	if got := catalogue.Slug("/classes/{class_id}/lineItems/{li_id}/results"); got != "classes-lineitems-results" {
		t.Errorf("slug %q", got)
	}
	// Tables 3.1a/b/c: 12+17 rostering, 3 resources, 7 gradebook collection GETs.
	if len(catalogue.Endpoints) != 39 {
		t.Errorf("%d collection endpoints, want 39", len(catalogue.Endpoints))
	}
}

func TestProfilesValid(t *testing.T) {
	names := ProfileNames()
	if len(names) < 2 {
		t.Fatalf("profiles: %v", names)
	}
	for _, n := range names {
		p, err := LoadProfile(n)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if p.Name != n {
			t.Errorf("file %s.yaml holds profile %q", n, p.Name)
		}
		run := 0
		for _, c := range Catalogue() {
			if p.TierOf(c.Features) != TierNone {
				run++
			}
		}
		if run == 0 {
			t.Errorf("profile %s selects no check", n)
		}
	}
	sds, _ := LoadProfile("sds")
	if sds.TierOf([]string{"/users", "schema"}) != TierCore ||
		sds.TierOf([]string{"/courses", "schema"}) != TierOptional ||
		sds.TierOf([]string{"/lineItems", "schema"}) != TierNone {
		t.Error("sds tiers wrong")
	}
}

func TestParseProfileRejects(t *testing.T) {
	cases := map[string]string{
		"unknown feature":          "name: x\nspec: oneroster-1.1\nservices: [rostering]\nendpoints: {required: [/userz]}\n",
		"unknown key":              "name: x\nspec: oneroster-1.1\nservices: [rostering]\ncolour: red\n",
		"overrides (none defined)": "name: x\nspec: oneroster-1.1\nservices: [rostering]\noverrides: {unknown-parent: empty-200}\n",
		"unknown auth":             "name: x\nspec: oneroster-1.1\nservices: [rostering]\nauth: [kerberos]\n",
		"bad spec":                 "name: x\nspec: oneroster-9\nservices: [rostering]\n",
		"both tiers":               "name: x\nspec: oneroster-1.1\nservices: [rostering]\nchecks: {required: [schema], optional: [schema]}\n",
		"no name":                  "spec: oneroster-1.1\nservices: [rostering]\n",
		"unknown rule":             "name: x\nspec: oneroster-1.1\nservices: [rostering]\nrules: {datetime.no-milis: MUST}\n",
		"bad rule level":           "name: x\nspec: oneroster-1.1\nservices: [rostering]\nrules: {datetime.no-millis: must}\n",
		"unknown service":          "name: x\nspec: oneroster-1.1\nservices: [rostering, grades]\n",
		"no services":              "name: x\nspec: oneroster-1.1\n",
		"unknown option":           "name: x\nspec: oneroster-1.1\nservices: [rostering]\noptions: {federatd: {default: true}}\n",
	}
	for name, y := range cases {
		if _, err := ParseProfile([]byte(y)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestParseLinks(t *testing.T) {
	h := `<https://h/x?limit=2&offset=2&fields=a,b>; rel="next", <https://h/x?limit=2&offset=8>; rel="last",<https://h/x?limit=2&offset=0>;rel=first`
	got := parseLinks(h)
	if got["next"] != "https://h/x?limit=2&offset=2&fields=a,b" || got["last"] != "https://h/x?limit=2&offset=8" || got["first"] != "https://h/x?limit=2&offset=0" {
		t.Fatalf("parseLinks: %v", got)
	}
	if len(parseLinks("")) != 0 || len(parseLinks("garbage")) != 0 {
		t.Fatal("garbage parsed")
	}
}

func TestRecordAt(t *testing.T) {
	recs := []any{map[string]any{"sourcedId": "a"}, map[string]any{"sourcedId": "b"}}
	if recordAt(recs, "users", "/users/1/status")["sourcedId"] != "b" || recordAt(recs, "users", "/users/9/x") != nil || recordAt(recs, "users", "/orgs/0") != nil {
		t.Fatal("recordAt")
	}
}

// An optional operation is optional to implement: not served, it is
// not-supported; served, its rules count in full.
func TestJudgeOptionalOperations(t *testing.T) {
	sds, err := LoadProfile("sds")
	if err != nil {
		t.Fatal(err)
	}
	notServed := &Result{Outcome: OutcomeFail, RuleCounts: map[string]int{RuleNotServed: 1}}
	badData := &Result{Outcome: OutcomeFail, RuleCounts: map[string]int{"datetime.no-millis": 3}}
	ignored := &Result{Outcome: OutcomeFail, RuleCounts: map[string]int{"link.off-origin": 2}}
	spec, _ := LoadProfile("oneroster-1.1")
	for _, c := range []struct {
		p    *Profile
		res  *Result
		tier Tier
		want string
	}{
		{sds, notServed, TierOptional, OutcomeNotSupported},
		{sds, notServed, TierCore, OutcomeFail},
		{sds, badData, TierOptional, OutcomeFail},
		{spec, badData, TierCore, OutcomePass},
		{sds, ignored, TierCore, OutcomePass},
		{spec, ignored, TierCore, OutcomeAdvisory},
	} {
		if got := c.p.Judge(c.res, c.tier, false); got != c.want {
			t.Errorf("%s %v tier %d: %s, want %s", c.p.Name, c.res.RuleCounts, c.tier, got, c.want)
		}
	}
	if got := spec.Judge(ignored, TierCore, true); got != OutcomeFail {
		t.Errorf("strict: %s, want fail", got)
	}
}
