package runner_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rostercheck/rostercheck/fixtures/district"
	"github.com/rostercheck/rostercheck/fixtures/provider"
	"github.com/rostercheck/rostercheck/reports"
	"github.com/rostercheck/rostercheck/runner"
)

// tokenRecorder wraps the provider and remembers every access token it issues.
type tokenRecorder struct {
	h      http.Handler
	mu     sync.Mutex
	tokens []string
}

func (tr *tokenRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != provider.TokenPath {
		tr.h.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	tr.h.ServeHTTP(rec, r)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if json.Unmarshal(rec.Body.Bytes(), &tok) == nil && tok.AccessToken != "" {
		tr.mu.Lock()
		tr.tokens = append(tr.tokens, tok.AccessToken)
		tr.mu.Unlock()
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

func startTarget(t *testing.T, id, secret, defect string) (*httptest.Server, *tokenRecorder) {
	t.Helper()
	d, err := district.Generate(district.Spec{Seed: 7, Size: "small"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := provider.New(provider.Options{District: d, ClientID: id, ClientSecret: secret, Defect: defect})
	if err != nil {
		t.Fatal(err)
	}
	tr := &tokenRecorder{h: p}
	srv := httptest.NewServer(tr) // binds 127.0.0.1
	t.Cleanup(srv.Close)
	return srv, tr
}

// TestSecretsNeverAppear configures real-looking credentials against an
// external target with a defect on (so there are failures with evidence)
// and searches every output for the secret in every encoding and for every
// access token the provider issued.
func TestSecretsNeverAppear(t *testing.T) {
	const id = "district-42-sis-connector"
	const secret = "s3cr3t/P@ss+word=Zq9xW7vT2mK8"
	for _, auth := range []string{"oauth2", "oauth1"} {
		t.Run(auth, func(t *testing.T) {
			// echo-credentials quotes the request's Authorization header and
			// query (OAuth 1.0a signature) back in an error page, which the
			// harness quotes in its messages; --verbose adds Ginkgo's stream.
			srv, tr := startTarget(t, id, secret, "echo-credentials")
			dir := t.TempDir()
			r := rostercheck(t, []string{"ROSTERCHECK_CLIENT_SECRET=" + secret},
				"run", "--base-url", srv.URL+provider.BasePath, "--token-url", srv.URL+provider.TokenPath,
				"--client-id", id, "--auth", auth, "--profile", "sds", "--verbose", "--out", dir)
			if r.code != runner.ExitFail {
				t.Fatalf("exit %d, want 1 (defect on)\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			outputs := map[string]string{"stdout": r.stdout, "stderr": r.stderr}
			for _, name := range []string{"junit.xml", "results.json", "report.html"} {
				b, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				outputs[name] = string(b)
			}
			forbidden := []string{
				secret,
				url.QueryEscape(secret),
				url.PathEscape(secret),
				base64.StdEncoding.EncodeToString([]byte(id + ":" + secret)),
				base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id) + ":" + url.QueryEscape(secret))),
			}
			tr.mu.Lock()
			forbidden = append(forbidden, tr.tokens...)
			tr.mu.Unlock()
			if auth == "oauth2" && len(tr.tokens) == 0 {
				t.Fatal("the provider issued no token: the run did not authenticate")
			}
			for name, text := range outputs {
				for _, f := range forbidden {
					if strings.Contains(text, f) {
						t.Errorf("%s contains a secret (%.12s…)", name, f)
					}
				}
			}
			if !strings.Contains(outputs["results.json"], "rostering.orgs.envelope") || !strings.Contains(outputs["stderr"], "[FAILED]") {
				t.Error("the failing /orgs checks are not reported (results.json, verbose stderr)")
			}
			if auth == "oauth2" && !strings.Contains(outputs["results.json"], "Authorization: Bearer \u003credacted\u003e") && !strings.Contains(outputs["results.json"], "Authorization: Bearer <redacted>") {
				t.Error("the echoed token was not visibly redacted in results.json")
			}
		})
	}
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestExitCodes(t *testing.T) {
	port := freePort(t)
	srv, _ := startTarget(t, "id", "right-secret-123", "")
	cases := []struct {
		name string
		env  []string
		args []string
		code int
		msg  string
	}{
		{"unknown command", nil, []string{"frobnicate"}, runner.ExitUsage, "unknown command"},
		{"no command", nil, nil, runner.ExitUsage, "usage"},
		{"bad flag", nil, []string{"run", "--no-such-flag"}, runner.ExitUsage, "no-such-flag"},
		{"bad profile", nil, []string{"run", "--profile", "nope"}, runner.ExitUsage, "unknown profile"},
		{"bad concurrency", nil, []string{"run", "--concurrency", "0"}, runner.ExitUsage, "--concurrency"},
		{"bad env value", []string{"ROSTERCHECK_PAGE_SIZE=lots"}, []string{"run"}, runner.ExitUsage, "$ROSTERCHECK_PAGE_SIZE"},
		{"missing token url", nil, []string{"run", "--base-url", "http://" + port + "/ims/oneroster/v1p1", "--client-id", "x"}, runner.ExitUsage, "--token-url"},
		{"defect with external target", []string{"ROSTERCHECK_CLIENT_SECRET=s"}, []string{"run", "--base-url", srv.URL, "--token-url", srv.URL, "--client-id", "x", "--defect", "no-total-count"}, runner.ExitUsage, "built-in provider only"},
		{"1.2 profile, base url of no known form", []string{"ROSTERCHECK_CLIENT_SECRET=s"}, []string{"run", "--base-url", srv.URL + "/api", "--token-url", srv.URL + provider.TokenPath, "--client-id", "x", "--profile", "oneroster-1.2"}, runner.ExitUsage, "no 1.2 service root"},
		{"unknown defect", nil, []string{"run", "--defect", "nope"}, runner.ExitUsage, "unknown defect"},
		{"wrong port", []string{"ROSTERCHECK_CLIENT_SECRET=s"}, []string{"run", "--base-url", "http://" + port + "/ims/oneroster/v1p1", "--token-url", "http://" + port + "/oauth/token", "--client-id", "x"}, runner.ExitUnreachable, "unreachable"},
		{"wrong secret", []string{"ROSTERCHECK_CLIENT_SECRET=wrong-secret-456"}, []string{"run", "--base-url", srv.URL + provider.BasePath, "--token-url", srv.URL + provider.TokenPath, "--client-id", "id"}, runner.ExitUnreachable, "credentials rejected"},
		{"wrong oauth1 secret", []string{"ROSTERCHECK_CLIENT_SECRET=wrong-secret-456"}, []string{"run", "--auth", "oauth1", "--base-url", srv.URL + provider.BasePath, "--client-id", "id"}, runner.ExitUnreachable, "credentials rejected"},
		{"serve non-loopback", nil, []string{"serve", "--addr", "0.0.0.0:0"}, runner.ExitUsage, "--public"},
		{"report without from", nil, []string{"report"}, runner.ExitUsage, "--from"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := rostercheck(t, c.env, c.args...)
			if r.code != c.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, c.code, r.stdout, r.stderr)
			}
			if c.name != "no command" { // which prints the usage text instead
				lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
				last := lines[len(lines)-1]
				if !strings.Contains(last, c.msg) {
					t.Fatalf("stderr's last line %q does not say %q", last, c.msg)
				}
				if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic") {
					t.Fatalf("stderr shows a panic:\n%s", r.stderr)
				}
			}
			if strings.Contains(r.stderr+r.stdout, "wrong-secret-456") || strings.Contains(r.stderr+r.stdout, "right-secret-123") {
				t.Fatal("a secret was printed")
			}
			if c.code == runner.ExitUnreachable {
				// CI still gets a red JUnit file saying why nothing ran.
				junit, err := os.ReadFile(filepath.Join(r.dir, "rostercheck-report", "junit.xml"))
				if err != nil || !strings.Contains(string(junit), "<error") || !strings.Contains(string(junit), c.msg) {
					t.Fatalf("exit 3 without a red junit.xml naming %q: %v\n%s", c.msg, err, junit)
				}
			}
		})
	}
}

func TestListVersionAndReport(t *testing.T) {
	r := rostercheck(t, nil, "list", "--profile", "sds")
	// The checks table (before the rules table, which lists every rule
	// with each profile's level) holds no gradebook check for sds.
	checks, _, _ := strings.Cut(r.stdout, "\nRULE")
	if r.code != 0 || !strings.Contains(checks, "rostering.users.schema") || strings.Contains(checks, "gradebook.") {
		t.Fatalf("list: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = rostercheck(t, nil, "version")
	if r.code != 0 || !strings.Contains(r.stdout, "OneRoster 1.1") || !strings.Contains(r.stdout, "hash") {
		t.Fatalf("version: %d %s", r.code, r.stdout)
	}
	dir := t.TempDir()
	r = rostercheck(t, nil, "run", "--profile", "sds", "--check", "rostering.orgs.*", "--out", dir)
	if r.code != 0 {
		t.Fatalf("run: %d %s %s", r.code, r.stdout, r.stderr)
	}
	again := t.TempDir()
	r = rostercheck(t, nil, "report", "--from", filepath.Join(dir, "results.json"), "--out", again)
	if r.code != 0 {
		t.Fatalf("report: %d %s %s", r.code, r.stdout, r.stderr)
	}
	a, _ := os.ReadFile(filepath.Join(dir, "junit.xml"))
	b, _ := os.ReadFile(filepath.Join(again, "junit.xml"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Fatal("report --from does not reproduce junit.xml")
	}
}

// TestServe starts `rostercheck serve`, reads its banner, gets a token
// with the printed credentials, and stops it with SIGINT.
func TestServe(t *testing.T) {
	r := rostercheck(t, nil, "serve", "--list-defects")
	if r.code != 0 || !strings.Contains(r.stdout, "no-total-count") {
		t.Fatalf("serve --list-defects: %d %s", r.code, r.stdout)
	}
	exe, _ := os.Executable()
	addr := freePort(t)
	cmd := exec.Command(exe, "serve", "--addr", addr, "--client-id", "demo-client")
	cmd.Env = append(filteredEnv(), mainEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(out)
	banner := map[string]string{}
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok {
			banner[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
		if strings.HasPrefix(sc.Text(), "auth:") {
			break
		}
	}
	if banner["base URL"] != "http://"+addr+"/ims/oneroster/v1p1" || banner["client id"] != "demo-client" || banner["client secret"] == "" {
		t.Fatalf("banner: %v", banner)
	}
	req, _ := http.NewRequest("POST", banner["token URL"], strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("demo-client", banner["client secret"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("token with the printed credentials: %d", resp.StatusCode)
	}
	_ = cmd.Process.Signal(os.Interrupt)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("serve did not exit cleanly on SIGINT: %v", err)
	}
}

// TestInterruptWritesReports interrupts a run that is stuck on a provider
// that never finishes a body: the run must stop promptly, say so, and still
// write every report.
func TestInterruptWritesReports(t *testing.T) {
	exe, _ := os.Executable()
	dir := t.TempDir()
	cmd := exec.Command(exe, "run", "--defect", "slow-body", "--request-timeout", "60s", "--out", dir)
	cmd.Env = append(filteredEnv(), mainEnv+"=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(stderr)
	for sc.Scan() && !strings.HasPrefix(sc.Text(), "rostercheck: running ") {
	}
	_ = cmd.Process.Signal(os.Interrupt)
	go func() {
		for sc.Scan() {
		}
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(45 * time.Second): // a hang guard, not a timing assertion
		t.Fatal("the interrupted run did not stop")
	}
	if code := cmd.ProcessState.ExitCode(); code != runner.ExitFail {
		t.Fatalf("exit %d, want 1\n%s", code, stdout.String())
	}
	run := readResults(t, dir)
	// Interrupted: partial, never a profile pass, and the checks cut off are
	// not-run, not errors or failures; the console does not list them.
	if run.Verdict != "partial" || len(run.SuiteErrors) == 0 || !strings.Contains(strings.ToLower(strings.Join(run.SuiteErrors, " ")), "interrupt") {
		t.Fatalf("verdict %q suite errors %v", run.Verdict, run.SuiteErrors)
	}
	for _, p := range run.Profiles {
		if p.Verdict == "pass" {
			t.Errorf("profile %s claims pass after an interrupt", p.Name)
		}
	}
	if run.Summary.Error > 0 || run.Summary.Fail > 0 {
		t.Errorf("interrupted checks counted as errors or failures: %+v", run.Summary)
	}
	if !strings.Contains(stdout.String(), "verdict: PARTIAL") {
		t.Fatalf("stdout:\n%s", stdout.String())
	}
	if n := strings.Count(stdout.String(), "\n"); n > 40 {
		t.Errorf("the interrupted run printed %d lines:\n%s", n, stdout.String())
	}
}

// TestEmptyDataIsNotSupported: a district without gradebook data or
// resources gives those checks nothing to exercise. They are reported as
// not supported, never as failures, and the run passes.
func TestEmptyDataIsNotSupported(t *testing.T) {
	counts, _ := district.SizeCounts("small")
	counts.GradedClassesPerSchool, counts.Resources = 0, 0
	d, err := district.Generate(district.Spec{Seed: 3, Counts: &counts})
	if err != nil {
		t.Fatal(err)
	}
	p, err := provider.New(provider.Options{District: d, ClientID: "id", ClientSecret: "empty-data-secret"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	defer srv.Close()
	dir := t.TempDir()
	r := rostercheck(t, []string{"ROSTERCHECK_CLIENT_SECRET=empty-data-secret"}, "run",
		"--base-url", srv.URL+provider.BasePath, "--token-url", srv.URL+provider.TokenPath, "--client-id", "id",
		"--check", "gradebook.*,resources.*", "--allow-writes", "--out", dir)
	if r.code != runner.ExitPass {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	run := readResults(t, dir)
	ns := map[string]bool{}
	for _, c := range run.Checks {
		if c.Outcome == reports.NotSupported {
			ns[c.ID] = true
		}
		if c.Outcome == reports.Fail || c.Outcome == reports.Error {
			t.Errorf("%s: %s %s", c.ID, c.Outcome, c.Message)
		}
	}
	for _, id := range []string{"gradebook.lineitems.singleton", "resources.resources.singleton",
		"gradebook.classes-lineitems.schema", "gradebook.classes-students-results.paging.links"} {
		if !ns[id] {
			t.Errorf("%s is not reported as not supported", id)
		}
	}
	// A --check run is partial: never a profile PASS, but exit 0 when the
	// checks it ran found nothing.
	if run.Summary.NotSupported == 0 || run.Verdict != "partial" {
		t.Fatalf("summary %+v verdict %s", run.Summary, run.Verdict)
	}
}

// A profile option is data too: asm with federated authentication needs
// an e-mail on every user, and the reference district has students
// without one; off (the default), the same walk passes asm.
func TestProfileOptionRaisesRules(t *testing.T) {
	dir := t.TempDir()
	r := rostercheck(t, nil, "run", "--profile", "asm", "--option", "asm.federated", "--out", dir)
	run := readResults(t, dir)
	if r.code != runner.ExitFail || verdictOf(run, "asm") != "fail" {
		t.Fatalf("federated: exit %d verdict %s, want 1 and fail\n%s", r.code, verdictOf(run, "asm"), r.stdout)
	}
	found := false
	for _, c := range run.Checks {
		for _, rc := range c.Rules {
			found = found || (rc.Rule == "user.no-email" && outcomeIn(c, "asm") == reports.Fail)
		}
	}
	if !found {
		t.Fatal("no check fails asm on user.no-email")
	}
	if r := rostercheck(t, nil, "run", "--profile", "asm", "--out", "none"); r.code != runner.ExitPass {
		t.Fatalf("not federated: exit %d\n%s", r.code, r.stdout)
	}
	if r := rostercheck(t, nil, "run", "--profile", "sds", "--option", "asm.federated", "--out", "none"); r.code != runner.ExitUsage || !strings.Contains(r.stderr, "not selected") {
		t.Fatalf("option of an unselected profile: exit %d %s", r.code, r.stderr)
	}
}
