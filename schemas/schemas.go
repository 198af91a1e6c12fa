// Package schemas holds JSON Schemas (draft 2020-12) for the OneRoster 1.1
// REST binding: one schema per entity, the shared definitions in common.json
// and the 1.1 statusInfoSet error/warning payload. The schemas are embedded
// with go:embed, registered with the compiler via AddResource (nothing is
// ever fetched) and compiled once, on first use.
//
// Policy encoded by the schemas (spec-1.1-strict, see docs and
// OneRoster 1.1 Information Model):
//   - unknown extra properties are allowed everywhere (vendors extend);
//   - null is never valid for a declared property (optional means omitted);
//   - booleans are the strings "true"/"false";
//   - dates are YYYY-MM-DD, dateTimes carry a zone (Z or ±hh:mm);
//   - where the 1.1 sources disagree on cardinality the field is optional.
//
// All validation functions report every violation (not the first one), as
// RFC 6901 JSON pointers plus a short human-readable message, sorted
// deterministically. They never panic.
package schemas

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Violation is one schema violation. Pointer is an RFC 6901 JSON pointer into the validated value ("" = the value itself).
type Violation struct {
	Pointer string
	Message string
	// Def is the common.json definition the failing keyword belongs to
	// ("boolString", "dateTime", "guidRef", ...), "" when none.
	Def string
	// Missing is the property a "required" keyword found missing.
	Missing string
}

// Entities lists the entity schema names: "org","academicSession","course","class","user","enrollment","demographics","category","lineItem","result","resource".
var Entities = []string{
	"org", "academicSession", "course", "class", "user", "enrollment",
	"demographics", "category", "lineItem", "result", "resource",
}

// entityNames is a private copy of Entities, so that a caller mutating the
// exported slice cannot change what is compiled.
var entityNames = append([]string(nil), Entities...)

// baseURL is the $id prefix of every embedded schema.
const baseURL = "https://rostercheck.dev/schemas/v1p1/"

//go:embed v1p1/*.json
var schemaFS embed.FS

type compiled struct {
	entities        map[string]schema
	statusInfoSet   schema // the whole {"statusInfoSet": [...]} payload
	statusInfoArray schema // the array alone (minItems 0), for envelopes
}

// schema is one schema in both forms: the reference validator's and the
// compiled one (nil when the schema uses something compiled.go does not
// support; the reference then validates alone).
type schema struct {
	ref  *jsonschema.Schema
	fast *node
}

var (
	compileOnce sync.Once
	compiledSet *compiled
	compileErr  error
)

// load compiles every embedded schema exactly once.
func load() (*compiled, error) {
	compileOnce.Do(func() {
		compiledSet, compileErr = compileAll()
	})
	return compiledSet, compileErr
}

func compileAll() (*compiled, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat() // off by default for 2020-12
	files, err := fs.Glob(schemaFS, "v1p1/*.json")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		b, err := schemaFS.ReadFile(f)
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(b)))
		if err != nil {
			return nil, fmt.Errorf("schemas: %s: %w", f, err)
		}
		if err := c.AddResource(baseURL+strings.TrimPrefix(f, "v1p1/"), doc); err != nil {
			return nil, fmt.Errorf("schemas: %s: %w", f, err)
		}
	}
	nc, ncErr := compileNodes()
	fast := func(file, ptr string) *node {
		if ncErr != nil {
			return nil
		}
		n, err := nc.get(file, ptr)
		if err != nil {
			return nil
		}
		return n
	}
	out := &compiled{entities: make(map[string]schema, len(entityNames))}
	for _, name := range entityNames {
		s, err := c.Compile(baseURL + name + ".json")
		if err != nil {
			return nil, fmt.Errorf("schemas: compile %s: %w", name, err)
		}
		out.entities[name] = schema{s, fast(name+".json", "")}
	}
	if out.statusInfoSet.ref, err = c.Compile(baseURL + "statusInfoSet.json"); err != nil {
		return nil, fmt.Errorf("schemas: compile statusInfoSet: %w", err)
	}
	out.statusInfoSet.fast = fast("statusInfoSet.json", "")
	if out.statusInfoArray.ref, err = c.Compile(baseURL + "statusInfoSet.json#/$defs/statusInfoArray"); err != nil {
		return nil, fmt.Errorf("schemas: compile statusInfoArray: %w", err)
	}
	out.statusInfoArray.fast = fast("statusInfoSet.json", "/$defs/statusInfoArray")
	// The common definitions are compiled too, so a broken common.json is
	// reported even if no entity happens to reference the broken part.
	if _, err := c.Compile(baseURL + "common.json"); err != nil {
		return nil, fmt.Errorf("schemas: compile common: %w", err)
	}
	return out, nil
}

