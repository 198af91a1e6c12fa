package suites

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rostercheck/rostercheck/internal/client"
	"github.com/rostercheck/rostercheck/suites/catalogue"
)

// Rules of the negative API checks.
const (
	ruleAcceptsAnonymous = "auth.api.accepts-anonymous"
	ruleAcceptsInvalid   = "auth.api.accepts-invalid-token"
	ruleDataInRefusal    = "auth.api.data-in-refusal"
	ruleNoChallenge      = "auth.api.no-challenge"
	ruleRefusalStatus    = "auth.api.refusal-status"
	ruleCredsInURL       = "auth.api.credentials-in-url"
	ruleCredsInCookie    = "auth.api.credentials-in-cookie"
)

const srcRFC6750 = "RFC 6750 §3 and §3.1: a missing or invalid token gets 401 with WWW-Authenticate"

// negativeSample are the endpoints the negative checks probe: the ones
// the consumers' profiles read most (a check belongs to a profile that
// lists its endpoint).
var negativeSample = []string{"/orgs", "/users", "/classes", "/enrollments", "/teachers", "/academicSessions", "/categories"}

// garbageToken is a bearer token no provider issued.
const garbageToken = "rostercheck-not-a-token-0000000000"

func init() {
	RegisterRules(
		Rule{ruleAcceptsAnonymous, MUST, "the API serves a request without credentials", srcRFC6750, "answer 401 with WWW-Authenticate to every request without credentials"},
		Rule{ruleAcceptsInvalid, MUST, "the API serves an invalid or expired bearer token", srcRFC6750, "verify every bearer token (signature, issuer, expiry) and answer 401 invalid_token"},
		Rule{ruleDataInRefusal, MUST, "a refused request still carries records", srcRFC6750, "send no data with a 401 or 403"},
		Rule{ruleNoChallenge, MUST, "a 401 has no WWW-Authenticate header", "RFC 6750 §3 and RFC 7235 §3.1: a 401 MUST carry a WWW-Authenticate challenge", `send WWW-Authenticate: Bearer realm="oneroster" with every 401`},
		Rule{ruleRefusalStatus, SHOULD, "missing or invalid credentials are refused with another status than 401", srcRFC6750, "answer 401 (403 is for a valid token without the scope)"},
		Rule{ruleCredsInURL, MUST, "the API takes credentials from the query string", "RFC 6750 §2.3 and §5.3: tokens in URLs end up in logs and browser history", "read credentials from the Authorization header only"},
		Rule{ruleCredsInCookie, MUST, "the API takes the access token from a cookie", "RFC 6750 §5.3; SDS page: OneRoster API data accessed by School Data Sync: SDS sends credentials in the Authorization header", "read credentials from the Authorization header only"},
	)
	RegisterChecks(negativeChecks)
}

type negative struct {
	name, title string
	rule        string
	run         func(ctx context.Context, e *Env, r *Recorder, ep catalogue.Endpoint)
}

var negatives = []negative{
	{"no-credentials", "GET %s without credentials is refused with 401 and WWW-Authenticate, no data", ruleAcceptsAnonymous, checkNoCredentials},
	{"garbage-token", "GET %s with a bearer token nobody issued is refused with 401 and WWW-Authenticate, no data", ruleAcceptsInvalid, checkGarbageToken},
	{"expired-token", "GET %s with an expired bearer token (the run's JWT with exp in the past) is refused with 401, no data", ruleAcceptsInvalid, checkExpiredToken},
	{"query-credentials", "GET %s takes no access token from the query string (access_token, token, jwt)", ruleCredsInURL, checkQueryCredentials},
	{"cookie-credentials", "GET %s takes no access token from a cookie", ruleCredsInCookie, checkCookieCredentials},
}

func negativeChecks() []Check {
	var out []Check
	for _, path := range negativeSample {
		ep, ok := catalogue.Lookup(path)
		if !ok {
			panic("suites: no catalogue row for " + path)
		}
		for _, n := range negatives {
			ep, n := ep, n
			out = append(out, Check{
				ID:       "auth." + ep.Slug() + "." + n.name,
				Title:    fmt.Sprintf(n.title, ep.Path) + " [MUST]",
				Area:     "auth",
				Endpoint: ep.Path,
				Level:    MUST,
				Features: []string{ep.Path, FeatureAuthNegative},
				Rule:     n.rule,
				Service:  ep.Area,
				Source:   rules[n.rule].Source,
				Run: func(ctx context.Context, e *Env, r *Recorder) {
					if e.Auth == nil || e.Auth.Mode == "none" {
						// An open API by the user's own account: nothing to refuse.
						r.NotSupported("the run uses --auth none: the target is tested without credentials")
						return
					}
					n.run(ctx, e, r, ep)
				},
			})
		}
	}
	return out
}

// judgeRefusal records what is wrong with the answer to a request that
// must be refused: served (rule), data in the refusal, no challenge, a
// status other than 401.
func judgeRefusal(e *Env, r *Recorder, ex *client.Exchange, ep catalogue.Endpoint, rule, what string) {
	switch {
	case ex.Err != nil && ex.Status == 0:
		r.Errorf("GET %s: %s", ex.URL, e.describeErr(ex))
		return
	case ex.Status >= 200 && ex.Status < 300:
		r.AddRule(rule, ex, "GET %s %s was served: %d%s", ep.Path, what, ex.Status, recordsHint(ex, ep.Key))
		return
	}
	if hint := recordsHint(ex, ep.Key); hint != "" {
		r.AddRule(ruleDataInRefusal, ex, "GET %s %s was refused with %d, but the body carries records%s", ep.Path, what, ex.Status, hint)
	}
	switch {
	case ex.Status == http.StatusUnauthorized && ex.ResponseHeader.Get("WWW-Authenticate") == "":
		r.AddRule(ruleNoChallenge, ex, "GET %s %s: 401 without WWW-Authenticate", ep.Path, what)
	case ex.Status != http.StatusUnauthorized:
		r.AddRule(ruleRefusalStatus, ex, "GET %s %s was refused with %d, want 401", ep.Path, what, ex.Status)
	}
}

