package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rostercheck/rostercheck/internal/openapigen"
)

func TestBadInputIsOneLineWithItsExitCode(t *testing.T) {
	empty := t.TempDir()
	cases := []struct {
		name string
		args []string
		env  string
		code int
	}{
		{"no directory", nil, "", 2},
		{"bad flag", []string{"-nope"}, "", 2},
		{"stray argument", []string{"-dir", empty, "x"}, "", 2},
		{"directory without the files", []string{"-root", t.TempDir()}, empty, 1},
	}
	for _, c := range cases {
		var stderr bytes.Buffer
		if got := run(c.args, c.env, &stderr); got != c.code {
			t.Errorf("%s: exit %d, want %d", c.name, got, c.code)
		}
		msg := stderr.String()
		if strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "schemagen: ") {
			t.Errorf("%s: stderr %q, want one line", c.name, msg)
		}
	}
}

// TestWritesWhatIsCheckedIn: generating into an empty root writes exactly
// the checked-in outputs.
func TestWritesWhatIsCheckedIn(t *testing.T) {
	dir := os.Getenv(openapigen.EnvDir)
	if dir == "" {
		t.Skip(openapigen.EnvDir + " is not set: it names the directory holding the official OneRoster 1.2 OpenAPI files, which the repository does not contain")
	}
	root := t.TempDir()
	var stderr bytes.Buffer
	if code := run([]string{"-root", root}, dir, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, p := range openapigen.Outputs {
		got, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(p)))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("..", "..", filepath.FromSlash(p)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: written output differs from the checked-in file", p)
		}
	}
}
