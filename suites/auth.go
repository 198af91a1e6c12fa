package suites

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/rostercheck/rostercheck/internal/client"
)

// Authentication features: a profile lists the modes its consumers use.
const (
	FeatureAuthOAuth2   = "auth.oauth2"          // OAuth 2 client credentials: the token endpoint
	FeatureAuthPassword = "auth.oauth2-password" // OAuth 2 resource-owner password grant
	FeatureAuthOAuth1   = "auth.oauth1"          // OAuth 1.0a two-legged signatures
	FeatureAuthNegative = "auth.negative"        // what the API must refuse
	FeatureAuthScopes   = "auth.scopes"          // OneRoster scopes are enforced
)

// Rules of the authentication checks.
const (
	ruleTokenRefused        = "auth.token.refused"
	ruleTokenShape          = "auth.token.response-shape"
	ruleTokenNoExpiry       = "auth.token.no-expiry"
	ruleTokenShortLived     = "auth.token.short-lived"
	ruleWrongSecretAccepted = "auth.token.wrong-secret-accepted"
	ruleTokenErrorCode      = "auth.token.error-code"
	ruleBasicRawOnly        = "auth.token.basic-raw-only"
	ruleHeaderRefused       = "auth.token.header-refused"
	ruleBodyRefused         = "auth.token.body-refused"
	ruleRevokesPrevious     = "auth.token.revokes-previous"
	ruleWrongPassword       = "auth.token.wrong-password-accepted"
	ruleScopeNotEnforced    = "auth.scope.not-enforced"
	ruleScopeRefused        = "auth.scope.refused"
	ruleScopeRequired       = "auth.token.scope-required"
)

const (
	srcRFC6749    = "RFC 6749 §4.4 and §5.1 (OneRoster 1.1 security, OAuth 2 client credentials)"
	srcRFC6749Err = "RFC 6749 §5.2: a refused client gets 400/401 invalid_client"
	srcBasic      = "RFC 6749 §2.3.1: the client id and secret are form-encoded before HTTP Basic"
	srcSDSHeader  = `SDS page: OneRoster API data accessed by School Data Sync: "SDS would send the credentials in "Authorization" header"; Microsoft page: Onboarding OneRoster API providers in SDS and Grade Sync: "SDS does not support sending the credentials in request body"`
	srcScopes     = "OneRoster 1.1 scopes (OneRoster 1.1 security, OAuth 2 client credentials); Data Sync page: OneRoster Rest API Support resources: Scope \"Optional value, may be required\""
	srcScopeReq   = `RFC 6749 §3.3: a server may refuse a request that omits scope (invalid_scope) or grant a default; SDS's provider tests (OfficeDev/O365-EDU-Tools, "SDS V2 OneRoster v1.1-OAuth2" Postman collection) and the Grade Sync app (OfficeDev/O365-EDU-Assignments-GradeSync-App, OneRosterHttpClient.cs) send no scope`
	srcGradeSync  = "Microsoft Grade Sync app (OfficeDev/O365-EDU-Assignments-GradeSync-App): refreshes its token 5 minutes before exp"
)

// minTokenLife is the shortest expires_in that does not make the Grade
// Sync app fetch a token for every call.
const minTokenLife = 300