func entitySchema(entity string) (schema, error) {
	c, err := load()
	if err != nil {
		return schema{}, err
	}
	s, ok := c.entities[entity]
	if !ok {
		return schema{}, fmt.Errorf("schemas: unknown entity %q (want one of %s)", entity, strings.Join(entityNames, ", "))
	}
	return s, nil
}

// ValidateEntity validates one decoded record (map[string]any from encoding/json; numbers may be float64 or json.Number) against the entity schema. It returns ALL violations (leaf errors, pointers relative to the record). Unknown entity -> error.
func ValidateEntity(entity string, record any) ([]Violation, error) {
	s, err := entitySchema(entity)
	if err != nil {
		return nil, err
	}
	return validate(s, record, "")
}

// ValidateCollection validates a collection envelope: an object whose key `key` (e.g. "users") is an array of `entity` records; other top-level keys (e.g. statusInfoSet) are allowed. Pointers are relative to the envelope ("/users/42/status").
//
// If the envelope also carries "statusInfoSet" (1.1 partial success with
// warnings), that member must be an array of well-formed status objects.
func ValidateCollection(key, entity string, doc any) ([]Violation, error) {
	s, err := entitySchema(entity)
	if err != nil {
		return nil, err
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return []Violation{{Pointer: "", Message: "got " + jsonType(doc) + ", want object"}}, nil
	}
	var out []Violation
	keyPtr := "/" + escapeToken(key)
	switch raw, present := obj[key]; {
	case !present:
		out = append(out, Violation{Pointer: "", Message: "missing property " + quote(key)})
	default:
		arr, isArr := raw.([]any)
		if !isArr {
			out = append(out, Violation{Pointer: keyPtr, Message: "got " + jsonType(raw) + ", want array"})
		} else {
			vs, err := validateRecords(s, arr, keyPtr)
			if err != nil {
				return nil, err
			}
			out = append(out, vs...)
		}
	}
	if key != "statusInfoSet" {
		if sis, present := obj["statusInfoSet"]; present {
			c, _ := load() // already loaded successfully above
			vs, err := validate(c.statusInfoArray, sis, "/statusInfoSet")
			if err != nil {
				return nil, err
			}
			out = append(out, vs...)
		}
	}
	return out, nil
}

// ValidateSingle validates a single-object envelope {"user": {...}}.
func ValidateSingle(key, entity string, doc any) ([]Violation, error) {
	s, err := entitySchema(entity)
	if err != nil {
		return nil, err
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return []Violation{{Pointer: "", Message: "got " + jsonType(doc) + ", want object"}}, nil
	}
	raw, present := obj[key]
	if !present {
		return []Violation{{Pointer: "", Message: "missing property " + quote(key)}}, nil
	}
	return validate(s, raw, "/"+escapeToken(key))
}

// ValidateStatusInfoSet validates a 1.1 error/warning payload: {"statusInfoSet": [ {imsx_codeMajor (success|processing|failure|unsupported), imsx_severity (status|warning|error), imsx_codeMinor (string), imsx_description (string, optional)} , ...]} with at least one item.
func ValidateStatusInfoSet(doc any) ([]Violation, error) {
	c, err := load()
	if err != nil {
		return nil, err
	}
	return validate(c.statusInfoSet, doc, "")
}

// parallelThreshold is the page size from which records are validated on
// several goroutines. Results are assembled by record index, so the output
// order does not depend on scheduling.
const parallelThreshold = 256

func validateRecords(s schema, arr []any, prefix string) ([]Violation, error) {
	workers := runtime.GOMAXPROCS(0)
	if workers > 8 {
		workers = 8
	}
	if len(arr) < parallelThreshold || workers < 2 {
		var out []Violation
		for i, rec := range arr {
			vs, err := validate(s, rec, prefix+"/"+strconv.Itoa(i))
			if err != nil {
				return nil, err
			}
			out = append(out, vs...)
		}
		return out, nil
	}
	perRecord := make([][]Violation, len(arr))
	errs := make([]error, len(arr))
	const chunk = 64
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				start := int(next.Add(chunk)) - chunk
				if start >= len(arr) {
					return
				}
				end := min(start+chunk, len(arr))
				for i := start; i < end; i++ {
					perRecord[i], errs[i] = validate(s, arr[i], prefix+"/"+strconv.Itoa(i))
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	n := 0
	for _, v := range perRecord {
		n += len(v)
	}
	if n == 0 {
		return nil, nil
	}
	out := make([]Violation, 0, n)
	for _, v := range perRecord {
		out = append(out, v...)
	}
	return out, nil
}

// validate validates v with the compiled form of s (the reference when s has
// none). In oracle mode it validates with both and returns an error naming
// the first difference.
func validate(s schema, v any, prefix string) ([]Violation, error) {
	if s.fast == nil {
		return validateRef(s.ref, v, prefix), nil
	}
	got := validateCompiled(s.fast, v, prefix)
	if oracleMode {
		if err := oracleDiff(got, validateRef(s.ref, v, prefix)); err != nil {
			return nil, err
		}
	}
	return got, nil
}

// oracleDiff compares the compiled validator's output with the reference's.
func oracleDiff(got, want []Violation) error {
	if slices.Equal(got, want) {
		return nil
	}
	for i := range max(len(got), len(want)) {
		var g, w Violation
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			return fmt.Errorf("validator oracle: compiled and reference validators disagree (%d vs %d violations); first difference: compiled %+v, reference %+v", len(got), len(want), g, w)
		}
	}
	return nil
}

