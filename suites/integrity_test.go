package suites

import "testing"

func TestUUIDIDsRoundTrip(t *testing.T) {
	ci := &collIndex{path: "/enrollments", specs: integritySpecs["/enrollments"], in: newInterner(), fixed: true}
	ids := []string{"0b4f7a52-3c1d-4e8f-9a6b-1c2d3e4f5a6b", "E-00017", "0B4F7A52-3C1D-4E8F-9A6B-1C2D3E4F5A6B", ""}
	var recs []any
	for _, id := range ids {
		recs = append(recs, map[string]any{"sourcedId": id, "status": "active", "role": "student",
			"user": map[string]any{"sourcedId": "u1"}, "class": map[string]any{"sourcedId": "c1"}})
	}
	e := &Env{BaseURL: "https://sis.example/ims/oneroster/v1p1"}
	e.init()
	ci.addPage(e, "enrollments", recs, nil, 0)
	ci.finish()
	for i, id := range ids {
		if got := ci.id(i); got != id {
			t.Errorf("id(%d) = %q, want %q", i, got, id)
		}
		if ci.idHash(i) != keyHash(id) {
			t.Errorf("idHash(%d) differs from keyHash(%q)", i, id)
		}
	}
	if ci.flags[0]&flagUUID == 0 || ci.flags[2]&flagUUID != 0 {
		t.Errorf("UUID flags %v: only canonical lower-case UUIDs are packed", ci.flags)
	}
	if u, c, s := ci.ref(1, "user"), ci.ref(1, "class"), ci.ref(1, "school"); ci.in.name(u) != "u1" || ci.in.name(c) != "c1" || s != 0 {
		t.Errorf("refs of record 1: user %q class %q school %d", ci.in.name(u), ci.in.name(c), s)
	}
}

func TestHrefProblem(t *testing.T) {
	e := &Env{BaseURL: "https://sis.example/ims/oneroster/v1p1"}
	for _, c := range []struct {
		href, to, id string
		ok           bool
	}{
		{"https://sis.example/ims/oneroster/v1p1/orgs/ORG_1", "/orgs", "ORG_1", true},
		{"https://sis.example/ims/oneroster/v1p1/schools/ORG_1", "/orgs", "ORG_1", true},
		{"https://sis.example/ims/oneroster/v1p1/students/u%201", "/users", "u 1", true},
		{"orgs/ORG_1", "/orgs", "ORG_1", true}, // relative to the base URL
		{"/orgs/ORG_1", "/orgs", "ORG_1", false},
		{"https://other.example/ims/oneroster/v1p1/orgs/ORG_1", "/orgs", "ORG_1", false},
		{"https://sis.example/ims/oneroster/v1p1/orgs/ORG_2", "/orgs", "ORG_1", false},
		{"https://sis.example/ims/oneroster/v1p1/classes/ORG_1", "/orgs", "ORG_1", false},
	} {
		if got := e.hrefProblem(c.href, c.to, c.id); (got == "") != c.ok {
			t.Errorf("hrefProblem(%q, %s, %s) = %q, want ok=%v", c.href, c.to, c.id, got, c.ok)
		}
	}
}

func TestPreviewRulesAreValidated(t *testing.T) {
	base := "name: x\nspec: oneroster-1.1\nservices: [rostering]\n"
	for _, bad := range []string{
		"preview: {imports: [/users]}\n",
		"preview: {consumer: X, imports: [/students]}\n",
		"preview: {consumer: X, drops: [{collection: /users, when: no-email, verb: ignore}]}\n",
		"preview: {consumer: X, drops: [{collection: /users, when: unresolved:class, verb: skip}]}\n",
		"preview: {consumer: X, drops: [{collection: /users, when: sometimes, verb: skip}]}\n",
		"integrity: {parents: most}\n",
	} {
		if _, err := ParseProfile([]byte(base + bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
	for _, name := range ProfileNames() {
		if _, err := LoadProfile(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestWhereFindsThePage(t *testing.T) {
	w := &Walk{Pages: []Page{{Count: 2, URL: "u0"}, {Count: -1, URL: "u1"}, {Count: 0, URL: "u2"}, {Count: 3, URL: "u3"}}}
	for i, want := range []string{"/x/0", "/x/1", "/x/0", "/x/1", "/x/2", ""} {
		if _, ptr, _ := where(w, "x", i); ptr != want {
			t.Errorf("where(%d) = %q, want %q", i, ptr, want)
		}
	}
	if _, _, req := where(w, "x", 3); req != " (page 4 (GET u3))" {
		t.Errorf("request of record 3: %q", req)
	}
}