func init() {
	RegisterFeatures(FeatureAuthOAuth2, FeatureAuthPassword, FeatureAuthOAuth1, FeatureAuthNegative, FeatureAuthScopes)
	RegisterRules(
		Rule{ruleTokenRefused, MUST, "the token endpoint refuses the client's own credentials", srcRFC6749, "issue a token to a client_credentials (or password) request with the client's id and secret in an HTTP Basic header and the scope the client asks for"},
		Rule{ruleScopeRequired, SHOULD, "the token endpoint refuses a client_credentials request without scope", srcScopeReq, "grant the client's default scopes to a token request that names none (SDS and Grade Sync send none)"},
		Rule{ruleTokenShape, MUST, "the token response is not application/json with access_token and token_type bearer", srcRFC6749, `answer 200 application/json {"access_token":"...","token_type":"bearer","expires_in":3600}`},
		Rule{ruleTokenNoExpiry, SHOULD, "the token response has no positive expires_in", "RFC 6749 §5.1 (expires_in RECOMMENDED)", "send expires_in in seconds"},
		Rule{ruleTokenShortLived, SHOULD, "access tokens live less than 5 minutes", srcGradeSync, "issue tokens that live at least 5 minutes (an hour is usual)"},
		Rule{ruleWrongSecretAccepted, MUST, "the token endpoint answers 200 to a wrong secret or an unknown client", srcRFC6749Err, "answer 401 {\"error\":\"invalid_client\"}"},
		Rule{ruleTokenErrorCode, SHOULD, "a refused client does not get 400/401 with error invalid_client", srcRFC6749Err, "answer 401 application/json {\"error\":\"invalid_client\"}"},
		Rule{ruleBasicRawOnly, MUST, "the token endpoint decodes HTTP Basic credentials raw: form-encoded ones are refused", srcBasic, "form-decode (application/x-www-form-urlencoded) the id and the secret after base64-decoding the Basic credentials"},
		Rule{ruleHeaderRefused, MUST, "the token endpoint refuses client credentials in the HTTP Basic header", srcBasic + "; " + srcSDSHeader, "accept HTTP Basic client authentication (the only way SDS sends it)"},
		Rule{ruleBodyRefused, SHOULD, "the token endpoint refuses client_id and client_secret in the request body", "RFC 6749 §2.3.1 (body credentials MAY be supported)", "accept client_id and client_secret as body parameters too"},
		Rule{ruleRevokesPrevious, MUST, "issuing a token revokes the tokens issued before it", "RFC 6749 §4.4; consumers run concurrent syncs with one client", "keep every issued token valid until it expires"},
		Rule{ruleWrongPassword, MUST, "the token endpoint answers 200 to a wrong password", "RFC 6749 §5.2: invalid_grant", "answer 400 {\"error\":\"invalid_grant\"}"},
		Rule{ruleScopeNotEnforced, MUST, "a token serves an operation outside its scope", srcScopes, "answer 403 (insufficient_scope) or 401 when the token lacks the operation's scope"},
		Rule{ruleScopeRefused, SHOULD, "the token endpoint refuses a OneRoster 1.1 scope", srcScopes, "grant the OneRoster 1.1 scope URIs the client may use"},
	)
	RegisterChecks(tokenChecks)
}

func authCheck(id, title, level, feature, rule string, run func(ctx context.Context, e *Env, r *Recorder)) Check {
	return Check{ID: id, Title: title + " [" + level + "]", Area: "auth", Level: level, Features: []string{feature},
		Rule: rule, Source: rules[rule].Source, Run: run}
}

func tokenChecks() []Check {
	return []Check{
		authCheck("auth.token.response", "The token endpoint issues a bearer token (application/json, access_token, token_type, expires_in) to client credentials in the Basic header and the run's --scope", MUST, FeatureAuthOAuth2, ruleTokenRefused, checkTokenResponse),
		authCheck("auth.token.no-scope", "The token endpoint issues a token to a client_credentials request without scope, as SDS and Grade Sync send it", SHOULD, FeatureAuthOAuth2, ruleScopeRequired, checkNoScope),
		authCheck("auth.token.invalid-client", "The token endpoint answers a wrong secret or an unknown client with 400/401 invalid_client, never 200", MUST, FeatureAuthOAuth2, ruleWrongSecretAccepted, checkInvalidClient),
		authCheck("auth.token.basic-encoding", "The token endpoint form-decodes HTTP Basic client credentials (RFC 6749 §2.3.1)", MUST, FeatureAuthOAuth2, ruleBasicRawOnly, checkBasicEncoding),
		authCheck("auth.token.body-credentials", "The token endpoint accepts client_id and client_secret in the request body", SHOULD, FeatureAuthOAuth2, ruleBodyRefused, checkBodyCredentials),
		authCheck("auth.token.concurrent", "Two tokens issued one after the other both stay valid", MUST, FeatureAuthOAuth2, ruleRevokesPrevious, checkConcurrentTokens),
		authCheck("auth.token.password-grant", "The token endpoint issues a token to the password grant and answers a wrong password with 400 invalid_grant, never 200", MUST, FeatureAuthPassword, ruleTokenRefused, checkPasswordGrant),
		authCheck("auth.token.scope", "A token asked for roster-core.readonly only is served every top-level rostering collection and object but /demographics, and refused (401/403, no data) /demographics, the gradebook and resources", MUST, FeatureAuthScopes, ruleScopeNotEnforced, checkScope),
	}
}

