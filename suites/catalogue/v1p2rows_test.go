package catalogue

import "testing"

// The 1.2 rows are derived from the catalogue data: every read of the
// covered services, each path under its service root, each parent a
// top-level 1.2 row.
func TestV1p2RowsFromCatalogueData(t *testing.T) {
	rows := V1p2()
	if len(rows) == 0 {
		t.Fatal("no 1.2 rows")
	}
	byPath := map[string]Endpoint{}
	for _, e := range rows {
		byPath[e.Path] = e
	}
	for _, e := range rows {
		if e.Spec != "1.2" || e.Root == "" || e.Path[:len(e.Root)] != e.Root {
			t.Errorf("%s: spec %q root %q", e.Path, e.Spec, e.Root)
		}
		if e.Parent != nil {
			if p, ok := byPath[e.Parent.From]; !ok || !p.TopLevel() {
				t.Errorf("%s: parent %s is not a top-level 1.2 row", e.Path, e.Parent.From)
			}
		}
		if got, ok := Lookup(e.Path); !ok || got.Path != e.Path {
			t.Errorf("Lookup(%s) = %v", e.Path, ok)
		}
	}
	u := byPath["/rostering/v1p2/users"]
	if u.Key != "users" || u.Entity != "user" || u.SingleKey != "user" || u.CheckPrefix() != "v1p2.rostering.users." {
		t.Errorf("users row: %+v (prefix %q)", u, u.CheckPrefix())
	}
	sc := byPath["/rostering/v1p2/schools/{schoolSourcedId}/classes/{classSourcedId}/students"]
	if sc.Parent == nil || sc.Parent.From != "/rostering/v1p2/classes" || sc.Parent.Params["schoolSourcedId"] != "school" || sc.Parent.Params["classSourcedId"] != "" {
		t.Errorf("schools-classes-students parent: %+v", sc.Parent)
	}
	cr := byPath["/resources/v1p2/classes/{classSourcedId}/resources"]
	if cr.Parent == nil || cr.Parent.From != "/rostering/v1p2/classes" {
		t.Errorf("classes-resources parent: %+v", cr.Parent)
	}
	if e, _ := Lookup("/users"); e.Spec != "" || e.CheckPrefix() != "rostering.users." {
		t.Errorf("1.1 /users row changed: %+v", e)
	}
}
