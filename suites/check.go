package suites

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rostercheck/rostercheck/internal/client"
)

// Levels of a check.
const (
	MUST   = "MUST"
	SHOULD = "SHOULD"
)

// Outcomes of a check (the same words as the reports model). A check's own
// result is pass, fail (it found violations: whether they fail a profile is
// the profile's judgement, see Profile.Judge), not-supported, not-run or
// error; a profile's judgement adds advisory.
const (
	OutcomePass         = "pass"
	OutcomeFail         = "fail"
	OutcomeAdvisory     = "advisory"
	OutcomeNotSupported = "not-supported"
	OutcomeNotRun       = "not-run"
	OutcomeError        = "error"
)

// Check is one conformance check: one spec in the Ginkgo tree, one row in
// every report. ID is stable and never reused once published.
type Check struct {
	ID       string
	Title    string // literal spec text, e.g. "GET /users pages are disjoint ... [MUST]"
	Area     string
	Endpoint string // path template
	Level    string
	Features []string
	// Rule is the rule ID of the violations the check records without
	// naming one; Recorder.AddRule names another.
	Rule string
	// Service is the OneRoster service the check exercises (rostering,
	// gradebook, resources); "" for checks every provider answers (auth).
	// A service the provider does not declare makes the check not-run.
	Service string
	// Writes marks a check that sends PUT or DELETE: not-run without --allow-writes.
	Writes bool
	// Source is the spec section or seed sentence the check enforces.
	Source string
	Run    func(ctx context.Context, env *Env, r *Recorder)
}

// Result is what a check found.
type Result struct {
	CheckID         string
	Outcome         string
	Message         string
	Violations      []Violation
	ViolationsTotal int
	// RuleCounts counts every violation (kept or not) by rule ID.
	RuleCounts map[string]int
	Exchanges  []*client.Exchange
	Duration   time.Duration
}

// maxEvidence caps the exchanges a check keeps as evidence; violations
// whose exchange was not kept name their request instead.
const maxEvidence = 100

// Recorder collects a check's violations and evidence; the check asserts
// once at the end, listing them all.
type Recorder struct {
	env    *Env
	res    *Result
	rule   string                      // the check's default rule
	seen   map[uint64]*client.Exchange // exchange id -> its trimmed evidence copy
	errMsg string
	// notSupported is why the target gave the check nothing to test.
	notSupported string
}

func newRecorder(env *Env, c Check) *Recorder {
	env.init()
	return &Recorder{env: env, rule: c.Rule, res: &Result{CheckID: c.ID, RuleCounts: map[string]int{}}, seen: map[uint64]*client.Exchange{}}
}

// Evidence attaches a trimmed copy of an exchange to the check and
// returns the exchange itself (with its whole body) for the check to read.
func (r *Recorder) Evidence(ex *client.Exchange) *client.Exchange {
	if ex == nil {
		return nil
	}
	if _, ok := r.seen[ex.ID]; !ok {
		ev := evidence(ex, r.env.Evidence)
		r.seen[ex.ID] = ev
		if len(r.res.Exchanges) < maxEvidence {
			r.res.Exchanges = append(r.res.Exchanges, ev)
		}
	}
	return ex
}

// Add records a violation; one without a rule takes the check's rule.
func (r *Recorder) Add(v Violation) {
	if v.Rule == "" {
		v.Rule = r.rule
	}
	if v.Ex != nil && v.Ex.Dropped {
		v.Rule = ruleConnectionDropped // whatever the check was asking, there was no answer
	}
	if _, ok := rules[v.Rule]; !ok {
		r.Errorf("harness: check %s recorded unregistered rule %q", r.res.CheckID, v.Rule)
	}
	r.res.RuleCounts[v.Rule]++
	r.res.ViolationsTotal++
	if v.Ex != nil {
		r.Evidence(v.Ex)
		v.Ex = r.seen[v.Ex.ID] // keep the trimmed copy, not the whole body
	}
	if len(r.res.Violations) < r.env.MaxViolations {
		r.res.Violations = append(r.res.Violations, v)
	}
}

