package reports

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// maxListedViolations caps the violations printed per check in junit.xml and
// report.html; results.json keeps whatever the check recorded.
const maxListedViolations = 200

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
	Name       string           `xml:"name,attr"`
	Classname  string           `xml:"classname,attr"`
	Time       string           `xml:"time,attr"`
	Properties *junitProperties `xml:"properties,omitempty"`
	Failure    *junitResult     `xml:"failure,omitempty"`
	Error      *junitResult     `xml:"error,omitempty"`
	Skipped    *junitResult     `xml:"skipped,omitempty"`
	SystemOut  string           `xml:"system-out,omitempty"`
	ms         int64
}

type junitResult struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",chardata"`
}

// WriteJUnit writes run as JUnit XML: one <testsuite> per area named
// "oneroster.<area>" (areas sorted), one <testcase> per check in the given
// order with classname "oneroster.<area>.<endpoint-slug>" and the check title
// as name. Suite errors, and a failing verdict no testcase accounts for,
// become an erroring testcase "suite setup" in class "oneroster.suite", so a
// broken run never looks green.
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
	props := suiteProperties(run)

	var suites []*junitTestsuite
	if c := suiteCase(run); c != nil {
		suites = append(suites, &junitTestsuite{Name: "oneroster.suite", Cases: []junitTestcase{*c}})
	}
	byArea := map[string]*junitTestsuite{}
	var areas []string
	used := map[string]map[string]bool{} // classname -> names
	for i := range run.Checks {
		c := &run.Checks[i]
		area := c.Area
		if area == "" {
			area = "other"
		}
		s := byArea[area]
		if s == nil {
			s = &junitTestsuite{Name: "oneroster." + area}
			byArea[area] = s
			areas = append(areas, area)
		}
		tc := checkCase(c, area)
		if used[tc.Classname] == nil {
			used[tc.Classname] = map[string]bool{}
		}
		tc.Name = uniqueName(used[tc.Classname], tc.Name)
		s.Cases = append(s.Cases, tc)
	}
	sort.Strings(areas)
	for _, a := range areas {
		suites = append(suites, byArea[a])
	}

	var totalMs int64
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
		s.Time = seconds(ms)
		s.Timestamp = timestamp
		s.Properties = props
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Skipped += s.Skipped
		totalMs += ms
		doc.Suites = append(doc.Suites, *s)
	}
	if d := run.Finished.Sub(run.Started); !run.Started.IsZero() && !run.Finished.IsZero() && d > 0 {
		totalMs = d.Milliseconds()
	}
	doc.Time = seconds(totalMs)
	return doc
}

func suiteProperties(run *Run) *junitProperties {
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
	add("verdict", run.Verdict)
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
			if o := run.Checks[i].Outcome; o == Fail || !knownOutcome(o) || o == Error {
				red = true
				break
			}
		}
		if v := strings.ToLower(run.Verdict); (v == "fail" || v == "error") && !red {
			errs = []string{fmt.Sprintf("the run's verdict is %q but no check failed or errored", run.Verdict)}
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
		Classname: "oneroster.suite",
		Time:      seconds(0),
		Error:     &junitResult{Message: msg, Type: "harness", Body: body.String()},
	}
}

func checkCase(c *CheckResult, area string) junitTestcase {
	name := c.Title
	if name == "" {
		name = c.ID
	}
	tc := junitTestcase{
		Name:      name,
		Classname: "oneroster." + area + "." + endpointSlug(c),
		Time:      seconds(c.DurationMs),
		ms:        c.DurationMs,
	}
	var props []junitProperty
	props = append(props, junitProperty{"check.id", c.ID})
	if c.Level != "" {
		props = append(props, junitProperty{"level", c.Level})
	}
	if c.Endpoint != "" {
		props = append(props, junitProperty{"endpoint", c.Endpoint})
	}
	for _, f := range c.Features {
		props = append(props, junitProperty{"feature", f})
	}
	for _, p := range c.Profiles {
		props = append(props, junitProperty{"profile", p.Profile + ":" + p.Tier + ":" + string(p.Outcome)})
	}
	tc.Properties = &junitProperties{props}

	switch c.Outcome {
	case Pass:
	case Advisory:
		// Advisory is never a JUnit failure: visible in the name and the output.
		tc.Name = "[advisory] " + tc.Name
		tc.SystemOut = caseBody(c)
	case Fail:
		msg := oneLine(c.Message)
		if msg == "" {
			msg = fmt.Sprintf("%d violation(s)", c.totalViolations())
		}
		tc.Failure = &junitResult{Message: msg, Type: "conformance", Body: caseBody(c)}
	case NotSupported, NotRun:
		msg := string(c.Outcome)
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
		tc.Error = &junitResult{Message: fmt.Sprintf("unknown outcome %q", c.Outcome), Type: "harness", Body: caseBody(c)}
	}
	return tc
}

// caseBody is the detail of a failure or error: message, violations and
// exchanges with their curl commands.
func caseBody(c *CheckResult) string {
	var b strings.Builder
	if c.Message != "" {
		b.WriteString(c.Message)
		b.WriteString("\n")
	}
	if total := c.totalViolations(); total > 0 {
		shown := min(len(c.Violations), maxListedViolations)
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
