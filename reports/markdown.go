package reports

import (
	"fmt"
	"io"
	"strings"
)

// maxMarkdownGroups is how many root causes the Markdown summary lists.
const maxMarkdownGroups = 10

// WriteMarkdown writes a short Markdown summary of run (for
// $GITHUB_STEP_SUMMARY, a merge request note or a Jenkins description):
// the verdict per profile and the top failures by root cause.
func WriteMarkdown(w io.Writer, run *Run) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## rostercheck: %s\n\n", strings.ToUpper(orDefault(run.Verdict, "error")))
	if run.Partial != "" {
		fmt.Fprintf(&b, "> **Partial run:** %s. No profile can pass on a partial run.\n\n", mdEscape(run.Partial))
	}
	fmt.Fprintf(&b, "Target `%s`", mdCode(run.Target.BaseURL))
	if run.Target.Builtin {
		b.WriteString(" (built-in reference provider")
		if run.Target.Defect != "" {
			fmt.Fprintf(&b, ", defect `%s`", mdCode(run.Target.Defect))
		}
		b.WriteString(")")
	}
	fmt.Fprintf(&b, " · %s %s\n\n", run.Tool.Name, run.Tool.Version)
	groups := GroupFailures(run)
	if d := run.Diff; d != nil {
		fmt.Fprintf(&b, "### Since the baseline: %d new failure%s, %d fixed, %d still failing\n\n", len(d.New), plural(len(d.New)), len(d.Fixed), len(d.Unchanged))
		for i, e := range d.New {
			if i == maxMarkdownGroups {
				fmt.Fprintf(&b, "- … and %d more (results.json `diff.new`)\n", len(d.New)-i)
				break
			}
			fmt.Fprintf(&b, "- **NEW** `%s` in %s", mdCode(e.Check), mdEscape(e.Profile))
			if len(e.Rules) > 0 {
				fmt.Fprintf(&b, ": %s", mdEscape(RuleCounts(e.Rules)))
			}
			b.WriteString("\n")
		}
		for i, e := range d.Fixed {
			if i == maxMarkdownGroups {
				fmt.Fprintf(&b, "- … and %d more fixed (results.json `diff.fixed`)\n", len(d.Fixed)-i)
				break
			}
			fmt.Fprintf(&b, "- fixed `%s` in %s\n", mdCode(e.Check), mdEscape(e.Profile))
		}
		b.WriteString("\n")
	}
	if ff := FixFirst(run, groups); len(ff) > 0 {
		b.WriteString("### Fix these first\n\n")
		for _, p := range ff {
			fmt.Fprintf(&b, "- **%s**: %s", mdEscape(p.Profile), strings.ToUpper(p.Verdict))
			if p.Reason != "" && p.Verdict != "pass" {
				fmt.Fprintf(&b, " — %s", mdEscape(p.Reason))
			}
			b.WriteString("\n")
			for i, g := range p.Causes {
				fmt.Fprintf(&b, "  %d. [%s] `%s`", i+1, TierName(g.Tier), mdCode(g.Name()))
				if g.Title != "" {
					fmt.Fprintf(&b, ": %s", mdEscape(g.Title))
				}
				if g.Hint != "" {
					fmt.Fprintf(&b, "<br>Fix: %s", mdEscape(g.Hint))
				}
				b.WriteString("\n")
			}
		}
		b.WriteString("\n")
	}
	if len(run.Profiles) > 0 {
		b.WriteString("| Profile | Verdict | Passed | MUST failures | Advisories | Not supported | Not run | Errors |\n")
		b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|\n")
		for _, p := range run.Profiles {
			fmt.Fprintf(&b, "| %s | **%s** | %d/%d | %d | %d | %d | %d | %d |\n", mdEscape(p.Name), strings.ToUpper(p.Verdict), p.Passed, p.Total, p.MustFailed, p.Advisories, p.NotSupported, p.NotRun, p.Errors)
		}
		b.WriteString("\n")
	}
	if len(groups) > 0 {
		n := min(len(groups), maxMarkdownGroups)
		fmt.Fprintf(&b, "### Failures by root cause (%d of %d)\n\n", n, len(groups))
		for _, g := range groups[:n] {
			fmt.Fprintf(&b, "- **%s** `%s`", strings.ToUpper(string(g.Outcome)), mdCode(g.Name()))
			if g.Title != "" {
				fmt.Fprintf(&b, ": %s", mdEscape(g.Title))
			}
			fmt.Fprintf(&b, " — %s", mdEscape(g.Summary()))
			if len(g.FailIn) > 0 {
				fmt.Fprintf(&b, "; fails %s", mdEscape(strings.Join(g.FailIn, ", ")))
			}
			if g.Hint != "" {
				fmt.Fprintf(&b, "<br>Fix: %s", mdEscape(g.Hint))
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	markdownPreviews(&b, run)
	markdownConsumerLatency(&b, run)
	for _, e := range run.SuiteErrors {
		fmt.Fprintf(&b, "- suite: %s\n", mdEscape(oneLine(e)))
	}
	b.WriteString("Open `report.html` in the report folder for the matrix, the evidence and the curl reproductions.\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// Annotation is one CI annotation line (GitHub "::error").
type Annotation struct {
	Title, Message string
}

// maxAnnotations caps the ::error lines a run prints.
const maxAnnotations = 10

// Annotations returns at most 10 annotations, one per failing root cause.
func Annotations(run *Run) []Annotation {
	var out []Annotation
	for _, g := range GroupFailures(run) {
		if g.Outcome != Fail && g.Outcome != Error {
			continue
		}
		if len(out) == maxAnnotations {
			break
		}
		msg := g.Summary()
		if g.Title != "" {
			msg = g.Title + ": " + msg
		}
		if len(g.FailIn) > 0 {
			msg += "; fails " + strings.Join(g.FailIn, ", ")
		}
		if g.Hint != "" {
			msg += ". Fix: " + g.Hint
		}
		out = append(out, Annotation{Title: "rostercheck " + g.Name(), Message: oneLine(msg)})
	}
	return out
}

// GitHubCommand formats an annotation as a GitHub Actions workflow command,
// escaping as the runner expects.
func (a Annotation) GitHubCommand() string {
	prop := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
	data := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	return "::error title=" + prop.Replace(a.Title) + "::" + data.Replace(a.Message)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "\n", " ", "*", `\*`, "_", `\_`, "`", "'").Replace(s)
}

func mdCode(s string) string { return strings.ReplaceAll(s, "`", "'") }
