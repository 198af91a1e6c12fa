package client

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/rostercheck/rostercheck/internal/oauth1"
)

const (
	testClientID     = "client id:1"
	testClientSecret = "p@ss/word+&=sekrit"
	testUser         = "teacher1"
	testPassword     = "hunter2-Pa55!"
)

// tokenServer is a small OAuth 2 token endpoint. mode "header" accepts
// client authentication only via HTTP Basic, "params" only via the body.
type tokenServer struct {
	*httptest.Server
	mode        string
	id          string // the client id it knows
	expiresIn   int
	contentType string // of the token response; default application/json
	requests    atomic.Int32
	mu          sync.Mutex
	issued      []string
	grants      []string
}

func newTokenServer(t *testing.T, mode string) *tokenServer {
	ts := &tokenServer{mode: mode, expiresIn: 3600, id: testClientID}
	ts.Server = httptest.NewServer(http.HandlerFunc(ts.serve))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *tokenServer) serve(w http.ResponseWriter, r *http.Request) {
	ts.requests.Add(1)
	fail := func(status int, code, desc string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
	}
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		fail(400, "invalid_request", "POST a form")
		return
	}
	var id, secret string
	switch ts.mode {
	case "header":
		u, p, ok := r.BasicAuth()
		if !ok {
			// Deliberately echo what it got, to prove errors are scrubbed.
			fail(401, "invalid_client", "expected Basic auth, got client_secret="+r.PostForm.Get("client_secret"))
			return
		}
		// RFC 6749 §2.3.1: form-encoded before Basic.
		id, _ = url.QueryUnescape(u)
		secret, _ = url.QueryUnescape(p)
	case "raw": // decodes Basic without form-decoding (a common bug)
		u, p, ok := r.BasicAuth()
		if !ok {
			fail(401, "invalid_client", "expected Basic auth")
			return
		}
		id, secret = u, p
	case "params":
		if r.Header.Get("Authorization") != "" {
			fail(401, "invalid_client", "use the body")
			return
		}
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != ts.id || secret != testClientSecret {
		fail(401, "invalid_client", "bad client")
		return
	}
	grant := r.PostForm.Get("grant_type")
	switch grant {
	case "client_credentials":
	case "password":
		if r.PostForm.Get("username") != testUser || r.PostForm.Get("password") != testPassword {
			fail(400, "invalid_grant", "bad password "+r.PostForm.Get("password"))
			return
		}
	default:
		fail(400, "unsupported_grant_type", grant)
		return
	}
	ts.mu.Lock()
	tok := fmt.Sprintf("at-%d-%s", len(ts.issued)+1, strings.Repeat("q", 8))
	ts.issued = append(ts.issued, tok)
	ts.grants = append(ts.grants, grant+" scope="+r.PostForm.Get("scope"))
	ts.mu.Unlock()
	ct := ts.contentType
	if ct == "" {
		ct = "application/json"
	}
	w.Header().Set("Content-Type", ct)
	json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "bearer", "expires_in": ts.expiresIn})
}

func (ts *tokenServer) isIssued(tok string) bool {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for _, t := range ts.issued {
		if t == tok {
			return true
		}
	}
	return false
}

