package runner_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/rostercheck/rostercheck/suites"
	"github.com/rostercheck/rostercheck/suites/catalogue/v1p2"
)

// `rostercheck list --profile oneroster-1.2` prints every 1.2 check the
// profile selects, each with the operationIds it exercises (from the 1.2
// catalogue), the scopes that authorise them, and its source.
func TestListV1p2ChecksWithOperationScopeAndSource(t *testing.T) {
	r := rostercheck(t, nil, "list", "--profile", "oneroster-1.2")
	if r.code != 0 {
		t.Fatalf("list: exit %d\n%s", r.code, r.stderr)
	}
	lines := strings.Split(r.stdout, "\n")
	head := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "CHECK ") {
			head = i
			break
		}
	}
	if head < 0 {
		t.Fatalf("no check table:\n%s", r.stdout)
	}
	// tabwriter aligns every column: cut each row at the header's offsets.
	h := lines[head]
	col := func(name string) int {
		i := strings.Index(h, " "+name+" ")
		if i < 0 {
			i = strings.Index(h, " "+name)
		}
		if i < 0 {
			t.Fatalf("no column %s in %q", name, h)
		}
		return i + 1
	}
	opAt, scAt, tiAt, srcAt := col("OPERATION"), col("SCOPES"), col("TITLE"), col("SOURCE")
	cat, err := v1p2.Load()
	if err != nil {
		t.Fatal(err)
	}
	p, err := suites.LoadProfile("oneroster-1.2")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	// opless are the checks of no operation (the discovery documents, which
	// the files do not declare as operations): "-" in the column.
	opless := map[string]bool{}
	for _, c := range suites.Catalogue() {
		if p.TierOf(c.Features) != suites.TierNone {
			want[c.ID] = true
			opless[c.ID] = !slices.ContainsFunc(c.Features, func(f string) bool { return strings.Contains(f, "/") })
		}
	}
	got := map[string]bool{}
	for _, l := range lines[head+1:] {
		if !strings.HasPrefix(l, "v1p2.") {
			if l == "" || strings.HasSuffix(l, " checks") {
				break
			}
			t.Errorf("a check of another version under oneroster-1.2: %q", l)
			continue
		}
		if len(l) <= srcAt {
			t.Errorf("short row %q", l)
			continue
		}
		id := strings.Fields(l)[0]
		got[id] = true
		ops := strings.Split(strings.TrimSpace(l[opAt:scAt]), ",")
		scopes := strings.Split(strings.TrimSpace(l[scAt:tiAt]), ",")
		src := strings.TrimSpace(l[srcAt:])
		if src == "" {
			t.Errorf("%s: no source", id)
		}
		if opless[id] && ops[0] == "-" {
			continue
		}
		for _, op := range ops {
			o, ok := cat.ByOperationID(op)
			if !ok {
				t.Errorf("%s: operation %q is not in the 1.2 catalogue", id, op)
				continue
			}
			for _, s := range o.Scopes {
				if short := s[strings.LastIndexByte(s, '/')+1:]; !slices.Contains(scopes, short) {
					t.Errorf("%s: scopes %v lack %s, which %s lists", id, scopes, short, op)
				}
			}
		}
	}
	for id := range want {
		if !got[id] {
			t.Errorf("%s: selected by oneroster-1.2 but not listed", id)
		}
	}
	if len(got) < 300 {
		t.Errorf("%d 1.2 checks listed, want every one (300+)", len(got))
	}
}