// credForm is a way of sending the client credentials.
type credForm int

const (
	basicEncoded credForm = iota
	basicRaw
	bodyCreds
)

func (f credForm) String() string {
	switch f {
	case basicEncoded:
		return client.FormBasicEncoded
	case basicRaw:
		return client.FormBasicRaw
	}
	return client.FormBody
}

func clientCredentials(scope string) url.Values {
	v := url.Values{"grant_type": {"client_credentials"}}
	if scope != "" {
		v.Set("scope", scope)
	}
	return v
}

// tokenAnswer is a token endpoint's answer.
type tokenAnswer struct {
	ex         *client.Exchange
	form       credForm
	status     int
	ctype      string
	doc        map[string]any
	token, typ string
	expires    float64
	hasExpires bool
	errCode    string
}

// ok: 200 with an access token.
func (t tokenAnswer) ok() bool { return t.status == http.StatusOK && t.token != "" }

// short is the answer in a few words: "HTTP 401 invalid_client".
func (t tokenAnswer) short() string {
	switch {
	case t.ex != nil && t.ex.Err != nil && t.status == 0:
		return "no answer: " + t.ex.Err.Error()
	case t.status == http.StatusOK && t.token == "":
		return "HTTP 200 without an access_token"
	case t.errCode != "":
		return fmt.Sprintf("HTTP %d %s", t.status, t.errCode)
	}
	return fmt.Sprintf("HTTP %d", t.status)
}

// requestToken posts one token request with the given client id and
// secret sent the given way; tokens it obtains become secrets of the run.
func (e *Env) requestToken(ctx context.Context, r *Recorder, grant url.Values, form credForm, id, secret string) tokenAnswer {
	a := e.Auth
	body := url.Values{}
	for k, v := range grant {
		body[k] = v
	}
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Accept": {"application/json"}}
	switch form {
	case basicEncoded:
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret))))
	case basicRaw:
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(id+":"+secret)))
	default:
		body.Set("client_id", id)
		body.Set("client_secret", secret)
	}
	ex := a.TokenStore.Do(ctx, client.Request{Method: http.MethodPost, URL: a.TokenURL, Header: h, Body: []byte(body.Encode()), CheckID: r.res.CheckID})
	ans := tokenAnswer{ex: ex, form: form, status: ex.Status, ctype: ex.ResponseHeader.Get("Content-Type")}
	if ex.Err == nil && len(ex.Body) > 0 {
		var doc map[string]any
		if json.Unmarshal(ex.Body, &doc) == nil {
			ans.doc = doc
			ans.token, _ = doc["access_token"].(string)
			ans.typ, _ = doc["token_type"].(string)
			ans.errCode, _ = doc["error"].(string)
			ans.expires, ans.hasExpires = doc["expires_in"].(float64)
			if s, ok := doc["expires_in"].(string); ok { // some endpoints quote it
				_, err := fmt.Sscan(s, &ans.expires)
				ans.hasExpires = err == nil
			}
		}
	}
	a.secret(ans.token)
	if rt, ok := ans.doc["refresh_token"].(string); ok {
		a.secret(rt)
	}
	r.Evidence(ex)
	return ans
}

