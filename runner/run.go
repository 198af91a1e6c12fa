package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/formatter"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/rostercheck/rostercheck/fixtures/defects"
	"github.com/rostercheck/rostercheck/fixtures/district"
	"github.com/rostercheck/rostercheck/internal/client"
	"github.com/rostercheck/rostercheck/internal/oauth1"
	"github.com/rostercheck/rostercheck/reports"
	"github.com/rostercheck/rostercheck/suites"
)

// Exit codes: the CLI contract.
const (
	ExitPass        = 0 // every check that decides a verdict passed
	ExitFail        = 1 // at least one conformance failure
	ExitUsage       = 2 // usage or configuration error
	ExitUnreachable = 3 // target unreachable or credentials rejected
)

// testingT is the GinkgoTestingT of an in-process run.
// The run's outcome is read from the check results and Ginkgo's report,
// so the failure signal itself is not kept.
type testingT struct{}

func (testingT) Fail() {}

// selection is the checks a run executes, with the profiles each belongs to.
type selection struct {
	profiles []*suites.Profile
	checks   []suites.Check    // the checks that run
	notRun   []suites.Check    // selected, but not sent (see notRunWhy)
	why      map[string]string // check id -> why it is not run
	// undeclared are the checks of a service the provider does not
	// declare: not run, and outside every verdict.
	undeclared map[string]bool
	tiers      map[string]map[string]suites.Tier // check id -> profile -> tier
	filtered   bool                              // --check narrowed the run: no full verdict
	strict     bool
}

func selectChecks(cfg *Config) (*selection, error) {
	sel := &selection{tiers: map[string]map[string]suites.Tier{}, why: map[string]string{}, undeclared: map[string]bool{},
		filtered: len(cfg.Checks) > 0, strict: cfg.Strict}
	ps, err := cfg.profiles()
	if err != nil {
		return nil, err
	}
	sel.profiles = ps
	if err := checkBaseURL(cfg, ps); err != nil {
		return nil, err
	}
	for _, c := range suites.Catalogue() {
		if len(cfg.Checks) > 0 && !matchAny(cfg.Checks, c.ID) {
			continue
		}
		tiers := map[string]suites.Tier{}
		for _, p := range sel.profiles {
			if t := p.TierOf(c.Features); t != suites.TierNone {
				tiers[p.Name] = t
			}
		}
		if len(tiers) == 0 {
			continue
		}
		sel.tiers[c.ID] = tiers
		switch {
		case c.Service != "" && !slices.Contains(cfg.Services, c.Service):
			sel.why[c.ID] = fmt.Sprintf("the provider does not declare the %s service (--services %s)", c.Service, strings.Join(cfg.Services, ","))
			sel.undeclared[c.ID] = true
			sel.notRun = append(sel.notRun, c)
		case c.Writes && !cfg.AllowWrites:
			sel.why[c.ID] = "writes are not allowed: add --allow-writes to PUT and DELETE objects the harness creates and removes"
			sel.notRun = append(sel.notRun, c)
		default:
			sel.checks = append(sel.checks, c)
		}
	}
	if len(sel.checks)+len(sel.notRun) == 0 {
		return nil, usageErr("no check matches --profile %s and --check %s", strings.Join(cfg.Profiles, ","), strings.Join(cfg.Checks, ","))
	}
	return sel, nil
}

// judge is each selected profile's outcome for a check result.
func (sel *selection) judge(c suites.Check, res *suites.Result) []reports.ProfileOutcome {
	var out []reports.ProfileOutcome
	for _, p := range sel.profiles {
		tier, ok := sel.tiers[c.ID][p.Name]
		if !ok {
			continue
		}
		t := "required"
		if tier == suites.TierOptional {
			t = "optional"
		}
		out = append(out, reports.ProfileOutcome{Profile: p.Name, Tier: t, Outcome: reports.Outcome(p.Judge(res, tier, sel.strict))})
	}
	return out
}

