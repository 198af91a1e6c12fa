package runner_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The CI integration files are data nobody runs in this repository's own
// tests (no GitHub runner, no registry to pull a base image from), so at
// least their shape is checked: the action's inputs, that secrets are not
// inputs, that the report folder is always uploaded; the Dockerfile's
// stages, static build, CA certificates and non-root user.
func TestActionYAML(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a struct {
		Inputs map[string]struct {
			Required bool `yaml:"required"`
		} `yaml:"inputs"`
		Runs struct {
			Using string `yaml:"using"`
			Steps []struct {
				If   string            `yaml:"if"`
				Uses string            `yaml:"uses"`
				With map[string]string `yaml:"with"`
				Run  string            `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(b, &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	for _, in := range []string{"base-url", "token-url", "profile"} {
		if _, ok := a.Inputs[in]; !ok {
			t.Errorf("action.yml lacks input %s", in)
		}
	}
	for name := range a.Inputs {
		if strings.Contains(name, "secret") || strings.Contains(name, "password") || name == "token" {
			t.Errorf("input %s: secrets go through env, not inputs", name)
		}
	}
	if a.Runs.Using != "composite" {
		t.Errorf("runs.using = %q, want composite", a.Runs.Using)
	}
	uploaded := false
	for _, s := range a.Runs.Steps {
		if strings.HasPrefix(s.Uses, "actions/upload-artifact@") {
			uploaded = s.If == "always()" && s.With["path"] == "${{ inputs.out }}"
		}
		if strings.Contains(s.Run, "${{") {
			t.Errorf("a run script interpolates ${{ }} directly (script injection); pass inputs through env:\n%s", s.Run)
		}
	}
	if !uploaded {
		t.Error("the report folder is not always uploaded")
	}
}

func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	d := string(b)
	if strings.Count(d, "\nFROM ") < 2 && !strings.HasPrefix(d, "FROM ") {
		t.Error("Dockerfile is not multi-stage")
	}
	for _, want := range []string{"CGO_ENABLED=0", "AS build", "FROM scratch", "ca-certificates.crt", "USER 65532", "runner.version="} {
		if !strings.Contains(d, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
}