// issueAny obtains a token with the run's client credentials, sent the
// RFC way first, then raw, then in the body: for checks about what a
// token does, not how it is issued.
func (e *Env) issueAny(ctx context.Context, r *Recorder, grant url.Values) tokenAnswer {
	a := e.Auth
	forms := []credForm{basicEncoded}
	if client.BasicDiffers(a.ClientID, a.ClientSecret) {
		forms = append(forms, basicRaw)
	}
	forms = append(forms, bodyCreds)
	var first tokenAnswer
	for i, f := range forms {
		ans := e.requestToken(ctx, r, grant, f, a.ClientID, a.ClientSecret)
		if ans.ok() {
			return ans
		}
		if i == 0 {
			first = ans
		}
	}
	return first
}

// needMode marks the check not supported when the run does not exercise
// the mode; true when it may go on.
func needMode(e *Env, r *Recorder, mode, what string) bool {
	if e.Auth.has(mode) && (mode == "oauth1" || e.Auth.TokenStore != nil) {
		return true
	}
	run := "this run"
	if e.Auth != nil {
		run = "this run (--auth " + e.Auth.Mode + ")"
	}
	r.NotSupported(fmt.Sprintf("%s does not exercise %s: run with --auth %s to check it", run, what, mode))
	return false
}

func transportFailed(e *Env, r *Recorder, ans tokenAnswer) bool {
	if ans.ex.Err != nil && ans.status == 0 {
		r.Errorf("POST %s: %s", ans.ex.URL, e.describeErr(ans.ex))
		return true
	}
	return false
}

// judgeTokenResponse records what is wrong with a token response that
// should have issued a token.
func judgeTokenResponse(r *Recorder, ans tokenAnswer, what string) {
	if !ans.ok() {
		r.AddRule(ruleTokenRefused, ans.ex, "%s: the token endpoint answered %s%s", what, ans.short(), errDescription(ans))
		return
	}
	if mt, _, err := mime.ParseMediaType(ans.ctype); err != nil || mt != "application/json" {
		ct := ans.ctype
		if ct == "" {
			ct = "(none)"
		}
		r.AddRule(ruleTokenShape, ans.ex, "%s: Content-Type is %s, want application/json", what, ct)
	}
	if !strings.EqualFold(ans.typ, "bearer") {
		r.AddRule(ruleTokenShape, ans.ex, "%s: token_type is %q, want bearer", what, ans.typ)
	}
	switch {
	case !ans.hasExpires || ans.expires <= 0:
		r.AddRule(ruleTokenNoExpiry, ans.ex, "%s: no positive expires_in", what)
	case ans.expires < minTokenLife:
		r.AddRule(ruleTokenShortLived, ans.ex, "%s: expires_in is %g s; the Grade Sync app renews 5 minutes before expiry, so it would fetch a token for every call", what, ans.expires)
	}
}

func errDescription(ans tokenAnswer) string {
	if d, _ := ans.doc["error_description"].(string); d != "" {
		return fmt.Sprintf(" (%q)", OneLine(d))
	}
	return ""
}

func checkTokenResponse(ctx context.Context, e *Env, r *Recorder) {
	if !needMode(e, r, "oauth2", "OAuth 2 client credentials") {
		return
	}
	grant := e.runGrant()
	ans := e.requestToken(ctx, r, grant, basicEncoded, e.Auth.ClientID, e.Auth.ClientSecret)
	if transportFailed(e, r, ans) {
		return
	}
	judgeTokenResponse(r, ans, "client_credentials, "+basicEncoded.String()+", "+scopeWords(grant))
}

