package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/rostercheck/rostercheck/internal/client"
	"github.com/rostercheck/rostercheck/reports"
	"github.com/rostercheck/rostercheck/suites"
)

// builtinModes are the auth modes the built-in provider offers: the auth
// checks exercise them all whatever --auth the run uses.
var builtinModes = []string{"oauth2", "oauth2-password", "oauth1"}

// builtinUser is the password-grant user of the built-in provider.
const builtinUser = "rostercheck-demo-user"

// minSecretWarn is the length under which a secret gets a warning: short
// values are easy to guess and, as plain words, turn up in ordinary text
// that redaction then has to blank out.
const minSecretWarn = 8

// authEnvFor describes the run's credentials to the auth checks. The token
// store sends nothing of its own and only to the token URL's origin.
func authEnvFor(cfg *Config, t *target, red *reports.Redactor) (*suites.AuthEnv, error) {
	a := &suites.AuthEnv{
		Mode: cfg.Auth, Modes: []string{cfg.Auth},
		TokenURL: t.tokenURL, ClientID: t.clientID, ClientSecret: t.secret,
		Username: t.username, Password: t.password, Scopes: cfg.Scopes, OAuth1Method: cfg.OAuth1Method,
		AddSecret: func(s ...string) { red.Add(s...) },
	}
	if t.builtin {
		a.Modes = builtinModes
	}
	if t.tokenURL != "" {
		ts, err := client.New(client.Config{
			Concurrency:    2,
			RequestTimeout: cfg.RequestTimeout,
			MaxBody:        1 << 20,
			UserAgent:      "rostercheck/" + Version(),
			// A throttled token request (429, or 503 with Retry-After) is
			// waited out and asked again, a few times: a provider that
			// limits its rate answers the token checks' requests too, and
			// throttling is not their finding. Sent once, a token check
			// that met the limit the reads had just used up failed. The
			// wait is the throttled request's alone: learned spacing
			// would slow every later token check (1.36x where the
			// rate-limited bench row was 1.1x).
			MaxRetries429: tokenRetries429,
			WaitAlone:     true,
			Origin:        originOf(t.tokenURL),
		})
		if err != nil {
			return nil, err
		}
		a.TokenStore = ts
	}
	return a, nil
}

// tokenRetries429 bounds the waits of one throttled token request: a token
// endpoint that never stops throttling ends the token checks in a few
// Retry-After periods, not at --timeout.
const tokenRetries429 = 5

// warnShortSecrets warns about secrets shorter than minSecretWarn.
func warnShortSecrets(w io.Writer, cfg *Config, t *target) {
	for _, s := range []struct{ name, v string }{{"client secret", t.secret}, {"password", t.password}, {"token", cfg.Token}} {
		if s.v != "" && len(s.v) < minSecretWarn {
			fmt.Fprintf(w, "rostercheck: warning: the %s is shorter than %d characters: easy to guess, and redaction blanks out every occurrence of it in the reports\n", s.name, minSecretWarn)
		}
	}
}

// diagnoseAuth is the one line of a token request that failed: the token
// URL, the HTTP status, the OAuth error code, the forms tried, and what
// to try.
func diagnoseAuth(ae *client.AuthError, t *target, scoped bool) string {
	u := ae.TokenURL
	if u == "" {
		u = t.tokenURL
	}
	var b strings.Builder
	switch {
	case ae.Unreachable:
		fmt.Fprintf(&b, "token endpoint unreachable: POST %s: %s; check --token-url", u, ae.Msg)
		return b.String()
	case ae.MissingToken:
		fmt.Fprintf(&b, "the token endpoint POST %s answered HTTP 200 without an access_token (not a rejection: the response is not an RFC 6749 token response)", u)
	case ae.Status != 0:
		code := ae.Code
		if code == "" {
			code = "(none)"
		}
		fmt.Fprintf(&b, "credentials rejected at the token endpoint: POST %s answered HTTP %d, OAuth error %s", u, ae.Status, code)
		if ae.Description != "" {
			fmt.Fprintf(&b, " (%q)", suites.OneLine(ae.Description))
		}
	default:
		fmt.Fprintf(&b, "credentials rejected at the token endpoint: POST %s: %s", u, ae.Msg)
	}
	if len(ae.Tried) > 0 {
		fmt.Fprintf(&b, "; tried %s", strings.Join(ae.Tried, ", then "))
	}
	switch {
	case ae.MissingToken:
		b.WriteString("; check that --token-url is the OAuth 2 token endpoint, not a login page or the API")
	case ae.Code == "invalid_grant":
		b.WriteString("; check --username and the password ($ROSTERCHECK_PASSWORD)")
	case !scoped && (ae.Code == "invalid_scope" || strings.Contains(strings.ToLower(ae.Description), "scope")):
		// RFC 6749 §3.3: a server may refuse a request that names no scope.
		b.WriteString("; the token endpoint wants a scope and the run sent none: run with --scope and the OneRoster 1.1 scopes the client may use (e.g. " + scopeExample + ")")
	case ae.Code == "invalid_scope":
		b.WriteString("; drop --scope or ask the provider which scopes the client may use")
	case ae.Code == "unsupported_grant_type" || ae.Code == "unauthorized_client":
		b.WriteString("; the client may not use this grant: try another --auth mode or ask the provider")
	case ae.Status == http.StatusNotFound || ae.Status == http.StatusMethodNotAllowed:
		b.WriteString("; check --token-url")
	default:
		b.WriteString("; check --client-id and the client secret ($ROSTERCHECK_CLIENT_SECRET), and that --token-url belongs to that client")
	}
	return b.String()
}

