package openapigen

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// openAPIDir returns the directory of the official OneRoster 1.2 OpenAPI
// files, or skips: the files are not part of the repository.
func openAPIDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv(EnvDir)
	if dir == "" {
		t.Skip(EnvDir + " is not set: it names the directory holding the official OneRoster 1.2 OpenAPI files (" + PublicBase + "), which the repository does not contain")
	}
	return dir
}

const repoRoot = "../.."

// TestGeneratedOutputIsUpToDate regenerates every output from the files and
// compares it with the checked-in file byte for byte.
func TestGeneratedOutputIsUpToDate(t *testing.T) {
	dir := openAPIDir(t)
	got, err := Generate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(Outputs) {
		t.Fatalf("generated %d files, want %d", len(got), len(Outputs))
	}
	for _, p := range Outputs {
		want, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(p)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got[p], want) {
			t.Errorf("%s differs from what the OpenAPI files generate: run `%s=%s go generate ./schemas/`", p, EnvDir, dir)
		}
	}
	// Twice gives the same bytes (no map-order dependence).
	again, err := Generate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, again) {
		t.Error("two generations differ")
	}
}

// TestOutputsNameTheirSources: every generated file carries the SHA-256,
// public URL and title of the file(s) it came from, and never a local path.
func TestOutputsNameTheirSources(t *testing.T) {
	for _, p := range Outputs {
		b, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(p)))
		if err != nil {
			t.Fatal(err)
		}
		var head struct {
			Comment string `json:"$comment"`
		}
		if err := json.Unmarshal(b, &head); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if !strings.Contains(head.Comment, "sha256:") || !strings.Contains(head.Comment, PublicBase) || !strings.Contains(head.Comment, "OneRoster") {
			t.Errorf("%s: $comment does not name its sources: %q", p, head.Comment)
		}
		for _, f := range Files {
			if strings.Contains(p, "/"+f.Service+".json") && !strings.Contains(head.Comment, f.Name) {
				t.Errorf("%s: $comment does not name %s", p, f.Name)
			}
		}
		if bytes.Contains(b, []byte("/work/")) || bytes.Contains(b, []byte("reference/onerosterv1p2")) {
			t.Errorf("%s names a local path", p)
		}
	}
}

func TestConvertPolicy(t *testing.T) {
	cases := []struct {
		name, prop string
		in, want   string
	}{
		{"boolean string", "enabledUser", `{"type":"string","enum":["true","false"],"description":"x"}`, `{"$ref":"common.json#/$defs/boolString"}`},
		{"status", "status", `{"type":"string","enum":["active","tobedeleted"]}`, `{"$ref":"common.json#/$defs/status"}`},
		{"date-time", "dateLastModified", `{"type":"string","format":"date-time"}`, `{"$ref":"common.json#/$defs/dateTime"}`},
		{"date", "beginDate", `{"type":"string","format":"date"}`, `{"$ref":"common.json#/$defs/date"}`},
		{"uri", "href", `{"type":"string","format":"uri"}`, `{"$ref":"common.json#/$defs/uri"}`},
		{"ext pattern anchored", "role", `{"anyOf":[{"type":"string","enum":["a"]},{"type":"string","pattern":"(ext:)[a-zA-Z0-9\\.\\-_]+"}]}`,
			`{"anyOf":[{"enum":["a"],"type":"string"},{"$ref":"common.json#/$defs/extToken"}]}`},
		{"sourcedId non-empty", "sourcedId", `{"type":"string"}`, `{"$ref":"common.json#/$defs/nonEmptyString"}`},
		{"closed object opened, ref rewritten", "", `{"type":"object","properties":{"org":{"$ref":"#/components/schemas/OrgGUIDRefDType"}},"required":["org"],"additionalProperties":false}`,
			`{"properties":{"org":{"$ref":"#/$defs/OrgGUIDRefDType"}},"required":["org"],"type":"object"}`},
		{"float width dropped", "score", `{"type":"number","format":"float"}`, `{"type":"number"}`},
		{"lookahead rewritten", "source", `{"type":"string","pattern":"^/(?!case$)(?!unknown$)[a-z0-9]+$"}`,
			`{"not":{"enum":["/case","/unknown"]},"pattern":"^/[a-z0-9]+$","type":"string"}`},
	}
	for _, c := range cases {
		var in any
		if err := json.Unmarshal([]byte(c.in), &in); err != nil {
			t.Fatal(err)
		}
		got, err := convert(in, c.prop, "#/test")
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		b, _ := json.Marshal(got)
		if string(b) != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, b, c.want)
		}
	}
}

// TestConvertRefusesWhatItDoesNotKnow: a construct the generator has no
// policy for stops it instead of being dropped.
func TestConvertRefusesWhatItDoesNotKnow(t *testing.T) {
	for _, in := range []string{
		`{"type":"string","pattern":"^[A-Z]+$"}`,
		`{"type":"string","format":"email"}`,
		`{"type":"string","nullable":true}`,
		`{"$ref":"other.json#/x"}`,
		`{"type":"object","discriminator":{}}`,
	} {
		var v any
		if err := json.Unmarshal([]byte(in), &v); err != nil {
			t.Fatal(err)
		}
		if _, err := convert(v, "x", "#/test"); err == nil {
			t.Errorf("convert(%s) succeeded, want an error", in)
		}
	}
}

// TestReadingsNeedTheFiles: every reading's detector finds its
// contradiction in the files (else the generator fails), and a reading
// whose contradiction is gone stops the generator.
func TestReadingsNeedTheFiles(t *testing.T) {
	dir := openAPIDir(t)
	docs, err := load(dir)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := readings(docs)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 10 {
		t.Fatalf("%d readings, want the ten contradictions", len(rs))
	}
	// A file without the contradictions: one GET with one scope, no 422,
	// no links. Most detectors must then find nothing.
	clean := &doc{file: Files[0], raw: map[string]any{
		"paths": map[string]any{"/users": map[string]any{"get": map[string]any{
			"operationId": "getAllUsers",
			"security":    []any{map[string]any{"OAuth2CC": []any{"x"}}},
			"responses":   map[string]any{"200": map[string]any{}},
		}}},
	}, schema: map[string]any{}}
	if _, err := readings([]*doc{clean}); err == nil {
		t.Error("readings on a file without the contradictions succeeded, want an error")
	}
}
