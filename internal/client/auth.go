package client

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/rostercheck/rostercheck/internal/oauth1"
)

// Auth applies credentials to one outgoing request. Apply is called once per
// request hop (same-host redirects re-apply it) and must be safe for
// concurrent use.
type Auth interface {
	Apply(ctx context.Context, req *http.Request) error
	Name() string
}

// TokenReporter is implemented by an Auth that holds or obtains access
// tokens. Tokens returns every access token obtained so far, so that the
// redactor can hide them.
type TokenReporter interface {
	Tokens() []string
}

// AuthError is a failure to obtain or apply credentials, usually at the
// token endpoint. Its Error() never contains a secret: Msg is scrubbed of the
// client secret and password when it is built.
type AuthError struct {
	// Unreachable is true when no HTTP response was received from the token
	// endpoint at all (connection refused, DNS, TLS, timeout).
	Unreachable bool
	// Status is the token endpoint's HTTP status when it answered with an
	// error (normally 4xx/5xx; 2xx when the body carried an "error" field).
	Status int
	Msg    string
	// TokenURL is the token endpoint asked; Code its OAuth error code
	// ("invalid_client"), if it gave one.
	TokenURL, Code string
	// Description is the endpoint's error_description (scrubbed of secrets).
	Description string
	// MissingToken: the endpoint answered 2xx without an access_token.
	MissingToken bool
	// Tried names each way of sending the client credentials that was
	// tried, in order, with the answer it got (see OAuth2WithFallback).
	Tried []string
}

func (e *AuthError) Error() string {
	msg := e.message()
	if len(e.Tried) > 0 {
		msg += " (tried: " + strings.Join(e.Tried, "; ") + ")"
	}
	return msg
}

func (e *AuthError) message() string {
	switch {
	case e.Unreachable:
		return "auth: token endpoint unreachable: " + e.Msg
	case e.Status != 0:
		return "auth: token endpoint answered " + strconv.Itoa(e.Status) + ": " + e.Msg
	default:
		return "auth: " + e.Msg
	}
}

// ---------------------------------------------------------------------------

type noAuth struct{}

// NoAuth sends requests without credentials.
func NoAuth() Auth { return noAuth{} }

func (noAuth) Apply(context.Context, *http.Request) error { return nil }
func (noAuth) Name() string                               { return "none" }

type bearerAuth struct{ token string }

// Bearer sends a fixed "Authorization: Bearer <token>". The token is
// reported through TokenReporter.
func Bearer(token string) Auth { return bearerAuth{token: token} }

func (b bearerAuth) Apply(_ context.Context, req *http.Request) error {
	req.Header.Set("Authorization", "Bearer "+b.token)
	return nil
}
func (bearerAuth) Name() string { return "bearer" }
func (b bearerAuth) Tokens() []string {
	if b.token == "" {
		return nil
	}
	return []string{b.token}
}

type oauth1Auth struct{ s *oauth1.Signer }

// OAuth1 signs every request (and every redirect hop) with s.
func OAuth1(s *oauth1.Signer) Auth { return oauth1Auth{s: s} }

func (a oauth1Auth) Apply(_ context.Context, req *http.Request) error {
	if a.s == nil {
		return &AuthError{Msg: "oauth1: no signer configured"}
	}
	if _, err := a.s.Sign(req); err != nil {
		return &AuthError{Msg: scrub(err.Error(), a.s.ConsumerSecret)}
	}
	return nil
}
func (oauth1Auth) Name() string { return "oauth1" }

// ---------------------------------------------------------------------------
// OAuth 2

// tokenAuth caches one OAuth 2 access token and refetches it (with the
// original grant) once it is within 10 s of expiry. Fetches are serialised:
// concurrent callers wait for one token request instead of each making one.
type tokenAuth struct {
	name     string
	tokenURL string
	hc       *http.Client
	fetch    func(ctx context.Context) (*oauth2.Token, error)
	secrets  []string

	sem chan struct{} // capacity 1: one fetch at a time, waits honour ctx

	mu     sync.Mutex
	tok    *oauth2.Token
	issued time.Time
	tokens []string
	life   []TokenLife    // every token fetched, with its stated expiry
	early  []EarlyRefusal // tokens refused before that expiry

	fb fallback // other ways of sending the client credentials (auth_fallback.go)
}

func newTokenAuth(name string, hc *http.Client, secrets []string, fetch func(ctx context.Context) (*oauth2.Token, error)) *tokenAuth {
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &tokenAuth{name: name, hc: hc, fetch: fetch, secrets: secrets, sem: make(chan struct{}, 1)}
}

// OAuth2ClientCredentials obtains tokens with the client-credentials grant
// (golang.org/x/oauth2/clientcredentials) using exactly the given style;
// AuthStyleAutoDetect is refused at Apply time because its silent retry
// hides non-conformance. hc carries the token requests (nil: a client with
// a 30 s timeout). Tokens are cached and reused until 10 s before expiry.
func OAuth2ClientCredentials(hc *http.Client, tokenURL, clientID, clientSecret string, scopes []string, style oauth2.AuthStyle) Auth {
	cfg := &clientcredentials.Config{
		ClientID:     clientID,
		ClientSecret: clientSecret,
		TokenURL:     tokenURL,
		Scopes:       scopes,
		AuthStyle:    style,
	}
	a := newTokenAuth("oauth2-client-credentials", hc, []string{clientSecret}, cfg.Token)
	a.tokenURL = tokenURL
	if style == oauth2.AuthStyleAutoDetect {
		a.fetch = autoDetectRefused
	}
	return a
}

