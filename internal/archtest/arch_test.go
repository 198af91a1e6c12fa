// Package archtest enforces the import rules of docs/CONVENTIONS.md: the
// reference provider is an independent implementation, and the report
// model does not depend on the test engine.
package archtest

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/rostercheck/rostercheck/"

// imports returns, per non-test Go file under dir, its import paths.
func imports(t *testing.T, dir string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, im := range f.Imports {
			path, _ := strconv.Unquote(im.Path.Value)
			out[p] = append(out[p], path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("no Go files under %s", dir)
	}
	return out
}

func TestProviderIsIndependent(t *testing.T) {
	for file, ims := range imports(t, "../../fixtures") {
		for _, im := range ims {
			if strings.HasPrefix(im, module) && !strings.HasPrefix(im, module+"fixtures/") {
				t.Errorf("%s imports %s: fixtures may import only fixtures packages", file, im)
			}
		}
	}
}

func TestReportsDoNotImportGinkgo(t *testing.T) {
	for file, ims := range imports(t, "../../reports") {
		for _, im := range ims {
			if strings.Contains(im, "ginkgo") || strings.Contains(im, "gomega") || strings.HasPrefix(im, module) {
				t.Errorf("%s imports %s: reports is stdlib only", file, im)
			}
		}
	}
}

func TestSuitesDoNotReachIntoFixturesOrRunner(t *testing.T) {
	for file, ims := range imports(t, "../../suites") {
		for _, im := range ims {
			if strings.HasPrefix(im, module+"fixtures") || strings.HasPrefix(im, module+"runner") || strings.HasPrefix(im, module+"reports") {
				t.Errorf("%s imports %s: checks must not share code with the provider or the runner", file, im)
			}
		}
	}
}
