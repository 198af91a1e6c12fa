package suites

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"

	"github.com/rostercheck/rostercheck/internal/client"
	"github.com/rostercheck/rostercheck/internal/oauth1"
)

// Rules of the OAuth 1.0a checks.
const (
	ruleOAuth1Refused        = "auth.oauth1.refused"
	ruleOAuth1SHA1Refused    = "auth.oauth1.sha1-refused"
	ruleOAuth1QueryRefused   = "auth.oauth1.query-refused"
	ruleOAuth1BadSignature   = "auth.oauth1.bad-signature-accepted"
	ruleOAuth1StaleTimestamp = "auth.oauth1.stale-timestamp-accepted"
	ruleOAuth1Replay         = "auth.oauth1.replay-accepted"
	ruleOAuth1SkewRefused    = "auth.oauth1.skew-refused"
)

const srcOAuth1 = "OneRoster 1.1 Core Security, RFC 5849 two-legged (OneRoster 1.1 Core Security, OAuth 1.0a)"

// OAuth 1.0a windows: a timestamp this far off is stale; one this close is
// a clock skew every provider tolerates (Canvas asks for 10 minutes past
// and 5 ahead).
const (
	oauth1Stale = 2 * time.Hour
	oauth1Skew  = time.Minute
)

func init() {
	RegisterRules(
		Rule{ruleOAuth1Refused, MUST, "a correct HMAC-SHA256 OAuth 1.0a signature in the Authorization header is refused", srcOAuth1, "verify RFC 5849 signatures with the consumer secret and an empty token secret (\"secret&\")"},
		Rule{ruleOAuth1SHA1Refused, SHOULD, "a correct HMAC-SHA1 OAuth 1.0a signature is refused", srcOAuth1 + "; ClassLink's library signs with HMAC-SHA1", "accept HMAC-SHA1 as well as HMAC-SHA256"},
		Rule{ruleOAuth1QueryRefused, SHOULD, "OAuth 1.0a parameters in the query string are refused", srcOAuth1 + " (header and query placement, RFC 5849 §3.5)", "accept the protocol parameters in the query string too"},
		Rule{ruleOAuth1BadSignature, MUST, "a request with a wrong OAuth 1.0a signature is served", srcOAuth1, "answer 401 when oauth_signature does not match"},
		Rule{ruleOAuth1StaleTimestamp, MUST, "a request with an oauth_timestamp hours old is served", srcOAuth1 + "; RFC 5849 §3.3", "refuse timestamps outside a window of minutes with 401"},
		Rule{ruleOAuth1Replay, MUST, "a replayed OAuth 1.0a request (same nonce and timestamp) is served", srcOAuth1 + "; RFC 5849 §3.3", "remember nonces for the timestamp window and refuse a repeat with 401"},
		Rule{ruleOAuth1SkewRefused, SHOULD, "a signature whose clock is a minute off is refused", srcOAuth1 + "; Canvas asks providers to tolerate 10 minutes past and 5 ahead", "accept timestamps a few minutes either side of the server's clock"},
	)
	RegisterChecks(func() []Check {
		return []Check{
			authCheck("auth.oauth1.signed", "OAuth 1.0a requests signed with HMAC-SHA256 (and HMAC-SHA1) in the Authorization header, without oauth_token, are served", MUST, FeatureAuthOAuth1, ruleOAuth1Refused, checkOAuth1Signed),
			authCheck("auth.oauth1.query", "OAuth 1.0a requests (--oauth1-method) with the protocol parameters in the query string are served", SHOULD, FeatureAuthOAuth1, ruleOAuth1QueryRefused, checkOAuth1Query),
			authCheck("auth.oauth1.bad-signature", "An OAuth 1.0a request (--oauth1-method) with a wrong signature is refused with 401, where the correct one is served", MUST, FeatureAuthOAuth1, ruleOAuth1BadSignature, checkOAuth1BadSignature),
			authCheck("auth.oauth1.stale-timestamp", "An OAuth 1.0a request (--oauth1-method) with a timestamp two hours old is refused with 401, where a fresh one is served", MUST, FeatureAuthOAuth1, ruleOAuth1StaleTimestamp, checkOAuth1Stale),
			authCheck("auth.oauth1.replayed-nonce", "A replayed OAuth 1.0a request (--oauth1-method; same nonce and timestamp) is refused with 401, where the first is served", MUST, FeatureAuthOAuth1, ruleOAuth1Replay, checkOAuth1Replay),
			authCheck("auth.oauth1.small-skew", "An OAuth 1.0a signature (--oauth1-method) whose clock is a minute ahead or behind is accepted", SHOULD, FeatureAuthOAuth1, ruleOAuth1SkewRefused, checkOAuth1Skew),
		}
	})
}

// signer returns an OAuth 1.0a signer with the run's consumer key and
// secret; the options adjust it.
func (e *Env) signer(method oauth1.Method, placement oauth1.Placement) *oauth1.Signer {
	return &oauth1.Signer{ConsumerKey: e.Auth.ClientID, ConsumerSecret: e.Auth.ClientSecret, Method: method, Placement: placement}
}

// method is the run's --oauth1-method: every probe signs with it and
// varies only what it tests.
func (e *Env) method() oauth1.Method {
	if e.Auth != nil && e.Auth.OAuth1Method != "" {
		return oauth1.Method(e.Auth.OAuth1Method)
	}
	return oauth1.HMACSHA256
}

