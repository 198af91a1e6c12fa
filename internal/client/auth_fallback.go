package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Ways of sending the client credentials to a token endpoint, as the
// fallback names them in notes and errors.
const (
	FormBasicEncoded = "Basic header with the id and secret form-encoded (RFC 6749 §2.3.1)"
	FormBasicRaw     = "Basic header with the raw id and secret (not form-encoded)"
	FormBody         = "client_id and client_secret in the request body"
)

// credForm is one way of sending the client credentials.
type credForm struct {
	name  string
	fetch func(ctx context.Context) (*oauth2.Token, error)
}

// fallback holds the forms a tokenAuth tries in order, and the one that
// worked. Only the token fetch (serialised by tokenAuth.sem) writes it.
type fallback struct {
	forms  []credForm
	mu     sync.Mutex
	chosen int // index+1 of the form that worked; 0: none yet
	note   string
}

// CredentialNoter is implemented by an Auth that may have fallen back to
// another way of sending the client credentials.
type CredentialNoter interface {
	// CredentialNote says which form the token endpoint refused and which
	// it accepted; "" when the first form worked (or nothing was fetched).
	CredentialNote() string
}

// OAuth2ClientCredentialsFallback is OAuth2ClientCredentials that sends the
// client credentials in the Basic header form-encoded, as RFC 6749 §2.3.1
// says; when the token endpoint refuses that (400/401), it tries the raw
// form (only when it differs), then the request body, and keeps to the
// first form that works. CredentialNote reports the difference. An error
// names every form tried and the answer each got.
func OAuth2ClientCredentialsFallback(hc *http.Client, tokenURL, clientID, clientSecret string, scopes []string) Auth {
	mk := func(style oauth2.AuthStyle) func(ctx context.Context) (*oauth2.Token, error) {
		cfg := &clientcredentials.Config{ClientID: clientID, ClientSecret: clientSecret, TokenURL: tokenURL, Scopes: scopes, AuthStyle: style}
		return cfg.Token
	}
	a := newTokenAuth("oauth2-client-credentials", hc, []string{clientSecret}, mk(oauth2.AuthStyleInHeader))
	a.tokenURL = tokenURL
	a.fb.forms = credForms(a.hc, clientID, clientSecret, mk)
	return a
}

// OAuth2PasswordFallback is OAuth2Password with the fallback of
// OAuth2ClientCredentialsFallback.
func OAuth2PasswordFallback(hc *http.Client, tokenURL, clientID, clientSecret, username, password string, scopes []string) Auth {
	mk := func(style oauth2.AuthStyle) func(ctx context.Context) (*oauth2.Token, error) {
		cfg := &oauth2.Config{ClientID: clientID, ClientSecret: clientSecret, Endpoint: oauth2.Endpoint{TokenURL: tokenURL, AuthStyle: style}, Scopes: scopes}
		return func(ctx context.Context) (*oauth2.Token, error) {
			return cfg.PasswordCredentialsToken(ctx, username, password)
		}
	}
	a := newTokenAuth("oauth2-password", hc, []string{clientSecret, password}, mk(oauth2.AuthStyleInHeader))
	a.tokenURL = tokenURL
	a.fb.forms = credForms(a.hc, clientID, clientSecret, mk)
	return a
}

// BasicDiffers reports whether form-encoding changes the client id or
// secret, i.e. whether the raw Basic form is a different request.
func BasicDiffers(clientID, clientSecret string) bool {
	return url.QueryEscape(clientID) != clientID || url.QueryEscape(clientSecret) != clientSecret
}

func credForms(hc *http.Client, id, secret string, mk func(oauth2.AuthStyle) func(context.Context) (*oauth2.Token, error)) []credForm {
	with := func(c *http.Client, f func(context.Context) (*oauth2.Token, error)) func(context.Context) (*oauth2.Token, error) {
		return func(ctx context.Context) (*oauth2.Token, error) {
			return f(context.WithValue(ctx, oauth2.HTTPClient, c))
		}
	}
	forms := []credForm{{FormBasicEncoded, with(hc, mk(oauth2.AuthStyleInHeader))}}
	if BasicDiffers(id, secret) {
		raw := *hc
		base := hc.Transport
		if base == nil {
			base = http.DefaultTransport
		}
		raw.Transport = rawBasic{base: base, id: id, secret: secret}
		forms = append(forms, credForm{FormBasicRaw, with(&raw, mk(oauth2.AuthStyleInHeader))})
	}
	return append(forms, credForm{FormBody, with(hc, mk(oauth2.AuthStyleInParams))})
}