// checkNoScope asks for a token the run's way, but without scope: the
// request SDS and Grade Sync send. The run's own request (with its
// --scope) is the control: a refusal counts only when it is issued.
func checkNoScope(ctx context.Context, e *Env, r *Recorder) {
	if !needMode(e, r, "oauth2", "OAuth 2 client credentials") {
		return
	}
	control := e.issueAny(ctx, r, e.runGrant())
	if transportFailed(e, r, control) {
		return
	}
	if !control.ok() {
		r.NotSupported(fmt.Sprintf("the control failed: the run's own token request (%s) answered %s, so a refusal without scope would prove nothing (see auth.token.response)", scopeWords(e.runGrant()), control.short()))
		return
	}
	ans := e.requestToken(ctx, r, clientCredentials(""), control.form, e.Auth.ClientID, e.Auth.ClientSecret)
	if transportFailed(e, r, ans) {
		return
	}
	if !ans.ok() {
		r.AddRule(ruleScopeRequired, ans.ex, "client_credentials without scope (%s): the token endpoint answered %s%s, though it issued a token to the same request with %s; SDS and Grade Sync send no scope",
			control.form, ans.short(), errDescription(ans), scopeWords(e.runGrant()))
	}
}

func checkInvalidClient(ctx context.Context, e *Env, r *Recorder) {
	if !needMode(e, r, "oauth2", "OAuth 2 client credentials") {
		return
	}
	a := e.Auth
	for _, c := range []struct{ what, id, secret string }{
		{"a wrong client secret", a.ClientID, a.ClientSecret + "-not-the-secret"},
		{"an unknown client", "rostercheck-unknown-client", a.ClientSecret},
	} {
		ans := e.requestToken(ctx, r, e.runGrant(), basicEncoded, c.id, c.secret)
		if transportFailed(e, r, ans) {
			return
		}
		switch {
		case ans.status >= 200 && ans.status < 300:
			r.AddRule(ruleWrongSecretAccepted, ans.ex, "%s: the token endpoint answered %d (%s), want 400/401 invalid_client", c.what, ans.status, OneLine(string(ans.ex.Body)))
		case (ans.status != 400 && ans.status != 401) || ans.errCode != "invalid_client":
			r.AddRule(ruleTokenErrorCode, ans.ex, "%s: the token endpoint answered %s, want 401 (or 400) with error invalid_client", c.what, ans.short())
		}
	}
}

func checkBasicEncoding(ctx context.Context, e *Env, r *Recorder) {
	if !needMode(e, r, "oauth2", "OAuth 2 client credentials") {
		return
	}
	a := e.Auth
	if !client.BasicDiffers(a.ClientID, a.ClientSecret) {
		r.NotSupported("the client id and secret read the same form-encoded and raw: the encoding of Basic credentials makes no difference with them")
		return
	}
	enc := e.requestToken(ctx, r, e.runGrant(), basicEncoded, a.ClientID, a.ClientSecret)
	if transportFailed(e, r, enc) || enc.ok() {
		return
	}
	raw := e.requestToken(ctx, r, e.runGrant(), basicRaw, a.ClientID, a.ClientSecret)
	if raw.ok() {
		r.AddRule(ruleBasicRawOnly, raw.ex, "the token endpoint refused the %s (%s) and accepted the %s: it does not form-decode Basic credentials, so clients that follow RFC 6749 fail with a secret holding + / = %% or other reserved characters",
			basicEncoded, enc.short(), basicRaw)
		r.Evidence(enc.ex)
		return
	}
	r.AddRule(ruleHeaderRefused, enc.ex, "the token endpoint refused the %s (%s) and the %s (%s)", basicEncoded, enc.short(), basicRaw, raw.short())
	r.Evidence(raw.ex)
}

func checkBodyCredentials(ctx context.Context, e *Env, r *Recorder) {
	if !needMode(e, r, "oauth2", "OAuth 2 client credentials") {
		return
	}
	ans := e.requestToken(ctx, r, e.runGrant(), bodyCreds, e.Auth.ClientID, e.Auth.ClientSecret)
	if transportFailed(e, r, ans) {
		return
	}
	if !ans.ok() {
		r.Addf(ans.ex, "%s: the token endpoint answered %s%s", bodyCreds, ans.short(), errDescription(ans))
	}
}