// failsAny reports whether some profile judges the result a failure (what
// makes the check's Ginkgo spec fail).
func (sel *selection) failsAny(c suites.Check, res *suites.Result) bool {
	for _, po := range sel.judge(c, res) {
		if po.Outcome == reports.Fail || po.Outcome == reports.Error {
			return true
		}
	}
	return false
}

func matchAny(patterns []string, id string) bool {
	for _, p := range patterns {
		if defects.Match(p, id) {
			return true
		}
	}
	return false
}

func largestLimit(ps []*suites.Profile) int {
	n := 0
	for _, p := range ps {
		n = max(n, p.Query.LargeLimit)
	}
	return n
}

// target is a resolved OneRoster target.
type target struct {
	baseURL, tokenURL  string
	clientID, secret   string
	username, password string
	builtin            bool
	stop               func()
	roots              map[string]string // the 1.2 service roots (roots.go)
}

// authFor builds the harness's credentials for the target.
func authFor(cfg *Config, t *target, hc *http.Client) (client.Auth, error) {
	switch cfg.Auth {
	case "oauth2":
		return client.OAuth2ClientCredentialsFallback(hc, t.tokenURL, t.clientID, t.secret, cfg.Scopes), nil
	case "oauth2-password":
		return client.OAuth2PasswordFallback(hc, t.tokenURL, t.clientID, t.secret, t.username, t.password, cfg.Scopes), nil
	case "oauth1":
		return client.OAuth1(&oauth1.Signer{ConsumerKey: t.clientID, ConsumerSecret: t.secret, Method: oauth1.Method(cfg.OAuth1Method)}), nil
	case "bearer":
		return client.Bearer(cfg.Token), nil
	case "none":
		return client.NoAuth(), nil
	}
	return nil, usageErr("--auth: unknown mode %q", cfg.Auth)
}

// today is the date checks about "now" compare with: --today, or a school
// day of the built-in district (its terms are laid out around it), or the
// wall clock (zero).
func today(cfg *Config, t *target) time.Time {
	switch {
	case !cfg.Today.IsZero():
		return cfg.Today
	case t.builtin:
		return district.SchoolDay
	}
	return time.Time{}
}

// unreachable is a failure before any check: exit 3.
type unreachable struct {
	msg   string
	token bool // the token endpoint answered, but issued no token
}

func (u *unreachable) Error() string { return u.msg }

// preflight makes one request so that a wrong port, a dead host or
// rejected credentials end the run at once with exit 3 and one line.
func preflight(ctx context.Context, store *client.Store, t *target, cfg *Config) error {
	root := preflightRoot(t, cfg)
	u := strings.TrimRight(root, "/") + "/orgs?limit=1"
	ex := store.Do(ctx, client.Request{Method: "GET", URL: u, CheckID: "preflight"})
	switch ae, isAuth := authError(ex.Err); {
	case isAuth:
		return &unreachable{msg: diagnoseAuth(ae, t, len(cfg.Scopes) > 0), token: !ae.Unreachable && ae.Status != 0}
	case ex.Err != nil && ex.Status == 0:
		var off *client.OffHostRedirectError
		if errors.As(ex.Err, &off) || errors.Is(ex.Err, client.ErrBodyTooLarge) {
			return nil // a hostile answer: the checks report it
		}
		return &unreachable{msg: fmt.Sprintf("target unreachable: GET %s: %v", ex.URL, ex.Err)}
	case ex.Status == http.StatusUnauthorized:
		return &unreachable{msg: diagnose401(ex, store.AuthName(), cfg.OAuth1Method)}
	case ex.Status == http.StatusNotFound:
		return notOneRosterRoot(ctx, store, root)
	}
	return nil
}

