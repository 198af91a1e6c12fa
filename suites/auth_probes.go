package suites

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/rostercheck/rostercheck/internal/client"
	"github.com/rostercheck/rostercheck/suites/catalogue"
)

// Rules of the probes every consumer's client makes without asking: the
// scheme's case, a grant the endpoint does not support, the scopes of
// each operation.
const (
	ruleBearerCase         = "auth.api.bearer-case"
	ruleGrantAccepted      = "auth.token.unsupported-grant-accepted"
	ruleScopeCoreRefused   = "auth.scope.core-refused"
	unsupportedGrant       = "urn:rostercheck:unsupported-grant"
	scopeProbeUnknownID    = "rostercheck-scope-probe"
	srcBearerCase          = "RFC 7235 §2.1: the auth-scheme is case-insensitive; RFC 6750 §2.1 (Bearer)"
	srcUnsupportedGrant    = "RFC 6749 §5.2: a grant type the server does not support gets 400 unsupported_grant_type"
	srcScopeCoreOperations = "OneRoster 1.1 (IMS Final Release), the OAuth 2 scope of each REST read: roster-core covers the top-level rostering collections and single objects; demographics, the gradebook and resources each need their own read scope"
)

func init() {
	RegisterRules(
		Rule{ruleBearerCase, SHOULD, "the API refuses the bearer scheme written in lower case (Authorization: bearer ...)", srcBearerCase, "compare the Authorization scheme case-insensitively"},
		Rule{ruleGrantAccepted, MUST, "the token endpoint issues a token to a grant_type it does not support", srcUnsupportedGrant, `answer 400 {"error":"unsupported_grant_type"} to grant types other than the ones offered`},
		Rule{ruleScopeCoreRefused, MUST, "a token granted roster-core.readonly is refused a core rostering read", srcScopeCoreOperations, "serve every top-level rostering collection and single object (but demographics) to a roster-core.readonly token"},
	)
	RegisterChecks(func() []Check {
		return []Check{
			authCheck("auth.api.bearer-lowercase", "GET with the access token under the scheme written in lower case (Authorization: bearer ...) is served like Bearer", SHOULD, FeatureAuthOAuth2, ruleBearerCase, checkBearerLowercase),
			authCheck("auth.token.unsupported-grant", "The token endpoint answers an unsupported grant_type with 400 unsupported_grant_type, never a token", MUST, FeatureAuthOAuth2, ruleGrantAccepted, checkUnsupportedGrant),
		}
	})
}

func checkBearerLowercase(ctx context.Context, e *Env, r *Recorder) {
	// The run's newest token first (issuing another could revoke it under
	// the walk's feet), a fresh one when that is refused (it may have
	// expired), else the run's --token.
	var control *client.Exchange
	for _, next := range []func() string{
		func() string {
			if lives := e.Store.TokenLives(); len(lives) > 0 {
				return lives[len(lives)-1].Token
			}
			return ""
		},
		func() string {
			if e.Auth.has("oauth2") && e.Auth.TokenStore != nil {
				if ans := e.issueAny(ctx, r, e.runGrant()); ans.ok() {
					return ans.token
				}
			}
			return ""
		},
		func() string { return e.bearer(ctx, r) },
	} {
		tok := next()
		if tok == "" {
			continue
		}
		control = e.apiProbe(ctx, r, probePath, one(), client.Bearer(tok), nil)
		if broken(e, r, control) {
			return
		}
		if !served(control) {
			continue
		}
		ex := e.apiProbe(ctx, r, probePath, one(), client.NoAuth(), http.Header{"Authorization": {"bearer " + tok}})
		if !broken(e, r, ex) && !served(ex) {
			r.Addf(ex, "GET %s with Authorization: bearer <token> answered %d%s, though the same token under Bearer was served (%d)", probePath, ex.Status, e.bodyHint(ex.Body), control.Status)
		}
		return
	}
	if control == nil {
		r.NotSupported("the run has no access token to send (OAuth 2 or --token)")
		return
	}
	r.NotSupported(fmt.Sprintf("the control failed: GET %s with Authorization: Bearer <token> answered %d, so a refusal of the lower-case scheme would prove nothing", probePath, control.Status))
}

