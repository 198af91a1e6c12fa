package schemas

// The compiled validator: each embedded schema is walked once, at first use,
// into a tree of Go nodes that validates a decoded record without the
// general-purpose machinery of the reference validator
// (santhosh-tekuri/jsonschema/v6), and reports exactly the violations the
// reference reports (same pointers, messages, Def and Missing, same order).
//
// It supports the subset of draft 2020-12 the OneRoster schemas use: type
// (one type), enum (strings), format (date, date-time), pattern, minLength,
// minItems, items, properties, required, $ref and an anyOf that is the
// dateOrDateTime definition. A schema that uses anything else does not
// compile here, and is then validated by the reference validator alone.
//
// ROSTERCHECK_VALIDATOR_ORACLE=1 validates every value with both and turns
// any disagreement into an error of the Validate* call (a harness error in a
// run), which is how the self-test proves the two equivalent on every
// defect.

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// OracleEnv is the environment variable that turns on the equivalence mode.
const OracleEnv = "ROSTERCHECK_VALIDATOR_ORACLE"

var oracleMode = os.Getenv(OracleEnv) == "1"

// node is one compiled schema object.
type node struct {
	loc       string // file#pointer, for errors
	def       string // the common.json definition this node is, "" when none
	typ       string // "" = any
	enum      []string
	enumMsg   string
	format    string // "", "date" or "date-time"
	pattern   *regexp.Regexp
	minLength int // -1 = none
	minItems  int // -1 = none
	ref       *node
	props     []prop
	required  []string
	items     *node
	anyOf     []*node
	refName   string // unresolved $ref, compile time only
}

type prop struct {
	name string
	n    *node
}

// seg is one step of the instance path: a property name, or an array index
// when key is "" and idx >= 0.
type seg struct {
	key string
	idx int
}

// run is the state of one validation: the instance path so far and the
// violations found. Pointers are only built when a violation is reported.
type run struct {
	prefix string
	path   []seg
	out    []Violation
}

func (r *run) pointer() string {
	if len(r.path) == 0 {
		return r.prefix
	}
	var b strings.Builder
	b.WriteString(r.prefix)
	for _, s := range r.path {
		b.WriteByte('/')
		if s.idx >= 0 {
			b.WriteString(strconv.Itoa(s.idx))
		} else {
			b.WriteString(escapeToken(s.key))
		}
	}
	return b.String()
}

func (r *run) add(v Violation) {
	v.Pointer = r.pointer()
	r.out = append(r.out, v)
}

// kindOf names the JSON type of v the way the reference validator does; ""
// for a value the reference rejects as not JSON.
func kindOf(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return ""
		}
		return "number"
	case float32:
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return ""
		}
		return "number"
	case json.Number, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return ""
}

func (n *node) check(r *run, v any) {
	t := kindOf(v)
	if t == "" {
		r.add(Violation{Message: fmt.Sprintf("not a JSON value (Go type %T)", v), Def: n.def})
		return
	}
	if n.typ != "" && t != n.typ {
		want := n.typ
		if n.def == "boolString" {
			want = "string 'true' or 'false'"
		}
		r.add(Violation{Message: "got " + t + ", want " + want, Def: n.def})
		return
	}
	if n.enum != nil {
		s, ok := v.(string)
		if !ok || !slices.Contains(n.enum, s) {
			r.add(Violation{Message: n.enumMsg, Def: n.def})
			return
		}
	}
	if n.format != "" {
		if s, ok := v.(string); ok && !formatOK(n.format, s) {
			msg := formatMessage(n.def, s)
			if msg == "" {
				msg = quote(s) + " is not a valid " + n.format
			}
			r.add(Violation{Message: msg, Def: n.def})
			return
		}
	}
	if n.ref != nil {
		n.ref.check(r, v)
	}
	switch v := v.(type) {
	case map[string]any:
		for _, p := range n.required {
			if _, ok := v[p]; !ok {
				r.add(Violation{Message: "missing property " + quote(p), Def: n.def, Missing: p})
			}
		}
		for _, p := range n.props {
			if pv, ok := v[p.name]; ok {
				r.path = append(r.path, seg{key: p.name, idx: -1})
				p.n.check(r, pv)
				r.path = r.path[:len(r.path)-1]
			}
		}
	case []any:
		if n.minItems >= 0 && len(v) < n.minItems {
			r.add(Violation{Message: fmt.Sprintf("must have at least %d %s, got %d", n.minItems, plural(n.minItems, "item"), len(v)), Def: n.def})
		}
		if n.items != nil {
			for i, item := range v {
				r.path = append(r.path, seg{idx: i})
				n.items.check(r, item)
				r.path = r.path[:len(r.path)-1]
			}
		}
	case string:
		if n.minLength >= 0 {
			if got := utf8.RuneCountInString(v); got < n.minLength {
				msg := "must not be empty"
				if got != 0 {
					msg = fmt.Sprintf("must be at least %d characters, got %d", n.minLength, got)
				}
				r.add(Violation{Message: msg, Def: n.def})
			}
		}
		if n.pattern != nil && !n.pattern.MatchString(v) {
			msg := formatMessage(n.def, v)
			if msg == "" {
				msg = quote(v) + " does not match pattern " + quote(n.pattern.String())
			}
			r.add(Violation{Message: msg, Def: n.def})
		}
	}
	if n.anyOf != nil {
		sub := run{prefix: r.prefix, path: r.path}
		for _, alt := range n.anyOf {
			sub.out = sub.out[:0]
			alt.check(&sub, v)
			if len(sub.out) == 0 {
				return
			}
		}
		// Compiled only for dateOrDateTime (type string), as alternativesMessage.
		s := v.(string)
		msg := quote(s) + " is not a valid date (YYYY-MM-DD) or dateTime (YYYY-MM-DDThh:mm:ssZ)"
		if zonelessDateTime.MatchString(s) {
			msg = quote(s) + " is not a valid date or dateTime: missing time zone (Z or ±hh:mm)"
		}
		r.add(Violation{Message: msg, Def: n.def})
	}
}