// apiProbe is one request to the API with credentials of the check's own.
func (e *Env) apiProbe(ctx context.Context, r *Recorder, path string, q url.Values, auth client.Auth, h http.Header) *client.Exchange {
	return r.Evidence(e.Store.Do(ctx, client.Request{Method: http.MethodGet, URL: e.url(path, q), Header: h, Auth: auth, CheckID: r.res.CheckID}))
}

func one() url.Values { return url.Values{"limit": {"1"}} }

// probePath is what the checks read with credentials that must work: a
// collection every rostering provider serves, one record.
const probePath = "/academicSessions"

func checkConcurrentTokens(ctx context.Context, e *Env, r *Recorder) {
	if !needMode(e, r, "oauth2", "OAuth 2 client credentials") {
		return
	}
	first := e.issueAny(ctx, r, e.runGrant())
	second := e.issueAny(ctx, r, e.runGrant())
	if !first.ok() || !second.ok() {
		r.NotSupported("the token endpoint issued no token to test with (see auth.token.response)")
		return
	}
	for i, t := range []tokenAnswer{first, second} {
		ex := e.apiProbe(ctx, r, probePath, one(), client.Bearer(t.token), nil)
		switch {
		case ex.Err != nil && ex.Status == 0:
			r.Errorf("GET %s: %s", ex.URL, e.describeErr(ex))
		case ex.Status == http.StatusUnauthorized && i == 0:
			r.Addf(ex, "the first of two tokens issued one after the other was refused with 401 once the second was issued: concurrent consumers sign each other out")
		case ex.Status != http.StatusOK:
			r.Addf(ex, "token %d of 2 was refused: GET %s answered %d", i+1, probePath, ex.Status)
		}
	}
}

func checkPasswordGrant(ctx context.Context, e *Env, r *Recorder) {
	if !needMode(e, r, "oauth2-password", "the OAuth 2 password grant") {
		return
	}
	a := e.Auth
	if a.Username == "" || a.Password == "" {
		r.NotSupported("no --username and --password for the password grant")
		return
	}
	grant := func(pw string) url.Values {
		v := url.Values{"grant_type": {"password"}, "username": {a.Username}, "password": {pw}}
		if sc := a.scope(); sc != "" {
			v.Set("scope", sc)
		}
		return v
	}
	ans := e.issueAny(ctx, r, grant(a.Password))
	if transportFailed(e, r, ans) {
		return
	}
	judgeTokenResponse(r, ans, "password grant")
	// The wrong password goes the way the right one was accepted.
	bad := e.requestToken(ctx, r, grant(a.Password+"-not-the-password"), ans.form, a.ClientID, a.ClientSecret)
	switch {
	case bad.status >= 200 && bad.status < 300:
		r.AddRule(ruleWrongPassword, bad.ex, "a wrong password: the token endpoint answered %d (%s), want 400 invalid_grant", bad.status, OneLine(string(bad.ex.Body)))
	case bad.status != 400 || bad.errCode != "invalid_grant":
		r.AddRule(ruleTokenErrorCode, bad.ex, "a wrong password: the token endpoint answered %s, want 400 invalid_grant", bad.short())
	}
}

// scopeRosterCore is the narrowest OneRoster 1.1 rostering scope.
const scopeRosterCore = "https://purl.imsglobal.org/spec/or/v1p1/scope/roster-core.readonly"

func checkScope(ctx context.Context, e *Env, r *Recorder) {
	if !needMode(e, r, "oauth2", "OAuth 2 client credentials") {
		return
	}
	ans := e.issueAny(ctx, r, clientCredentials(scopeRosterCore))
	if transportFailed(e, r, ans) {
		return
	}
	if !ans.ok() {
		r.AddRule(ruleScopeRefused, ans.ex, "asked for %s only: the token endpoint answered %s%s", scopeRosterCore, ans.short(), errDescription(ans))
		return
	}
	// Every top-level read (auth_probes.go): the core ones served, the
	// others refused (a provider without a service answers 404, which is
	// no data either).
	checkScopeOperations(ctx, e, r, ans.token)
}
