package runner_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rostercheck/rostercheck/fixtures/district"
	"github.com/rostercheck/rostercheck/fixtures/provider"
	"github.com/rostercheck/rostercheck/fixtures/provider/v1p2"
	"github.com/rostercheck/rostercheck/runner"
)

// splitProvider serves the reference provider with its 1.2 rostering
// service moved under another path (/split/rostering): the root
// --base-url derives (…/ims/oneroster/rostering/v1p2) answers 404 there,
// so only a run that uses --service-url reaches it. It counts the
// requests the moved root served.
func splitProvider(t *testing.T, id, secret string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	d, err := district.Generate(district.Spec{Seed: 7, Size: "small"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := provider.New(provider.Options{District: d, ClientID: id, ClientSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	var moved atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/split/rostering/"):
			moved.Add(1)
			r2 := r.Clone(r.Context())
			r2.URL.Path = v1p2.RosteringPath + strings.TrimPrefix(r.URL.Path, "/split/rostering/v1p2")
			r2.URL.RawPath = ""
			p.ServeHTTP(w, r2)
		case strings.HasPrefix(r.URL.Path, v1p2.RosteringPath):
			http.NotFound(w, r)
		default:
			p.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &moved
}

// A provider that serves its 1.2 rostering service apart from the roots
// --base-url derives is reached through --service-url rostering=URL.
func TestServiceURLReachesASplitService(t *testing.T) {
	srv, moved := splitProvider(t, "id", "right-secret-123")
	env := []string{"ROSTERCHECK_CLIENT_SECRET=right-secret-123"}
	base := []string{"run", "--base-url", srv.URL + "/ims/oneroster", "--token-url", srv.URL + provider.TokenPath, "--client-id", "id",
		"--profile", "oneroster-1.2", "--check", "v1p2.rostering.users.*,v1p2.rostering.orgs.envelope"}

	// Without it, the derived root answers 404: the run stops at its
	// first probe, asking whether the base URL is the OneRoster root.
	dir := t.TempDir()
	r := rostercheck(t, env, append(base, "--out", dir)...)
	if r.code != runner.ExitUnreachable || moved.Load() != 0 || !strings.Contains(r.stderr, "answered 404") {
		t.Fatalf("without --service-url: exit %d, %d requests to the moved root; want exit %d, none\n%s%s", r.code, moved.Load(), runner.ExitUnreachable, r.stdout, r.stderr)
	}

	// With it (and a second, repeated --service-url that names the
	// resources root the base URL derives anyway), they pass.
	dir = t.TempDir()
	r = rostercheck(t, env, append(base, "--out", dir,
		"--service-url", "rostering="+srv.URL+"/split/rostering/v1p2",
		"--service-url", "resources="+srv.URL+v1p2.ResourcesPath)...)
	if r.code != runner.ExitPass {
		t.Fatalf("with --service-url: exit %d, want 0\n%s%s", r.code, r.stdout, r.stderr)
	}
	if moved.Load() == 0 {
		t.Fatal("no request went to the --service-url root")
	}
	run := readResults(t, dir)
	if f := failing(run); len(f) > 0 || len(run.Checks) < 5 {
		t.Fatalf("checks %d, failing %v", len(run.Checks), f)
	}
}

// Bad --service-url input: one clear line on stderr and exit 2, before
// any request.
func TestServiceURLBadInput(t *testing.T) {
	srv, moved := splitProvider(t, "id", "right-secret-123")
	env := []string{"ROSTERCHECK_CLIENT_SECRET=right-secret-123"}
	run := func(extra ...string) []string {
		return append([]string{"run", "--base-url", srv.URL + "/ims/oneroster", "--token-url", srv.URL + provider.TokenPath,
			"--client-id", "id", "--profile", "oneroster-1.2", "--out", t.TempDir()}, extra...)
	}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no equals sign", run("--service-url", srv.URL+"/split/rostering/v1p2"), "want service=URL"},
		{"unknown service", run("--service-url", "grades="+srv.URL+"/x"), `unknown service "grades"`},
		{"same service twice", run("--service-url", "rostering="+srv.URL+"/a", "--service-url", "rostering="+srv.URL+"/b"), "service rostering given twice"},
		{"not a URL", run("--service-url", "rostering=not-a-url"), "want an absolute http(s) URL"},
		{"another origin", run("--service-url", "rostering=http://192.0.2.1/ims/oneroster/rostering/v1p2"), "not on the origin of --base-url"},
		{"without --base-url", []string{"run", "--profile", "oneroster-1.2", "--service-url", "rostering=" + srv.URL + "/x", "--out", t.TempDir()}, "--service-url needs --base-url"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := rostercheck(t, env, c.args...)
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if r.code != runner.ExitUsage || len(lines) != 1 || !strings.Contains(r.stderr, c.want) {
				t.Fatalf("exit %d (want %d), stderr %q (want one line with %q)", r.code, runner.ExitUsage, r.stderr, c.want)
			}
		})
	}
	if moved.Load() != 0 {
		t.Fatalf("%d requests sent despite bad input", moved.Load())
	}
}

// --service-url is repeatable on the command line, a list in the
// configuration file, and comma separated in the environment; a flag
// replaces the file's list as every flag does.
func TestServiceURLFromFlagsFileAndEnv(t *testing.T) {
	const base = "https://sis.example/ims/oneroster/v1p1"
	common := []string{"--base-url", base, "--token-url", "https://sis.example/oauth/token", "--client-id", "c", "--client-secret", "s3cr3t-value"}
	file := files(map[string]string{"rc.yaml": "service-url: [rostering=https://sis.example/a/rostering/v1p2, resources=https://sis.example/a/resources/v1p2]\n"})
	for _, c := range []struct {
		name string
		args []string
		env  map[string]string
		want map[string]string
	}{
		{"flags", []string{"--service-url", "rostering=https://sis.example/x/rostering/v1p2/", "--service-url", "gradebook=https://sis.example/x/gradebook/v1p2"}, nil,
			map[string]string{"rostering": "https://sis.example/x/rostering/v1p2", "gradebook": "https://sis.example/x/gradebook/v1p2"}},
		{"file", nil, map[string]string{"ROSTERCHECK_CONFIG": "rc.yaml"},
			map[string]string{"rostering": "https://sis.example/a/rostering/v1p2", "resources": "https://sis.example/a/resources/v1p2"}},
		{"env", nil, map[string]string{"ROSTERCHECK_SERVICE_URL": "resources=https://sis.example/e/resources/v1p2"},
			map[string]string{"resources": "https://sis.example/e/resources/v1p2"}},
		{"flag beats file", []string{"--service-url", "rostering=https://sis.example/f/rostering/v1p2"}, map[string]string{"ROSTERCHECK_CONFIG": "rc.yaml"},
			map[string]string{"rostering": "https://sis.example/f/rostering/v1p2"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := runner.Load("run", append(append([]string(nil), common...), c.args...), env(c.env), file)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(cfg.ServiceURLs) != fmt.Sprint(c.want) {
				t.Errorf("service URLs %v, want %v", cfg.ServiceURLs, c.want)
			}
			if got := fmt.Sprint(cfg.Redacted()["service-url"]); len(c.want) > 0 && !strings.Contains(got, "=https://sis.example/") {
				t.Errorf("results.json config service-url %q", got)
			}
		})
	}
}
