package runner

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/rostercheck/rostercheck/internal/client"
	"github.com/rostercheck/rostercheck/reports"
	"github.com/rostercheck/rostercheck/suites"
)

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// inCI reports whether the process runs under a CI system ($CI set, as
// GitHub Actions, GitLab CI and most others do).
func inCI() bool {
	v, ok := os.LookupEnv("CI")
	return ok && v != "" && v != "false" && v != "0"
}

// useColour: colour only on a terminal, never with $NO_COLOR (any value).
func useColour(w io.Writer) bool {
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		return false
	}
	return isTerminal(w)
}

// ciProgressEvery is the least time between two progress lines in CI or
// without a terminal.
const ciProgressEvery = 5 * time.Second

// progress prints signs of life while a run works: on a terminal one live
// line rewritten a few times a second; elsewhere (CI, a pipe, a file) a
// plain line every few seconds at most.
type progress struct {
	w     io.Writer
	live  bool
	every time.Duration
	total int
	env   *suites.Env
	store *client.Store
	start time.Time
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
}

func startProgress(w io.Writer, live bool, every time.Duration, total int, env *suites.Env, store *client.Store) *progress {
	p := &progress{w: w, live: live, every: every, total: total, env: env, store: store, start: time.Now(),
		stop: make(chan struct{}), done: make(chan struct{})}
	go p.loop()
	return p
}

func (p *progress) loop() {
	defer close(p.done)
	t := time.NewTicker(p.every)
	defer t.Stop()
	last := ""
	shown := 0 // lines of the live block on screen
	prev := map[string]int64{}
	for {
		select {
		case <-p.stop:
			if p.live {
				fmt.Fprint(p.w, rewind(shown)+"\x1b[J")
			}
			return
		case <-t.C:
			line := p.line()
			if p.live {
				// The summary line, then the endpoints walked since the last tick.
				lines := append([]string{line}, p.walking(prev)...)
				for i := range lines {
					lines[i] = fitWidth(lines[i]) // a wrapped line would break the rewind
				}
				fmt.Fprint(p.w, rewind(shown)+"\x1b[J"+strings.Join(lines, "\n"))
				shown = len(lines)
			} else if line != last {
				fmt.Fprintf(p.w, "rostercheck: %s\n", line)
			}
			last = line
		}
	}
}

// fitWidth cuts a live line to the terminal's width ($COLUMNS, else 80).
func fitWidth(s string) string {
	w := 80
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 20 {
		w = n
	}
	if r := []rune(s); len(r) > w-1 {
		return string(r[:w-2]) + "…"
	}
	return s
}

// rewind moves the cursor to the start of a live block of n lines.
func rewind(n int) string {
	if n <= 1 {
		return "\r"
	}
	return fmt.Sprintf("\r\x1b[%dA", n-1)
}

// maxLiveEndpoints is how many endpoint lines the live block shows.
const maxLiveEndpoints = 4

// walking lists the endpoints whose walks read pages since the last call,
// with their pages and records so far.
func (p *progress) walking(prev map[string]int64) []string {
	var out []string
	for _, ep := range p.env.Progress().Endpoints {
		if ep.Pages != prev[ep.Endpoint] && len(out) < maxLiveEndpoints {
			out = append(out, fmt.Sprintf("  walking %s: %s pages, %s records", ep.Endpoint, reports.Thousands(int(ep.Pages)), reports.Thousands(int(ep.Records))))
		}
		prev[ep.Endpoint] = ep.Pages
	}
	return out
}

// line is "12s  checks 120/344  requests 812  pages 640  records 61,234"
// and, in the plain (CI) form, the endpoint walked last with its pages and records.
func (p *progress) line() string {
	pr := p.env.Progress()
	el := time.Since(p.start).Round(time.Second)
	s := fmt.Sprintf("%s  checks %d/%d  requests %s  pages %s  records %s", el, pr.Checks, p.total,
		reports.Thousands(p.store.Count()), reports.Thousands(int(pr.Pages)), reports.Thousands(int(pr.Records)))
	if pr.Endpoint != "" && !p.live {
		s += fmt.Sprintf("  %s: %s pages, %s records", pr.Endpoint, reports.Thousands(int(pr.EndpointPages)), reports.Thousands(int(pr.EndpointRecords)))
	}
	return s
}

