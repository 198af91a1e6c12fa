// Package openapigen derives rostercheck's OneRoster 1.2 data layer from the
// official 1EdTech OneRoster 1.2 OpenAPI 3.0 files (rostering, gradebook,
// resources; Final Release, 19 September 2022, published at
// https://purl.imsglobal.org/spec/or/v1p2/schema/openapi/<file name>):
//
//   - schemas/v1p2/{common,rostering,gradebook,resources}.json: JSON Schema
//     draft 2020-12, one $defs entry per OpenAPI component schema, rewritten
//     to the harness policy (see policy below);
//   - suites/catalogue/v1p2/catalogue.json: the 1.2 catalogue of services,
//     scopes, entities and operations, plus the readings the harness
//     follows where the files contradict themselves (readings.go).
//
// The OpenAPI files are not part of the repository. The generator reads them
// from the directory named by the environment variable EnvDir (or the -dir
// flag of cmd/schemagen); every output names the files it came from with
// their SHA-256, public URL and title, so a reviewer sees when they change.
//
// Schema policy (the same as the 1.1 schemas): unknown extra properties are
// allowed (the files' additionalProperties:false is dropped, vendors
// extend); null is never valid for a declared property; booleans are the
// strings "true"/"false"; dates are YYYY-MM-DD and dateTimes carry a zone;
// sourcedId is a non-empty string; the "ext:" vocabulary extension pattern
// is anchored. Descriptions and defaults are dropped; any other keyword the
// generator does not know stops it, so a new construct in the files is a
// decision, not a silent loss.
package openapigen

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// EnvDir names the environment variable holding the directory of the three
// OneRoster 1.2 OpenAPI files.
const EnvDir = "ROSTERCHECK_ONEROSTER12_OPENAPI"

// PublicBase is where 1EdTech publishes the files.
const PublicBase = "https://purl.imsglobal.org/spec/or/v1p2/schema/openapi/"

// SchemaBase is the $id prefix of the generated schemas.
const SchemaBase = "https://rostercheck.dev/schemas/v1p2/"

// ExtPattern is the anchored form of the files' unanchored
// "(ext:)[a-zA-Z0-9\.\-_]+" vocabulary extension pattern (reading
// ext-pattern-anchored).
const ExtPattern = `^ext:[a-zA-Z0-9.\-_]+$`

// oasExtPattern is the pattern as the files write it.
const oasExtPattern = `(ext:)[a-zA-Z0-9\.\-_]+`

// oasSourcePattern is the learning-objective "source" pattern of the
// gradebook file. Its negative lookaheads are ECMA-262 only (Go's RE2 has
// none), so it is rewritten to the same set of strings: "/" and one or more
// of [a-z0-9], except "/case" and "/unknown".
const oasSourcePattern = `^/(?!case$)(?!unknown$)[a-z0-9]+$`

// File is one OpenAPI file of the 1.2 binding.
type File struct {
	Service  string // rostering | gradebook | resources
	Name     string // file name, as published
	BasePath string // the only basePath the file allows
}

// Files are the three OneRoster 1.2 OpenAPI files, in catalogue order.
var Files = []File{
	{"rostering", "onerosterv1p2rostersservice_openapi3_v1p0.json", "/ims/oneroster/rostering/v1p2"},
	{"gradebook", "onerosterv1p2gradebookservice_openapi3_v1p0.json", "/ims/oneroster/gradebook/v1p2"},
	{"resources", "onerosterv1p2resourcesservice_openapi3_v1p0.json", "/ims/oneroster/resources/v1p2"},
}

// Outputs are the generated files, relative to the repository root.
var Outputs = []string{
	"schemas/v1p2/common.json",
	"schemas/v1p2/rostering.json",
	"schemas/v1p2/gradebook.json",
	"schemas/v1p2/resources.json",
	"suites/catalogue/v1p2/catalogue.json",
}

// Source identifies one input file in the generated output.
type Source struct {
	Service string `json:"service"`
	File    string `json:"file"`
	Title   string `json:"title"`
	Version string `json:"version"`
	URL     string `json:"url"`
	SHA256  string `json:"sha256"`
}

type doc struct {
	file   File
	src    Source
	raw    map[string]any
	schema map[string]any // components.schemas
}

