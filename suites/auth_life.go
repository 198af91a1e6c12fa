package suites

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/rostercheck/rostercheck/internal/client"
)

// A token refused before the expiry its token response stated.
const ruleTokenDiesEarly = "auth.token.dies-early"

// lifeProbeAge is how old a token is at least when the lifetime check
// uses it (or half its stated life, when that is shorter): the run's own
// token usually is by then; a fresh one is waited for.
const lifeProbeAge = 2 * time.Second

// lifeSlack: a refusal this close to the stated expiry is the clocks'
// difference, not an early death.
const lifeSlack = 30 * time.Second

func init() {
	RegisterRules(Rule{ruleTokenDiesEarly, SHOULD, "the API refuses an access token long before the expires_in of its token response",
		`RFC 6749 §5.1: expires_in is "the lifetime in seconds of the access token"; SDS and the Grade Sync app (OfficeDev/O365-EDU-Assignments-GradeSync-App, OneRosterHttpClient.cs: renewal 5 minutes before the JWT exp) schedule renewal from it`,
		"keep every access token valid for the expires_in (and JWT exp) it was issued with"})
	RegisterChecks(func() []Check {
		return []Check{
			authCheck("auth.token.lifetime", "An access token is served until the expiry its token response states (expires_in, JWT exp), also after another token is issued to the client", SHOULD, FeatureAuthOAuth2, ruleTokenDiesEarly, checkTokenLifetime),
		}
	})
}

// lifeOf is the life a token response states: issued then, expiring after
// expires_in, or at the JWT exp when that is earlier.
func lifeOf(ans tokenAnswer, issued time.Time) client.TokenLife {
	l := client.TokenLife{Token: ans.token, Issued: issued}
	if ans.hasExpires && ans.expires > 0 {
		l.Expiry = issued.Add(time.Duration(ans.expires * float64(time.Second)))
	}
	if exp, ok := jwtExp(ans.token); ok && (l.Expiry.IsZero() || exp.Before(l.Expiry)) {
		l.Expiry = exp
	}
	return l
}

// jwtExp is the exp claim of a JWT access token.
func jwtExp(tok string) (time.Time, bool) {
	claims, ok := jwtClaims(tok)
	if !ok {
		return time.Time{}, false
	}
	exp, ok := claims["exp"].(float64)
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(int64(exp), 0), true
}

// lifeToProbe is a token still within its stated life: the run's newest
// token, or a fresh one (the control: served at once).
func (e *Env) lifeToProbe(ctx context.Context, r *Recorder) (client.TokenLife, bool) {
	now := time.Now()
	lives := e.Store.TokenLives()
	slices.Reverse(lives) // the newest: the one the run uses now
	for _, l := range lives {
		if !l.Expiry.IsZero() && now.Before(l.Expiry.Add(-lifeSlack)) {
			if exp, ok := jwtExp(l.Token); ok && exp.Before(l.Expiry) {
				l.Expiry = exp
			}
			return l, true
		}
	}
	issued := time.Now()
	ans := e.issueAny(ctx, r, e.runGrant())
	if transportFailed(e, r, ans) {
		return client.TokenLife{}, false
	}
	if !ans.ok() {
		r.NotSupported(fmt.Sprintf("the control failed: the run's own token request answered %s (see auth.token.response)", ans.short()))
		return client.TokenLife{}, false
	}
	l := lifeOf(ans, issued)
	if l.Expiry.IsZero() {
		r.NotSupported("the token response states no lifetime (no expires_in, no JWT exp): there is no expiry to hold it to (see auth.token.response)")
		return client.TokenLife{}, false
	}
	ex := e.apiProbe(ctx, r, probePath, one(), client.Bearer(l.Token), nil)
	if broken(e, r, ex) {
		return client.TokenLife{}, false
	}
	if !served(ex) {
		r.NotSupported(fmt.Sprintf("the control failed: GET %s with a token just issued answered %d", probePath, ex.Status))
		return client.TokenLife{}, false
	}
	return l, true
}

// checkTokenLifetime uses a token once it is some seconds old: a 401
// before its stated expiry is an early death. (The run's own tokens
// refused mid-run are renewed, and named in the run's notes.)
func checkTokenLifetime(ctx context.Context, e *Env, r *Recorder) {
	if !needMode(e, r, "oauth2", "OAuth 2 client credentials") {
		return
	}
	l, ok := e.lifeToProbe(ctx, r)
	if !ok {
		return
	}
	// Another consumer of the same client fetches its own token
	// meanwhile (SDS and Grade Sync share one client): the first must
	// live on.
	if second := e.issueAny(ctx, r, e.runGrant()); transportFailed(e, r, second) {
		return
	}
	life := l.Expiry.Sub(l.Issued)
	at := l.Issued.Add(min(lifeProbeAge, life/2))
	if d := time.Until(at); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			r.Errorf("stopped while waiting for the token to age: %v", ctx.Err())
			return
		case <-t.C:
		}
	}
	ex := e.apiProbe(ctx, r, probePath, one(), client.Bearer(l.Token), nil)
	if broken(e, r, ex) {
		return
	}
	refused := time.Now()
	if ex.Status == http.StatusUnauthorized && refused.Before(l.Expiry.Add(-lifeSlack)) {
		r.Addf(ex, "the access token issued at %s, stated to live %s (until %s), was refused with 401 at %s, %s after issue (another token was issued to the client meanwhile): consumers that renew from expires_in or the JWT exp keep using it until then",
			clockOf(l.Issued), life.Round(time.Second), clockOf(l.Expiry), clockOf(refused), refused.Sub(l.Issued).Round(100*time.Millisecond))
	}
}

func clockOf(t time.Time) string { return t.UTC().Format("15:04:05.000Z") }

// jwtClaims decodes the claims of a JWT (its signature unchecked).
func jwtClaims(tok string) (map[string]any, bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, false
	}
	var claims map[string]any
	if json.Unmarshal(raw, &claims) != nil {
		return nil, false
	}
	return claims, true
}
