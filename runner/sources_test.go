package runner_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/rostercheck/rostercheck/runner"
)

// internalFileRE matches the names of files outside the repository that
// rule sources once cited (research notes, seed pages): a vendor has none
// of them. docs/sources.md lists the public sources to cite instead.
var internalFileRE = regexp.MustCompile(`(?i)(shared/|seeds?/|\bseed ?0\d\d\b|research/|anchors\.md|oneroster-spec\.md|oneroster-1p2\.md|ecosystem\.md|design\.md)`)

var outputFiles = []string{"report.html", "junit.xml", "results.json", "summary.md"}

func internalHits(t *testing.T, dir string, console ...string) map[string]int {
	t.Helper()
	hits := map[string]int{}
	for _, f := range outputFiles {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if n := len(internalFileRE.FindAllIndex(b, -1)); n > 0 {
			hits[f] = n
		}
	}
	for i, c := range console {
		if n := len(internalFileRE.FindAllStringIndex(c, -1)); n > 0 {
			hits[[]string{"stdout", "stderr"}[i]] = n
		}
	}
	return hits
}

// No output of a run (HTML, JUnit, results.json, summary.md, the console)
// names a file outside the repository.
func TestNoOutputNamesFilesOutsideTheRepository(t *testing.T) {
	r := failingReport(t)
	dir := r.dir

	// The writers add none of their own: with the suites' text cleaned of
	// such names, a re-render from results.json names none anywhere.
	raw, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	fields := map[string]int{}
	var clean func(v any, path string) any
	clean = func(v any, path string) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				x[k] = clean(e, path+"."+k)
			}
		case []any:
			for i, e := range x {
				x[i] = clean(e, path+"[]")
			}
		case string:
			if internalFileRE.MatchString(x) {
				fields[path]++
				return internalFileRE.ReplaceAllString(x, "(public source)")
			}
		}
		return v
	}
	doc = clean(doc, "")
	cleaned, _ := json.Marshal(doc)
	from := filepath.Join(t.TempDir(), "results.json")
	if err := os.WriteFile(from, cleaned, 0o644); err != nil {
		t.Fatal(err)
	}
	again := t.TempDir()
	if rr := rostercheck(t, nil, "report", "--from", from, "--out", again); rr.code != 0 {
		t.Fatalf("report --from: exit %d\n%s", rr.code, rr.stderr)
	}
	if hits := internalHits(t, again); len(hits) > 0 {
		t.Errorf("the writers themselves name files outside the repository: %v", hits)
	}

	// The run's own outputs, and the console.
	if hits := internalHits(t, dir, r.stdout, r.stderr); len(hits) > 0 {
		var where []string
		for f, n := range fields {
			where = append(where, f+" ×"+itoa(n))
		}
		sort.Strings(where)
		t.Errorf("outputs name files outside the repository %v (results.json fields: %s); cite the public source (docs/sources.md)", hits, strings.Join(where, ", "))
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

var (
	failingOnce sync.Once
	failingRun  cliResult
	failingErr  string
)

// failingReport is one failing run of the reference provider (defect
// phone-not-e164, every profile), shared by the tests that read its
// reports; r.dir is its report folder.
func failingReport(t *testing.T) cliResult {
	t.Helper()
	failingOnce.Do(func() {
		dir, err := os.MkdirTemp("", "rostercheck-failing-")
		if err != nil {
			failingErr = err.Error()
			return
		}
		failingRun = rostercheck(t, nil, "run", "--defect", "phone-not-e164", "--profile", allProfiles, "--out", dir)
		failingRun.dir = dir
		if failingRun.code != runner.ExitFail {
			failingErr = fmt.Sprintf("exit %d\n%s", failingRun.code, failingRun.stderr)
		}
	})
	if failingErr != "" {
		t.Fatalf("the failing run: %s", failingErr)
	}
	return failingRun
}

// runAndClean runs the tests and removes the shared failing run's folder.
func runAndClean(m *testing.M) int {
	code := m.Run()
	if failingRun.dir != "" {
		_ = os.RemoveAll(failingRun.dir)
	}
	return code
}
