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

// The six outcomes, the same words in every report. Pass, Fail and Advisory
// are about the provider: Fail is a violation of a rule that is MUST for the
// profile, Advisory one that is SHOULD (shown, never a failure unless
// --strict). NotSupported means the target's data gives the check nothing to
// exercise (or an optional operation is not served); NotRun means the check
// was not sent (writes without --allow-writes, a service the provider does
// not declare, an interrupted run); Error means the harness or the network
// broke and the check could not decide.
const (
	Pass         Outcome = "pass"
	Fail         Outcome = "fail"
	Advisory     Outcome = "advisory"
	NotSupported Outcome = "not-supported"
	NotRun       Outcome = "not-run"
	Error        Outcome = "error"
)

// severity orders outcomes for a check judged by several profiles: its
// overall outcome is the most severe of them.
func severity(o Outcome) int {
	switch o {
	case Pass:
		return 0
	case NotSupported:
		return 1
	case NotRun:
		return 2
	case Advisory:
		return 3
	case Fail:
		return 5
	}
	return 4 // error, or unknown
}

// Worst returns the most severe outcome; fail outranks error (a provider
// fault someone can act on), and any unknown word counts as error.
func Worst(os ...Outcome) Outcome {
	w := Pass
	for _, o := range os {
		if !knownOutcome(o) {
			o = Error
		}
		if severity(o) > severity(w) {
			w = o
		}
	}
	return w
}

// Option is one typed configuration value in Run.Config: a string, a
// number, a boolean or a list of strings.
type Option = any

// Run is one complete conformance run.
type Run struct {
	SchemaVersion int               `json:"schemaVersion"` // 1
	Tool          Tool              `json:"tool"`
	Target        Target            `json:"target"`
	Profiles      []ProfileVerdict  `json:"profiles"`
	Verdict       string            `json:"verdict"` // "pass" | "fail" | "partial" | "error"
	Started       time.Time         `json:"started"`
	Finished      time.Time         `json:"finished"`
	Summary       Summary           `json:"summary"`
	Config        map[string]Option `json:"config"`                // effective config, typed, already redacted by the caller
	SuiteErrors   []string          `json:"suiteErrors,omitempty"` // harness/suite-level failures (setup failed, timeout)
	// Partial says why the run is not a full verdict (a --check filter, an
	// interrupt); empty for a full run.
	Partial string        `json:"partial,omitempty"`
	Checks  []CheckResult `json:"checks"`
	// Rules is the vocabulary of the rules this run's violations name,
	// with each profile's level.
	Rules []RuleInfo `json:"rules,omitempty"`
	// Stats is optional run-wide traffic accounting filled in by the runner.
	Stats Stats `json:"stats,omitzero"`
	// Leftovers are objects the write checks created and could not delete
	// ('rostercheck cleanup --from results.json' retries them).
	Leftovers []Leftover `json:"leftovers,omitempty"`
	// Latency is request latency per endpoint and the slowest requests.
	Latency *Latency `json:"latency,omitempty"`
	// Previews are the import previews of the profiles that define one.
	Previews []ImportPreview `json:"previews,omitempty"`
	// ConsumerLatency is a consumer's own per-request latency table
	// (Google Classroom's latency_report), when its profile ran.
	ConsumerLatency *ConsumerLatency `json:"consumerLatency,omitempty"`
	// Groups are the failures by root cause, most impact first, each with
	// a repro script (computed from Checks when results.json is written).
	Groups []GroupResult `json:"groups,omitempty"`
	// Diff compares the run with the --baseline run, when one was given.
	Diff *Diff `json:"diff,omitempty"`
}

// Stats is run-wide traffic accounting.
type Stats struct {
	Requests int64 `json:"requests,omitempty"` // HTTP exchanges made
	Records  int64 `json:"records,omitempty"`  // records received and examined
	// Renewed counts requests answered 401 mid-run that were sent again
	// with a fresh token (the provider revoked or expired it under them).
	Renewed int64 `json:"renewed,omitempty"`
	// Throttled counts 429 (and 503 with Retry-After) answers waited out,
	// ThrottleWaitSeconds the time that took, ThrottleGaveUp the throttled
	// answers kept because the run's deadline was near, ResetRetries the
	// requests tried again after a reset or refused connection. They are
	// findings about the provider, never check failures.
	Throttled           int64   `json:"throttled,omitempty"`
	ThrottleWaitSeconds float64 `json:"throttleWaitSeconds,omitempty"`
	ThrottleGaveUp      int64   `json:"throttleGaveUp,omitempty"`
	ResetRetries        int64   `json:"resetRetries,omitempty"`
	// ConnectionsDropped counts requests the provider closed without an
	// answer (a reset that repeated), Duplicates the GETs sent again with
	// the same URL and credentials, MeanInFlight the average number of
	// requests in flight (sum of request durations / run wall time).
	ConnectionsDropped int64 `json:"connectionsDropped,omitempty"`
	Duplicates         int64 `json:"duplicates,omitempty"`
	// SharedGETs counts the GETs not sent: answered with the response of
	// an identical earlier GET (same URL, headers and credentials, no
	// write in between).
	SharedGETs   int64   `json:"sharedGets,omitempty"`
	MeanInFlight float64 `json:"meanInFlight,omitempty"`
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
	Name    string `json:"name"`
	Title   string `json:"title,omitempty"`
	Source  string `json:"source,omitempty"`
	Verdict string `json:"verdict"` // pass | fail | partial | error
	// Reason says in one line what decided a verdict other than pass.
	Reason       string `json:"reason,omitempty"`
	MustFailed   int    `json:"mustFailed"`   // required checks judged fail
	Advisories   int    `json:"advisories"`   // checks judged advisory (or failing an optional operation)
	Passed       int    `json:"passed"`       //
	NotSupported int    `json:"notSupported"` //
	NotRun       int    `json:"notRun"`       //
	Errors       int    `json:"errors"`       //
	Total        int    `json:"total"`        // checks of the profile
	// Spec is the OneRoster version the profile judges (oneroster-1.1,
	// oneroster-1.2).
	Spec string `json:"spec,omitempty"`
}

