package suites

import (
	"encoding/json"
	"testing"
)

func TestWriteComparisons(t *testing.T) {
	for _, c := range []struct {
		field     string
		want, got any
		same      bool
	}{
		{"dueDate", "2026-11-30T05:00:00.000Z", "2026-11-30T06:00:00+01:00", true},
		{"dueDate", "2026-11-30T05:00:00.000Z", "2026-11-30", true}, // a date-typed field served as the day
		{"dueDate", "2026-11-30T05:00:00.000Z", "2026-12-01", false},
		{"dueDate", "2026-11-30T05:00:00.000Z", "2026-11-30T05:00:01Z", false},
		{"score", 300, json.Number("300"), true},
		{"score", 300, json.Number("100"), false},
		{"score", 87.5, json.Number("87.50"), true},
		{"class", map[string]any{"sourcedId": "c1"}, map[string]any{"href": "x", "sourcedId": "c1", "type": "class"}, true},
		{"class", map[string]any{"sourcedId": "c1"}, "c1", false},
		{"title", "rostercheck a", "rostercheck b", false},
	} {
		if got := sameValue(c.field, c.want, c.got); got != c.same {
			t.Errorf("sameValue(%s, %v, %v) = %v", c.field, c.want, c.got, got)
		}
	}
	for body, want := range map[string]bool{
		`{"lineItem":{"sourcedId":"x"}}`: true,
		`{}`:                             false,
		`{"lineItem":{"sourcedId":"y"}}`: false,
		`not json`:                       true,
	} {
		if got := Serves([]byte(body), "x"); got != want {
			t.Errorf("Serves(%s) = %v", body, got)
		}
	}
	if id := newID(); len(id) != 36 || id[14] != '4' || id == newID() {
		t.Errorf("newID %q is not a fresh UUID v4", id)
	}
}
