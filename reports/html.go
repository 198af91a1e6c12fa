package reports

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
	"time"
)

//go:embed templates/report.html.tmpl
var templateFS embed.FS

var reportTemplate = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
	"upper": strings.ToUpper,
}).ParseFS(templateFS, "templates/report.html.tmpl"))

// maxHTMLBody caps each request or response body shown in report.html.
const maxHTMLBody = 64 << 10

type htmlView struct {
	Run          *Run
	Verdict      string // PASS | FAIL | ERROR
	VerdictClass string
	Started      string
	Finished     string
	Duration     string
	PassRate     string
	Endpoints    []endpointRow
	Problems     []checkView // fail and error, in the given order
	Skipped      []checkView // not-supported and not-run
	Passed       []checkView
	Config       []kv
}

type endpointRow struct {
	Area, Endpoint                                           string
	Total, Pass, Fail, Advisory, NotSupported, NotRun, Error int
	Anchor                                                   string // first check of the endpoint
	Problems                                                 []string
}

type checkView struct {
	*CheckResult
	Outcome    string // display form
	Class      string // CSS class suffix: a known outcome, or "error"
	Violations []Violation
	More       int
	Total      int
	Exchanges  []exchangeView
}

type exchangeView struct {
	*Exchange
	StatusText      string
	RequestHeaders  []kv
	ResponseHeaders []kv
	RequestBody     string
	RequestCut      int
	ResponseBody    string
	ResponseCut     int
}

type kv struct{ K, V string }

// WriteHTML writes run as one self-contained HTML page: inline CSS only, no
// scripts, fonts or other external resources, readable without CSS (for
// example under Jenkins' default Content-Security-Policy). Failed and errored
// checks come first, open, with their evidence.
func WriteHTML(w io.Writer, run *Run) error {
	var buf bytes.Buffer
	if err := reportTemplate.Execute(&buf, buildHTMLView(run)); err != nil {
		return fmt.Errorf("report.html: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func buildHTMLView(run *Run) *htmlView {
	v := &htmlView{Run: run}
	v.Verdict = displayVerdict(run)
	v.VerdictClass = "v-" + strings.ToLower(v.Verdict)
	if !run.Started.IsZero() {
		v.Started = run.Started.UTC().Format(time.RFC3339)
	}
	if !run.Finished.IsZero() {
		v.Finished = run.Finished.UTC().Format(time.RFC3339)
	}
	if !run.Started.IsZero() && !run.Finished.IsZero() && run.Finished.After(run.Started) {
		v.Duration = run.Finished.Sub(run.Started).Round(time.Millisecond).String()
	}
	if decided := run.Summary.Pass + run.Summary.Fail; decided > 0 {
		v.PassRate = fmt.Sprintf("%.1f%% (%d of %d checks that passed or failed)",
			100*float64(run.Summary.Pass)/float64(decided), run.Summary.Pass, decided)
	}

	rows := map[[2]string]*endpointRow{}
	for i := range run.Checks {
		c := &run.Checks[i]
		key := [2]string{c.Area, c.Endpoint}
		row := rows[key]
		if row == nil {
			row = &endpointRow{Area: c.Area, Endpoint: c.Endpoint, Anchor: c.ID}
			if row.Endpoint == "" {
				row.Endpoint = "(none)"
			}
			rows[key] = row
		}
		row.Total++
		switch c.Outcome {
		case Pass:
			row.Pass++
		case Fail:
			row.Fail++
		case NotSupported:
			row.NotSupported++
		case Advisory:
			row.Advisory++
		case NotRun:
			row.NotRun++
		default:
			row.Error++
		}
		cv := newCheckView(c)
		switch c.Outcome {
		case Pass:
			v.Passed = append(v.Passed, cv)
		case NotSupported, NotRun:
			v.Skipped = append(v.Skipped, cv)
		default:
			row.Problems = append(row.Problems, c.ID)
			v.Problems = append(v.Problems, cv)
		}
	}
	for _, r := range rows {
		v.Endpoints = append(v.Endpoints, *r)
	}
	sort.Slice(v.Endpoints, func(i, j int) bool {
		a, b := v.Endpoints[i], v.Endpoints[j]
		if a.Area != b.Area {
			return a.Area < b.Area
		}
		return a.Endpoint < b.Endpoint
	})
	v.Config = sortedKV(run.Config)
	return v
}

// displayVerdict is the big word in the header. An unknown verdict, or a
// "pass" contradicted by suite errors, shows as ERROR.
func displayVerdict(run *Run) string {
	switch v := strings.ToLower(run.Verdict); {
	case v == "pass" && len(run.SuiteErrors) == 0:
		return "PASS"
	case v == "fail":
		return "FAIL"
	}
	return "ERROR"
}

func newCheckView(c *CheckResult) checkView {
	cv := checkView{CheckResult: c, Outcome: string(c.Outcome), Class: string(c.Outcome), Total: c.totalViolations()}
	if !knownOutcome(c.Outcome) {
		cv.Outcome = fmt.Sprintf("error (unknown outcome %q)", c.Outcome)
		cv.Class = string(Error)
	}
	if c.Outcome == Pass {
		return cv
	}
	shown := min(len(c.Violations), maxListedViolations)
	cv.Violations = c.Violations[:shown]
	cv.More = cv.Total - shown
	for i := range c.Exchanges {
		e := &c.Exchanges[i]
		ev := exchangeView{
			Exchange:        e,
			StatusText:      exchangeStatus(e),
			RequestHeaders:  sortedKV(e.RequestHeaders),
			ResponseHeaders: sortedKV(e.ResponseHeaders),
		}
		ev.RequestBody, ev.RequestCut = capBody(e.RequestBody)
		ev.ResponseBody, ev.ResponseCut = capBody(e.ResponseBody)
		cv.Exchanges = append(cv.Exchanges, ev)
	}
	return cv
}

// capBody cuts s to maxHTMLBody bytes on a rune boundary and returns how
// many bytes were cut.
func capBody(s string) (string, int) {
	if len(s) <= maxHTMLBody {
		return s, 0
	}
	n := maxHTMLBody
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n], len(s) - n
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

func sortedKV(m map[string]string) []kv {
	out := make([]kv, 0, len(m))
	for k, v := range m {
		out = append(out, kv{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].K < out[j].K })
	return out
}
