package runner_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/rostercheck/rostercheck/fixtures/defects"
	"github.com/rostercheck/rostercheck/reports"
	"github.com/rostercheck/rostercheck/runner"
	"github.com/rostercheck/rostercheck/suites"
)

// The self-test re-executes this test binary as the rostercheck CLI: Ginkgo
// allows one RunSpecs per process, so every run gets its own process.
const mainEnv = "ROSTERCHECK_SELFTEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(plainEnv) == "1" {
		os.Exit(plainReaderMain())
	}
	if os.Getenv(mainEnv) == "1" {
		os.Exit(runner.Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(runAndClean(m))
}

type cliResult struct {
	code           int
	stdout, stderr string
	dir            string
}

// rostercheck runs the CLI in a child process with extra environment.
func rostercheck(t *testing.T, env []string, args ...string) cliResult {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(append(filteredEnv(), mainEnv+"=1"), env...)
	cmd.Dir = t.TempDir() // default outputs (./rostercheck-report) land here
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running rostercheck: %v", err)
	}
	return cliResult{code: code, stdout: out.String(), stderr: errb.String(), dir: cmd.Dir}
}

// filteredEnv drops ROSTERCHECK_* variables of the developer's shell.
func filteredEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ROSTERCHECK_") {
			out = append(out, kv)
		}
	}
	return out
}

func readResults(t *testing.T, dir string) *reports.Run {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatalf("results.json: %v", err)
	}
	defer f.Close()
	run, err := reports.ReadJSON(f)
	if err != nil {
		t.Fatalf("results.json: %v", err)
	}
	for _, name := range []string{"junit.xml", "report.html"} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Size() == 0 {
			t.Fatalf("%s missing or empty: %v", name, err)
		}
	}
	return run
}

func failing(run *reports.Run) []string {
	var ids []string
	for _, c := range run.Checks {
		if c.Outcome != reports.Pass {
			ids = append(ids, c.ID)
		}
	}
	sort.Strings(ids)
	return ids
}

// outcomeIn is a check's outcome as profile judges it ("" when the
// profile does not select the check).
func outcomeIn(c reports.CheckResult, profile string) reports.Outcome {
	for _, p := range c.Profiles {
		if p.Profile == profile {
			return p.Outcome
		}
	}
	return ""
}

func verdictOf(run *reports.Run, profile string) string {
	for _, p := range run.Profiles {
		if p.Name == profile {
			return p.Verdict
		}
	}
	return "(not run)"
}