// Run executes `rostercheck run`.
func Run(ctx context.Context, cfg *Config, stdout, stderr io.Writer) int {
	red := reports.NewRedactor()
	var store *client.Store
	// Access tokens are secrets too; they exist once the store has fetched
	// one, so every write first picks up the tokens obtained so far.
	refresh := func() {
		if store != nil {
			red.Add(store.Tokens()...)
		}
	}
	out := console{stdout, red, refresh}
	errw := console{stderr, red, refresh}

	sel, err := selectChecks(cfg)
	if err != nil {
		fmt.Fprintf(errw, "rostercheck: %v\n", err)
		return ExitUsage
	}
	if err := checkOutWritable(cfg.Out); err != nil {
		fmt.Fprintf(errw, "rostercheck: %v\n", err)
		return ExitUsage
	}
	var baseline *reports.Run
	if cfg.Baseline != "" {
		if baseline, err = reports.ReadBaseline(cfg.Baseline); err != nil {
			fmt.Fprintf(errw, "rostercheck: %v\n", err)
			return ExitUsage
		}
	}
	if cfg.PageSize == 0 {
		// Walk at the page size the consumers use; paging itself is
		// proven on small-page samples.
		cfg.PageSize = largestLimit(sel.profiles)
	}
	t, err := resolveTarget(cfg)
	if err != nil {
		fmt.Fprintf(errw, "rostercheck: %v\n", err)
		return ExitUsage
	}
	defer t.stop()
	defer limitMemory(t.builtin)()
	red.Add(t.secret, t.password, cfg.Token)
	red.AddBasicPair(t.clientID, t.secret)
	red.Keep(userText(cfg, t)...)

	// Token requests: no redirects (a redirect would re-send the password
	// or secret to wherever it points) and the same User-Agent as the rest.
	hc := &http.Client{
		Timeout:       cfg.RequestTimeout,
		Transport:     userAgent{"rostercheck/" + Version(), http.DefaultTransport},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	auth, err := authFor(cfg, t, hc)
	if err != nil {
		fmt.Fprintf(errw, "rostercheck: %v\n", err)
		return ExitUsage
	}
	store, err = client.New(client.Config{
		Concurrency:    cfg.Concurrency,
		RequestTimeout: cfg.RequestTimeout,
		MaxBody:        cfg.MaxBody,
		MaxRPS:         cfg.MaxRPS,
		UserAgent:      "rostercheck/" + Version(),
		Auth:           auth,
		Origin:         originOf(t.baseURL), // never follow the target's links elsewhere
	})
	if err != nil {
		fmt.Fprintf(errw, "rostercheck: %v\n", err)
		return ExitUsage
	}
	// Ginkgo handles SIGINT/SIGTERM for the specs; this context lets the
	// shared page walks and in-flight requests stop at once as well.
	sigCtx, stopSignals := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stopSignals()
	runCtx, cancel := context.WithTimeout(sigCtx, cfg.Timeout)
	defer cancel()
	// A provider that trickles or hangs on request after request ends the
	// run: no further requests, an error verdict that names the cause.
	runCtx, stopRun := context.WithCancelCause(runCtx)
	defer stopRun(nil)
	store.OnStall(stopRun)

	started := time.Now()
	softMemoryLimit(t.builtin)
	if t.builtin {
		fmt.Fprintf(errw, "rostercheck: no --base-url given: testing the built-in reference provider at %s", t.baseURL)
		if cfg.Defect != "" {
			fmt.Fprintf(errw, " with defect %q", cfg.Defect)
		}
		fmt.Fprintln(errw)
	}
	warnAuth(errw, cfg, sel)
	warnShortSecrets(errw, cfg, t)
	authEnv, err := authEnvFor(cfg, t, red)
	if err != nil {
		fmt.Fprintf(errw, "rostercheck: %v\n", err)
		return ExitUsage
	}
	if err := preflight(runCtx, store, t, cfg); err != nil {
		code, msg := ExitUnreachable, err.Error()
		if runCtx.Err() != nil {
			code, msg = ExitFail, fmt.Sprintf("stopped before the checks started: %v", context.Cause(runCtx))
		}
		fmt.Fprintf(errw, "rostercheck: %s\n", msg)
		// CI still gets red reports saying why nothing ran.
		run := newRun(cfg, t, started)
		run.SuiteErrors, run.Verdict = []string{msg}, "error"
		run.Profiles = errorProfiles(sel, msg)
		if u, ok := err.(*unreachable); ok && u.token {
			run.Checks = tokenEvidence(runCtx, sel, t, store, authEnv, red)
			run.Recount()
		}
		writeReports(cfg, run, red, out, errw)
		return code
	}
	if !cfg.Quiet {
		more := ""
		if len(sel.notRun) > 0 {
			more = fmt.Sprintf("; %d more reported not-run", len(sel.notRun))
		}
		fmt.Fprintf(errw, "rostercheck: running %d checks (profile %s)%s\n", len(sel.checks), strings.Join(cfg.Profiles, ", "), more)
	}

	env := &suites.Env{
		BaseURL:     strings.TrimRight(t.baseURL, "/"),
		Roots:       t.roots,
		Store:       store,
		PageSize:    cfg.PageSize,
		Concurrency: cfg.Concurrency,
		Parents:     cfg.Parents,
		LargeLimit:  largestLimit(sel.profiles),
		AllParents:  allParents(sel.profiles),
		Evidence:    16 << 10,
		RunCtx:      runCtx,
		Today:       today(cfg, t),
		Auth:        authEnv,
		Redact: func(s string) string {
			refresh()
			return red.String(s)
		},
	}
	setupWrites(cfg, env)
	setupConsumers(sel, env)
	// Ginkgo's own stream may split lines across writes: buffer-redact it.
	ginkgoOut := red.Writer(stderr)
	var prog *progress
	if !cfg.Quiet {
		live := isTerminal(stderr) && !inCI() && !cfg.Verbose
		every := ciProgressEvery
		if live {
			every = 250 * time.Millisecond
		}
		prog = startProgress(errw, live, every, len(sel.checks), env, store)
	}
	gr := runGinkgo(env, sel, cfg, refreshing{ginkgoOut, refresh})
	prog.Stop()
	_ = ginkgoOut.Close()
	refresh()
	// Whatever the write checks left (an interrupt, a failed delete) is
	// deleted now, on a context of its own.
	left := env.Sweep(ctx)
	authNotes(errw, store)

	run := buildRun(cfg, t, sel, env, gr, started)
	run.Leftovers = leftovers(left)
	run.Previews = previews(runCtx, env, sel)
	if baseline != nil {
		run.Diff = reports.Compare(baseline, run)
	}
	if err := context.Cause(runCtx); err != nil && runCtx.Err() != nil {
		// Interrupted or out of time: what ran is reported, what did not is
		// not-run, and no profile claims a verdict it did not earn.
		run.SuiteErrors = append(run.SuiteErrors, "the run stopped early: "+err.Error())
		if run.Verdict != "fail" {
			run.Verdict = "partial"
		}
	}
	code := exitCode(run, sel.filtered && runCtx.Err() == nil)
	if err := store.Stalled(); err != nil {
		run.Verdict, code = "error", ExitUnreachable
		fmt.Fprintf(errw, "rostercheck: %v\n", err)
	}
	printSummary(out, run, useColour(stdout), cfg.Quiet, cfg.Verbose)
	printPreviews(out, run)
	printConsumerLatency(out, env, cfg.Quiet)
	run.ConsumerLatency = consumerLatency(env, red.String)
	printLeftovers(out, cfg, run)
	ciOutputs(run, red, out, errw)
	if !writeReports(cfg, run, red, out, errw) && code == ExitPass {
		code = ExitFail
	}
	return code
}

// writeReports writes every report unless --out none; false when one failed.
func writeReports(cfg *Config, run *reports.Run, red *reports.Redactor, out, errw io.Writer) bool {
	if cfg.Out == "none" {
		return true
	}
	if err := reports.WriteAll(cfg.Out, run, red); err != nil {
		fmt.Fprintf(errw, "rostercheck: writing reports: %v\n", err)
		return false
	}
	fmt.Fprintf(out, "reports: %s\n", reportsLine(cfg.Out))
	return true
}

// console redacts each message as a whole: every Fprintf is one Write of
// complete lines, so nothing needs holding back and lines appear at once.
type console struct {
	w       io.Writer
	red     *reports.Redactor
	refresh func()
}

func (c console) Write(p []byte) (int, error) {
	c.refresh()
	if _, err := io.WriteString(c.w, c.red.String(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// refreshing picks up new secrets before every write to w.
type refreshing struct {
	w       io.Writer
	refresh func()
}

func (r refreshing) Write(p []byte) (int, error) {
	r.refresh()
	return r.w.Write(p)
}

// userAgent sets the User-Agent of token requests.
type userAgent struct {
	ua   string
	base http.RoundTripper
}

func (u userAgent) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", u.ua)
	return u.base.RoundTrip(r)
}

// originOf returns scheme://host[:port] of a URL.
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// warnAuth notes when the run authenticates differently from the
// consumers of the selected profiles.
func warnAuth(w io.Writer, cfg *Config, sel *selection) {
	for _, p := range sel.profiles {
		if len(p.Auth) > 0 && !slices.Contains(p.Auth, cfg.Auth) {
			fmt.Fprintf(w, "rostercheck: note: %s authenticates with %s; this run uses --auth %s\n", p.Name, strings.Join(p.Auth, " or "), cfg.Auth)
		}
	}
}

// ginkgoResult is what the in-process Ginkgo run reported.
type ginkgoResult struct {
	report types.Report
	got    bool
}

func runGinkgo(env *suites.Env, sel *selection, cfg *Config, errw io.Writer) *ginkgoResult {
	gr := &ginkgoResult{}
	suites.Register(env, sel.checks, sel.failsAny)
	ginkgo.ReportAfterSuite("rostercheck", func(r types.Report) {
		gr.report, gr.got = r, true
	})
	suiteCfg, repCfg := ginkgo.GinkgoConfiguration()
	suiteCfg.Timeout = cfg.Timeout
	suiteCfg.RandomizeAllSpecs = cfg.Randomize
	if cfg.Randomize {
		if cfg.OrderSeed != 0 {
			suiteCfg.RandomSeed = cfg.OrderSeed
		}
		fmt.Fprintf(errw, "rostercheck: random order, --order-seed %d\n", suiteCfg.RandomSeed)
	}
	suiteCfg.FailFast = false
	suiteCfg.GracePeriod = 5 * time.Second // an interrupted spec gets this long to return
	repCfg.NoColor = true
	repCfg.Succinct = !cfg.Verbose
	repCfg.Verbose = false
	if cfg.Verbose {
		formatter.ColorableStdOut = errw
	} else {
		formatter.ColorableStdOut = io.Discard
	}
	ginkgo.RunSpecs(testingT{}, "rostercheck", suiteCfg, repCfg)
	return gr
}

// buildRun maps the check results and Ginkgo's report into our model.
// newRun starts the report model of a run.
func newRun(cfg *Config, t *target, started time.Time) *reports.Run {
	return &reports.Run{
		SchemaVersion: reports.SchemaVersion,
		Tool:          reports.Tool{Name: "rostercheck", Version: Version(), Spec: "oneroster-1.1", CatalogueHash: CatalogueHash()},
		Target:        reports.Target{BaseURL: t.baseURL, TokenURL: t.tokenURL, Auth: cfg.Auth, Builtin: t.builtin, Defect: cfg.Defect},
		Started:       started,
		Finished:      time.Now(),
		Config:        cfg.Redacted(),
	}
}

func buildRun(cfg *Config, t *target, sel *selection, env *suites.Env, gr *ginkgoResult, started time.Time) *reports.Run {
	run := newRun(cfg, t, started)
	states := map[string]types.SpecReport{}
	if gr.got {
		for _, sr := range gr.report.SpecReports {
			for _, l := range sr.Labels() {
				if id, ok := strings.CutPrefix(l, "check:"); ok {
					states[id] = sr
				}
			}
			if sr.LeafNodeType != types.NodeTypeIt && sr.State.Is(types.SpecStateFailureStates) {
				run.SuiteErrors = append(run.SuiteErrors, fmt.Sprintf("%s failed: %s", sr.LeafNodeType, sr.Failure.Message))
			}
		}
		for _, reason := range gr.report.SpecialSuiteFailureReasons {
			run.SuiteErrors = append(run.SuiteErrors, reason)
		}
	} else {
		run.SuiteErrors = append(run.SuiteErrors, "the test engine produced no report")
	}
	stopped := env.RunCtx != nil && env.RunCtx.Err() != nil
	for _, c := range sel.checks {
		cr := reports.CheckResult{ID: c.ID, Title: c.Title, Area: c.Area, Endpoint: c.Endpoint, Level: c.Level, Features: c.Features, Source: c.Source}
		res, ran := env.ResultOf(c.ID)
		sr, reported := states[c.ID]
		switch {
		case ran && reported && (sr.State == types.SpecStateTimedout || sr.State == types.SpecStateInterrupted):
			res = &suites.Result{Outcome: suites.OutcomeError, Message: fmt.Sprintf("%s: %s", sr.State, suites.OneLine(sr.Failure.Message))}
		case ran:
			cr.DurationMs = res.Duration.Milliseconds()
			cr.ViolationsTotal = res.ViolationsTotal
			cr.Rules = ruleCounts(res.RuleCounts)
			kept := map[uint64]bool{}
			if res.Outcome != suites.OutcomePass {
				// Evidence is for findings; passing checks keep reports small.
				for _, ex := range res.Exchanges {
					cr.Exchanges = append(cr.Exchanges, toReportExchange(ex, env.Evidence))
					kept[ex.ID] = true
				}
			}
			for _, v := range res.Violations {
				rv := reports.Violation{Rule: v.Rule, Pointer: v.Pointer, RecordID: v.RecordID, Message: v.Message}
				switch {
				case v.Ex != nil && kept[v.Ex.ID]:
					rv.ExchangeID = v.Ex.ID
				case v.Ex != nil: // evidence capped: name the request instead
					rv.Message += fmt.Sprintf(" (%s %s)", v.Ex.Method, v.Ex.URL)
				}
				cr.Violations = append(cr.Violations, rv)
			}
		case reported && sr.Failure.Message != "":
			res = &suites.Result{Outcome: suites.OutcomeError, Message: fmt.Sprintf("did not complete (%s): %s", sr.State, suites.OneLine(sr.Failure.Message))}
		default:
			res = &suites.Result{Outcome: suites.OutcomeNotRun, Message: notRunReason(gr)}
		}
		if stopped && res.Outcome == suites.OutcomeError && stoppedUnder(res.Message) {
			// Cut off by the interrupt or the deadline: not run to the end,
			// not a harness error (and never a provider failure).
			res = &suites.Result{Outcome: suites.OutcomeNotRun, Message: res.Message}
		}
		cr.Message = res.Message
		cr.Profiles = sel.judge(c, res)
		cr.Outcome = worstOf(cr.Profiles)
		run.Checks = append(run.Checks, cr)
	}
	for _, c := range sel.notRun {
		res := &suites.Result{Outcome: suites.OutcomeNotRun, Message: sel.why[c.ID]}
		cr := reports.CheckResult{ID: c.ID, Title: c.Title, Area: c.Area, Endpoint: c.Endpoint, Level: c.Level, Features: c.Features, Source: c.Source,
			Message: res.Message, Profiles: sel.judge(c, res), Outcome: reports.NotRun}
		run.Checks = append(run.Checks, cr)
	}
	sort.SliceStable(run.Checks, func(i, j int) bool { return run.Checks[i].ID < run.Checks[j].ID })
	run.Rules = ruleInfos(run, sel)
	run.Stats = reports.Stats{Requests: int64(env.Store.Count()), Records: int64(env.RecordsWalked()), Renewed: int64(env.Store.Renewed())}
	run.Latency = latencyOf(env.BaseURL, env.Store.Timings())
	addThrottling(&run.Stats, env.Store.Throttling())
	if env.Auth != nil && env.Auth.TokenStore != nil {
		addTokenThrottling(&run.Stats, env.Auth.TokenStore.Throttling())
	}
	run.Stats.MeanInFlight = meanInFlight(env.Store.Throttling().Busy, time.Since(run.Started))
	run.Recount()
	if sel.filtered {
		run.Partial = "--check ran a subset of the checks: not a full verdict"
	}
	if env.RunCtx != nil && env.RunCtx.Err() != nil {
		run.Partial = "the run stopped early: " + context.Cause(env.RunCtx).Error()
	}
	run.Profiles = verdicts(run, sel, cfg)
	run.Verdict = overall(run)
	return run
}

// overall is the run's verdict: the worst profile verdict (fail > error >
// partial > pass), and error when the suite itself broke.
func overall(run *reports.Run) string {
	rank := map[string]int{"pass": 0, "partial": 1, "error": 2, "fail": 3}
	v := "pass"
	for _, p := range run.Profiles {
		if rank[p.Verdict] > rank[v] {
			v = p.Verdict
		}
	}
	if len(run.SuiteErrors) > 0 && v != "fail" {
		v = "error"
		if strings.HasPrefix(run.Partial, "the run stopped early") {
			v = "partial" // the suite errors are the stop itself
		}
	}
	return v
}

// stoppedUnder reports whether a check's error message says the run's
// interrupt or deadline cut it off.
func stoppedUnder(msg string) bool {
	m := strings.ToLower(msg)
	for _, s := range []string{"the run stopped", "interrupted", "timedout", "timed out", "context canceled", "deadline exceeded"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

func notRunReason(gr *ginkgoResult) string {
	if gr.got && len(gr.report.SpecialSuiteFailureReasons) > 0 {
		return "the run stopped first (" + strings.Join(gr.report.SpecialSuiteFailureReasons, "; ") + ")"
	}
	return "the run stopped first"
}

func toReportExchange(ex *client.Exchange, evidence int) reports.Exchange {
	body, trunc := ex.EvidenceBody(evidence)
	re := reports.Exchange{
		ID: ex.ID, Method: ex.Method, URL: ex.URL, Status: ex.Status,
		RequestHeaders: flatten(ex.RequestHeader), ResponseHeaders: flatten(ex.ResponseHeader),
		RequestBody: string(ex.RequestBody), ResponseBody: string(body), ResponseTruncated: trunc || ex.BodyTruncated,
		DurationMs: ex.Duration.Milliseconds(), Curl: ex.Curl(), ResponseSize: int64(len(ex.Body)),
	}
	if ex.Err != nil {
		re.Error = ex.Err.Error()
	}
	return re
}

func flatten(h http.Header) map[string]string {
	if len(h) == 0 {
		return nil
	}
	m := make(map[string]string, len(h))
	for k, v := range h {
		m[k] = strings.Join(v, ", ")
	}
	return m
}

func ruleCounts(m map[string]int) []reports.RuleCount {
	var out []reports.RuleCount
	for r, n := range m {
		if n > 0 {
			out = append(out, reports.RuleCount{Rule: r, Count: n})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Rule < out[j].Rule })
	return out
}

func worstOf(ps []reports.ProfileOutcome) reports.Outcome {
	os := make([]reports.Outcome, len(ps))
	for i, p := range ps {
		os[i] = p.Outcome
	}
	return reports.Worst(os...)
}

// ruleInfos describes every rule the run's violations name, with each
// profile's level for it.
func ruleInfos(run *reports.Run, sel *selection) []reports.RuleInfo {
	seen := map[string]bool{}
	var out []reports.RuleInfo
	for _, c := range run.Checks {
		for _, rc := range c.Rules {
			if seen[rc.Rule] {
				continue
			}
			seen[rc.Rule] = true
			r, _ := suites.LookupRule(rc.Rule)
			ri := reports.RuleInfo{ID: r.ID, Title: r.Title, Source: r.Source, Hint: r.Hint, Levels: map[string]string{}}
			for _, p := range sel.profiles {
				ri.Levels[p.Name] = p.LevelOf(r.ID)
			}
			out = append(out, ri)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// verdicts decides each profile. A required check judged fail fails it,
// and so does a needed service the provider does not declare. Otherwise a
// required check that errored makes it error; one not run (writes not
// allowed, an interrupt) or a --check filter makes it partial: never pass.
func verdicts(run *reports.Run, sel *selection, cfg *Config) []reports.ProfileVerdict {
	var out []reports.ProfileVerdict
	groups := reports.GroupFailures(run)
	for _, p := range sel.profiles {
		pv := reports.ProfileVerdict{Name: p.Name, Title: p.Title, Source: p.Source, Spec: p.Spec}
		var failed, errored, notRun []string
		for _, c := range run.Checks {
			for _, po := range c.Profiles {
				if po.Profile != p.Name {
					continue
				}
				pv.Total++
				required := po.Tier == "required"
				switch po.Outcome {
				case reports.Pass:
					pv.Passed++
				case reports.Fail:
					// An optional operation is optional to implement; where
					// the provider serves it, its rules count in full (the
					// profile judged it not-supported where it does not).
					pv.MustFailed++
					failed = append(failed, c.ID)
				case reports.Advisory:
					pv.Advisories++
				case reports.NotSupported:
					pv.NotSupported++
				case reports.NotRun:
					pv.NotRun++
					if required && !sel.undeclared[c.ID] {
						notRun = append(notRun, c.ID)
					}
				default:
					pv.Errors++
					if required {
						errored = append(errored, c.ID)
					}
				}
			}
		}
		var missing []string
		for _, sv := range p.Services {
			if !slices.Contains(cfg.Services, sv) {
				missing = append(missing, sv)
			}
		}
		switch {
		case len(failed) > 0:
			pv.Verdict, pv.Reason = "fail", fmt.Sprintf("%d required check(s) failed", len(failed))
			if top := reports.TopCauses(groups, p.Name, 1); len(top) > 0 {
				pv.Reason += "; top cause: " + top[0].CauseLine()
			} else {
				pv.Reason += ", first " + failed[0]
			}
		case len(missing) > 0:
			pv.Verdict, pv.Reason = "fail", fmt.Sprintf("%s needs the %s service, which --services does not declare", p.Name, strings.Join(missing, " and "))
		case len(errored) > 0:
			pv.Verdict, pv.Reason = "error", fmt.Sprintf("%d required check(s) could not decide, first %s", len(errored), errored[0])
		case len(notRun) > 0:
			pv.Verdict, pv.Reason = "partial", writesHint(notRun, sel, cfg)
		case run.Partial != "":
			pv.Verdict, pv.Reason = "partial", run.Partial
		default:
			pv.Verdict = "pass"
		}
		out = append(out, pv)
	}
	return out
}

// writesHint says why required checks were not run, and how to run
// them: a profile whose required checks are writes is partial without
// --allow-writes, and the reason names the flag and how many write checks
// it would run.
func writesHint(notRun []string, sel *selection, cfg *Config) string {
	writes := 0
	if !cfg.AllowWrites {
		for _, c := range sel.notRun {
			if c.Writes && slices.Contains(notRun, c.ID) {
				writes++
			}
		}
	}
	switch {
	case writes == len(notRun):
		them := fmt.Sprintf("the %d write checks", writes)
		if writes == 1 {
			them = "the write check"
		}
		return fmt.Sprintf("%d required write check(s) not run: add --allow-writes to run %s (they PUT and DELETE only objects the harness creates, and clean up)", writes, them)
	case writes > 0:
		return fmt.Sprintf("%d required check(s) not run, first %s; add --allow-writes to run the %d write checks among them", len(notRun), notRun[0], writes)
	}
	return fmt.Sprintf("%d required check(s) not run, first %s", len(notRun), notRun[0])
}

// exitCode: 0 when every profile passes, or when a --check filtered run
// that was not interrupted (partial only for that reason) found nothing
// wrong; 1 otherwise.
func exitCode(run *reports.Run, filtered bool) int {
	switch {
	case run.Verdict == "pass":
		return ExitPass
	case run.Verdict == "partial" && filtered:
		for _, p := range run.Profiles {
			if p.Verdict != "pass" && p.Reason != run.Partial {
				return ExitFail
			}
		}
		return ExitPass
	}
	return ExitFail
}