// scopeExample is the scope a read-only rostering client asks for.
const scopeExample = "https://purl.imsglobal.org/spec/or/v1p1/scope/roster-core.readonly"

// diagnose401 is the one line of an API 401 to the run's own credentials:
// the request, the challenge, the start of the body, and what to try. An
// OAuth 1.0a refusal that names the signature suggests the other method.
func diagnose401(ex *client.Exchange, authName, oauth1Method string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "credentials rejected: GET %s answered 401 (WWW-Authenticate: %q) to the run's %s credentials", ex.URL, ex.ResponseHeader.Get("WWW-Authenticate"), authName)
	body := suites.OneLine(string(ex.Body))
	if len(body) > 300 {
		body = body[:300] + "…"
	}
	if body != "" {
		fmt.Fprintf(&b, ", body %s", body)
	}
	if authName == "oauth1" && strings.Contains(strings.ToLower(body), "signature") {
		other := "HMAC-SHA1"
		if oauth1Method == "HMAC-SHA1" {
			other = "HMAC-SHA256"
		}
		fmt.Fprintf(&b, "; the signature was refused: the provider may verify another method than --oauth1-method %s: try --oauth1-method %s, and check the consumer key and secret", oauth1Method, other)
		return b.String()
	}
	b.WriteString("; check them, and that they belong to this --base-url")
	return b.String()
}

// errorProfiles are the profile rows of a run that ended before its checks
// (exit 3): each selected profile, verdict error, with the reason.
func errorProfiles(sel *selection, reason string) []reports.ProfileVerdict {
	out := make([]reports.ProfileVerdict, 0, len(sel.profiles))
	for _, p := range sel.profiles {
		out = append(out, reports.ProfileVerdict{Name: p.Name, Title: p.Title, Source: p.Source, Spec: p.Spec, Verdict: "error", Reason: reason})
	}
	return out
}

// authError extracts the *client.AuthError of an exchange error.
func authError(err error) (*client.AuthError, bool) {
	var ae *client.AuthError
	ok := errors.As(err, &ae)
	return ae, ok
}

// authNotes prints what the run learnt about credentials on its way: a
// fallback to another form of client credentials, renewals after 401.
func authNotes(w io.Writer, store *client.Store) {
	if n := store.AuthNote(); n != "" {
		fmt.Fprintf(w, "rostercheck: note: %s (see auth.token.basic-encoding)\n", n)
	}
	if n := store.Renewed(); n > 0 {
		fmt.Fprintf(w, "rostercheck: note: %d request(s) got 401 mid-run and were sent again with a fresh token\n", n)
	}
	if early := store.EarlyRefusals(); len(early) > 0 {
		f := early[0]
		fmt.Fprintf(w, "rostercheck: note: %d token(s) were refused before the expiry their token response stated; the first, issued at %s to live %s, was refused at %s (see auth.token.lifetime)\n",
			len(early), f.Issued.UTC().Format(time.RFC3339), f.Expiry.Sub(f.Issued).Round(time.Second), f.Refused.UTC().Format(time.RFC3339))
	}
}

// userText is the run's own text that redaction leaves alone: the output
// folder, the URLs and client id the user gave, the profile names.
func userText(cfg *Config, t *target) []string {
	out := []string{cfg.Out, t.baseURL, t.tokenURL, t.clientID, t.username}
	return append(out, cfg.Profiles...)
}

// tokenEvidence runs the token endpoint checks of the run's grant after
// the token request failed, so that the reports keep the (redacted)
// exchanges behind the exit-3 line.
func tokenEvidence(ctx context.Context, sel *selection, t *target, store *client.Store, a *suites.AuthEnv, red *reports.Redactor) []reports.CheckResult {
	want := map[string]bool{"auth.token.response": a.Mode == "oauth2", "auth.token.basic-encoding": a.Mode == "oauth2", "auth.token.password-grant": a.Mode == "oauth2-password"}
	env := &suites.Env{BaseURL: strings.TrimRight(t.baseURL, "/"), Store: store, Auth: a, Evidence: 16 << 10, RunCtx: ctx, Redact: red.String}
	var out []reports.CheckResult
	for _, c := range suites.Catalogue() {
		if !want[c.ID] {
			continue
		}
		res := env.Execute(ctx, c)
		cr := reports.CheckResult{ID: c.ID, Title: c.Title, Area: c.Area, Endpoint: c.Endpoint, Level: c.Level, Features: c.Features, Source: c.Source,
			Message: res.Message, DurationMs: res.Duration.Milliseconds(), ViolationsTotal: res.ViolationsTotal, Rules: ruleCounts(res.RuleCounts)}
		for _, ex := range res.Exchanges {
			cr.Exchanges = append(cr.Exchanges, toReportExchange(ex, env.Evidence))
		}
		for _, v := range res.Violations {
			rv := reports.Violation{Rule: v.Rule, Message: v.Message}
			if v.Ex != nil {
				rv.ExchangeID = v.Ex.ID
			}
			cr.Violations = append(cr.Violations, rv)
		}
		cr.Profiles = sel.judge(c, res)
		cr.Outcome = worstOf(cr.Profiles)
		if len(cr.Profiles) == 0 {
			cr.Outcome = reports.Outcome(res.Outcome)
		}
		out = append(out, cr)
	}
	return out
}