// rawBasic replaces the Basic credentials x/oauth2 form-encodes by the raw ones.
type rawBasic struct {
	base       http.RoundTripper
	id, secret string
}

func (t rawBasic) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.SetBasicAuth(t.id, t.secret)
	return t.base.RoundTrip(r)
}

// fetchToken obtains a token with the configured grant: the one form of a
// plain tokenAuth, or the forms of a fallback in order.
func (a *tokenAuth) fetchToken(ctx context.Context) (*oauth2.Token, error) {
	if len(a.fb.forms) == 0 {
		t, err := a.fetch(context.WithValue(ctx, oauth2.HTTPClient, a.hc))
		if err != nil {
			ae := a.classify(err)
			ae.TokenURL = a.tokenURL
			return nil, ae
		}
		return t, nil
	}
	a.fb.mu.Lock()
	chosen := a.fb.chosen
	a.fb.mu.Unlock()
	if chosen > 0 { // keep to the form that worked
		t, err := a.fb.forms[chosen-1].fetch(ctx)
		if err != nil {
			ae := a.classify(err)
			ae.TokenURL = a.tokenURL
			ae.Tried = []string{a.fb.forms[chosen-1].name + ": " + ae.short()}
			return nil, ae
		}
		return t, nil
	}
	var first *AuthError
	var tried []string
	for i, f := range a.fb.forms {
		t, err := f.fetch(ctx)
		if err == nil {
			a.fb.mu.Lock()
			a.fb.chosen = i + 1
			if i > 0 {
				a.fb.note = fmt.Sprintf("the token endpoint %s refused %s and accepted %s", a.tokenURL, strings.Join(tried, "; then "), f.name)
			}
			a.fb.mu.Unlock()
			return t, nil
		}
		ae := a.classify(err)
		if first == nil {
			first = ae
		}
		tried = append(tried, f.name+" ("+ae.short()+")")
		if ae.Unreachable || (ae.Status != http.StatusBadRequest && ae.Status != http.StatusUnauthorized) || ae.Code == "invalid_scope" {
			break // only a refusal of the credentials is worth another form
		}
	}
	first.TokenURL = a.tokenURL
	first.Tried = tried
	return nil, first
}

// short is the answer in a few words: "HTTP 401 invalid_client".
func (e *AuthError) short() string {
	switch {
	case e.Unreachable:
		return "unreachable"
	case e.MissingToken:
		return "HTTP 200 without an access_token"
	case e.Status != 0 && e.Code != "":
		return fmt.Sprintf("HTTP %d %s", e.Status, e.Code)
	case e.Status != 0:
		return fmt.Sprintf("HTTP %d", e.Status)
	}
	return e.Msg
}

// CredentialNote implements CredentialNoter.
func (a *tokenAuth) CredentialNote() string {
	a.fb.mu.Lock()
	defer a.fb.mu.Unlock()
	return a.fb.note
}

// Invalidate drops the cached token if it is the one in the Authorization
// value given (the API answered 401 to it), so the next request fetches
// a fresh one.
func (a *tokenAuth) Invalidate(authorization string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.tok != nil && a.tok.AccessToken != "" && strings.HasSuffix(authorization, " "+a.tok.AccessToken) {
		if now := time.Now(); !a.tok.Expiry.IsZero() && now.Before(a.tok.Expiry.Add(-renewMargin(a.tok.Expiry.Sub(a.issued)))) {
			a.early = append(a.early, EarlyRefusal{TokenLife{a.tok.AccessToken, a.issued, a.tok.Expiry}, now})
		}
		a.tok = nil
	}
}

// Renewer is implemented by an Auth whose credentials can be renewed
// after the API refused them.
type Renewer interface{ Invalidate(authorization string) }

var (
	_ CredentialNoter = (*tokenAuth)(nil)
	_ Renewer         = (*tokenAuth)(nil)
)