// Addf records a violation with a formatted message.
func (r *Recorder) Addf(ex *client.Exchange, format string, args ...any) {
	r.Add(Violation{Message: fmt.Sprintf(format, args...), Ex: ex})
}

// AddRule records a violation of a named rule with a formatted message.
func (r *Recorder) AddRule(rule string, ex *client.Exchange, format string, args ...any) {
	r.Add(Violation{Rule: rule, Message: fmt.Sprintf(format, args...), Ex: ex})
}

// Uncounted counts violations of rule that were found but not kept (caps);
// "" is the check's rule.
func (r *Recorder) Uncounted(rule string, n int) {
	if n <= 0 {
		return
	}
	if rule == "" {
		rule = r.rule
	}
	r.res.RuleCounts[rule] += n
	r.res.ViolationsTotal += n
}

// NotSupported says the target gives the check nothing to exercise (an
// empty collection, no parent with children). It counts only when the
// check found no violation.
func (r *Recorder) NotSupported(reason string) {
	if r.notSupported == "" {
		r.notSupported = reason
	}
}

// Errorf marks the check as broken by the harness or the network, not the provider.
func (r *Recorder) Errorf(format string, args ...any) {
	if r.errMsg == "" {
		r.errMsg = fmt.Sprintf(format, args...)
	}
}

// finish decides the outcome and the one-line message.
func (r *Recorder) finish(d time.Duration) *Result {
	res := r.res
	res.Duration = d
	switch {
	case r.errMsg != "":
		res.Outcome, res.Message = OutcomeError, r.errMsg
	case res.ViolationsTotal > 0 && len(res.Violations) == 0:
		res.Outcome, res.Message = OutcomeFail, fmt.Sprintf("%d violations", res.ViolationsTotal)
	case res.ViolationsTotal > 0:
		res.Outcome = OutcomeFail
		first := res.Violations[0]
		msg := first.Message
		if first.RecordID != "" {
			msg = fmt.Sprintf("record %s: %s", first.RecordID, msg)
		}
		if first.Pointer != "" {
			msg = fmt.Sprintf("%s at %s", msg, first.Pointer)
		}
		if res.ViolationsTotal > 1 {
			msg = fmt.Sprintf("%d violations; first: %s", res.ViolationsTotal, msg)
		}
		res.Message = OneLine(msg)
	case r.notSupported != "":
		res.Outcome, res.Message = OutcomeNotSupported, OneLine(r.notSupported)
	default:
		res.Outcome = OutcomePass
	}
	return res
}