// oauth1Control sends a correctly signed request the run's way and is true
// when it is served: only then does the refusal of a faulty one prove the
// provider checks that fault. Otherwise the check is not supported.
func (e *Env) oauth1Control(ctx context.Context, r *Recorder) bool {
	ex := e.signedGet(ctx, r, e.signer(e.method(), oauth1.Header))
	if broken(e, r, ex) {
		return false
	}
	if !served(ex) {
		r.NotSupported(fmt.Sprintf("the control failed: GET %s correctly signed with %s (--oauth1-method) answered %d%s, so a refusal of the faulty request would prove nothing (see auth.oauth1.signed)",
			probePath, e.method(), ex.Status, e.bodyHint(ex.Body)))
		return false
	}
	return true
}

// signedGet sends GET probePath?limit=1 signed by s.
func (e *Env) signedGet(ctx context.Context, r *Recorder, s *oauth1.Signer) *client.Exchange {
	return e.apiProbe(ctx, r, probePath, one(), client.OAuth1(s), nil)
}

func served(ex *client.Exchange) bool { return ex.Status >= 200 && ex.Status < 300 }

func broken(e *Env, r *Recorder, ex *client.Exchange) bool {
	if ex.Err != nil && ex.Status == 0 {
		r.Errorf("GET %s: %s", ex.URL, e.describeErr(ex))
		return true
	}
	return false
}

func checkOAuth1Signed(ctx context.Context, e *Env, r *Recorder) {
	if !needMode(e, r, "oauth1", "OAuth 1.0a") {
		return
	}
	for _, m := range []struct {
		method oauth1.Method
		rule   string
	}{{oauth1.HMACSHA256, ruleOAuth1Refused}, {oauth1.HMACSHA1, ruleOAuth1SHA1Refused}} {
		ex := e.signedGet(ctx, r, e.signer(m.method, oauth1.Header))
		if broken(e, r, ex) {
			return
		}
		if !served(ex) {
			r.AddRule(m.rule, ex, "GET %s signed with %s in the Authorization header answered %d%s", probePath, m.method, ex.Status, e.bodyHint(ex.Body))
		}
	}
}

func checkOAuth1Query(ctx context.Context, e *Env, r *Recorder) {
	if !needMode(e, r, "oauth1", "OAuth 1.0a") {
		return
	}
	if !e.oauth1Control(ctx, r) {
		return
	}
	ex := e.signedGet(ctx, r, e.signer(e.method(), oauth1.Query))
	if !broken(e, r, ex) && !served(ex) {
		r.Addf(ex, "GET %s with %s OAuth 1.0a parameters in the query string answered %d%s, though the same request signed in the Authorization header was served", probePath, e.method(), ex.Status, e.bodyHint(ex.Body))
	}
}

// refused records a violation unless ex is a 401 (or another refusal).
func refusedOAuth1(e *Env, r *Recorder, ex *client.Exchange, what string) {
	if broken(e, r, ex) {
		return
	}
	if served(ex) {
		r.Addf(ex, "GET %s %s was served (%d)", probePath, what, ex.Status)
	} else if ex.Status != http.StatusUnauthorized {
		r.AddRule(ruleRefusalStatus, ex, "GET %s %s was refused with %d, want 401", probePath, what, ex.Status)
	}
}

func checkOAuth1BadSignature(ctx context.Context, e *Env, r *Recorder) {
	if !needMode(e, r, "oauth1", "OAuth 1.0a") {
		return
	}
	if !e.oauth1Control(ctx, r) {
		return
	}
	s := e.signer(e.method(), oauth1.Header)
	s.ConsumerSecret += "-not-the-secret"
	refusedOAuth1(e, r, e.signedGet(ctx, r, s), "signed with a wrong consumer secret")
}

func checkOAuth1Stale(ctx context.Context, e *Env, r *Recorder) {
	if !needMode(e, r, "oauth1", "OAuth 1.0a") {
		return
	}
	if !e.oauth1Control(ctx, r) {
		return
	}
	s := e.signer(e.method(), oauth1.Header)
	s.Now = func() time.Time { return time.Now().Add(-oauth1Stale) }
	refusedOAuth1(e, r, e.signedGet(ctx, r, s), fmt.Sprintf("with an oauth_timestamp %s old", oauth1Stale))
}

func checkOAuth1Replay(ctx context.Context, e *Env, r *Recorder) {
	if !needMode(e, r, "oauth1", "OAuth 1.0a") {
		return
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	nonce, at := "rostercheck-replay-"+hex.EncodeToString(b), time.Now()
	s := e.signer(e.method(), oauth1.Header)
	s.Now = func() time.Time { return at }
	s.Nonce = func() string { return nonce }
	// The first request is the control: correctly signed, fresh nonce.
	first := e.signedGet(ctx, r, s)
	if broken(e, r, first) {
		return
	}
	if !served(first) {
		r.NotSupported(fmt.Sprintf("the control failed: GET %s correctly signed with %s (--oauth1-method) answered %d%s, so there is nothing to replay (see auth.oauth1.signed)",
			probePath, e.method(), first.Status, e.bodyHint(first.Body)))
		return
	}
	refusedOAuth1(e, r, e.signedGet(ctx, r, s), "replayed with the same nonce and timestamp")
}

func checkOAuth1Skew(ctx context.Context, e *Env, r *Recorder) {
	if !needMode(e, r, "oauth1", "OAuth 1.0a") {
		return
	}
	if !e.oauth1Control(ctx, r) {
		return
	}
	for _, d := range []time.Duration{oauth1Skew, -oauth1Skew} {
		s := e.signer(e.method(), oauth1.Header)
		s.Now = func() time.Time { return time.Now().Add(d) }
		ex := e.signedGet(ctx, r, s)
		if broken(e, r, ex) {
			return
		}
		if !served(ex) {
			r.Addf(ex, "GET %s signed with %s and a clock %s off answered %d%s, though the same request on time was served", probePath, e.method(), d, ex.Status, e.bodyHint(ex.Body))
		}
	}
}
