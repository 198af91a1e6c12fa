package runner_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rostercheck/rostercheck/reports"
)

// serveDefect starts the reference provider with a defect (none for "")
// on 127.0.0.1 and returns its base and token URLs.
func serveDefect(t *testing.T, defect, secret string) (base, token string) {
	t.Helper()
	exe, _ := os.Executable()
	args := []string{"serve", "--addr", "127.0.0.1:0", "--client-id", "repro-client", "--client-secret", secret}
	if defect != "" {
		args = append(args, "--defect", defect)
	}
	srv := exec.Command(exe, args...)
	srv.Env = append(filteredEnv(), mainEnv+"=1")
	out, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Process.Signal(os.Interrupt); _ = srv.Wait() })
	sc := bufio.NewScanner(out)
	for sc.Scan() && (base == "" || token == "") {
		if v, ok := strings.CutPrefix(sc.Text(), "base URL:"); ok {
			base = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(sc.Text(), "token URL:"); ok {
			token = strings.TrimSpace(v)
		}
	}
	if base == "" || token == "" {
		t.Fatal("serve did not print its URLs")
	}
	go func() { // keep draining
		for sc.Scan() {
		}
	}()
	return base, token
}

var (
	gotStatusRE = regexp.MustCompile(`(?m)^# the run got: HTTP (\d{3})$`)
	statusRE    = regexp.MustCompile(`(?m)^HTTP/[0-9.]+ (\d{3})`)
)

// runRepro runs a repro script with sh and returns the first status its
// curl printed.
func runRepro(t *testing.T, script, secret string) (string, string) {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = append(filteredEnv(), "ROSTERCHECK_CLIENT_SECRET="+secret)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Errorf("repro failed: %v\n%s\n--- script\n%s", err, errb.String(), script)
		return "", out.String()
	}
	m := statusRE.FindAllStringSubmatch(out.String(), -1)
	if len(m) == 0 {
		t.Errorf("repro printed no status line:\n%s", out.String())
		return "", out.String()
	}
	return m[len(m)-1][1], out.String()
}

// Every failure group of several defect runs carries a repro that, run by
// sh against the reference provider with the secret in the environment,
// gets the answer the run got; for the token-in-the-URL and token-in-a-cookie
// defects, the same script gets a refusal from the provider without the
// defect, so it shows the defect and not the passing behaviour.
func TestReproScriptsReproduce(t *testing.T) {
	for _, tool := range []string{"sh", "curl", "od", "awk", "sed"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not on the PATH: the repro scripts cannot run here", tool)
		}
	}
	const secret = "repro secret/with+odd&chars=1"
	// Several scopes: the repro must send them space-separated (RFC 6749 §3.3).
	const scopes = "https://purl.imsglobal.org/spec/or/v1p1/scope/roster.readonly,https://purl.imsglobal.org/spec/or/v1p1/scope/roster-demographics.readonly," +
		"https://purl.imsglobal.org/spec/or/v1p1/scope/gradebook.readonly,https://purl.imsglobal.org/spec/or/v1p1/scope/resource.readonly"
	_, cleanToken := serveDefect(t, "", secret)
	for _, tc := range []struct {
		defect string
		differ bool // the clean provider answers differently
	}{
		{"token-from-query", true},
		{"token-from-cookie", true},
		{"unknown-id-200", true},
		{"phone-not-e164", false},
	} {
		t.Run(tc.defect, func(t *testing.T) {
			base, token := serveDefect(t, tc.defect, secret)
			dir := t.TempDir()
			r := rostercheck(t, []string{"ROSTERCHECK_CLIENT_SECRET=" + secret}, "run", "--base-url", base, "--token-url", token,
				"--client-id", "repro-client", "--scope", scopes,
				"--profile", "oneroster-1.1,sds", "--quiet", "--out", dir)
			if r.code != 1 {
				t.Fatalf("exit %d\n%s", r.code, r.stderr)
			}
			var run reports.Run // the groups as written (ReadJSON recomputes them)
			b, err := os.ReadFile(filepath.Join(dir, "results.json"))
			if err != nil || json.Unmarshal(b, &run) != nil {
				t.Fatalf("results.json: %v", err)
			}
			if len(run.Groups) == 0 {
				t.Fatal("no failure groups")
			}
			tried := 0
			for _, g := range run.Groups {
				if g.Repro == "" || g.Outcome != "fail" {
					continue
				}
				if strings.Contains(g.Repro, secret) {
					t.Errorf("%s: the repro contains the secret", g.Name)
				}
				want := gotStatusRE.FindStringSubmatch(g.Repro)
				if want == nil {
					continue // the run got no answer (a transport error)
				}
				tried++
				got, out := runRepro(t, g.Repro, secret)
				if got != want[1] {
					t.Errorf("%s: the repro got HTTP %s, the run got %s\n%s\n--- script\n%s", g.Name, got, want[1], out, g.Repro)
				}
				if tc.differ {
					clean := strings.ReplaceAll(strings.ReplaceAll(g.Repro, token, cleanToken), strings.TrimSuffix(token, "/token"), strings.TrimSuffix(cleanToken, "/token"))
					clean = strings.ReplaceAll(clean, originOf(base), originOf(cleanToken))
					if got, _ := runRepro(t, clean, secret); got == want[1] {
						t.Errorf("%s: the repro gets HTTP %s from the provider without the defect too: it does not show the defect\n%s", g.Name, got, clean)
					}
				}
			}
			t.Logf("%d repro scripts run", tried)
			if tried == 0 {
				t.Error("no repro was tried")
			}
		})
	}
}

// originOf is scheme://host:port of a URL.
func originOf(u string) string {
	i := strings.Index(u, "://")
	if i < 0 {
		return u
	}
	if j := strings.Index(u[i+3:], "/"); j >= 0 {
		return u[:i+3+j]
	}
	return u
}