func load(dir string) ([]*doc, error) {
	var out []*doc
	for _, f := range Files {
		b, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil {
			return nil, fmt.Errorf("openapigen: %w", err)
		}
		var raw map[string]any
		if err := json.Unmarshal(b, &raw); err != nil {
			return nil, fmt.Errorf("openapigen: %s: %w", f.Name, err)
		}
		sum := sha256.Sum256(b)
		d := &doc{file: f, raw: raw}
		info, _ := raw["info"].(map[string]any)
		d.src = Source{Service: f.Service, File: f.Name, URL: PublicBase + f.Name, SHA256: hex.EncodeToString(sum[:])}
		d.src.Title, _ = info["title"].(string)
		d.src.Version, _ = info["version"].(string)
		if v, _ := raw["openapi"].(string); !strings.HasPrefix(v, "3.0.") {
			return nil, fmt.Errorf("openapigen: %s: openapi %q, want 3.0.x", f.Name, v)
		}
		if d.src.Version != "1.2" {
			return nil, fmt.Errorf("openapigen: %s: info.version %q, want 1.2", f.Name, d.src.Version)
		}
		if bp := basePath(raw); bp != f.BasePath {
			return nil, fmt.Errorf("openapigen: %s: basePath %q, want %q", f.Name, bp, f.BasePath)
		}
		d.schema, _ = dig(raw, "components", "schemas").(map[string]any)
		if len(d.schema) == 0 {
			return nil, fmt.Errorf("openapigen: %s: no components.schemas", f.Name)
		}
		out = append(out, d)
	}
	return out, nil
}