// validateRef runs one reference-compiled schema against v and flattens the
// error tree to leaf violations whose pointers are prefixed with prefix. The
// result is de-duplicated and sorted by pointer, message, Def, Missing.
func validateRef(s *jsonschema.Schema, v any, prefix string) (out []Violation) {
	defer func() {
		// The validator is not expected to panic on decoded JSON; this keeps
		// the package's no-panic promise for arbitrary Go values too.
		if r := recover(); r != nil {
			out = []Violation{{Pointer: prefix, Message: fmt.Sprintf("value could not be validated: %v", r)}}
		}
	}()
	err := s.Validate(v)
	if err == nil {
		return nil
	}
	verr, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return []Violation{{Pointer: prefix, Message: err.Error()}}
	}
	c := collector{prefix: prefix}
	c.walk(verr)
	return c.finish()
}

type collector struct {
	prefix  string
	out     []Violation
	printer *message.Printer
}

func (c *collector) add(loc []string, msg string) {
	c.out = append(c.out, Violation{Pointer: c.pointer(loc), Message: msg})
}

func (c *collector) addv(loc []string, v Violation) {
	v.Pointer = c.pointer(loc)
	c.out = append(c.out, v)
}

func (c *collector) pointer(loc []string) string {
	if len(loc) == 0 {
		return c.prefix
	}
	var b strings.Builder
	b.WriteString(c.prefix)
	for _, tok := range loc {
		b.WriteByte('/')
		b.WriteString(escapeToken(tok))
	}
	return b.String()
}

func (c *collector) localized(k jsonschema.ErrorKind) string {
	if c.printer == nil {
		// LocalizedString(nil) panics; always pass a printer.
		c.printer = message.NewPrinter(language.English)
	}
	return k.LocalizedString(c.printer)
}

func (c *collector) finish() []Violation {
	if len(c.out) == 0 {
		return nil
	}
	sort.Slice(c.out, func(i, j int) bool {
		a, b := c.out[i], c.out[j]
		if a.Pointer != b.Pointer {
			return a.Pointer < b.Pointer
		}
		if a.Message != b.Message {
			return a.Message < b.Message
		}
		if a.Def != b.Def {
			return a.Def < b.Def
		}
		return a.Missing < b.Missing
	})
	uniq := c.out[:1]
	for _, v := range c.out[1:] {
		if v != uniq[len(uniq)-1] {
			uniq = append(uniq, v)
		}
	}
	return uniq
}

// walk descends through structural nodes (schema, group, $ref, allOf) to the
// leaves. anyOf/oneOf nodes are reported as a single violation, because the
// individual failures of each alternative are noise to a reader.
func (c *collector) walk(e *jsonschema.ValidationError) {
	if e == nil {
		return
	}
	switch k := e.ErrorKind.(type) {
	case *kind.Schema, *kind.Group, *kind.Reference, *kind.AllOf:
		if len(e.Causes) == 0 {
			c.add(e.InstanceLocation, c.localized(e.ErrorKind))
			return
		}
		for _, cause := range e.Causes {
			c.walk(cause)
		}
	case *kind.AnyOf, *kind.OneOf:
		c.addv(e.InstanceLocation, Violation{Message: c.alternativesMessage(e), Def: defName(e.SchemaURL)})
	case *kind.Required:
		for _, p := range k.Missing {
			c.addv(e.InstanceLocation, Violation{Message: "missing property " + quote(p), Def: defName(e.SchemaURL), Missing: p})
		}
	default:
		c.addv(e.InstanceLocation, Violation{Message: c.leafMessage(e), Def: defName(e.SchemaURL)})
	}
}

// defName returns the name of the common.json definition in which the
// failing keyword lives ("date", "dateTime", ...), or "".
func defName(schemaURL string) string {
	const p, p12 = baseURL + "common.json#/$defs/", baseURLV1p2 + "common.json#/$defs/"
	var name string
	switch {
	case strings.HasPrefix(schemaURL, p):
		name = schemaURL[len(p):]
	case strings.HasPrefix(schemaURL, p12):
		name = schemaURL[len(p12):]
	default:
		return ""
	}
	if strings.Contains(name, "/") {
		return ""
	}
	return name
}

