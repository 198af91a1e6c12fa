package suites

import (
	"context"
	"strings"
	"testing"

	"github.com/rostercheck/rostercheck/fixtures/provider"
)

// The 1.2 index reads roles[].org as a list of org references, takes a
// user's subtype from its first role, and points at /roles/<n>/org.
func TestV1p2IndexReadsRolesOrg(t *testing.T) {
	ci := &collIndex{path: v12r + "/users", specs: integritySpecs[v12r+"/users"], in: newInterner()}
	e := &Env{BaseURL: "https://sis.example/ims/oneroster/v1p1", Roots: map[string]string{v12r: "https://sis.example/ims/oneroster/rostering/v1p2"}}
	e.init()
	org := func(id string) map[string]any {
		return map[string]any{"href": "https://sis.example/ims/oneroster/rostering/v1p2/orgs/" + id, "sourcedId": id, "type": "org"}
	}
	recs := []any{
		map[string]any{"sourcedId": "u1", "status": "active", "roles": []any{
			map[string]any{"roleType": "primary", "role": "teacher", "org": org("s1")},
			map[string]any{"roleType": "primary", "role": "teacher", "org": org("s2")},
		}, "primaryOrg": org("s1")},
		map[string]any{"sourcedId": "u2", "status": "active", "roles": []any{
			map[string]any{"roleType": "primary", "role": "student", "org": map[string]any{"href": "https://sis.example/ims/oneroster/v1p1/orgs/s3", "sourcedId": "s3", "type": "org"}},
		}},
	}
	ci.addPage(e, "users", recs, nil, 0)
	ci.finish()
	if got := subName(ci.sub[0]); got != "teacher" {
		t.Errorf("subtype of u1 %q, want teacher (its first role)", got)
	}
	f := ci.slot("roles/org")
	for _, id := range []string{"s1", "s2"} {
		n, _ := ci.in.lookup(id)
		if !ci.hasAt(0, f, n) {
			t.Errorf("u1's roles[].org lacks %s", id)
		}
	}
	if n, _ := ci.in.lookup("s1"); ci.ref(0, "primaryOrg") != n {
		t.Error("u1's primaryOrg is not s1")
	}
	// u2's only role points into the 1.1 root: one href finding, at its pointer.
	if ci.hrefN != 1 || ci.hrefs[0].Pointer != "/users/1/roles/0/org/href" || !strings.Contains(ci.hrefs[0].Message, "outside the base URL") {
		t.Errorf("href findings %d %+v", ci.hrefN, ci.hrefs)
	}
}

func TestHrefProblemV1p2(t *testing.T) {
	e := &Env{BaseURL: "https://sis.example/ims/oneroster/v1p1", Roots: map[string]string{
		v12r: "https://sis.example/ims/oneroster/rostering/v1p2", v12s: "https://sis.example/ims/oneroster/resources/v1p2"}}
	for _, c := range []struct {
		href, to, id string
		ok           bool
	}{
		{"https://sis.example/ims/oneroster/rostering/v1p2/orgs/ORG_1", v12r + "/orgs", "ORG_1", true},
		{"https://sis.example/ims/oneroster/rostering/v1p2/schools/ORG_1", v12r + "/orgs", "ORG_1", true},
		{"https://sis.example/ims/oneroster/resources/v1p2/resources/R1", v12s + "/resources", "R1", true},
		{"https://sis.example/ims/oneroster/v1p1/orgs/ORG_1", v12r + "/orgs", "ORG_1", false},
		{"https://sis.example/ims/oneroster/rostering/v1p2/resources/R1", v12s + "/resources", "R1", false},
		{"https://sis.example/ims/oneroster/rostering/v1p2/users/ORG_1", v12r + "/orgs", "ORG_1", false},
	} {
		if got := e.hrefProblem(c.href, c.to, c.id); (got == "") != c.ok {
			t.Errorf("hrefProblem(%q, %s, %s) = %q, want ok=%v", c.href, c.to, c.id, got, c.ok)
		}
	}
}

// A 1.2 profile's import preview names the 1.2 collections and counts
// the same district as the 1.1 preview does: students and classes per
// school, users placed at a school through roles[].org.
func TestV1p2ImportPreviewMatches1p1(t *testing.T) {
	e, _ := testEnv(t, smallProvider(t, ""), 100, 4)
	root := strings.TrimSuffix(e.BaseURL, provider.BasePath) + "/ims/oneroster"
	e.Roots = map[string]string{v12r: root + v12r, v12s: root + v12s}
	e.MaxViolations = 100
	preview := func(spec, at string) *Preview {
		y := "name: p\nspec: " + spec + "\nservices: [rostering]\npreview:\n  consumer: X\n" +
			"  imports: [" + at + "/users, " + at + "/classes]\n" +
			"  drops:\n" +
			"    - {collection: " + at + "/users, subtypes: [guardian, parent, relative], when: always, verb: skip, why: (no contacts), source: s}\n" +
			"    - {collection: " + at + "/classes, when: no-enrollment:teacher, verb: reject, why: without a teacher, source: s}\n"
		p, err := ParseProfile([]byte(y))
		if err != nil {
			t.Fatal(err)
		}
		return e.BuildPreview(context.Background(), p)
	}
	p11, p12 := preview(SpecV1p1, ""), preview(SpecV1p2, v12r)
	if len(p12.Incomplete) > 0 || len(p11.Incomplete) > 0 {
		t.Fatalf("incomplete: 1.1 %v, 1.2 %v", p11.Incomplete, p12.Incomplete)
	}
	counts := func(p *Preview) map[string]int {
		m := map[string]int{}
		for _, c := range p.Imported {
			if c.Type == "students" || c.Type == "classes" || c.Type == "teachers" {
				m[c.School+"|"+c.Type] = c.Count
			}
		}
		return m
	}
	c11, c12 := counts(p11), counts(p12)
	schools := 0
	for k, n := range c11 {
		if !strings.HasPrefix(k, "(district-wide)") && strings.HasSuffix(k, "|students") && n > 0 {
			schools++
		}
		if c12[k] != n {
			t.Errorf("%s: 1.2 preview %d, 1.1 preview %d", k, c12[k], n)
		}
	}
	if schools == 0 || len(c12) != len(c11) {
		t.Fatalf("per-school counts: 1.1 %v, 1.2 %v", c11, c12)
	}
	for i, d := range p12.Dropped {
		if d.Count != p11.Dropped[i].Count || !strings.HasPrefix(d.Sentence, "X would ") {
			t.Errorf("drop %d: 1.2 %+v, 1.1 %+v", i, d, p11.Dropped[i])
		}
	}
	if p12.Dropped[0].Count == 0 || p12.Dropped[0].Type != "guardians/parents/relatives" {
		t.Errorf("contacts dropped: %+v", p12.Dropped[0])
	}
}
