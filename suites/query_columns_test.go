package suites

import (
	"strconv"
	"strings"
	"testing"
)

// The compact columns give back exactly the strings they were given:
// packed UUIDs and date-times, near misses of both kept raw, shared
// values, multi-values, values longer than a chunk, and repeated ids.
func TestColumnsRoundTrip(t *testing.T) {
	long := strings.Repeat("x", chunkSize+10)
	values := []string{
		"", "active", "tobedeleted",
		"00000a93-efaf-4aa0-a8e8-e206638a8b3f", // packed
		"00000A93-EFAF-4AA0-A8E8-E206638A8B3F", // upper case: raw
		"00000a93-efaf-4aa0-a8e8-e206638a8b3", "00000a93+efaf-4aa0-a8e8-e206638a8b3f",
		"2025-09-26T16:38:12.233Z", // packed
		"2025-09-26T16:38:12.2330", "2025-02-30T16:38:12.233Z", "2025-09-26T16:38:12Z", "0000-01-01T00:00:00.000Z",
		"a" + valueSep + "b", "José", long, "\x00",
	}
	c := newColumns("enrollment")
	for i := 0; i < 3000; i++ {
		v := values[i%len(values)]
		// Column 1 outgrows its one-byte codes at its 257th distinct value.
		c.addRow(pendRow{ID: values[(i+3)%len(values)] + "#" + string(rune('a'+i%7)), V: []string{v, many(v, i), "", v, v, v, v, v}})
	}
	if c.Len() != 3000 {
		t.Fatalf("Len %d", c.Len())
	}
	for i, row := range c.All() {
		v := values[i%len(values)]
		if want := values[(i+3)%len(values)] + "#" + string(rune('a'+i%7)); row.ID() != want {
			t.Fatalf("row %d id %.40q, want %.40q", i, row.ID(), want)
		}
		if got := row.raw(0); got != v {
			t.Fatalf("row %d value %.40q, want %.40q", i, got, v)
		}
		if got := row.raw(1); got != many(v, i) {
			t.Fatalf("row %d column 1 %.40q, want %.40q", i, got, many(v, i))
		}
		if row.raw(2) != "" || row.values(2) != nil {
			t.Fatalf("row %d: empty column %q", i, row.raw(2))
		}
	}
	if got := c.Row(12).values(0); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("multi-value %q", got)
	}
	// Ids repeat every len(values)*7 rows: all later ones are repeats.
	dup := c.dupRows()
	period := len(values) * 7
	for i := range c.Len() {
		if dup[i] != (i >= period) {
			t.Fatalf("row %d repeated: %v", i, dup[i])
		}
	}
	// Equal values share a handle.
	if c.v[0].at(1) != c.v[0].at(1+len(values)) || c.v[0].at(3) != c.v[0].at(3+len(values)) {
		t.Error("equal values were stored twice")
	}
	if c.v[0].big != nil || c.v[1].big == nil {
		t.Errorf("column 0 (%d distinct) should keep one-byte codes, column 1 (%d distinct) handles", len(values), 400)
	}
}

// many is the value of column 1 in row i: 400 distinct ones.
func many(v string, i int) string { return v + "/" + strconv.Itoa(i%400) }

// A walk without repeated ids has no repeat marks.
func TestColumnsNoRepeats(t *testing.T) {
	c := newColumns("user")
	c.addRow(pendRow{ID: "u1", V: make([]string, len(c.Names))})
	c.addRow(pendRow{ID: "u2", V: make([]string, len(c.Names))})
	if c.dupRows() != nil {
		t.Error("repeats found")
	}
}
