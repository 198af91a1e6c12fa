package reports

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

// maxListedViolations caps the violations printed per check in junit.xml and
// report.html; results.json keeps whatever the check recorded.
const maxListedViolations = 200

// maxJUnitViolations caps the violations listed per testcase in junit.xml
// (a check appears once per profile there).
const maxJUnitViolations = 50

// maxMessageLen caps one-line messages in attributes and summaries.
const maxMessageLen = 300

type junitTestsuites struct {
	XMLName  xml.Name         `xml:"testsuites"`
	Name     string           `xml:"name,attr"`
	Tests    int              `xml:"tests,attr"`
	Failures int              `xml:"failures,attr"`
	Errors   int              `xml:"errors,attr"`
	Skipped  int              `xml:"skipped,attr"`
	Time     string           `xml:"time,attr"`
	Suites   []junitTestsuite `xml:"testsuite"`
}

type junitTestsuite struct {
	Name       string           `xml:"name,attr"`
	Tests      int              `xml:"tests,attr"`
	Failures   int              `xml:"failures,attr"`
	Errors     int              `xml:"errors,attr"`
	Skipped    int              `xml:"skipped,attr"`
	Time       string           `xml:"time,attr"`
	Timestamp  string           `xml:"timestamp,attr,omitempty"`
	Properties *junitProperties `xml:"properties,omitempty"`
	Cases      []junitTestcase  `xml:"testcase"`
}

