package reports_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rostercheck/rostercheck/reports"
)

func TestPreviewInJSONAndHTML(t *testing.T) {
	run := &reports.Run{SchemaVersion: reports.SchemaVersion, Verdict: "pass", Previews: []reports.ImportPreview{{
		Profile: "sds", Consumer: "SDS",
		Imported: []reports.PreviewCount{{School: "North <School>", Type: "students", Count: 12}, {School: "South", Type: "students", Count: 3}},
		Dropped:  []reports.PreviewDrop{{Type: "guardians", Count: 2, Sentence: "SDS would skip 2 guardians without e-mail", Examples: []string{"g-1"}}},
	}}}
	if got := run.Previews[0].Totals(); len(got) != 1 || got[0].Count != 15 {
		t.Fatalf("totals %+v", got)
	}
	var js bytes.Buffer
	if err := reports.WriteJSON(&js, run); err != nil {
		t.Fatal(err)
	}
	back, err := reports.ReadJSON(&js)
	if err != nil || len(back.Previews) != 1 || back.Previews[0].Dropped[0].Count != 2 {
		t.Fatalf("round trip: %v %+v", err, back)
	}
	var h bytes.Buffer
	if err := reports.WriteHTML(&h, run); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Import preview", "SDS would skip 2 guardians without e-mail", "North &lt;School&gt;", "<code>g-1</code>"} {
		if !strings.Contains(h.String(), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}
