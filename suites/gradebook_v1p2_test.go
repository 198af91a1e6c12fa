package suites

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/rostercheck/rostercheck/suites/catalogue/v1p2"
)

// TestV1p2GradebookRefsAreTheSchemaGUIDRefs: the 1.2 gradebook rows of the
// integrity table are exactly the GUIDRef properties of each collection's
// component schema (generated from the Gradebook OpenAPI file), and each
// names a collection the table indexes.
func TestV1p2GradebookRefsAreTheSchemaGUIDRefs(t *testing.T) {
	b, err := os.ReadFile("../schemas/v1p2/gradebook.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Defs map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	dtypes := map[string]string{"/lineItems": "LineItemDType", "/results": "ResultDType", "/categories": "CategoryDType",
		"/scoreScales": "ScoreScaleDType", "/assessmentLineItems": "AssessmentLineItemDType", "/assessmentResults": "AssessmentResultDType"}
	for coll, dt := range dtypes {
		specs, ok := integritySpecs[v12g+coll]
		if !ok {
			t.Errorf("%s: not in the integrity table", v12g+coll)
			continue
		}
		var want, got []string
		for name, raw := range doc.Defs[dt].Properties {
			if strings.Contains(string(raw), "GUIDRefDType") {
				want = append(want, name)
			}
		}
		for _, sp := range specs {
			got = append(got, sp.field)
			if _, ok := integritySpecs[sp.to]; !ok {
				t.Errorf("%s.%s points at %s, which the table does not index", coll, sp.field, sp.to)
			}
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(want, got) {
			t.Errorf("%s (%s): table fields %v, schema GUIDRefs %v", coll, dt, got, want)
		}
	}
}

// TestScopeFlowsFitTheCatalogue: each write-scope row is refused with a
// scope the gradebook service declares and its operation does not list,
// and served with one the operation lists.
func TestScopeFlowsFitTheCatalogue(t *testing.T) {
	c, err := v1p2.Load()
	if err != nil {
		t.Fatal(err)
	}
	var declared []string
	for _, s := range c.Services {
		if s.Name == "gradebook" {
			for _, sc := range s.Scopes {
				declared = append(declared, strings.TrimPrefix(sc.URI, scopeV1p2Prefix))
			}
		}
	}
	for _, f := range scopeFlows12 {
		create, del := f.createOp()
		cs, ds := declaredScopes(create[0], create[1]), declaredScopes("DELETE", del)
		if len(cs) == 0 || len(ds) == 0 {
			t.Errorf("%s: the catalogue lists no scope for %v or DELETE %s", f.id, create, del)
		}
		for _, wrong := range []struct {
			scope  string
			listed []string
		}{{f.wrongCreate, cs}, {f.wrongDelete, ds}} {
			if wrong.scope == "" {
				continue
			}
			if !slices.Contains(declared, wrong.scope) || slices.Contains(wrong.listed, wrong.scope) {
				t.Errorf("%s: refused with %s: declared %v, the operation lists %v", f.id, wrong.scope, declared, wrong.listed)
			}
		}
	}
}