// OAuth2Password obtains tokens with the resource-owner password grant
// using exactly the given style. At expiry the password grant is repeated
// (refresh tokens are not used).
func OAuth2Password(hc *http.Client, tokenURL, clientID, clientSecret, username, password string, scopes []string, style oauth2.AuthStyle) Auth {
	cfg := &oauth2.Config{
		ClientID:     clientID,
		ClientSecret: clientSecret,
		Endpoint:     oauth2.Endpoint{TokenURL: tokenURL, AuthStyle: style},
		Scopes:       scopes,
	}
	fetch := func(ctx context.Context) (*oauth2.Token, error) {
		return cfg.PasswordCredentialsToken(ctx, username, password)
	}
	if style == oauth2.AuthStyleAutoDetect {
		fetch = autoDetectRefused
	}
	a := newTokenAuth("oauth2-password", hc, []string{clientSecret, password}, fetch)
	a.tokenURL = tokenURL
	return a
}

var errAutoDetect = errors.New("oauth2 AuthStyleAutoDetect is not allowed: choose AuthStyleInHeader or AuthStyleInParams")

func autoDetectRefused(context.Context) (*oauth2.Token, error) { return nil, errAutoDetect }

func (a *tokenAuth) Name() string { return a.name }

func (a *tokenAuth) Tokens() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.tokens...)
}

func (a *tokenAuth) Apply(ctx context.Context, req *http.Request) error {
	tok, err := a.token(ctx)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", tok.Type()+" "+tok.AccessToken)
	return nil
}

func (a *tokenAuth) cached() *oauth2.Token {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.tok == nil || a.tok.AccessToken == "" {
		return nil
	}
	if a.tok.Expiry.IsZero() || time.Now().Before(a.tok.Expiry.Add(-renewMargin(a.tok.Expiry.Sub(a.issued)))) {
		return a.tok
	}
	return nil
}

// renewMargin is how long before expiry a token is renewed: 10 s, or a
// quarter of its lifetime when that is shorter (a 2 s token is renewed
// after 1.5 s instead of on every request).
func renewMargin(life time.Duration) time.Duration {
	return min(10*time.Second, max(life/4, 0))
}

func (a *tokenAuth) token(ctx context.Context) (*oauth2.Token, error) {
	if t := a.cached(); t != nil {
		return t, nil
	}
	select {
	case a.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, &AuthError{Unreachable: true, Msg: "waiting for token: " + ctx.Err().Error()}
	}
	defer func() { <-a.sem }()
	// Another caller may have fetched while we waited.
	if t := a.cached(); t != nil {
		return t, nil
	}
	t, err := a.fetchToken(ctx)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.tok = t
	a.issued = time.Now()
	seen := false
	for _, s := range a.tokens {
		if s == t.AccessToken {
			seen = true
			break
		}
	}
	if !seen {
		a.tokens = append(a.tokens, t.AccessToken)
		a.life = append(a.life, TokenLife{Token: t.AccessToken, Issued: a.issued, Expiry: t.Expiry})
	}
	a.mu.Unlock()
	return t, nil
}

func (a *tokenAuth) classify(err error) *AuthError {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		ae := &AuthError{Code: re.ErrorCode}
		if re.Response != nil {
			ae.Status = re.Response.StatusCode
		}
		var parts []string
		if re.ErrorCode != "" {
			parts = append(parts, "error="+strconv.Quote(re.ErrorCode))
		}
		if re.ErrorDescription != "" {
			parts = append(parts, "error_description="+strconv.Quote(re.ErrorDescription))
			ae.Description = scrub(re.ErrorDescription, a.secrets...)
		}
		if re.Response != nil {
			if ct := re.Response.Header.Get("Content-Type"); ct != "" {
				parts = append(parts, "content-type="+strconv.Quote(ct))
			}
		}
		if len(parts) == 0 {
			parts = append(parts, "token request rejected")
		}
		ae.Msg = scrub(strings.Join(parts, " "), a.secrets...)
		return ae
	}
	var ue *url.Error
	var ne net.Error
	if errors.As(err, &ue) || errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return &AuthError{Unreachable: true, Msg: scrub(err.Error(), a.secrets...)}
	}
	// The endpoint answered 2xx but the body was unusable (for example JSON
	// served as text/plain, which x/oauth2 then parses as a query string).
	ae := &AuthError{Msg: scrub(err.Error(), a.secrets...)}
	if strings.Contains(err.Error(), "missing access_token") {
		ae.Status, ae.MissingToken = http.StatusOK, true
		ae.Msg = "the token endpoint answered 200 without an access_token (" + ae.Msg + ")"
	}
	return ae
}

// scrub replaces every occurrence of each non-empty secret, and of its
// URL-encoded forms, by "<redacted>".
func scrub(s string, secrets ...string) string {
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		for _, form := range []string{sec, url.QueryEscape(sec), url.PathEscape(sec), oauth1.PercentEncode(sec)} {
			if form != "" {
				s = strings.ReplaceAll(s, form, "<redacted>")
			}
		}
	}
	return s
}

var (
	_ TokenReporter = bearerAuth{}
	_ TokenReporter = (*tokenAuth)(nil)
)