// Stop ends the progress output (and clears the live line).
func (p *progress) Stop() {
	if p == nil {
		return
	}
	p.once.Do(func() { close(p.stop); <-p.done })
}

// palette colours verdict words, or not.
type palette bool

func (c palette) word(s string) string {
	up := strings.ToUpper(s)
	if !c {
		return up
	}
	code := "0"
	switch s {
	case "pass", "fixed":
		code = "1;32"
	case "fail", "new":
		code = "1;31"
	case "partial", "advisory":
		code = "1;33"
	case "error":
		code = "1;35"
	}
	return "\x1b[" + code + "m" + up + "\x1b[0m"
}

// maxConsoleGroups is how many root causes the console lists.
const maxConsoleGroups = 5

// printSummary prints the end of a run: a table per profile, the top
// failures grouped by root cause (rule), the verdict. It never lists checks
// one by one unless verbose (an interrupted run has hundreds not run).
func printSummary(w io.Writer, run *reports.Run, colour, quiet, verbose bool) {
	c := palette(colour)
	if quiet {
		fmt.Fprintf(w, "verdict: %s%s\n", c.word(run.Verdict), partialNote(run))
		return
	}
	if verbose {
		for _, ch := range run.Checks {
			if ch.Outcome == reports.Fail || ch.Outcome == reports.Error || ch.Outcome == reports.Advisory {
				fmt.Fprintf(w, "%-8s %s: %s\n", strings.ToUpper(string(ch.Outcome)), ch.ID, suites.OneLine(ch.Message))
			}
		}
	}
	groups := reports.GroupFailures(run)
	printDiff(w, run.Diff, c)
	printFixFirst(w, run, groups, c)
	s := run.Summary
	took := ""
	if d := run.Wall(); d > 0 {
		took = " in " + d.Round(100*time.Millisecond).String()
	}
	fmt.Fprintf(w, "\n%d checks%s, %s requests, %s records\n", s.Total, took, reports.Thousands(int(run.Stats.Requests)), reports.Thousands(int(run.Stats.Records)))
	fmt.Fprintf(w, "  %d pass, %d fail, %d advisory, %d not-supported, %d not-run, %d error\n\n", s.Pass, s.Fail, s.Advisory, s.NotSupported, s.NotRun, s.Error)

	if len(run.Profiles) > 0 {
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PROFILE\tVERDICT\tPASSED\tMUST FAILURES\tADVISORIES\tNOT SUPPORTED\tNOT RUN\tERRORS\t")
		for _, p := range run.Profiles {
			// The colour codes are the same width on every row, so tabwriter still aligns.
			fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%d\t%d\t%d\t%d\t%d\t\n", p.Name, c.word(p.Verdict), p.Passed, p.Total, p.MustFailed, p.Advisories, p.NotSupported, p.NotRun, p.Errors)
		}
		_ = tw.Flush()
		for _, p := range run.Profiles {
			if p.Verdict != "pass" && p.Reason != "" && p.Reason != run.Partial { // the verdict line says that once
				fmt.Fprintf(w, "  %s: %s\n", p.Name, p.Reason)
			}
		}
	}

	printThrottling(w, run.Stats)

	if len(groups) > 0 {
		n := min(len(groups), maxConsoleGroups)
		fmt.Fprintf(w, "\nTop failures by root cause (%d of %d):\n", n, len(groups))
		for _, g := range groups[:n] {
			fmt.Fprintf(w, "  %s  %s: %s\n", c.word(string(g.Outcome)), g.Name(), g.Summary())
			if g.Title != "" {
				fmt.Fprintf(w, "      %s\n", suites.OneLine(g.Title))
			}
			if len(g.FailIn) > 0 {
				fmt.Fprintf(w, "      fails %s", strings.Join(g.FailIn, ", "))
				if len(g.AdviseIn) > 0 {
					fmt.Fprintf(w, "; advisory in %s", strings.Join(g.AdviseIn, ", "))
				}
				fmt.Fprintln(w)
			} else if len(g.AdviseIn) > 0 {
				fmt.Fprintf(w, "      advisory in %s\n", strings.Join(g.AdviseIn, ", "))
			}
			if len(g.Examples) > 0 {
				e := g.Examples[0]
				where := e.Pointer
				if e.RecordID != "" {
					where = "record " + e.RecordID + " " + where
				}
				fmt.Fprintf(w, "      e.g. %s: %s %s\n", e.CheckID, strings.TrimSpace(where), suites.OneLine(e.Message))
			} else if len(g.Checks) > 0 && g.Checks[0].Message != "" {
				fmt.Fprintf(w, "      %s: %s\n", g.Checks[0].ID, suites.OneLine(g.Checks[0].Message))
			}
			if g.Hint != "" {
				fmt.Fprintf(w, "      fix: %s\n", suites.OneLine(g.Hint))
			}
		}
	}
	if len(run.SuiteErrors) > 0 {
		fmt.Fprintln(w)
		errs := append([]string(nil), run.SuiteErrors...)
		sort.Strings(errs)
		for i, e := range errs {
			if i == 3 {
				fmt.Fprintf(w, "suite: … and %d more (see the reports)\n", len(errs)-3)
				break
			}
			fmt.Fprintf(w, "suite: %s\n", suites.OneLine(e))
		}
	}
	fmt.Fprintf(w, "\nverdict: %s%s\n", c.word(run.Verdict), partialNote(run))
}