func TestCleanProviderPassesEveryCheck(t *testing.T) {
	dir := t.TempDir()
	// Every profile, over one walk, in random order.
	all := suites.ProfileNames()
	r := rostercheck(t, oracleEnv, "run", "--profile", strings.Join(all, ","), "--randomize", "--allow-writes", "--out", dir)
	if r.code != runner.ExitPass {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	run := readResults(t, dir)
	if f := failing(run); len(f) > 0 {
		t.Fatalf("checks not passing on the reference provider: %v", f)
	}
	if run.Summary.Total < 300 || run.Summary.Pass != run.Summary.Total {
		t.Fatalf("summary %+v: want every one of 300+ checks passed", run.Summary)
	}
	if run.Verdict != "pass" || len(run.Profiles) != len(all) {
		t.Fatalf("verdict %q profiles %+v", run.Verdict, run.Profiles)
	}
	if !strings.Contains(r.stdout, "verdict: PASS") || !strings.Contains(r.stderr, "random order") {
		t.Fatalf("console output lacks verdict or order seed:\n%s\n%s", r.stdout, r.stderr)
	}
}

// hostileHints: what the one-line message must say for each hostile
// response, so a vendor reading the report knows what happened.
var hostileHints = map[string]string{
	"malformed-json":    "body is not valid JSON",
	"html-error-page":   "Content-Type is text/html",
	"huge-body":         "larger than the cap",
	"gzip-bomb":         "larger than the cap",
	"endless-next":      "points back to an already walked page",
	"slow-body":         "no complete answer within the request timeout",
	"large-limit-error": "status 500",
	"next-offhost":      "points at another origin",
	"redirect-offhost":  "led to another host",
}

// TestEveryDefectFailsExactlyItsChecks is the mutation test of the
// harness: each provider defect must fail exactly the checks it declares,
// and every check must be failed by at least one defect.
func TestEveryDefectFailsExactlyItsChecks(t *testing.T) {
	var mu sync.Mutex
	killed := map[string]bool{}
	// all are the checks of the spec-strict profile of each version, as
	// the first defect run of that version selected them.
	all := map[string][]string{}
	t.Run("defects", func(t *testing.T) {
		for _, d := range defects.Catalogue {
			d := d
			t.Run(d.Name, func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				strict := d.Strict()
				profiles := append(append([]string{strict}, d.Fails...), d.Passes...)
				// Every defect runs with --allow-writes: the write checks must
				// stay green under the read defects, and profiles that need
				// writes can then pass.
				args := append([]string{"run", "--profile", strings.Join(profiles, ","), "--defect", d.Name, "--allow-writes", "--out", dir, "--request-timeout", "3s", "--max-body", "4MiB"}, d.Args...)
				r := rostercheck(t, oracleEnv, args...)
				run := readResults(t, dir)
				if d.RunError != "" {
					checkRunError(t, d, r, run)
					return
				}
				wantCode := runner.ExitPass
				for _, p := range run.Profiles {
					if p.Verdict != "pass" {
						wantCode = runner.ExitFail
					}
				}
				if r.code != wantCode {
					t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, wantCode, r.stdout, r.stderr)
				}
				// One walk, judged by every profile: the consumers that reject
				// the deviation fail, those that accept it pass.
				for _, p := range d.Fails {
					if v := verdictOf(run, p); v != "fail" {
						t.Errorf("profile %s: verdict %s, want fail (its consumer rejects %s)", p, v, d.Name)
					}
				}
				for _, p := range d.Passes {
					if v := verdictOf(run, p); v != "pass" {
						t.Errorf("profile %s: verdict %s, want pass (its consumer accepts %s)", p, v, d.Name)
					}
				}
				var missing, extra []string
				for _, c := range run.Checks {
					want := d.Expects(c.ID)
					o := outcomeIn(c, strict)
					// A declared not-supported: the defect leaves the check
					// nothing to judge, and it must say so, not pass.
					if d.ExpectsNotSupported(c.ID) {
						if o != reports.NotSupported || c.Message == "" {
							t.Errorf("%s: outcome %s (%s), want not-supported with its reason: the defect leaves it nothing to judge", c.ID, o, c.Message)
						}
						continue
					}
					got := o == reports.Fail || o == reports.Advisory || o == reports.Error || o == reports.NotSupported
					switch {
					case want && !got:
						missing = append(missing, c.ID)
					case got && !want:
						extra = append(extra, c.ID+" ("+c.Message+")")
					}
					// Not-supported: an operation not served is one finding (its
					// envelope check); the others have nothing to exercise. A probe
					// whose control the provider refuses proves nothing either.
					if got && o != reports.Fail && o != reports.Advisory && !(o == reports.NotSupported && (strings.Contains(c.Message, "is not served") || strings.Contains(c.Message, "the control failed"))) {
						t.Errorf("%s: outcome %s (%s), want fail or advisory: the provider is at fault, not the harness", c.ID, o, c.Message)
					}
					if (o == reports.Fail || o == reports.Advisory) && (c.ViolationsTotal == 0 || c.Message == "" || len(c.Exchanges) == 0) {
						t.Errorf("%s failed without violations, message or evidence: %+v", c.ID, c)
					}
					for _, v := range c.Violations {
						if v.Rule == "" {
							t.Errorf("%s: violation without a rule: %+v", c.ID, v)
							break
						}
					}
				}
				// A consumer's own checks (outside Strict) are judged by the
				// consumer profile the defect names: exactly those it declares
				// must not pass there.
				for _, p := range append(append([]string(nil), d.Fails...), d.Passes...) {
					for _, c := range run.Checks {
						o := outcomeIn(c, p)
						if o == "" || outcomeIn(c, strict) != "" {
							continue
						}
						want := d.ExpectsIn(p, c.ID)
						got := o == reports.Fail || o == reports.Advisory || o == reports.Error || o == reports.NotSupported
						switch {
						case want && !got:
							missing = append(missing, c.ID+" in "+p)
						case got && !want:
							extra = append(extra, c.ID+" in "+p+" ("+c.Message+")")
						}
						if o == reports.Error {
							t.Errorf("%s in %s: outcome error (%s): the provider is at fault, not the harness", c.ID, p, c.Message)
						}
					}
				}
				if hint, ok := hostileHints[d.Name]; ok {
					said := false
					for _, c := range run.Checks {
						said = said || strings.Contains(c.Message, hint)
					}
					if !said {
						t.Errorf("no failure message says %q", hint)
					}
				}
				if len(missing) > 0 || len(extra) > 0 {
					t.Fatalf("defect %s:\n  expected to fail but passed: %v\n  failed but not declared: %v", d.Name, missing, extra)
				}
				mu.Lock()
				defer mu.Unlock()
				if all[strict] == nil {
					for _, c := range run.Checks {
						all[strict] = append(all[strict], c.ID)
					}
				}
				// A check is killed when the defect makes it find violations,
				// whichever profile they matter to (a rule the spec allows
				// shows in the consumer profile that rejects it).
				for _, c := range run.Checks {
					if (c.Outcome != reports.Pass && c.Outcome != reports.NotRun) || c.ViolationsTotal > 0 {
						killed[c.ID] = true
					}
				}
			})
		}
	})
	if t.Failed() {
		return
	}
	var unkilled []string
	for _, ids := range all {
		for _, id := range ids {
			if !killed[id] {
				unkilled = append(unkilled, id)
			}
		}
	}
	sort.Strings(unkilled)
	if len(unkilled) > 0 {
		t.Fatalf("%d checks no defect makes fail (add a defect for each): %v", len(unkilled), unkilled)
	}
}