// apiServer accepts only Bearer tokens the token server issued.
func apiServer(t *testing.T, ts *tokenServer) (*httptest.Server, *atomic.Int32) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || !ts.isIssued(tok) {
			w.WriteHeader(401)
			return
		}
		io.WriteString(w, `{"users":[]}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// assertNoSecrets fails if any secret appears anywhere in the exchange's
// evidence or its curl command.
func assertNoSecrets(t *testing.T, ex *Exchange, secrets ...string) {
	t.Helper()
	dump := fmt.Sprintf("%s %s %v %v %s", ex.Method, ex.URL, ex.RequestHeader, ex.Redirects, ex.Curl())
	if ex.Err != nil {
		dump += " " + ex.Err.Error()
	}
	for _, s := range secrets {
		for _, form := range []string{s, url.QueryEscape(s)} {
			if strings.Contains(dump, form) {
				t.Fatalf("secret %q leaked into evidence:\n%s", form, dump)
			}
		}
	}
}

func TestOAuth2ClientCredentialsStylesAndReuse(t *testing.T) {
	scopes := []string{
		"https://purl.imsglobal.org/spec/or/v1p1/scope/roster-core.readonly",
		"https://purl.imsglobal.org/spec/or/v1p1/scope/roster.readonly",
	}
	for _, tc := range []struct {
		mode  string
		style oauth2.AuthStyle
	}{{"header", oauth2.AuthStyleInHeader}, {"params", oauth2.AuthStyleInParams}} {
		t.Run(tc.mode, func(t *testing.T) {
			ts := newTokenServer(t, tc.mode)
			api, hits := apiServer(t, ts)
			auth := OAuth2ClientCredentials(nil, ts.URL+"/token", testClientID, testClientSecret, scopes, tc.style)
			s := newStore(t, Config{Auth: auth, Concurrency: 4})

			var futures []*Future
			for i := 0; i < 12; i++ {
				futures = append(futures, s.Go(Request{URL: fmt.Sprintf("%s/users?i=%d", api.URL, i), CheckID: "rostering.users.auth"}))
			}
			for _, f := range futures {
				var ex *Exchange
				guard(t, 20*time.Second, func() { ex = f.Wait(context.Background()) })
				if ex.Err != nil || ex.Status != 200 {
					t.Fatalf("err=%v status=%d", ex.Err, ex.Status)
				}
				if ex.RequestHeader.Get("Authorization") != "Bearer <redacted>" {
					t.Fatalf("Authorization evidence %q", ex.RequestHeader.Get("Authorization"))
				}
				assertNoSecrets(t, ex, testClientSecret, "at-1-qqqqqqqq")
			}
			if n := ts.requests.Load(); n != 1 {
				t.Fatalf("token requests = %d, want 1 (token reuse)", n)
			}
			if hits.Load() != 12 {
				t.Fatalf("api hits %d", hits.Load())
			}
			if toks := s.Tokens(); len(toks) != 1 || toks[0] != "at-1-qqqqqqqq" {
				t.Fatalf("Tokens() = %v", toks)
			}
			if ts.grants[0] != "client_credentials scope="+strings.Join(scopes, " ") {
				t.Fatalf("grant %q", ts.grants[0])
			}
		})
	}
}

func TestOAuth2TokenRefetchedAtExpiry(t *testing.T) {
	ts := newTokenServer(t, "header")
	ts.expiresIn = 1 // renewed a quarter of its life early: after 0.75 s
	api, _ := apiServer(t, ts)
	s := newStore(t, Config{Auth: OAuth2ClientCredentials(nil, ts.URL, testClientID, testClientSecret, nil, oauth2.AuthStyleInHeader)})
	for i := 0; i < 3; i++ {
		if ex := s.Do(context.Background(), Request{URL: api.URL}); ex.Status != 200 {
			t.Fatalf("status %d err %v", ex.Status, ex.Err)
		}
	}
	if ts.requests.Load() != 1 {
		t.Fatalf("a short-lived token must still be reused: %d token requests", ts.requests.Load())
	}
	time.Sleep(800 * time.Millisecond)
	if ex := s.Do(context.Background(), Request{URL: api.URL}); ex.Status != 200 {
		t.Fatalf("status %d err %v", ex.Status, ex.Err)
	}
	if ts.requests.Load() != 2 || len(s.Tokens()) != 2 {
		t.Fatalf("token requests %d, tokens %v", ts.requests.Load(), s.Tokens())
	}
}

func TestOAuth2AuthErrors(t *testing.T) {
	t.Run("401 wrong style", func(t *testing.T) {
		ts := newTokenServer(t, "header") // header-only server, params style
		api, hits := apiServer(t, ts)
		s := newStore(t, Config{Auth: OAuth2ClientCredentials(nil, ts.URL, testClientID, testClientSecret, nil, oauth2.AuthStyleInParams)})
		ex := s.Do(context.Background(), Request{URL: api.URL + "/orgs"})
		var ae *AuthError
		if !errors.As(ex.Err, &ae) || ae.Status != 401 || ae.Unreachable {
			t.Fatalf("err = %#v", ex.Err)
		}
		if !strings.Contains(ae.Error(), "invalid_client") || !strings.Contains(ae.Error(), "401") {
			t.Fatalf("message lacks diagnosis: %s", ae.Error())
		}
		if ts.requests.Load() != 1 {
			t.Fatalf("explicit style must not retry: %d token requests", ts.requests.Load())
		}
		if hits.Load() != 0 || ex.Status != 0 {
			t.Fatal("API must not be called without a token")
		}
		assertNoSecrets(t, ex, testClientSecret)
	})
	t.Run("unreachable", func(t *testing.T) {
		ts := newTokenServer(t, "header")
		api, hits := apiServer(t, ts)
		// Closed after the other servers are up: a server started after it
		// could be given its port, and answer (401) where nothing should.
		dead := httptest.NewServer(http.NotFoundHandler())
		deadURL := dead.URL + "/token"
		dead.Close()
		s := newStore(t, Config{Auth: OAuth2ClientCredentials(&http.Client{Timeout: 10 * time.Second}, deadURL, testClientID, testClientSecret, nil, oauth2.AuthStyleInHeader)})
		ex := s.Do(context.Background(), Request{URL: api.URL})
		var ae *AuthError
		if !errors.As(ex.Err, &ae) || !ae.Unreachable || ae.Status != 0 {
			t.Fatalf("err = %#v", ex.Err)
		}
		if hits.Load() != 0 {
			t.Fatal("API called without token")
		}
		assertNoSecrets(t, ex, testClientSecret)
	})
	t.Run("password grant", func(t *testing.T) {
		ts := newTokenServer(t, "params")
		api, _ := apiServer(t, ts)
		ok := newStore(t, Config{Auth: OAuth2Password(nil, ts.URL, testClientID, testClientSecret, testUser, testPassword, nil, oauth2.AuthStyleInParams)})
		if ex := ok.Do(context.Background(), Request{URL: api.URL}); ex.Err != nil || ex.Status != 200 {
			t.Fatalf("password grant: %v %d", ex.Err, ex.Status)
		}
		if ts.grants[0] != "password scope=" {
			t.Fatalf("grant %q", ts.grants[0])
		}
		bad := newStore(t, Config{Auth: OAuth2Password(nil, ts.URL, testClientID, testClientSecret, testUser, "wrong-"+testPassword, nil, oauth2.AuthStyleInParams)})
		ex := bad.Do(context.Background(), Request{URL: api.URL})
		var ae *AuthError
		if !errors.As(ex.Err, &ae) || ae.Status != 400 || !strings.Contains(ae.Msg, "invalid_grant") {
			t.Fatalf("err = %v", ex.Err)
		}
		assertNoSecrets(t, ex, testClientSecret, "wrong-"+testPassword)
	})
	t.Run("json as text/plain", func(t *testing.T) {
		ts := newTokenServer(t, "header")
		ts.contentType = "text/plain"
		s := newStore(t, Config{Auth: OAuth2ClientCredentials(nil, ts.URL, testClientID, testClientSecret, nil, oauth2.AuthStyleInHeader)})
		ex := s.Do(context.Background(), Request{URL: ts.URL})
		var ae *AuthError
		if !errors.As(ex.Err, &ae) || ae.Unreachable || !strings.Contains(ae.Msg, "access_token") {
			t.Fatalf("err = %#v", ex.Err)
		}
	})
	t.Run("autodetect refused", func(t *testing.T) {
		ts := newTokenServer(t, "header")
		s := newStore(t, Config{Auth: OAuth2ClientCredentials(nil, ts.URL, testClientID, testClientSecret, nil, oauth2.AuthStyleAutoDetect)})
		ex := s.Do(context.Background(), Request{URL: ts.URL})
		var ae *AuthError
		if !errors.As(ex.Err, &ae) || ts.requests.Load() != 0 {
			t.Fatalf("err = %v, token requests %d", ex.Err, ts.requests.Load())
		}
	})
}

// verifyOAuth1 checks an HMAC-SHA256 two-legged signature using the
// (separately tested) oauth1.BaseString.
func verifyOAuth1(r *http.Request, secret string) (map[string]string, bool) {
	params := map[string]string{}
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	if h := r.Header.Get("Authorization"); h != "" {
		rest, ok := strings.CutPrefix(h, "OAuth ")
		if !ok {
			return nil, false
		}
		for _, part := range strings.Split(rest, ", ") {
			k, v, _ := strings.Cut(part, "=")
			dv, err := url.PathUnescape(strings.Trim(v, `"`))
			if err != nil {
				return nil, false
			}
			params[k] = dv
		}
	} else {
		q := u.Query()
		for k := range q {
			if strings.HasPrefix(k, "oauth_") {
				params[k] = q.Get(k)
			}
		}
		// Non-oauth params stay in the query for BaseString; oauth ones are
		// passed in the map, so drop them from the URL.
		for k := range params {
			q.Del(k)
		}
		u.RawQuery = q.Encode()
	}
	sig := params["oauth_signature"]
	base := oauth1.BaseString(r.Method, &u, params)
	m := hmac.New(sha256.New, []byte(oauth1.PercentEncode(secret)+"&"))
	m.Write([]byte(base))
	return params, hmac.Equal([]byte(sig), []byte(base64.StdEncoding.EncodeToString(m.Sum(nil))))
}