// validateCompiled validates v against n; pointers are prefixed with prefix.
// Sorted and de-duplicated like the reference's output.
func validateCompiled(n *node, v any, prefix string) []Violation {
	var buf [8]seg
	r := run{prefix: prefix, path: buf[:0]}
	n.check(&r, v)
	if len(r.out) == 0 {
		return nil
	}
	c := collector{out: r.out}
	return c.finish()
}

// compiler turns the embedded schema documents into nodes.
type compiler struct {
	docs  map[string]any // file name -> decoded document
	nodes map[string]*node
}

func compileNodes() (*compiler, error) {
	c := &compiler{docs: map[string]any{}, nodes: map[string]*node{}}
	entries, err := schemaFS.ReadDir("v1p1")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		b, err := schemaFS.ReadFile("v1p1/" + e.Name())
		if err != nil {
			return nil, err
		}
		var doc any
		if err := json.Unmarshal(b, &doc); err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name(), err)
		}
		c.docs[e.Name()] = doc
	}
	return c, nil
}

// get compiles the schema at file#ptr (ptr a JSON pointer, "" = root).
func (c *compiler) get(file, ptr string) (*node, error) {
	loc := file + "#" + ptr
	if n, ok := c.nodes[loc]; ok {
		return n, nil
	}
	doc, ok := c.docs[file]
	if !ok {
		return nil, fmt.Errorf("%s: no such schema file", loc)
	}
	v := doc
	if ptr != "" {
		for _, tok := range strings.Split(ptr[1:], "/") {
			tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
			switch cur := v.(type) {
			case map[string]any:
				v, ok = cur[tok]
			case []any:
				i, err := strconv.Atoi(tok)
				ok = err == nil && i >= 0 && i < len(cur)
				if ok {
					v = cur[i]
				}
			default:
				ok = false
			}
			if !ok {
				return nil, fmt.Errorf("%s: pointer does not resolve", loc)
			}
		}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: not a schema object", loc)
	}
	n := &node{loc: loc, minLength: -1, minItems: -1}
	if file == "common.json" && strings.HasPrefix(ptr, "/$defs/") && !strings.Contains(ptr[len("/$defs/"):], "/") {
		n.def = ptr[len("/$defs/"):]
	}
	c.nodes[loc] = n // before children: a cycle resolves to this node
	for kw, val := range obj {
		var err error
		switch kw {
		case "$schema", "$id", "title", "description", "$comment", "$defs":
		case "type":
			s, ok := val.(string)
			if !ok || !slices.Contains([]string{"null", "boolean", "number", "string", "array", "object"}, s) {
				err = fmt.Errorf("type %v not supported", val)
			}
			n.typ = s
		case "enum":
			arr, _ := val.([]any)
			n.enum = []string{}
			want := make([]any, 0, len(arr))
			for _, e := range arr {
				s, ok := e.(string)
				if !ok {
					err = fmt.Errorf("non-string enum value %v not supported", e)
				}
				n.enum = append(n.enum, s)
				want = append(want, s)
			}
			n.enumMsg = (&kind.Enum{Want: want}).LocalizedString(message.NewPrinter(language.English))
		case "format":
			n.format, _ = val.(string)
			if n.format != "date" && n.format != "date-time" {
				err = fmt.Errorf("format %v not supported", val)
			}
		case "pattern":
			s, _ := val.(string)
			n.pattern, err = regexp.Compile(s)
		case "minLength", "minItems":
			f, ok := val.(float64)
			if !ok || f < 0 || f != math.Trunc(f) {
				err = fmt.Errorf("%s %v not supported", kw, val)
			}
			if kw == "minLength" {
				n.minLength = int(f)
			} else {
				n.minItems = int(f)
			}
		case "required":
			arr, _ := val.([]any)
			for _, e := range arr {
				s, _ := e.(string)
				n.required = append(n.required, s)
			}
		case "properties":
			m, _ := val.(map[string]any)
			names := make([]string, 0, len(m))
			for k := range m {
				names = append(names, k)
			}
			slices.Sort(names)
			for _, k := range names {
				pn, perr := c.get(file, ptr+"/properties/"+escapeToken(k))
				if perr != nil {
					return nil, perr
				}
				n.props = append(n.props, prop{name: k, n: pn})
			}
		case "items":
			n.items, err = c.get(file, ptr+"/items")
		case "$ref":
			s, _ := val.(string)
			n.ref, err = c.resolve(file, s)
		case "anyOf":
			arr, _ := val.([]any)
			for i := range arr {
				alt, aerr := c.get(file, ptr+"/anyOf/"+strconv.Itoa(i))
				if aerr != nil {
					return nil, aerr
				}
				n.anyOf = append(n.anyOf, alt)
			}
			if n.def != "dateOrDateTime" || n.typ != "string" && obj["type"] != "string" {
				err = fmt.Errorf("anyOf outside dateOrDateTime not supported")
			}
		default:
			err = fmt.Errorf("keyword %q not supported", kw)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", loc, err)
		}
	}
	return n, nil
}

