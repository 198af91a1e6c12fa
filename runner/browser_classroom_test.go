package runner_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rostercheck/rostercheck/runner"
)

// The Classroom sections of a google-classroom report in Chromium: the
// latency table and the import preview are laid out, at 390 px no word of
// their cells breaks across lines and the page does not scroll sideways,
// and summary.md carries both tables.
func TestClassroomReportInBrowser(t *testing.T) {
	page := startBrowser(t)
	dir := t.TempDir()
	r := rostercheck(t, nil, "run", "--profile", "google-classroom", "--allow-writes", "--out", dir)
	if r.code != runner.ExitPass {
		t.Fatalf("google-classroom on the reference provider: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	md, err := os.ReadFile(filepath.Join(dir, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"### Google Classroom latency report", "| PutLineItem Create | PUT | `/ims/oneroster/gradebook/v1p2/lineItems/",
		"### Import preview: Google Classroom (profile google-classroom)", "| classes a teacher can link |", "| ready for grade export |"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("summary.md lacks %q", want)
		}
	}
	path, _ := filepath.Abs(filepath.Join(dir, "report.html"))
	page.viewport(t, 390, 844)
	page.open(t, path)
	var got struct {
		Rows, Preview, Words, Broken int
		Examples                     []string
		Scroll, Width                int
	}
	page.eval(t, `(() => { document.querySelectorAll('details').forEach(d => d.open = true);
		let words = 0, broken = 0; const ex = [];
		const range = document.createRange();
		for (const cell of document.querySelectorAll('#consumer-latency td, #consumer-latency th, #previews td, #previews th')) {
			const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
			for (let n = walker.nextNode(); n; n = walker.nextNode()) {
				const re = /[^\s\-\/?&=]{2,}/g; let m;
				while ((m = re.exec(n.data))) {
					words++;
					range.setStart(n, m.index); range.setEnd(n, m.index + m[0].length);
					const tops = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
					if (tops.size > 1) { broken++; if (ex.length < 5) ex.push(m[0]); }
				}
			}
		}
		return {Rows: document.querySelectorAll('#consumer-latency tbody tr').length, Preview: document.querySelectorAll('#previews tbody tr').length,
			Words: words, Broken: broken, Examples: ex, Scroll: document.documentElement.scrollWidth, Width: document.documentElement.clientWidth}; })()`, &got)
	t.Logf("390 px: %d latency rows, %d preview rows, %d words, %d broken", got.Rows, got.Preview, got.Words, got.Broken)
	if got.Rows < 21 || got.Preview == 0 {
		t.Errorf("the report shows %d latency rows (want the notebook's 21 at least) and %d preview rows", got.Rows, got.Preview)
	}
	if got.Broken > 0 {
		t.Errorf("390 px: %d of %d words in the Classroom tables break across lines, e.g. %q", got.Broken, got.Words, got.Examples)
	}
	if got.Scroll > got.Width {
		t.Errorf("390 px: the page scrolls sideways (%d > %d)", got.Scroll, got.Width)
	}
	if errs := page.consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}
}