func TestOAuth1AuthSignsEveryHop(t *testing.T) {
	for _, placement := range []oauth1.Placement{oauth1.Header, oauth1.Query} {
		t.Run(placement.String(), func(t *testing.T) {
			var mu sync.Mutex
			var nonces []string
			var bad []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				p, ok := verifyOAuth1(r, testClientSecret)
				mu.Lock()
				nonces = append(nonces, p["oauth_nonce"])
				if _, hasTok := p["oauth_token"]; !ok || hasTok {
					bad = append(bad, r.URL.String())
				}
				mu.Unlock()
				if !ok {
					w.WriteHeader(401)
					return
				}
				if r.URL.Path == "/start" {
					http.Redirect(w, r, "/orgs?filter=name%3D%27A+B%27", http.StatusFound)
					return
				}
				io.WriteString(w, "{}")
			}))
			defer srv.Close()

			signer := &oauth1.Signer{ConsumerKey: "ck", ConsumerSecret: testClientSecret, Method: oauth1.HMACSHA256, Placement: placement}
			s := newStore(t, Config{Auth: OAuth1(signer)})
			ex := s.Do(context.Background(), Request{URL: srv.URL + "/start?limit=2"})
			if ex.Err != nil || ex.Status != 200 {
				t.Fatalf("err=%v status=%d", ex.Err, ex.Status)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(bad) != 0 || len(nonces) != 2 || nonces[0] == nonces[1] {
				t.Fatalf("bad=%v nonces=%v", bad, nonces)
			}
			if strings.Contains(ex.URL, "oauth_") || strings.Contains(strings.Join(ex.Redirects, " "), "oauth_") {
				t.Fatalf("oauth params in evidence: %s %v", ex.URL, ex.Redirects)
			}
			if placement == oauth1.Header && ex.RequestHeader.Get("Authorization") != "OAuth <redacted>" {
				t.Fatalf("Authorization evidence %q", ex.RequestHeader.Get("Authorization"))
			}
			c := ex.Curl()
			if !strings.Contains(c, "OAuth 1.0a-signed") || !strings.Contains(c, "$ROSTERCHECK_CLIENT_ID") ||
				!strings.Contains(c, "$ROSTERCHECK_CLIENT_SECRET") || strings.Contains(c, "oauth_") || strings.Contains(c, "Authorization") {
				t.Fatalf("curl:\n%s", c)
			}
			assertNoSecrets(t, ex, testClientSecret)
		})
	}
}

