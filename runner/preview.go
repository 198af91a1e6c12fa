package runner

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/rostercheck/rostercheck/reports"
	"github.com/rostercheck/rostercheck/suites"
)

// allParents lists the relationship operations whose integrity checks
// compare every parent: those of the selected profiles that ask for it.
func allParents(ps []*suites.Profile) map[string]bool {
	out := map[string]bool{}
	for _, p := range ps {
		if !p.AllParents() {
			continue
		}
		for _, op := range append(append([]string(nil), p.Core...), p.Optional...) {
			if strings.Contains(op, "}/") {
				out[op] = true
			}
		}
	}
	return out
}

// previews builds the import preview of every selected profile that
// defines one, from the run's walks. An interrupted run has none, and so
// has a run filtered by --check (the preview would walk what the checks
// did not).
func previews(ctx context.Context, env *suites.Env, sel *selection) []reports.ImportPreview {
	if ctx.Err() != nil || sel.filtered {
		return nil
	}
	var out []reports.ImportPreview
	for _, p := range sel.profiles {
		pv := env.BuildPreview(ctx, p)
		if pv == nil {
			continue
		}
		ip := reports.ImportPreview{Profile: pv.Profile, Consumer: pv.Consumer, Incomplete: pv.Incomplete, Imported: []reports.PreviewCount{}}
		for _, c := range pv.Imported {
			ip.Imported = append(ip.Imported, reports.PreviewCount{School: c.School, Type: c.Type, Count: c.Count})
		}
		for _, d := range pv.Dropped {
			ip.Dropped = append(ip.Dropped, reports.PreviewDrop{Type: d.Type, Count: d.Count, Sentence: d.Sentence, Source: d.Source, Examples: d.Examples})
		}
		out = append(out, ip)
	}
	return out
}

// maxConsoleSchools bounds the per-school lines of the console preview.
const maxConsoleSchools = 5

// printPreviews writes the short console table of each import preview:
// what the consumer would import per school (and in all), then what it
// would drop and why.
func printPreviews(w io.Writer, run *reports.Run) {
	for _, p := range run.Previews {
		fmt.Fprintf(w, "import preview: %s (profile %s)\n", p.Consumer, p.Profile)
		var schools []string
		per := map[string][]string{}
		for _, c := range p.Imported {
			if _, ok := per[c.School]; !ok {
				schools = append(schools, c.School)
			}
			per[c.School] = append(per[c.School], count(c.Count, c.Type))
		}
		width := 0
		for _, s := range schools {
			width = max(width, len(s))
		}
		for i, s := range schools {
			if i == maxConsoleSchools {
				fmt.Fprintf(w, "  … and %s (results.json, report.html)\n", count(len(schools)-i, "more schools"))
				break
			}
			fmt.Fprintf(w, "  %-*s  %s\n", width, s, strings.Join(per[s], ", "))
		}
		var parts []string
		for _, t := range p.Totals() {
			parts = append(parts, count(t.Count, t.Type))
		}
		if len(parts) > 0 {
			fmt.Fprintf(w, "  %-*s  %s\n", width, "in all", strings.Join(parts, ", "))
		}
		for _, d := range p.Dropped {
			if d.Count > 0 {
				fmt.Fprintf(w, "  - %s\n", d.Sentence)
			}
		}
		if len(p.Incomplete) > 0 {
			fmt.Fprintf(w, "  not previewed (incomplete walk): %s\n", strings.Join(p.Incomplete, ", "))
		}
	}
}

// count renders "1 school", "3 schools".
func count(n int, plural string) string {
	if n == 1 {
		switch {
		case strings.HasSuffix(plural, "ies"):
			plural = strings.TrimSuffix(plural, "ies") + "y"
		case strings.HasSuffix(plural, "sses"):
			plural = strings.TrimSuffix(plural, "es")
		case strings.HasSuffix(plural, "s"):
			plural = strings.TrimSuffix(plural, "s")
		}
	}
	return fmt.Sprintf("%d %s", n, plural)
}
