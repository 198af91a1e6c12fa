package reports

import (
	"fmt"
	"strings"
)

// maxMarkdownPreviewRows and maxMarkdownLatencyRows bound the import
// preview and consumer latency tables of summary.md (report.html and
// results.json have them whole).
const (
	maxMarkdownPreviewRows = 30
	maxMarkdownLatencyRows = 40
)

// markdownPreviews writes each import preview: what the consumer would
// drop and why, then what it would import per school.
func markdownPreviews(b *strings.Builder, run *Run) {
	for _, p := range run.Previews {
		fmt.Fprintf(b, "### Import preview: %s (profile %s)\n\n", mdEscape(p.Consumer), mdEscape(p.Profile))
		for _, d := range p.Dropped {
			if d.Count == 0 {
				continue
			}
			fmt.Fprintf(b, "- %s", mdEscape(d.Sentence))
			if len(d.Examples) > 0 {
				b.WriteString(" (e.g. ")
				for i, e := range d.Examples {
					if i > 0 {
						b.WriteString(", ")
					}
					fmt.Fprintf(b, "`%s`", mdCode(e))
				}
				b.WriteString(")")
			}
			b.WriteString("\n")
		}
		if len(p.Incomplete) > 0 {
			fmt.Fprintf(b, "- not previewed (the walk was incomplete): %s\n", mdEscape(strings.Join(p.Incomplete, ", ")))
		}
		if len(p.Imported) > 0 {
			b.WriteString("\n| School | Type | Would import |\n|---|---|---:|\n")
			for i, c := range p.Imported {
				if i == maxMarkdownPreviewRows {
					fmt.Fprintf(b, "| … and %d more rows (report.html) | | |\n", len(p.Imported)-i)
					break
				}
				fmt.Fprintf(b, "| %s | %s | %d |\n", mdEscape(c.School), mdEscape(c.Type), c.Count)
			}
		}
		b.WriteString("\n")
	}
}

// markdownConsumerLatency writes a consumer's own latency table (Google
// Classroom's latency_report): per request the true latency and the
// figure the consumer's report would print, and why they differ.
func markdownConsumerLatency(b *strings.Builder, run *Run) {
	c := run.ConsumerLatency
	if c == nil || len(c.Rows) == 0 {
		return
	}
	fmt.Fprintf(b, "### %s latency report\n\n", mdEscape(c.Consumer))
	fmt.Fprintf(b, "%d requests, mean %.1f ms", len(c.Rows), c.MeanMs())
	if n := c.Understated(); n > 0 {
		fmt.Fprintf(b, "; **%d read a whole second or more too fast in %s's report**", n, mdEscape(c.Consumer))
	}
	fmt.Fprintf(b, ". %s\n\n", mdEscape(c.Explained()))
	fmt.Fprintf(b, "| Test | Method | Path | Status | Latency ms | %s would print (ms) |\n|---|---|---|---:|---:|---:|\n", mdEscape(c.Consumer))
	for i, r := range c.Rows {
		if i == maxMarkdownLatencyRows {
			fmt.Fprintf(b, "| … and %d more requests (report.html) | | | | | |\n", len(c.Rows)-i)
			break
		}
		fmt.Fprintf(b, "| %s | %s | `%s` | %d | %.1f | %.1f |\n", mdEscape(r.Test), mdEscape(r.Method), mdCode(strings.ReplaceAll(r.Path(), "|", "%7C")), r.Status, r.Ms, r.ConsumerMs)
	}
	b.WriteString("\n")
}