func TestResultsJSONIsOurModel(t *testing.T) {
	dir := t.TempDir()
	r := rostercheck(t, nil, "run", "--profile", "sds", "--defect", "no-total-count", "--check", "rostering.users.*", "--out", dir)
	if r.code != runner.ExitFail {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	b, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schemaVersion", "tool", "target", "profiles", "verdict", "summary", "checks"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("results.json lacks %q", k)
		}
	}
	if bytes.Contains(b, []byte("SpecReports")) || bytes.Contains(b, []byte("LeafNodeType")) {
		t.Error("results.json leaks Ginkgo types")
	}
	run := readResults(t, dir)
	var union *reports.CheckResult
	for i := range run.Checks {
		if run.Checks[i].ID == "rostering.users.paging.union-equals-total" {
			union = &run.Checks[i]
		}
	}
	if union == nil || union.Outcome != reports.Fail {
		t.Fatalf("union check: %+v", union)
	}
	// Every page lacks the header: all of them are reported, not the first.
	if union.ViolationsTotal < 3 {
		t.Fatalf("want a violation per page, got %d: %+v", union.ViolationsTotal, union.Violations)
	}
	for _, ex := range union.Exchanges {
		if !strings.HasPrefix(ex.Curl, "curl ") || !strings.Contains(ex.Curl, "$ROSTERCHECK_TOKEN") {
			t.Fatalf("exchange curl is not reproducible with a placeholder: %q", ex.Curl)
		}
	}
}