func TestOAuth1SignerErrorIsAuthError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	s := newStore(t, Config{Auth: OAuth1(&oauth1.Signer{ConsumerKey: "ck", ConsumerSecret: "x"})}) // no Method
	ex := s.Do(context.Background(), Request{URL: srv.URL})
	var ae *AuthError
	if !errors.As(ex.Err, &ae) || ex.Status != 0 {
		t.Fatalf("err=%v", ex.Err)
	}
}

func TestBearerRedaction(t *testing.T) {
	const tok = "sekrit-token-123"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+tok {
			w.WriteHeader(401)
		}
	}))
	defer srv.Close()
	s := newStore(t, Config{Auth: Bearer(tok)})
	ex := s.Do(context.Background(), Request{URL: srv.URL + "/users?access_token=" + tok + "&oauth_signature=abc&limit=1",
		Header: http.Header{"Cookie": {"session=" + tok}}})
	if ex.Status != 200 {
		t.Fatalf("status %d", ex.Status)
	}
	if ex.RequestHeader.Get("Authorization") != "Bearer <redacted>" || ex.RequestHeader.Get("Cookie") != "session=<redacted>" {
		t.Fatalf("headers %v", ex.RequestHeader)
	}
	if strings.Contains(ex.URL, "oauth_signature") || !strings.Contains(ex.URL, "limit=1") {
		t.Fatalf("URL %s", ex.URL)
	}
	assertNoSecrets(t, ex, tok)
	if !strings.Contains(ex.Curl(), `--header "Authorization: Bearer $ROSTERCHECK_TOKEN"`) {
		t.Fatalf("curl lacks the token placeholder:\n%s", ex.Curl())
	}

	// A transport error naming a URL that carries the token is scrubbed too,
	// yet still unwraps to the original error.
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	ex = s.Do(context.Background(), Request{URL: deadURL + "/x?access_token=" + tok})
	if ex.Err == nil {
		t.Fatal("expected a transport error")
	}
	var ue *url.Error
	if !errors.As(ex.Err, &ue) {
		t.Fatalf("error should unwrap to *url.Error: %T", ex.Err)
	}
	assertNoSecrets(t, ex, tok)
	if got := s.Tokens(); len(got) != 1 || got[0] != tok {
		t.Fatalf("Tokens() = %v", got)
	}
}