// ProfileOutcome is a check's outcome as one profile judges it.
type ProfileOutcome struct {
	Profile string  `json:"profile"`
	Tier    string  `json:"tier"` // required | optional
	Outcome Outcome `json:"outcome"`
}

// RuleCount is how many violations of one rule a check found.
type RuleCount struct {
	Rule  string `json:"rule"`
	Count int    `json:"count"`
}

// RuleInfo describes a rule and the level each profile of the run gives it.
type RuleInfo struct {
	ID     string            `json:"id"`
	Title  string            `json:"title"`
	Source string            `json:"source,omitempty"`
	Hint   string            `json:"hint,omitempty"`
	Levels map[string]string `json:"levels"` // profile -> MUST | SHOULD | ignore
}

// Summary counts checks by outcome. See Run.Recount.
type Summary struct {
	Total        int `json:"total"`
	Pass         int `json:"pass"`
	Fail         int `json:"fail"`
	Advisory     int `json:"advisory"`
	NotSupported int `json:"notSupported"`
	NotRun       int `json:"notRun"`
	Error        int `json:"error"`
}

// CheckResult is the result of one check.
type CheckResult struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`    // spec text, e.g. "GET /users pages are disjoint and their union equals X-Total-Count [MUST]"
	Area     string   `json:"area"`     // rostering | gradebook | resources | ...
	Endpoint string   `json:"endpoint"` // path template, e.g. "/schools/{id}/classes"
	Level    string   `json:"level"`    // MUST | SHOULD
	Features []string `json:"features"`
	Source   string   `json:"source,omitempty"` // the spec section or seed sentence it enforces
	// Profiles is the check's outcome in each profile that selects it;
	// Outcome is the most severe of them.
	Profiles        []ProfileOutcome `json:"profiles"`
	Outcome         Outcome          `json:"outcome"`
	Rules           []RuleCount      `json:"rules,omitempty"`
	Message         string           `json:"message,omitempty"`    // one line
	Violations      []Violation      `json:"violations,omitempty"` // capped list
	ViolationsTotal int              `json:"violationsTotal,omitempty"`
	Exchanges       []Exchange       `json:"exchanges,omitempty"`
	DurationMs      int64            `json:"durationMs"`
}

// Violation is one way the provider broke the rule a check tests.
type Violation struct {
	Rule       string `json:"rule,omitempty"`
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
	ResponseSize      int64             `json:"responseSize,omitempty"` // bytes of the whole decoded body (ResponseBody may be a cut)
	DurationMs        int64             `json:"durationMs"`
	Error             string            `json:"error,omitempty"`
	Curl              string            `json:"curl,omitempty"`
}

// Recount recomputes Summary from Checks. An outcome that is not one of the
// six known ones is counted as Error, so that it can never look green.
func (r *Run) Recount() {
	s := Summary{Total: len(r.Checks)}
	for i := range r.Checks {
		switch r.Checks[i].Outcome {
		case Pass:
			s.Pass++
		case Fail:
			s.Fail++
		case Advisory:
			s.Advisory++
		case NotSupported:
			s.NotSupported++
		case NotRun:
			s.NotRun++
		default:
			s.Error++
		}
	}
	r.Summary = s
}

// knownOutcome reports whether o is one of the six outcomes.
func knownOutcome(o Outcome) bool {
	switch o {
	case Pass, Fail, Advisory, NotSupported, NotRun, Error:
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

// Wall is the run's wall time as results.json keeps it: the difference of
// the wall-clock readings. An in-memory time.Time also carries a monotonic
// reading, which JSON drops; a difference taken with it moves with the
// clock's drift, and a report rendered again from results.json (report
// --from) then showed another duration.
func (r *Run) Wall() time.Duration {
	return r.Finished.Round(0).Sub(r.Started.Round(0))
}