func partialNote(run *reports.Run) string {
	if run.Partial == "" {
		return ""
	}
	return " (" + run.Partial + ")"
}

// maxConsoleDiff is how many new failures the console lists.
const maxConsoleDiff = 10

// printDiff leads with what changed since the --baseline run.
func printDiff(w io.Writer, d *reports.Diff, c palette) {
	if d == nil {
		return
	}
	fmt.Fprintf(w, "\nSince the baseline (%s): %d new failure(s), %d fixed, %d still failing\n", d.Baseline, len(d.New), len(d.Fixed), len(d.Unchanged))
	for i, e := range d.New {
		if i == maxConsoleDiff {
			fmt.Fprintf(w, "  … and %d more new (results.json: diff.new)\n", len(d.New)-i)
			break
		}
		fmt.Fprintf(w, "  %s  %s [%s]", c.word("new"), e.Check, e.Profile)
		if len(e.Rules) > 0 {
			fmt.Fprintf(w, ": %s", reports.RuleCounts(e.Rules))
		}
		fmt.Fprintln(w)
	}
	for i, e := range d.Fixed {
		if i == maxConsoleDiff {
			fmt.Fprintf(w, "  … and %d more fixed (results.json: diff.fixed)\n", len(d.Fixed)-i)
			break
		}
		fmt.Fprintf(w, "  %s  %s [%s]\n", c.word("fixed"), e.Check, e.Profile)
	}
}

// printFixFirst prints, per profile, its verdict and top causes by impact.
func printFixFirst(w io.Writer, run *reports.Run, groups []reports.FailureGroup, c palette) {
	ff := reports.FixFirst(run, groups)
	some := false
	for _, p := range ff {
		some = some || len(p.Causes) > 0
	}
	if !some {
		return
	}
	fmt.Fprintln(w, "\nFix these first:")
	for _, p := range ff {
		if len(p.Causes) == 0 {
			continue // the table below gives its verdict
		}
		fmt.Fprintf(w, "  %s  %s\n", p.Profile, c.word(p.Verdict))
		for i, g := range p.Causes {
			fmt.Fprintf(w, "    %d. [%s] %s\n", i+1, reports.TierName(g.Tier), g.CauseLine())
			if g.Hint != "" {
				fmt.Fprintf(w, "       fix: %s\n", suites.OneLine(g.Hint))
			}
		}
	}
}