// runCurl evaluates a Curl() command with a shell whose "curl" is a function
// printing its arguments NUL-separated, and returns those arguments.
func runCurl(t *testing.T, cmd string, env ...string) []string {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	script := "curl() { for a in \"$@\"; do printf '%s\\0' \"$a\"; done; }\n" + cmd + "\n"
	c := exec.Command(sh, "-c", script)
	c.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		t.Fatalf("sh failed: %v\n%s\nscript:\n%s", err, stderr.String(), script)
	}
	args := strings.Split(string(out), "\x00")
	return args[:len(args)-1]
}

func TestCurlQuotingRoundTrip(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	s := newStore(t, Config{Auth: Bearer("real-token"), UserAgent: "rostercheck/0.1"})
	rawURL := srv.URL + "/ims/oneroster/v1p1/users/a%20b?filter=familyName%3D'O%20Brien'&fields=[x]&q=$HOME"
	body := "{\"note\":\"it's a \\\"test\\\"\\n $HOME `id` $(id)\"}\nline2"
	ex := s.Do(context.Background(), Request{Method: "PUT", URL: rawURL, Body: []byte(body), CheckID: "gradebook.results.put",
		Header: http.Header{"X-Quote": {"a'b \"c\""}}})
	if ex.Err != nil {
		t.Fatal(ex.Err)
	}
	cmd := ex.Curl()
	if strings.Contains(cmd, "real-token") {
		t.Fatal("curl leaks the token")
	}
	args := runCurl(t, cmd, "ROSTERCHECK_TOKEN=T0K")
	want := map[string]bool{
		"Authorization: Bearer T0K":                  false,
		"X-Quote: a'b \"c\"":                         false,
		"X-Rostercheck-Check: gradebook.results.put": false,
		"User-Agent: rostercheck/0.1":                false,
		"Accept: application/json":                   false,
		body:                                         false,
		rawURL:                                       false,
		"PUT":                                        false,
	}
	for _, a := range args {
		if _, ok := want[a]; ok {
			want[a] = true
		}
	}
	for k, seen := range want {
		if !seen {
			t.Errorf("argument %q missing; args: %q\ncommand:\n%s", k, args, cmd)
		}
	}
	if args[len(args)-1] != rawURL || !strings.Contains(cmd, "--globoff") || !strings.Contains(cmd, "--data-binary") {
		t.Fatalf("command:\n%s", cmd)
	}
}

func TestCurlVariants(t *testing.T) {
	get := &Exchange{Method: "GET", URL: "http://h/x", RequestHeader: http.Header{"Authorization": {"Basic <redacted>"}}}
	args := runCurl(t, get.Curl(), "ROSTERCHECK_CLIENT_ID=id", "ROSTERCHECK_CLIENT_SECRET=sec")
	if strings.Join(args, " ") != "--silent --show-error --globoff --user id:sec http://h/x" {
		t.Fatalf("basic GET args %q", args)
	}
	head := &Exchange{Method: "HEAD", URL: "http://h/x"}
	if args := runCurl(t, head.Curl()); args[3] != "--head" {
		t.Fatalf("HEAD args %q", args)
	}
	post := &Exchange{Method: "POST", URL: "http://h/x", RequestBody: []byte("{}")}
	if strings.Contains(post.Curl(), "--request") {
		t.Fatal("POST with a body needs no --request")
	}
	del := &Exchange{Method: "DELETE", URL: "http://h/x"}
	if args := runCurl(t, del.Curl()); strings.Join(args[3:5], " ") != "--request DELETE" {
		t.Fatalf("DELETE args %q", args)
	}
	bin := &Exchange{Method: "PUT", URL: "http://h/x", RequestBody: []byte{'a', 0, 'b'}}
	if c := bin.Curl(); !strings.Contains(c, "@request-body.bin") || !strings.Contains(c, "# the request body is binary") {
		t.Fatalf("binary body:\n%s", c)
	}
}