func checkUnsupportedGrant(ctx context.Context, e *Env, r *Recorder) {
	if !needMode(e, r, "oauth2", "OAuth 2 client credentials") {
		return
	}
	control := e.issueAny(ctx, r, e.runGrant())
	if transportFailed(e, r, control) {
		return
	}
	if !control.ok() {
		r.NotSupported(fmt.Sprintf("the control failed: the run's own token request answered %s (see auth.token.response)", control.short()))
		return
	}
	grant := e.runGrant()
	grant.Set("grant_type", unsupportedGrant)
	ans := e.requestToken(ctx, r, grant, control.form, e.Auth.ClientID, e.Auth.ClientSecret)
	if transportFailed(e, r, ans) {
		return
	}
	switch {
	case ans.status >= 200 && ans.status < 300:
		r.AddRule(ruleGrantAccepted, ans.ex, "grant_type=%s: the token endpoint answered %d (%s), want 400 unsupported_grant_type", unsupportedGrant, ans.status, ans.short())
	case ans.status != http.StatusBadRequest || ans.errCode != "unsupported_grant_type":
		r.AddRule(ruleTokenErrorCode, ans.ex, "grant_type=%s: the token endpoint answered %s%s, want 400 unsupported_grant_type", unsupportedGrant, ans.short(), errDescription(ans))
	}
}

// scopeOutside is the scope a top-level read needs beyond roster-core
// ("" when roster-core.readonly covers it).
func scopeOutside(ep catalogue.Endpoint) string {
	switch {
	case ep.Path == "/demographics":
		return "roster-demographics.readonly"
	case ep.Area == "gradebook":
		return "gradebook.readonly"
	case ep.Area == "resources":
		return "resource.readonly"
	}
	return ""
}

// checkScopeOperations reads every top-level collection and single object
// with a token granted roster-core.readonly only: the core ones must be
// served, the others refused (401/403, or not served at all: no data).
// The collections are probed at once (one token, issued before: the
// probes issue none), each on a recorder of its own merged in order.
func checkScopeOperations(ctx context.Context, e *Env, r *Recorder, token string) {
	var eps []catalogue.Endpoint
	for _, ep := range catalogue.Endpoints {
		if ep.TopLevel() {
			eps = append(eps, ep)
		}
	}
	eachPart(ctx, r, len(eps), e.Concurrency, func(i int, r *Recorder) {
		ep := eps[i]
		needs := scopeOutside(ep)
		ex := e.apiProbe(ctx, r, ep.Path, one(), client.Bearer(token), nil)
		if broken(e, r, ex) {
			return
		}
		if needs != "" {
			refusedOutsideScope(r, ex, ep.Path, needs)
			if ep.SingleKey != "" {
				single := e.apiProbe(ctx, r, ep.Path+"/"+scopeProbeUnknownID, nil, client.Bearer(token), nil)
				if !broken(e, r, single) {
					refusedOutsideScope(r, single, ep.Path+"/{id}", needs)
				}
			}
			return
		}
		if !servedInScope(r, ex, ep.Path) || ep.SingleKey == "" {
			return
		}
		id := firstSourcedID(ex.Body, ep.Key)
		if id == "" {
			return // an empty collection: nothing to read one of
		}
		single := e.apiProbe(ctx, r, ep.Path+"/"+url.PathEscape(id), nil, client.Bearer(token), nil)
		if !broken(e, r, single) {
			servedInScope(r, single, ep.Path+"/{id}")
		}
	})
}

func refusedOutsideScope(r *Recorder, ex *client.Exchange, op, needs string) {
	if served(ex) {
		r.AddRule(ruleScopeNotEnforced, ex, "a token granted %s only was served GET %s (%d), which needs %s", scopeRosterCore, op, ex.Status, needs)
	}
}

// servedInScope records a core read refused for its credentials; true
// when it was served. A read the provider does not serve at all (404) is
// the envelope checks' finding, not the scope's.
func servedInScope(r *Recorder, ex *client.Exchange, op string) bool {
	if ex.Status == http.StatusUnauthorized || ex.Status == http.StatusForbidden {
		r.AddRule(ruleScopeCoreRefused, ex, "a token granted %s was refused GET %s (%d), a core read that scope covers", scopeRosterCore, op, ex.Status)
		return false
	}
	return served(ex)
}

// firstSourcedID is the sourcedId of the first record under key.
func firstSourcedID(body []byte, key string) string {
	var doc map[string]json.RawMessage
	if json.Unmarshal(body, &doc) != nil {
		return ""
	}
	var recs []struct {
		SourcedID string `json:"sourcedId"`
	}
	if json.Unmarshal(doc[key], &recs) != nil || len(recs) == 0 {
		return ""
	}
	return strings.TrimSpace(recs[0].SourcedID)
}
