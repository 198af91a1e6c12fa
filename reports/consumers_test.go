package reports_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rostercheck/rostercheck/reports"
)

// classroomRun is a run of google-classroom with its latency table (one
// request of 1.25 s, which Classroom's report prints as 250 ms) and its
// import preview.
func classroomRun() *reports.Run {
	return &reports.Run{SchemaVersion: reports.SchemaVersion, Verdict: "pass",
		Profiles: []reports.ProfileVerdict{{Name: "google-classroom", Verdict: "pass"}},
		ConsumerLatency: &reports.ConsumerLatency{Consumer: "Google Classroom", Rows: []reports.ConsumerLatencyRow{
			{Test: "GetAllTeachers", Check: "v1p2.classroom.roster", Method: "GET", URL: "http://127.0.0.1:1/ims/oneroster/rostering/v1p2/teachers?limit=1", Status: 200, Ms: 12.5, ConsumerMs: 12.5},
			{Test: "PutLineItem Create", Check: "v1p2.classroom.writes", Method: "PUT", URL: "http://127.0.0.1:1/ims/oneroster/gradebook/v1p2/lineItems/li-1", Status: 201, Ms: 1250, ConsumerMs: 250},
		}},
		Previews: []reports.ImportPreview{{Profile: "google-classroom", Consumer: "Google Classroom",
			Imported: []reports.PreviewCount{{School: "Riverside High School", Type: "classes a teacher can link", Count: 18},
				{School: "Riverside High School", Type: "ready for grade export", Count: 12}},
			Dropped: []reports.PreviewDrop{{Type: "classes", Count: 6, Sentence: "Google Classroom can't export grades for 6 classes in Riverside High School whose first term has no grading period",
				Examples: []string{"class-7"}},
				{Type: "classes", Count: 0, Sentence: "Google Classroom can't link 0 classes in Riverside High School without a teacher"}}}},
	}
}

// The HTML report shows Classroom's latency table: per request the method,
// the path, the status, the true latency and Classroom's figure (the one
// that drops a whole second marked), with the line that explains why; and
// the Classroom import preview per school.
func TestHTMLClassroomLatencyAndPreview(t *testing.T) {
	page := renderHTML(t, classroomRun())
	for _, want := range []string{
		`<section id="consumer-latency">`, "<h2>Google Classroom latency report</h2>",
		"response.elapsed.microseconds / 1000", "whole seconds are dropped",
		"<td>PUT</td><td><code>/ims/oneroster/gradebook/v1p2/lineItems/li-1</code></td><td>201</td><td class=\"n\">1250.0</td><td class=\"n o-advisory\">250.0</td>",
		"<td>GET</td><td><code>/ims/oneroster/rostering/v1p2/teachers?limit=1</code></td><td>200</td><td class=\"n\">12.5</td><td class=\"n\">12.5</td>",
		"2 requests, mean 631.2 ms", "1 of them reads a whole second or more too fast",
		"<h3>Google Classroom (profile google-classroom)</h3>",
		"Google Classroom can&#39;t export grades for 6 classes in Riverside High School whose first term has no grading period",
		"<tr><td>Riverside High School</td><td>classes a teacher can link</td><td class=\"n\">18</td></tr>",
		"<tr><td>Riverside High School</td><td>ready for grade export</td><td class=\"n\">12</td></tr>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	if strings.Contains(page, "127.0.0.1:1") {
		t.Error("the latency table prints scheme and host, not the path")
	}
	if strings.Contains(page, "can&#39;t link 0 classes") {
		t.Error("a zero-count drop is listed")
	}
	checkBalanced(t, page)

	// Without the consumer's table there is no section.
	run := classroomRun()
	run.ConsumerLatency = nil
	if page := renderHTML(t, run); strings.Contains(page, "consumer-latency") {
		t.Error("a latency section without a table")
	}
}

// summary.md has the same two tables, bounded.
func TestMarkdownClassroomLatencyAndPreview(t *testing.T) {
	var buf bytes.Buffer
	if err := reports.WriteMarkdown(&buf, classroomRun()); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	for _, want := range []string{
		"### Import preview: Google Classroom (profile google-classroom)",
		"- Google Classroom can't export grades for 6 classes in Riverside High School whose first term has no grading period (e.g. `class-7`)",
		"| Riverside High School | classes a teacher can link | 18 |",
		"| Riverside High School | ready for grade export | 12 |",
		"### Google Classroom latency report",
		"2 requests, mean 631.2 ms; **1 read a whole second or more too fast in Google Classroom's report**",
		"response.elapsed.microseconds / 1000",
		"| Test | Method | Path | Status | Latency ms | Google Classroom would print (ms) |",
		"| PutLineItem Create | PUT | `/ims/oneroster/gradebook/v1p2/lineItems/li-1` | 201 | 1250.0 | 250.0 |",
		"| GetAllTeachers | GET | `/ims/oneroster/rostering/v1p2/teachers?limit=1` | 200 | 12.5 | 12.5 |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("summary.md lacks %q\n%s", want, md)
		}
	}
	if strings.Contains(md, "link 0 classes") {
		t.Error("a zero-count drop is listed")
	}

	// Long tables are cut, and say where the rest is.
	run := classroomRun()
	for range 60 {
		run.ConsumerLatency.Rows = append(run.ConsumerLatency.Rows, run.ConsumerLatency.Rows[0])
	}
	buf.Reset()
	if err := reports.WriteMarkdown(&buf, run); err != nil {
		t.Fatal(err)
	}
	if md := buf.String(); !strings.Contains(md, "| … and 22 more requests (report.html) |") || strings.Count(md, "| GetAllTeachers |") != 39 {
		t.Errorf("the latency table is not bounded at 40 rows:\n%s", md)
	}
}

// A row's figures: Understated is a whole second dropped; Path strips
// scheme and host.
func TestConsumerLatencyRow(t *testing.T) {
	for _, c := range []struct {
		row  reports.ConsumerLatencyRow
		path string
		less bool
	}{
		{reports.ConsumerLatencyRow{URL: "https://h.example/ims/oneroster/a?b=c", Ms: 999.9, ConsumerMs: 999.9}, "/ims/oneroster/a?b=c", false},
		{reports.ConsumerLatencyRow{URL: "https://h.example/x", Ms: 2000.4, ConsumerMs: 0.4}, "/x", true},
		{reports.ConsumerLatencyRow{URL: "not a url", Ms: 1, ConsumerMs: 1}, "not a url", false},
	} {
		if got := c.row.Path(); got != c.path {
			t.Errorf("Path(%q) = %q, want %q", c.row.URL, got, c.path)
		}
		if got := c.row.Understated(); got != c.less {
			t.Errorf("Understated(%v, %v) = %v", c.row.Ms, c.row.ConsumerMs, got)
		}
	}
}