// Format renders every kept violation for the Ginkgo failure message.
func (res *Result) Format() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", res.Message)
	for i, v := range res.Violations {
		if i == 100 {
			fmt.Fprintf(&b, "  … and %d more (see the reports)\n", res.ViolationsTotal-100)
			break
		}
		fmt.Fprintf(&b, "  - [%s] ", v.Rule)
		if v.RecordID != "" {
			fmt.Fprintf(&b, "[%s] ", v.RecordID)
		}
		if v.Pointer != "" {
			fmt.Fprintf(&b, "%s: ", v.Pointer)
		}
		b.WriteString(v.Message)
		if v.Ex != nil {
			fmt.Fprintf(&b, " (%s %s)", v.Ex.Method, v.Ex.URL)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// OneLine folds whitespace and cuts s for a one-line message.
func OneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// Execute runs a check and stores its result on the Env. A check that
// Schedule started is not run again: Execute waits for its result. A
// serial check (writes, auth) waits until the scheduled reads are done.
func (e *Env) Execute(ctx context.Context, c Check) *Result {
	if f := e.futureOf(c.ID); f != nil {
		select {
		case <-f.done:
			// Only a result its spec took counts: a check whose It never
			// ran (the deadline came first) stays not-run in the reports.
			res := e.unjudgedIfStalled(f.res)
			e.results.Store(c.ID, res)
			return res
		case <-ctx.Done():
			r := newRecorder(e, c)
			r.Errorf("not completed: the run stopped (%v)", context.Cause(ctx))
			res := r.finish(0)
			e.results.Store(c.ID, res)
			return res
		}
	}
	e.readsDone(ctx)
	return e.execute(ctx, c)
}

// unjudgedIfStalled turns a failure into an error once the provider has
// stopped answering (the store refuses further requests): a check that
// ran beside the walks may have judged timeouts before the stall was
// named, and a provider that never answered is not judged. The run's
// verdict is error, naming the cause.
func (e *Env) unjudgedIfStalled(res *Result) *Result {
	if res == nil || res.Outcome != OutcomeFail || e.Store == nil {
		return res
	}
	err := e.Store.Stalled()
	if err == nil {
		return res
	}
	out := *res
	out.Outcome, out.Message = OutcomeError, OneLine("not judged: "+err.Error()+"; first finding: "+res.Message)
	return &out
}

// execute runs a check now and stores its result on the Env.
func (e *Env) execute(ctx context.Context, c Check) *Result {
	res := e.unjudgedIfStalled(e.run(ctx, c))
	e.results.Store(c.ID, res)
	return res
}

// run runs a check now.
func (e *Env) run(ctx context.Context, c Check) (res *Result) {
	r := newRecorder(e, c)
	start := time.Now()
	ctx, cost := withCost(ctx)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if e.RunCtx != nil {
		// The run's deadline or an interrupt stops the check's own requests too.
		defer context.AfterFunc(e.RunCtx, cancel)()
	}
	defer func() {
		if p := recover(); p != nil {
			r.Errorf("harness panic: %v", p)
		}
		if e.RunCtx != nil && e.RunCtx.Err() != nil {
			r.errMsg = "" // whatever the check saw, the run stopped under it
			r.Errorf("not completed: the run stopped (%v)", context.Cause(e.RunCtx))
		}
		res = r.finish(max(time.Since(start), cost.get()))
		e.progress.checks.Add(1)
	}()
	c.Run(ctx, e, r)
	return
}

// ResultOf returns the stored result of a check, if it ran.
func (e *Env) ResultOf(id string) (*Result, bool) {
	v, ok := e.results.Load(id)
	if !ok {
		return nil, false
	}
	return v.(*Result), true
}

// SortChecks orders checks by ID.
func SortChecks(cs []Check) { sort.Slice(cs, func(i, j int) bool { return cs[i].ID < cs[j].ID }) }

// fork returns a recorder for one part of a check run beside its other
// parts; merge folds the parts back in their order, so that what the
// check reports (violations, evidence, counts, the first error) is what
// it would report had the parts run one after another.
func (r *Recorder) fork() *Recorder {
	return &Recorder{env: r.env, rule: r.rule, res: &Result{CheckID: r.res.CheckID, RuleCounts: map[string]int{}}, seen: map[uint64]*client.Exchange{}}
}

func (r *Recorder) merge(p *Recorder) {
	for _, ex := range p.res.Exchanges {
		r.Evidence(ex)
	}
	kept := map[string]int{}
	for _, v := range p.res.Violations {
		r.Add(v)
		kept[v.Rule]++
	}
	for rule, n := range p.res.RuleCounts {
		r.Uncounted(rule, n-kept[rule])
	}
	if p.errMsg != "" {
		r.Errorf("%s", p.errMsg)
	}
	if p.notSupported != "" {
		r.NotSupported(p.notSupported)
	}
}

// eachPart runs part(i) for i in [0, n), up to k at once, each with a
// recorder of its own, merged into r in order of i.
func eachPart(ctx context.Context, r *Recorder, n, k int, part func(i int, r *Recorder)) {
	parts := make([]*Recorder, n)
	slots := make(chan struct{}, max(k, 1))
	var wg sync.WaitGroup
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		slots <- struct{}{}
		parts[i] = r.fork()
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			part(i, parts[i])
		}()
	}
	wg.Wait()
	for _, p := range parts {
		if p != nil {
			r.merge(p)
		}
	}
}
