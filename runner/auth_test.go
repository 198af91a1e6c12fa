package runner_test

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rostercheck/rostercheck/fixtures/district"
	"github.com/rostercheck/rostercheck/fixtures/provider"
	"github.com/rostercheck/rostercheck/reports"
	"github.com/rostercheck/rostercheck/runner"
)

// startUserTarget is startTarget with a password-grant user.
func startUserTarget(t *testing.T, id, secret, user, password string) (*httptest.Server, *tokenRecorder) {
	t.Helper()
	d, err := district.Generate(district.Spec{Seed: 7, Size: "small"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := provider.New(provider.Options{District: d, ClientID: id, ClientSecret: secret, Users: map[string]string{user: password}})
	if err != nil {
		t.Fatal(err)
	}
	tr := &tokenRecorder{h: p}
	srv := httptest.NewServer(tr)
	t.Cleanup(srv.Close)
	return srv, tr
}

// TestRedactionEveryMode runs every auth mode against an external target
// whose client secret is the one word "wrong" and whose password is
// short, with the reports in a folder named after the secret: no secret,
// password or token may appear anywhere, the folder's name is printed as
// given, and the short secret is warned about.
func TestRedactionEveryMode(t *testing.T) {
	const id, secret, user, password = "district-42", "wrong", "teacher1", "pa55+w/rd"
	for _, mode := range []string{"oauth2", "oauth2-password", "oauth1", "bearer"} {
		t.Run(mode, func(t *testing.T) {
			srv, tr := startUserTarget(t, id, secret, user, password)
			env := []string{"ROSTERCHECK_CLIENT_SECRET=" + secret, "ROSTERCHECK_PASSWORD=" + password}
			var token string
			if mode == "bearer" {
				token = issue(t, srv.URL, id, secret)
				env = append(env, "ROSTERCHECK_TOKEN="+token)
			}
			out := filepath.Join(t.TempDir(), "wrongsecret-reports")
			r := rostercheck(t, env, "run", "--base-url", srv.URL+provider.BasePath, "--token-url", srv.URL+provider.TokenPath,
				"--client-id", id, "--username", user, "--auth", mode, "--profile", "oneroster-1.1,sds,datasync", "--allow-writes", "--verbose", "--out", out)
			if r.code != runner.ExitPass {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout, "reports: "+out+"/") {
				t.Errorf("the output folder was rewritten: %q", lastLine(r.stdout))
			}
			if !strings.Contains(r.stderr, "client secret is shorter than 8 characters") {
				t.Error("no warning about the short secret")
			}
			texts := map[string]string{"stdout": r.stdout, "stderr": r.stderr}
			for _, name := range []string{"junit.xml", "results.json", "report.html"} {
				b, err := os.ReadFile(filepath.Join(out, name))
				if err != nil {
					t.Fatal(err)
				}
				texts[name] = string(b)
			}
			forbidden := []string{secret, password, url.QueryEscape(password), token,
				base64.StdEncoding.EncodeToString([]byte(id + ":" + secret))}
			tr.mu.Lock()
			forbidden = append(forbidden, tr.tokens...)
			tr.mu.Unlock()
			for name, text := range texts {
				text = strings.ReplaceAll(text, out, "") // the user's own text, kept as given
				for _, f := range forbidden {
					if f != "" && strings.Contains(text, f) {
						t.Errorf("%s contains a secret (%.12s…)", name, f)
					}
				}
			}
		})
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// issue gets a token the RFC way.
func issue(t *testing.T, base, id, secret string) string {
	t.Helper()
	req, _ := http.NewRequest("POST", base+provider.TokenPath, strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	tok, _, _ := strings.Cut(strings.TrimPrefix(b.String(), `{"access_token":"`), `"`)
	if res.StatusCode != 200 || tok == "" {
		t.Fatalf("token: %d %s", res.StatusCode, b.String())
	}
	return tok
}

// TestTokenDiagnosis: a refused token request exits 3 with one line that
// names the token URL, the status, the OAuth error, every form of client
// credentials tried and what to try; a 200 without access_token is named
// as such.
func TestTokenDiagnosis(t *testing.T) {
	srv, _ := startTarget(t, "client-9", "right-secret+/=", "")
	empty := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(empty.Close)
	cases := []struct {
		name, tokenURL, secret string
		want                   []string
	}{
		{"wrong secret", srv.URL + provider.TokenPath, "wrong-secret+1", []string{srv.URL + provider.TokenPath, "HTTP 401", "invalid_client",
			"form-encoded (RFC 6749 §2.3.1)", "raw id and secret", "in the request body", "check --client-id"}},
		{"no access_token", empty.URL + "/token", "right-secret+/=", []string{empty.URL + "/token", "HTTP 200 without an access_token", "not a rejection", "--token-url"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := rostercheck(t, []string{"ROSTERCHECK_CLIENT_SECRET=" + c.secret}, "run", "--base-url", srv.URL+provider.BasePath,
				"--token-url", c.tokenURL, "--client-id", "client-9", "--profile", "sds")
			if r.code != runner.ExitUnreachable {
				t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			last := lastLine(r.stderr)
			for _, w := range c.want {
				if !strings.Contains(last, w) {
					t.Errorf("last line lacks %q: %s", w, last)
				}
			}
			if strings.Contains(r.stdout+r.stderr, c.secret) {
				t.Error("the secret was printed")
			}
			// The reports keep the token exchanges behind the line, redacted.
			dir := filepath.Join(r.dir, "rostercheck-report")
			run := readResults(t, dir)
			var resp *reports.CheckResult
			for i := range run.Checks {
				if run.Checks[i].ID == "auth.token.response" {
					resp = &run.Checks[i]
				}
			}
			if resp == nil || len(resp.Exchanges) == 0 || resp.Outcome != reports.Fail || run.Verdict != "error" {
				t.Fatalf("no token evidence in results.json: %+v", resp)
			}
			for _, name := range []string{"results.json", "report.html", "junit.xml"} {
				b, _ := os.ReadFile(filepath.Join(dir, name))
				for _, f := range []string{c.secret, url.QueryEscape(c.secret)} {
					if strings.Contains(string(b), f) {
						t.Errorf("%s contains the secret", name)
					}
				}
			}
		})
	}
}

// TestBasicRawFallback: a token endpoint that decodes Basic credentials
// raw only still lets the run go on, with a note naming both forms.
func TestBasicRawFallback(t *testing.T) {
	r := rostercheck(t, nil, "run", "--profile", "sds", "--defect", "basic-raw-only", "--check", "auth.token.*", "--out", t.TempDir())
	if r.code != runner.ExitFail {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, w := range []string{"note: the token endpoint", "form-encoded (RFC 6749 §2.3.1)", "accepted Basic header with the raw id and secret"} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
		}
	}
	if !strings.Contains(r.stdout, "auth.token.basic-raw-only") || !strings.Contains(r.stdout, "auth.token.basic-encoding") {
		t.Errorf("the difference is not a finding:\n%s", r.stdout)
	}
}

// TestDiagnosisNamesTheCause: at exit 3 the one line names the cause a
// vendor can act on (a token endpoint that wants a scope: --scope; an
// OAuth 1.0a signature refused for its method: the body and the other
// --oauth1-method), and results.json keeps every selected profile, marked
// error.
func TestDiagnosisNamesTheCause(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"scope required", []string{"--defect", "scope-required"}, []string{"invalid_scope", "scope is required", "run with --scope"}},
		{"sha1 only", []string{"--defect", "oauth1-sha1-only", "--auth", "oauth1", "--oauth1-method", "HMAC-SHA256"}, []string{"answered 401", "invalid_signature", "try --oauth1-method HMAC-SHA1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			r := rostercheck(t, nil, append([]string{"run", "--profile", "sds,gradesync", "--out", dir}, c.args...)...)
			if r.code != runner.ExitUnreachable {
				t.Fatalf("exit %d, want %d\n%s\n%s", r.code, runner.ExitUnreachable, r.stdout, r.stderr)
			}
			last := lastLine(r.stderr)
			for _, w := range c.want {
				if !strings.Contains(last, w) {
					t.Errorf("last line lacks %q: %s", w, last)
				}
			}
			if strings.Contains(last, "check --client-id") {
				t.Errorf("the line blames the client id: %s", last)
			}
			run := readResults(t, dir)
			if len(run.Profiles) != 2 {
				t.Fatalf("profiles %+v, want sds and gradesync", run.Profiles)
			}
			for _, p := range run.Profiles {
				if p.Verdict != "error" || p.Reason == "" {
					t.Errorf("profile %s: verdict %q reason %q, want error with the reason", p.Name, p.Verdict, p.Reason)
				}
			}
		})
	}
}

// TestCleanRunsFollowTheRunConfig: on the reference provider every probe
// uses the run's own request (its --scope, its --oauth1-method), so none
// of these runs shows a failure or an advisory.
func TestCleanRunsFollowTheRunConfig(t *testing.T) {
	const scopes = "https://purl.imsglobal.org/spec/or/v1p1/scope/roster.readonly https://purl.imsglobal.org/spec/or/v1p1/scope/roster-demographics.readonly https://purl.imsglobal.org/spec/or/v1p1/scope/resource.readonly https://purl.imsglobal.org/spec/or/v1p1/scope/gradebook.readonly https://purl.imsglobal.org/spec/or/v1p1/scope/gradebook.createput https://purl.imsglobal.org/spec/or/v1p1/scope/gradebook.delete"
	for _, c := range []struct {
		name string
		args []string
	}{
		{"scope", []string{"--scope", scopes}},
		{"oauth1 HMAC-SHA1", []string{"--auth", "oauth1", "--oauth1-method", "HMAC-SHA1"}},
		{"oauth1 HMAC-SHA256", []string{"--auth", "oauth1", "--oauth1-method", "HMAC-SHA256"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			r := rostercheck(t, nil, append([]string{"run", "--profile", "oneroster-1.1,sds,sds-classic,gradesync,datasync", "--allow-writes", "--out", dir}, c.args...)...)
			if r.code != runner.ExitPass {
				t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			run := readResults(t, dir)
			for _, ch := range run.Checks {
				for _, p := range ch.Profiles {
					if p.Outcome == reports.Fail || p.Outcome == reports.Advisory || p.Outcome == reports.Error {
						t.Errorf("%s: %s in %s: %s", ch.ID, p.Outcome, p.Profile, ch.Message)
					}
				}
			}
			if run.Summary.Advisory != 0 || run.Summary.Fail != 0 || run.Summary.Total < 300 {
				t.Errorf("summary %+v: want 300+ checks, no failure or advisory", run.Summary)
			}
		})
	}
}
