package suites

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rostercheck/rostercheck/internal/client"
)

// AuthEnv is what the authentication checks (auth*.go) know of the run's
// credentials. The runner fills it (runner/run.go); nil leaves every auth
// check with nothing to test.
type AuthEnv struct {
	// Mode is the run's --auth. Modes are the modes the target is
	// exercised in: the run's own, or every mode for the built-in
	// provider. A check of another mode is not supported by the run.
	Mode  string
	Modes []string
	// TokenURL, ClientID, ClientSecret (also the OAuth 1.0a consumer key
	// and secret), Username and Password of the password grant, and the
	// scopes the run asks for.
	TokenURL, ClientID, ClientSecret string
	Username, Password               string
	Scopes                           []string
	// OAuth1Method is the run's --oauth1-method (HMAC-SHA1 or
	// HMAC-SHA256): the OAuth 1.0a probes sign with it.
	OAuth1Method string
	// TokenStore carries token requests: no credentials of its own, and
	// only the token URL's origin.
	TokenStore *client.Store
	// AddSecret registers values the checks obtain (access tokens) with
	// the run's redactor.
	AddSecret func(...string)

	once  sync.Once
	token string
	life  client.TokenLife // of token
}

func (a *AuthEnv) has(mode string) bool { return a != nil && slices.Contains(a.Modes, mode) }

// scope is the scope parameter of the run's token requests ("" none).
func (a *AuthEnv) scope() string {
	if a == nil {
		return ""
	}
	return strings.Join(a.Scopes, " ")
}

// runGrant is the run's own client_credentials request (its --scope): the
// token probes vary only what they test.
func (e *Env) runGrant() url.Values { return clientCredentials(e.Auth.scope()) }

// scopeWords says which scope a token request carried, for messages.
func scopeWords(grant url.Values) string {
	if s := grant.Get("scope"); s != "" {
		return "scope " + s
	}
	return "no scope"
}

func (a *AuthEnv) secret(s ...string) {
	if a != nil && a.AddSecret != nil {
		a.AddSecret(s...)
	}
}

// bearer is a valid access token for the negative checks: the run's own,
// else one issued for them (once). "" when the run has no token mode.
func (e *Env) bearer(ctx context.Context, r *Recorder) string {
	if toks := e.Store.Tokens(); len(toks) > 0 {
		return toks[len(toks)-1]
	}
	a := e.Auth
	if !a.has("oauth2") {
		return ""
	}
	a.once.Do(func() {
		issued := time.Now()
		ans := e.issueAny(ctx, r, e.runGrant())
		a.token = ans.token
		a.life = lifeOf(ans, issued)
	})
	return a.token
}