func (c *collector) leafMessage(e *jsonschema.ValidationError) string {
	def := defName(e.SchemaURL)
	switch k := e.ErrorKind.(type) {
	case *kind.Type:
		want := strings.Join(k.Want, " or ")
		if def == "boolString" {
			want = "string 'true' or 'false'"
		}
		return "got " + k.Got + ", want " + want
	case *kind.Format:
		s, _ := k.Got.(string)
		if m := formatMessage(def, s); m != "" {
			return m
		}
		return quote(s) + " is not a valid " + k.Want
	case *kind.Pattern:
		if m := formatMessage(def, k.Got); m != "" {
			return m
		}
		return quote(k.Got) + " does not match pattern " + quote(k.Want)
	case *kind.MinLength:
		if k.Got == 0 {
			return "must not be empty"
		}
		return fmt.Sprintf("must be at least %d characters, got %d", k.Want, k.Got)
	case *kind.MinItems:
		return fmt.Sprintf("must have at least %d %s, got %d", k.Want, plural(k.Want, "item"), k.Got)
	case *kind.MaxItems:
		return fmt.Sprintf("must have at most %d %s, got %d", k.Want, plural(k.Want, "item"), k.Got)
	case *kind.InvalidJsonValue:
		return fmt.Sprintf("not a JSON value (Go type %T)", k.Value)
	case *kind.FalseSchema:
		return "value is not allowed"
	}
	return c.localized(e.ErrorKind)
}

func (c *collector) alternativesMessage(e *jsonschema.ValidationError) string {
	if defName(e.SchemaURL) == "dateOrDateTime" {
		if s, ok := firstString(e); ok {
			if zonelessDateTime.MatchString(s) {
				return quote(s) + " is not a valid date or dateTime: missing time zone (Z or ±hh:mm)"
			}
			return quote(s) + " is not a valid date (YYYY-MM-DD) or dateTime (YYYY-MM-DDThh:mm:ssZ)"
		}
	}
	sub := collector{prefix: c.prefix, printer: c.printer}
	for _, cause := range e.Causes {
		sub.walk(cause)
	}
	c.printer = sub.printer
	seen := map[string]bool{}
	var msgs []string
	for _, v := range sub.out {
		if !seen[v.Message] {
			seen[v.Message] = true
			msgs = append(msgs, v.Message)
		}
	}
	switch len(msgs) {
	case 0:
		return c.localized(e.ErrorKind)
	case 1:
		return msgs[0]
	}
	return "no allowed alternative matched: " + strings.Join(msgs, "; ")
}

// firstString finds the string value that failed a format or pattern check
// somewhere below e.
func firstString(e *jsonschema.ValidationError) (string, bool) {
	switch k := e.ErrorKind.(type) {
	case *kind.Format:
		s, ok := k.Got.(string)
		return s, ok
	case *kind.Pattern:
		return k.Got, true
	}
	for _, cause := range e.Causes {
		if s, ok := firstString(cause); ok {
			return s, true
		}
	}
	return "", false
}

var zonelessDateTime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$`)

// formatMessage gives the message for a format or pattern failure inside one
// of the common.json primitive definitions.
func formatMessage(def, s string) string {
	switch def {
	case "date":
		return quote(s) + " is not a valid date (YYYY-MM-DD)"
	case "dateTime":
		if zonelessDateTime.MatchString(s) {
			return quote(s) + " is not a valid dateTime: missing time zone (Z or ±hh:mm)"
		}
		return quote(s) + " is not a valid dateTime (YYYY-MM-DDThh:mm:ss[.sss]Z or ±hh:mm)"
	case "year":
		return quote(s) + " is not a 4-digit year (YYYY)"
	}
	return ""
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// quote renders s in single quotes, shortened to keep messages readable.
func quote(s string) string {
	const maxRunes = 60
	if utf8.RuneCountInString(s) > maxRunes {
		r := []rune(s)
		s = string(r[:maxRunes]) + "…"
	}
	q := strconv.Quote(s)
	q = strings.ReplaceAll(q[1:len(q)-1], `\"`, `"`)
	q = strings.ReplaceAll(q, `'`, `\'`)
	return "'" + q + "'"
}

// escapeToken escapes one RFC 6901 reference token.
func escapeToken(tok string) string {
	if !strings.ContainsAny(tok, "~/") {
		return tok
	}
	tok = strings.ReplaceAll(tok, "~", "~0")
	return strings.ReplaceAll(tok, "/", "~1")
}

// jsonType names the JSON type of a decoded value.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number, float32, float64, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("non-JSON Go type %T", v)
}