type junitProperties struct {
	Props []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitTestcase struct {
	Name      string `xml:"name,attr"`
	Classname string `xml:"classname,attr"`
	Time      string `xml:"time,attr"`
	// The common schema has no testcase properties: the check ID leads
	// the name, and the rest is in the result body.
	Skipped   *junitResult `xml:"skipped,omitempty"`
	Error     *junitResult `xml:"error,omitempty"`
	Failure   *junitResult `xml:"failure,omitempty"`
	SystemOut string       `xml:"system-out,omitempty"`
	ms        int64
}

type junitResult struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",chardata"`
}

// WriteJUnit writes run as JUnit XML in the common (Jenkins/Ant) shape:
// one <testsuite> per profile, named after it, holding one <testcase> per
// check the profile selects, in the given order. The testcase name starts
// with the check ID ("rostering.users.schema GET /users ... [MUST]") and its
// classname is "<profile>.<area>.<endpoint-slug>" (dots in the profile name
// become "_", so CI tools do not split it into packages).
//
// Only what fails the profile is a <failure>: a check judged fail (an
// optional operation the provider serves counts in full; under --strict
// advisories are already judged fail). An advisory passes in JUnit terms:
// its name says "[advisory]" and <system-out> carries the violations. not-supported and
// not-run are <skipped>, error is <error>. Checks without per-profile
// outcomes (an old results.json) go to one suite "rostercheck".
//
// Suite errors, and a failing verdict no testcase accounts for, become an
// erroring testcase "suite setup" in class "rostercheck.suite", so a broken
// run never looks green. Times are the checks' own durations; each suite's
// time is the run's wall time (its checks ran concurrently).
func WriteJUnit(w io.Writer, run *Run) error {
	doc := buildJUnit(run)
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("junit: %w", err)
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

func buildJUnit(run *Run) *junitTestsuites {
	doc := &junitTestsuites{Name: "rostercheck"}
	timestamp := ""
	if !run.Started.IsZero() {
		// The common JUnit schema has no zone in timestamps: write UTC.
		timestamp = run.Started.UTC().Format("2006-01-02T15:04:05")
	}
	var wallMs int64
	if d := run.Wall(); !run.Started.IsZero() && !run.Finished.IsZero() && d > 0 {
		wallMs = d.Milliseconds()
	}

	var suites []*junitTestsuite
	if c := suiteCase(run); c != nil {
		suites = append(suites, &junitTestsuite{Name: "rostercheck.suite", Cases: []junitTestcase{*c}})
	}
	byProfile := map[string]*junitTestsuite{}
	var order []string
	used := map[string]map[string]bool{} // classname -> names
	add := func(profile string, tc junitTestcase) {
		s := byProfile[profile]
		if s == nil {
			s = &junitTestsuite{Name: profile}
			byProfile[profile] = s
			order = append(order, profile)
		}
		if used[tc.Classname] == nil {
			used[tc.Classname] = map[string]bool{}
		}
		tc.Name = uniqueName(used[tc.Classname], tc.Name)
		s.Cases = append(s.Cases, tc)
	}
	// Suites in the order of run.Profiles, then any other profile named by a check.
	for _, p := range run.Profiles {
		if byProfile[p.Name] == nil {
			byProfile[p.Name] = &junitTestsuite{Name: p.Name}
			order = append(order, p.Name)
		}
	}
	for i := range run.Checks {
		c := &run.Checks[i]
		if len(c.Profiles) == 0 {
			add("rostercheck", checkCase(c, "rostercheck", "", c.Outcome))
			continue
		}
		for _, po := range c.Profiles {
			o := po.Outcome
			if o == "" {
				o = c.Outcome
			}
			add(po.Profile, checkCase(c, po.Profile, po.Tier, o))
		}
	}
	for _, name := range order {
		suites = append(suites, byProfile[name])
	}

	var sumMs int64
	for _, s := range suites {
		var ms int64
		for _, c := range s.Cases {
			s.Tests++
			switch {
			case c.Failure != nil:
				s.Failures++
			case c.Error != nil:
				s.Errors++
			case c.Skipped != nil:
				s.Skipped++
			}
			ms += c.ms
		}
		if wallMs > 0 {
			ms = wallMs
		}
		s.Time = seconds(ms)
		s.Timestamp = timestamp
		s.Properties = suiteProperties(run, s.Name)
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Skipped += s.Skipped
		sumMs = max(sumMs, ms)
		doc.Suites = append(doc.Suites, *s)
	}
	if wallMs > 0 {
		sumMs = wallMs
	}
	doc.Time = seconds(sumMs)
	return doc
}

func suiteProperties(run *Run, profile string) *junitProperties {
	var p []junitProperty
	add := func(name, value string) {
		if value != "" {
			p = append(p, junitProperty{name, value})
		}
	}
	add("tool", run.Tool.Name)
	add("tool.version", run.Tool.Version)
	add("spec", run.Tool.Spec)
	add("catalogueHash", run.Tool.CatalogueHash)
	add("target.baseUrl", run.Target.BaseURL)
	add("target.auth", run.Target.Auth)
	if run.Target.Builtin {
		add("target.builtin", "true")
	}
	add("target.defect", run.Target.Defect)
	for _, pv := range run.Profiles {
		if pv.Name == profile {
			add("profile", pv.Name)
			add("profile.verdict", pv.Verdict)
			add("profile.reason", pv.Reason)
		}
	}
	add("verdict", run.Verdict)
	add("partial", run.Partial)
	if len(p) == 0 {
		return nil
	}
	return &junitProperties{p}
}

// suiteCase returns the "suite setup" testcase, or nil when the run has no
// suite errors and its verdict is accounted for by the check testcases.
func suiteCase(run *Run) *junitTestcase {
	errs := run.SuiteErrors
	if len(errs) == 0 {
		red := false
		for i := range run.Checks {
			c := &run.Checks[i]
			if o := c.Outcome; o == Fail || !knownOutcome(o) || o == Error {
				red = true
				break
			}
		}
		if v := strings.ToLower(run.Verdict); (v == "fail" || v == "error") && !red {
			errs = []string{fmt.Sprintf("the run's verdict is %q but no check failed or errored", run.Verdict)}
			for _, p := range run.Profiles {
				if p.Verdict == "fail" && p.Reason != "" {
					errs = []string{fmt.Sprintf("profile %s fails: %s", p.Name, p.Reason)}
					break
				}
			}
		} else {
			return nil
		}
	}
	msg := oneLine(errs[0])
	if len(errs) > 1 {
		msg = fmt.Sprintf("%s (and %d more)", msg, len(errs)-1)
	}
	var body strings.Builder
	body.WriteString("The suite did not run normally; its results are incomplete.\n")
	for _, e := range errs {
		fmt.Fprintf(&body, "- %s\n", e)
	}
	return &junitTestcase{
		Name:      "suite setup",
		Classname: "rostercheck.suite",
		Time:      seconds(0),
		Error:     &junitResult{Message: msg, Type: "harness", Body: body.String()},
	}
}

// junitClass is "<profile>.<area>.<endpoint-slug>" with the profile's dots
// replaced, so CI tools that split classnames into packages keep it whole.
func junitClass(profile string, c *CheckResult) string {
	area := c.Area
	if area == "" {
		area = "other"
	}
	return strings.ReplaceAll(profile, ".", "_") + "." + area + "." + endpointSlug(c)
}

// checkCase is the testcase of check c in one profile, judged o there.
func checkCase(c *CheckResult, profile, tier string, o Outcome) junitTestcase {
	title := c.Title
	name := c.ID
	if o == Advisory {
		name += " [advisory]"
	}
	if title != "" && title != c.ID {
		name += " " + title
	}
	tc := junitTestcase{
		Name:      name,
		Classname: junitClass(profile, c),
		Time:      seconds(c.DurationMs),
		ms:        c.DurationMs,
	}

	switch o {
	case Pass:
	case Advisory:
		// Advisory is never a JUnit failure: visible in the name and the output.
		tc.SystemOut = "advisory: " + caseBody(c)
	case Fail:
		msg := oneLine(c.Message)
		if msg == "" {
			msg = fmt.Sprintf("%d violation(s)", c.totalViolations())
		}
		tc.Failure = &junitResult{Message: msg, Type: "conformance", Body: caseBody(c)}
	case NotSupported, NotRun:
		msg := string(o)
		if m := oneLine(c.Message); m != "" {
			msg += ": " + m
		}
		tc.Skipped = &junitResult{Message: msg}
	case Error:
		msg := oneLine(c.Message)
		if msg == "" {
			msg = "harness error"
		}
		tc.Error = &junitResult{Message: msg, Type: "harness", Body: caseBody(c)}
	default:
		tc.Error = &junitResult{Message: fmt.Sprintf("unknown outcome %q", o), Type: "harness", Body: caseBody(c)}
	}
	return tc
}

// caseBody is the detail of a failure or error: message, violations and
// exchanges with their curl commands.
func caseBody(c *CheckResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s", c.ID)
	if c.Endpoint != "" {
		fmt.Fprintf(&b, " on %s", c.Endpoint)
	}
	if c.Level != "" {
		fmt.Fprintf(&b, " (%s)", c.Level)
	}
	b.WriteString("\n")
	if c.Message != "" {
		b.WriteString(c.Message)
		b.WriteString("\n")
	}
	if c.Source != "" {
		fmt.Fprintf(&b, "Source: %s\n", c.Source)
	}
	for _, rc := range c.Rules {
		fmt.Fprintf(&b, "Rule %s: %d violation(s)\n", rc.Rule, rc.Count)
	}
	if total := c.totalViolations(); total > 0 {
		shown := min(len(c.Violations), maxJUnitViolations)
		fmt.Fprintf(&b, "\nViolations (%d of %d):\n", shown, total)
		for _, v := range c.Violations[:shown] {
			ptr := v.Pointer
			if ptr == "" {
				ptr = "(document)"
			}
			b.WriteString("- ")
			b.WriteString(ptr)
			if v.RecordID != "" {
				fmt.Fprintf(&b, " record %s", v.RecordID)
			}
			if v.ExchangeID != 0 {
				fmt.Fprintf(&b, " (exchange #%d)", v.ExchangeID)
			}
			fmt.Fprintf(&b, ": %s\n", oneLine(v.Message))
		}
		if more := total - shown; more > 0 {
			fmt.Fprintf(&b, "... and %d more\n", more)
		}
	}
	if len(c.Exchanges) > 0 {
		b.WriteString("\nExchanges:\n")
		for i := range c.Exchanges {
			e := &c.Exchanges[i]
			fmt.Fprintf(&b, "#%d %s %s -> %s (%d ms)\n", e.ID, e.Method, e.URL, exchangeStatus(e), e.DurationMs)
			if e.Curl != "" {
				fmt.Fprintf(&b, "  %s\n", e.Curl)
			}
		}
	}
	return b.String()
}

func exchangeStatus(e *Exchange) string {
	switch {
	case e.Error != "" && e.Status == 0:
		return "error: " + oneLine(e.Error)
	case e.Error != "":
		return fmt.Sprintf("%d (error: %s)", e.Status, oneLine(e.Error))
	case e.Status == 0:
		return "no response"
	}
	return fmt.Sprint(e.Status)
}

// endpointSlug is the second dot-separated segment of the check ID
// ("rostering.schools-classes.paging" -> "schools-classes"); for an ID
// without one it is derived from the endpoint template as the conventions
// define it.
func endpointSlug(c *CheckResult) string {
	if parts := strings.SplitN(c.ID, ".", 3); len(parts) >= 2 && parts[1] != "" {
		return parts[1]
	}
	var segs []string
	for _, s := range strings.Split(c.Endpoint, "/") {
		if s == "" || strings.HasPrefix(s, "{") {
			continue
		}
		segs = append(segs, strings.ToLower(s))
	}
	if len(segs) == 0 {
		return "other"
	}
	return strings.Join(segs, "-")
}

// uniqueName returns name, or name with " (2)", " (3)" ... appended if it is
// already in used, and records the result.
func uniqueName(used map[string]bool, name string) string {
	n := name
	for i := 2; used[n]; i++ {
		n = fmt.Sprintf("%s (%d)", name, i)
	}
	used[n] = true
	return n
}

func seconds(ms int64) string {
	return fmt.Sprintf("%.3f", (time.Duration(ms) * time.Millisecond).Seconds())
}

// oneLine collapses whitespace (including newlines) and caps the length.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > maxMessageLen {
		s = string(r[:maxMessageLen]) + "…"
	}
	return s
}