// basePath is servers[0].variables.basePath.default.
func basePath(raw map[string]any) string {
	servers, _ := raw["servers"].([]any)
	if len(servers) == 0 {
		return ""
	}
	s, _ := dig(servers[0], "variables", "basePath", "default").(string)
	return s
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// Generate reads the three files from dir and returns the content of every
// output, keyed by its path relative to the repository root.
func Generate(dir string) (map[string][]byte, error) {
	docs, err := load(dir)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	var srcs []Source
	for _, d := range docs {
		srcs = append(srcs, d.src)
	}
	if out["schemas/v1p2/common.json"], err = encode(commonSchema(srcs)); err != nil {
		return nil, err
	}
	for _, d := range docs {
		s, err := serviceSchema(d)
		if err != nil {
			return nil, err
		}
		if out["schemas/v1p2/"+d.file.Service+".json"], err = encode(s); err != nil {
			return nil, err
		}
	}
	cat, err := catalogue(docs)
	if err != nil {
		return nil, err
	}
	if out["suites/catalogue/v1p2/catalogue.json"], err = encode(cat); err != nil {
		return nil, err
	}
	return out, nil
}

// Write generates into the repository rooted at root.
func Write(dir, root string) error {
	files, err := Generate(dir)
	if err != nil {
		return err
	}
	for _, p := range Outputs {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, files[p], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// encode is deterministic: object keys sorted, two-space indent, no HTML
// escaping, trailing newline.
func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func header(srcs []Source) string {
	var parts []string
	for _, s := range srcs {
		parts = append(parts, fmt.Sprintf("%s (%s) %s sha256:%s", s.Title, s.File, s.URL, s.SHA256))
	}
	return "Generated by cmd/schemagen (internal/openapigen); do not edit. Derived from the official OneRoster 1.2 OpenAPI file(s): " + strings.Join(parts, "; ") + "."
}

func commonSchema(srcs []Source) map[string]any {
	return map[string]any{
		"$schema":  "https://json-schema.org/draft/2020-12/schema",
		"$id":      SchemaBase + "common.json",
		"title":    "OneRoster 1.2 common definitions (harness policy)",
		"$comment": header(srcs),
		"$defs": map[string]any{
			"nonEmptyString": map[string]any{"type": "string", "minLength": 1},
			"status": map[string]any{
				"description": "1.2 status: active or tobedeleted only (inactive was removed in 1.1).",
				"type":        "string", "enum": []any{"active", "tobedeleted"},
			},
			"date": map[string]any{
				"description": "ISO 8601 full-date YYYY-MM-DD.",
				"type":        "string", "format": "date", "pattern": `^\d{4}-\d{2}-\d{2}$`,
			},
			"dateTime": map[string]any{
				"description": "ISO 8601 date-time with a zone (Z or ±hh:mm); fraction optional.",
				"type":        "string", "format": "date-time",
				"pattern": `^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$`,
			},
			"boolString": map[string]any{
				"description": "OneRoster booleans are the strings \"true\" and \"false\".",
				"type":        "string", "enum": []any{"true", "false"},
			},
			"uri": map[string]any{
				"description": "An absolute URI (the files' format \"uri\").",
				"type":        "string", "format": "uri",
			},
			"extToken": map[string]any{
				"description": "A vocabulary extension token: the files' \"(ext:)[a-zA-Z0-9.-_]+\" pattern, anchored.",
				"type":        "string", "pattern": ExtPattern,
			},
		},
	}
}

func serviceSchema(d *doc) (map[string]any, error) {
	defs := map[string]any{}
	for _, name := range sortedKeys(d.schema) {
		s, err := convert(d.schema[name], "", "#/components/schemas/"+name)
		if err != nil {
			return nil, fmt.Errorf("openapigen: %s: %w", d.file.Name, err)
		}
		defs[name] = s
	}
	return map[string]any{
		"$schema":  "https://json-schema.org/draft/2020-12/schema",
		"$id":      SchemaBase + d.file.Service + ".json",
		"title":    "OneRoster 1.2 " + d.file.Service + " service data model (harness policy)",
		"$comment": header([]Source{d.src}),
		"$defs":    defs,
	}, nil
}

// convert rewrites one OpenAPI schema object; prop is the name of the
// property it describes ("" when none), at the file location loc.
func convert(v any, prop, loc string) (any, error) {
	s, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: schema is %T, want object", loc, v)
	}
	if r, ok := s["$ref"].(string); ok {
		const p = "#/components/schemas/"
		if !strings.HasPrefix(r, p) {
			return nil, fmt.Errorf("%s: $ref %q outside components.schemas", loc, r)
		}
		return map[string]any{"$ref": "#/$defs/" + strings.TrimPrefix(r, p)}, nil
	}
	typ, _ := s["type"].(string)
	format, _ := s["format"].(string)
	enum, _ := s["enum"].([]any)
	common := func(n string) map[string]any { return map[string]any{"$ref": "common.json#/$defs/" + n} }
	switch {
	case typ == "string" && sameStrings(enum, "true", "false"):
		return common("boolString"), nil
	case typ == "string" && prop == "status" && sameStrings(enum, "active", "tobedeleted"):
		return common("status"), nil
	case typ == "string" && format == "date-time":
		return common("dateTime"), nil
	case typ == "string" && format == "date":
		return common("date"), nil
	case typ == "string" && format == "uri":
		return common("uri"), nil
	case typ == "string" && s["pattern"] == oasExtPattern:
		return common("extToken"), nil
	case typ == "string" && s["pattern"] == oasSourcePattern:
		return map[string]any{
			"type":    "string",
			"pattern": "^/[a-z0-9]+$",
			"not":     map[string]any{"enum": []any{"/case", "/unknown"}},
		}, nil
	case typ == "string" && prop == "sourcedId" && enum == nil && format == "":
		return common("nonEmptyString"), nil
	}
	out := map[string]any{}
	for _, k := range sortedKeys(s) {
		val := s[k]
		switch k {
		case "description", "default", "additionalProperties":
			// Dropped: documentation, and the open-content policy.
		case "type", "enum", "required", "minItems", "maxItems", "minimum", "maximum":
			out[k] = val
		case "format":
			if format != "float" && format != "double" && format != "int32" && format != "int64" {
				return nil, fmt.Errorf("%s: unknown format %q", loc, format)
			}
			// Numeric widths add nothing a JSON validator can check.
		case "pattern":
			return nil, fmt.Errorf("%s: pattern %q is not the ext: pattern", loc, val)
		case "items":
			c, err := convert(val, "", loc+"/items")
			if err != nil {
				return nil, err
			}
			out[k] = c
		case "properties":
			props, _ := val.(map[string]any)
			cp := map[string]any{}
			for _, pn := range sortedKeys(props) {
				c, err := convert(props[pn], pn, loc+"/properties/"+pn)
				if err != nil {
					return nil, err
				}
				cp[pn] = c
			}
			out[k] = cp
		case "anyOf", "oneOf", "allOf":
			arr, _ := val.([]any)
			var ca []any
			for i, a := range arr {
				c, err := convert(a, prop, loc+"/"+k+"/"+strconv.Itoa(i))
				if err != nil {
					return nil, err
				}
				ca = append(ca, c)
			}
			out[k] = ca
		default:
			return nil, fmt.Errorf("%s: unknown keyword %q", loc, k)
		}
	}
	return out, nil
}

func sameStrings(enum []any, want ...string) bool {
	if len(enum) != len(want) {
		return false
	}
	for i, w := range want {
		if enum[i] != w {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