// resolve compiles the target of a $ref found in file.
func (c *compiler) resolve(file, ref string) (*node, error) {
	ref = strings.TrimPrefix(ref, baseURL)
	target, frag, _ := strings.Cut(ref, "#")
	if target == "" {
		target = file
	}
	target = path.Clean(target)
	return c.get(target, frag)
}

// formatOK reports whether s satisfies the format as the reference validator
// asserts it.
func formatOK(format, s string) bool {
	switch format {
	case "date":
		_, err := time.Parse("2006-01-02", s)
		return err == nil
	case "date-time":
		return dateTimeOK(s)
	}
	return true
}

// dateTimeOK is RFC 3339 §5.6 date-time as santhosh-tekuri/jsonschema v6
// asserts it (its validateDateTime/validateTime, Apache-2.0), returning a
// bool.
func dateTimeOK(s string) bool {
	if len(s) < 20 {
		return false
	}
	if s[10] != 't' && s[10] != 'T' {
		return false
	}
	if _, err := time.Parse("2006-01-02", s[:10]); err != nil {
		return false
	}
	str := s[11:]
	if len(str) < 9 {
		return false
	}
	if str[2] != ':' || str[5] != ':' {
		return false
	}
	// str[:8] is "hh:mm:ss" with colons at 2 and 5: three 2-byte tokens.
	var hms [3]int
	for k := range hms {
		i, err := strconv.Atoi(str[3*k : 3*k+2])
		if err != nil || i < 0 {
			return false
		}
		hms[k] = i
	}
	h, m, sec := hms[0], hms[1], hms[2]
	if h > 23 || m > 59 || sec > 60 {
		return false
	}
	str = str[8:]
	if rem, ok := strings.CutPrefix(str, "."); ok {
		numDigits := 0
		for _, ch := range rem {
			if ch >= '0' && ch <= '9' {
				numDigits++
			} else {
				break
			}
		}
		if numDigits == 0 {
			return false
		}
		str = rem[numDigits:]
	}
	if str != "z" && str != "Z" {
		if len(str) != 6 {
			return false
		}
		var sign int
		switch str[0] {
		case '+':
			sign = -1
		case '-':
			sign = +1
		default:
			return false
		}
		str = str[1:]
		if str[2] != ':' {
			return false
		}
		// str is "hh:mm" with the colon at 2.
		var zhm [2]int
		for k := range zhm {
			i, err := strconv.Atoi(str[3*k : 3*k+2])
			if err != nil || i < 0 {
				return false
			}
			zhm[k] = i
		}
		zh, zm := zhm[0], zhm[1]
		if zh > 23 || zm > 59 {
			return false
		}
		hm := (h*60 + m) + sign*(zh*60+zm)
		if hm < 0 {
			hm += 24 * 60
		}
		h, m = hm/60, hm%60
	}
	if sec >= 60 && (h != 23 || m != 59) {
		return false
	}
	return true
}
