package runner_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rostercheck/rostercheck/fixtures/provider"
	"github.com/rostercheck/rostercheck/runner"
)

// Mistakes are caught before the run spends its time, each with one line
// and its own exit code.
func TestMistakesUpFront(t *testing.T) {
	var hits atomic.Int64
	srv, _ := startTarget(t, "id", "right-secret-123", "")
	counted := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		srv.Config.Handler.ServeHTTP(w, r)
	}))
	defer counted.Close()
	secret := []string{"ROSTERCHECK_CLIENT_SECRET=right-secret-123"}
	target := []string{"--base-url", counted.URL + provider.BasePath, "--token-url", counted.URL + provider.TokenPath, "--client-id", "id"}

	t.Run("out not writable: exit 2 before any request", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "a-file")
		if err := os.WriteFile(file, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		before := hits.Load()
		r := rostercheck(t, secret, append([]string{"run", "--out", filepath.Join(file, "reports")}, target...)...)
		if r.code != runner.ExitUsage || !strings.Contains(r.stderr, "--out") || !strings.Contains(r.stderr, "not writable") {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		if n := hits.Load() - before; n != 0 {
			t.Errorf("%d requests were made before the unwritable --out was reported", n)
		}
	})

	t.Run("base URL without the OneRoster root: exit 3 with a hint", func(t *testing.T) {
		r := rostercheck(t, secret, "run", "--base-url", counted.URL, "--token-url", counted.URL+provider.TokenPath, "--client-id", "id", "--profile", "sds")
		if r.code != runner.ExitUnreachable {
			t.Fatalf("exit %d, want 3\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stderr, "is the base URL the OneRoster root (…/ims/oneroster/v1p1)?") {
			t.Errorf("no hint:\n%s", r.stderr)
		}
		if strings.Count(r.stdout+r.stderr, "404") > 2 {
			t.Errorf("the 404 is reported more than once:\n%s\n%s", r.stdout, r.stderr)
		}
	})

	t.Run("unknown flag: did you mean", func(t *testing.T) {
		for flag, want := range map[string]string{"--baseurl": "--base-url", "--base_url": "--base-url", "--profiles": "--profile", "--token-uri": "--token-url"} {
			r := rostercheck(t, nil, "run", flag, "x")
			if r.code != runner.ExitUsage || !strings.Contains(r.stderr, "did you mean "+want+"?") {
				t.Errorf("%s: exit %d, stderr %q; want a suggestion of %s", flag, r.code, r.stderr, want)
			}
		}
	})
}

func TestSecretInConfigFileWarns(t *testing.T) {
	file := files(map[string]string{"rc.yaml": "client-secret: hunter2-long-secret\nprofile: sds\n"})
	c, err := runner.Load("run", []string{"--config", "rc.yaml"}, env(nil), file)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "client-secret") || !strings.Contains(c.Warnings[0], "$ROSTERCHECK_CLIENT_SECRET") {
		t.Errorf("warnings = %q", c.Warnings)
	}
	if strings.Contains(strings.Join(c.Warnings, " "), "hunter2") {
		t.Error("the warning quotes the secret")
	}
	c, err = runner.Load("run", []string{"--config", "rc.yaml"}, env(map[string]string{"ROSTERCHECK_CLIENT_SECRET": "x"}), files(map[string]string{"rc.yaml": "profile: sds\n"}))
	if err != nil || len(c.Warnings) != 0 {
		t.Errorf("a clean file warns: %v %q", err, c.Warnings)
	}
}
