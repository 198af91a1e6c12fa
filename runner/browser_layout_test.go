package runner_test

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// viewport sets the page's width and height in CSS pixels.
func (p *cdpPage) viewport(t *testing.T, w, h int) {
	t.Helper()
	p.call(t, "Emulation.setDeviceMetricsOverride", map[string]any{"width": w, "height": h, "deviceScaleFactor": 1, "mobile": w < 600})
}

// screenshot writes the visible viewport as a PNG.
func (p *cdpPage) screenshot(t *testing.T, path string) {
	t.Helper()
	res := p.call(t, "Page.captureScreenshot", map[string]any{"format": "png"})
	var r struct {
		Data string `json:"data"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		t.Fatal(err)
	}
	b, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// The layout of a failing report of the reference provider in Chromium:
// the top causes lead at 1280 px; at 390 px no table cell breaks inside a
// word; printing expands the groups; a matrix cell opens its group. With
// ROSTERCHECK_SCREENSHOTS=DIR it also writes report-1280.png and
// report-390.png there (docs/ keeps the ones the README shows).
func TestReportLayoutInBrowser(t *testing.T) {
	page := startBrowser(t)
	path, _ := filepath.Abs(filepath.Join(failingReport(t).dir, "report.html"))
	shots := os.Getenv("ROSTERCHECK_SCREENSHOTS")

	page.viewport(t, 1280, 900)
	page.open(t, path)
	var top struct {
		Causes, Below int
		Bottom        float64
	}
	page.eval(t, `(() => { const cs = Array.from(document.querySelectorAll('#verdict .causes li'));
		const b = cs.length ? Math.max(...cs.map(c => c.getBoundingClientRect().bottom + window.scrollY)) : 0;
		return {Causes: cs.length, Below: cs.filter(c => c.getBoundingClientRect().bottom + window.scrollY > 800).length, Bottom: b}; })()`, &top)
	t.Logf("1280 px: %d top causes, the last ends at y=%.0f", top.Causes, top.Bottom)
	if top.Causes == 0 || top.Below > 0 {
		t.Errorf("1280 px: %d top causes, %d of them below 800 px (last at y=%.0f)", top.Causes, top.Below, top.Bottom)
	}
	if shots != "" {
		page.screenshot(t, filepath.Join(shots, "report-1280.png"))
	}

	// A matrix cell link opens exactly its group and marks its checks.
	var cell struct {
		Href          string
		Open, Marked  int
		TargetIsGroup bool
	}
	page.eval(t, `(() => { const a = document.querySelector('#matrix td.c-fail a[data-groups]'); if (!a) return {Href: ''};
		a.click(); const g = document.getElementById(a.getAttribute('href').slice(1));
		return {Href: a.getAttribute('href'), Open: document.querySelectorAll('#failures details.group[open]').length,
			Marked: document.querySelectorAll('#failures tr.hl').length, TargetIsGroup: !!g && g.matches('details.group') && g.open}; })()`, &cell)
	if cell.Href == "" || !cell.TargetIsGroup || cell.Open != 1 || cell.Marked == 0 {
		t.Errorf("a failing matrix cell (%s) opens its group %v; %d groups open, %d rows marked", cell.Href, cell.TargetIsGroup, cell.Open, cell.Marked)
	}

	// Print: every group's fix, repro and examples are laid out although
	// the groups are closed on screen.
	page.open(t, path)
	page.call(t, "Emulation.setEmulatedMedia", map[string]any{"media": "print"})
	var pr struct{ Groups, Shown, Closed int }
	page.eval(t, `(() => { const gs = Array.from(document.querySelectorAll('#failures details.group'));
		return {Groups: gs.length, Closed: gs.filter(g => !g.open).length,
			Shown: gs.filter(g => { const c = g.querySelector('pre.curl, .hint, table'); return c && c.getBoundingClientRect().height > 0; }).length}; })()`, &pr)
	page.call(t, "Emulation.setEmulatedMedia", map[string]any{"media": ""})
	if pr.Groups == 0 || pr.Shown != pr.Groups {
		t.Errorf("print: %d of %d groups show their content (%d closed on screen)", pr.Shown, pr.Groups, pr.Closed)
	}

	// 390 px: no cell breaks inside a word (a word laid out on two lines),
	// with every <details> open; the page itself does not scroll sideways.
	page.viewport(t, 390, 844)
	page.open(t, path)
	if shots != "" {
		page.screenshot(t, filepath.Join(shots, "report-390.png"))
	}
	var narrow struct {
		Words, Broken int
		Examples      []string
		Scroll, Width int
		Wide          []string
	}
	page.eval(t, `(() => { document.querySelectorAll('details').forEach(d => d.open = true);
		let words = 0, broken = 0; const ex = [];
		const range = document.createRange();
		for (const cell of document.querySelectorAll('td, th')) {
			const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
			for (let n = walker.nextNode(); n; n = walker.nextNode()) {
				const re = /[^\s\-\/?&=]{2,}/g; let m; // a break after a hyphen, slash or URL query separator is a line-break opportunity, not inside a word
				while ((m = re.exec(n.data))) {
					words++;
					range.setStart(n, m.index); range.setEnd(n, m.index + m[0].length);
					const tops = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
					if (tops.size > 1) { broken++; if (ex.length < 5) ex.push(m[0]); }
				}
			}
		}
		const wide = Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && !e.closest('.scroll, pre'))
			.slice(0, 5).map(e => e.tagName + '.' + e.className + ': ' + e.textContent.slice(0, 60));
		return {Words: words, Broken: broken, Examples: ex, Scroll: document.documentElement.scrollWidth, Width: document.documentElement.clientWidth, Wide: wide}; })()`, &narrow)
	t.Logf("390 px: %d words in table cells, %d broken", narrow.Words, narrow.Broken)
	if narrow.Words < 1000 || narrow.Broken > 0 {
		t.Errorf("390 px: %d of %d words in table cells break across lines, e.g. %q", narrow.Broken, narrow.Words, narrow.Examples)
	}
	if narrow.Scroll > narrow.Width {
		t.Errorf("390 px: the page scrolls sideways (%d > %d): %q", narrow.Scroll, narrow.Width, narrow.Wide)
	}
	if errs := page.consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}
}
