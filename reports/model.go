// Package reports holds rostercheck's own result model (independent of the
// test engine) and writes it as junit.xml, results.json and report.html.
//
// Every writer is deterministic for a given Run: no clocks, no map-order
// dependence. Secrets are removed by a Redactor at the final writer (and, in
// WriteAll, also from the data before it is formatted).
//
// The package imports only the standard library; in particular it never
// imports Ginkgo.
package reports

import "time"

// SchemaVersion is the version of the results.json layout written by
// WriteJSON. ReadJSON refuses files with a higher version.
const SchemaVersion = 1

// Outcome is the result of one check.
type Outcome string

// The five outcomes. Pass and Fail are about the provider; NotSupported means
// the target does not declare a feature the check needs; Disabled means the
// user turned the check off; Error means the harness or the network broke and
// the check could not decide.
const (
	Pass         Outcome = "pass"
	Fail         Outcome = "fail"
	NotSupported Outcome = "not-supported"
	Disabled     Outcome = "disabled"
	Error        Outcome = "error"
)

// Run is one complete conformance run.
type Run struct {
	SchemaVersion int               `json:"schemaVersion"` // 1
	Tool          Tool              `json:"tool"`
	Target        Target            `json:"target"`
	Profiles      []ProfileVerdict  `json:"profiles"`
	Verdict       string            `json:"verdict"` // "pass" | "fail" | "error"
	Started       time.Time         `json:"started"`
	Finished      time.Time         `json:"finished"`
	Summary       Summary           `json:"summary"`
	Config        map[string]string `json:"config"`                // effective config, already redacted by the caller
	SuiteErrors   []string          `json:"suiteErrors,omitempty"` // harness/suite-level failures (setup failed, timeout)
	Checks        []CheckResult     `json:"checks"`
	// Stats is optional run-wide traffic accounting filled in by the runner.
	Stats Stats `json:"stats,omitzero"`
}

// Stats is run-wide traffic accounting.
type Stats struct {
	Requests int64 `json:"requests,omitempty"` // HTTP exchanges made
	Records  int64 `json:"records,omitempty"`  // records received and examined
}

// Tool identifies the harness that produced the run.
type Tool struct {
	Name          string `json:"name"`
	Version       string `json:"version"`
	Spec          string `json:"spec"`
	CatalogueHash string `json:"catalogueHash"`
}

// Target describes the provider under test.
type Target struct {
	BaseURL  string `json:"baseUrl"`
	TokenURL string `json:"tokenUrl"`
	Auth     string `json:"auth"`
	Builtin  bool   `json:"builtin"`
	Defect   string `json:"defect,omitempty"`
}

// ProfileVerdict is the verdict for one consumer profile.
type ProfileVerdict struct {
	Name         string `json:"name"`
	Verdict      string `json:"verdict"` // pass | fail
	MustFailed   int    `json:"mustFailed"`
	ShouldFailed int    `json:"shouldFailed"`
	Passed       int    `json:"passed"`
	Total        int    `json:"total"`
}

// Summary counts checks by outcome. See Run.Recount.
type Summary struct {
	Total        int `json:"total"`
	Pass         int `json:"pass"`
	Fail         int `json:"fail"`
	NotSupported int `json:"notSupported"`
	Disabled     int `json:"disabled"`
	Error        int `json:"error"`
}

// CheckResult is the result of one check.
type CheckResult struct {
	ID              string      `json:"id"`
	Title           string      `json:"title"`    // spec text, e.g. "GET /users pages are disjoint and their union equals X-Total-Count [MUST]"
	Area            string      `json:"area"`     // rostering | gradebook | resources | ...
	Endpoint        string      `json:"endpoint"` // path template, e.g. "/schools/{id}/classes"
	Level           string      `json:"level"`    // MUST | SHOULD
	Features        []string    `json:"features"`
	Profiles        []string    `json:"profiles"`
	Outcome         Outcome     `json:"outcome"`
	Message         string      `json:"message,omitempty"`    // one line
	Violations      []Violation `json:"violations,omitempty"` // capped list
	ViolationsTotal int         `json:"violationsTotal,omitempty"`
	Exchanges       []Exchange  `json:"exchanges,omitempty"`
	DurationMs      int64       `json:"durationMs"`
}

// Violation is one way the provider broke the rule a check tests.
type Violation struct {
	Pointer    string `json:"pointer,omitempty"` // JSON pointer into the response body
	RecordID   string `json:"recordId,omitempty"`
	Message    string `json:"message"`
	ExchangeID uint64 `json:"exchangeId,omitempty"`
}

// Exchange is one recorded HTTP request and its response.
type Exchange struct {
	ID                uint64            `json:"id"`
	Method            string            `json:"method"`
	URL               string            `json:"url"`
	Status            int               `json:"status,omitempty"` // 0 when no response was received
	RequestHeaders    map[string]string `json:"requestHeaders,omitempty"`
	ResponseHeaders   map[string]string `json:"responseHeaders,omitempty"`
	RequestBody       string            `json:"requestBody,omitempty"`
	ResponseBody      string            `json:"responseBody,omitempty"`
	ResponseTruncated bool              `json:"responseTruncated,omitempty"`
	DurationMs        int64             `json:"durationMs"`
	Error             string            `json:"error,omitempty"`
	Curl              string            `json:"curl,omitempty"`
}

// Recount recomputes Summary from Checks. An outcome that is not one of the
// five known ones is counted as Error, so that it can never look green.
func (r *Run) Recount() {
	s := Summary{Total: len(r.Checks)}
	for i := range r.Checks {
		switch r.Checks[i].Outcome {
		case Pass:
			s.Pass++
		case Fail:
			s.Fail++
		case NotSupported:
			s.NotSupported++
		case Disabled:
			s.Disabled++
		default:
			s.Error++
		}
	}
	r.Summary = s
}

// knownOutcome reports whether o is one of the five outcomes.
func knownOutcome(o Outcome) bool {
	switch o {
	case Pass, Fail, NotSupported, Disabled, Error:
		return true
	}
	return false
}

// totalViolations is the number of violations a check found, including
// those not kept in the capped list.
func (c *CheckResult) totalViolations() int {
	if c.ViolationsTotal > len(c.Violations) {
		return c.ViolationsTotal
	}
	return len(c.Violations)
}