// recordsHint says how many records a body carries under key ("" none).
func recordsHint(ex *client.Exchange, key string) string {
	var doc map[string]json.RawMessage
	if json.Unmarshal(ex.Body, &doc) != nil {
		return ""
	}
	var recs []json.RawMessage
	if json.Unmarshal(doc[key], &recs) != nil || len(recs) == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d %s records in the body)", len(recs), key)
}

func checkNoCredentials(ctx context.Context, e *Env, r *Recorder, ep catalogue.Endpoint) {
	ex := e.apiProbe(ctx, r, ep.Path, one(), client.NoAuth(), nil)
	judgeRefusal(e, r, ex, ep, ruleAcceptsAnonymous, "without credentials")
}

func checkGarbageToken(ctx context.Context, e *Env, r *Recorder, ep catalogue.Endpoint) {
	ex := e.apiProbe(ctx, r, ep.Path, one(), client.Bearer(garbageToken), nil)
	judgeRefusal(e, r, ex, ep, ruleAcceptsInvalid, "with a bearer token nobody issued")
}

func checkExpiredToken(ctx context.Context, e *Env, r *Recorder, ep catalogue.Endpoint) {
	tok := e.bearer(ctx, r)
	if tok == "" {
		r.NotSupported("the run has no access token to age (OAuth 2 or --token)")
		return
	}
	expired, ok := expireJWT(tok, time.Now().Add(-time.Hour))
	if !ok {
		r.NotSupported("the access token is not a JWT: an expired one cannot be made without waiting for it to expire")
		return
	}
	e.Auth.secret(expired)
	ex := e.apiProbe(ctx, r, ep.Path, one(), client.Bearer(expired), nil)
	judgeRefusal(e, r, ex, ep, ruleAcceptsInvalid, "with an expired token (exp one hour ago)")
}

// expireJWT returns tok with its exp (and iat) claims moved to at; its
// signature no longer matches, as for a token tampered with.
func expireJWT(tok string, at time.Time) (string, bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", false
	}
	var claims map[string]any
	if json.Unmarshal(raw, &claims) != nil {
		return "", false
	}
	if _, ok := claims["exp"]; !ok {
		return "", false
	}
	claims["exp"] = at.Unix()
	claims["iat"] = at.Add(-time.Hour).Unix()
	b, err := json.Marshal(claims)
	if err != nil {
		return "", false
	}
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString(b) + "." + parts[2], true
}

// credentialPlaces are the query parameter and cookie names tokens are
// smuggled in.
var credentialPlaces = []string{"access_token", "token", "jwt"}

// differential: a valid token served and a garbage one refused prove the
// provider reads the credentials there (a provider that serves anything
// is the no-credentials check's finding).
func checkQueryCredentials(ctx context.Context, e *Env, r *Recorder, ep catalogue.Endpoint) {
	tok := e.bearer(ctx, r)
	if tok == "" {
		r.NotSupported("the run has no access token to place in the query string (OAuth 2 or --token)")
		return
	}
	for _, name := range credentialPlaces {
		valid := e.apiProbe(ctx, r, ep.Path, url.Values{"limit": {"1"}, name: {tok}}, client.NoAuth(), nil)
		if valid.Status < 200 || valid.Status >= 300 {
			continue
		}
		garbage := e.apiProbe(ctx, r, ep.Path, url.Values{"limit": {"1"}, name: {garbageToken}}, client.NoAuth(), nil)
		if garbage.Status < 200 || garbage.Status >= 300 {
			r.Addf(valid, "GET %s?%s=<token> without an Authorization header was served (%d), and refused (%d) with a garbage token there: the API takes credentials from the URL, where logs keep them", ep.Path, name, valid.Status, garbage.Status)
		}
	}
}

func checkCookieCredentials(ctx context.Context, e *Env, r *Recorder, ep catalogue.Endpoint) {
	tok := e.bearer(ctx, r)
	if tok == "" {
		r.NotSupported("the run has no access token to place in a cookie (OAuth 2 or --token)")
		return
	}
	cookie := func(v string) http.Header {
		var cs []string
		for _, name := range credentialPlaces {
			cs = append(cs, name+"="+v)
		}
		return http.Header{"Cookie": {strings.Join(cs, "; ")}}
	}
	valid := e.apiProbe(ctx, r, ep.Path, one(), client.NoAuth(), cookie(tok))
	if valid.Status < 200 || valid.Status >= 300 {
		return
	}
	garbage := e.apiProbe(ctx, r, ep.Path, one(), client.NoAuth(), cookie(garbageToken))
	if garbage.Status < 200 || garbage.Status >= 300 {
		r.Addf(valid, "GET %s with the access token in a cookie (%s) and no Authorization header was served (%d), and refused (%d) with a garbage token there", ep.Path, strings.Join(credentialPlaces, ", "), valid.Status, garbage.Status)
	}
}
