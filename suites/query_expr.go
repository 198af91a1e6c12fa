package suites

import (
	"iter"
	"math/big"
	"math/bits"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// pred is one `field op 'value'` term of a OneRoster 1.1 filter, as the
// harness understands it (independently of any provider):
//   - = < <= > >= match when any value at the path does; != when none equals
//     the value (so a record without the field matches only !=);
//   - date and dateTime fields compare as instants, numeric fields as
//     numbers, all others byte-wise; ~ is a substring test;
//   - the case of string values is unspecified by 1.1, so a result is
//     accepted under byte-wise or case-folded comparison (see expr.fold).
type pred struct {
	Field, Op, Value string
}

func (p pred) String() string { return p.Field + p.Op + "'" + p.Value + "'" }

// expr is a filter in disjunctive form: OR of AND groups (AND binds tighter).
type expr struct {
	groups [][]pred
}

func and(ps ...pred) expr { return expr{groups: [][]pred{ps}} }

func or(ps ...pred) expr {
	e := expr{}
	for _, p := range ps {
		e.groups = append(e.groups, []pred{p})
	}
	return e
}

// String renders the filter as a consumer writes it.
func (e expr) String() string {
	var b strings.Builder
	for i, g := range e.groups {
		if i > 0 {
			b.WriteString(" OR ")
		}
		for j, p := range g {
			if j > 0 {
				b.WriteString(" AND ")
			}
			b.WriteString(p.String())
		}
	}
	return b.String()
}

// fields returns the distinct field paths the filter reads.
func (e expr) fields() []string {
	var out []string
	for _, g := range e.groups {
		for _, p := range g {
			if !slices.Contains(out, p.Field) {
				out = append(out, p.Field)
			}
		}
	}
	return out
}

// foldMatters says whether comparing strings case-folded can judge a
// record otherwise than byte-wise: only a ~, or a comparison on a field
// that is neither a date nor a number, folds.
func (e expr) foldMatters() bool {
	for _, g := range e.groups {
		for _, p := range g {
			base := p.Field
			if i := strings.LastIndexByte(base, '.'); i >= 0 {
				base = base[i+1:]
			}
			if p.Op == "~" || !dateFields[base] && !numberFields[base] {
				return true
			}
		}
	}
	return false
}

// bitset marks row indices.
type bitset []uint64

func (b bitset) set(i int) { b[i>>6] |= 1 << (i & 63) }

// each yields the marked indices in order.
func (b bitset) each() iter.Seq[int] {
	return func(yield func(int) bool) {
		for w, word := range b {
			for word != 0 {
				t := bits.TrailingZeros64(word)
				if !yield(w<<6 + t) {
					return
				}
				word &= word - 1
			}
		}
	}
}

// match evaluates the filter on a record's values (get returns the values
// at a path); fold compares strings case-insensitively.
func (e expr) match(get func(string) []string, fold bool) bool {
	for _, g := range e.groups {
		ok := true
		for _, p := range g {
			if !p.match(get(p.Field), fold) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

var dateFields = map[string]bool{"dateLastModified": true, "startDate": true, "endDate": true, "birthDate": true,
	"beginDate": true, "assignDate": true, "dueDate": true, "scoreDate": true}

var numberFields = map[string]bool{"score": true, "resultValueMin": true, "resultValueMax": true}

func (p pred) match(vals []string, fold bool) bool {
	if p.Op == "!=" {
		for _, v := range vals {
			if p.compare(v, fold) == 0 {
				return false
			}
		}
		return true
	}
	for _, v := range vals {
		if p.Op == "~" {
			if fold && strings.Contains(strings.ToLower(v), strings.ToLower(p.Value)) || !fold && strings.Contains(v, p.Value) {
				return true
			}
			continue
		}
		c := p.compare(v, fold)
		if c == incomparableValue {
			continue
		}
		switch p.Op {
		case "=":
			if c == 0 {
				return true
			}
		case ">":
			if c > 0 {
				return true
			}
		case ">=":
			if c >= 0 {
				return true
			}
		case "<":
			if c < 0 {
				return true
			}
		case "<=":
			if c <= 0 {
				return true
			}
		}
	}
	return false
}

const incomparableValue = -9

// compare compares a record value with the predicate's value in the type
// of the field.
func (p pred) compare(v string, fold bool) int {
	base := p.Field
	if i := strings.LastIndexByte(base, '.'); i >= 0 {
		base = base[i+1:]
	}
	switch {
	case dateFields[base]:
		a, ok1 := instant(v)
		b, ok2 := valueInstant(p.Value)
		if !ok1 || !ok2 {
			return incomparableValue
		}
		return a.Compare(b)
	case numberFields[base]:
		a, ok1 := new(big.Float).SetString(v)
		b, ok2 := new(big.Float).SetString(p.Value)
		if !ok1 || !ok2 {
			return incomparableValue
		}
		return a.Cmp(b)
	}
	if fold {
		return strings.Compare(strings.ToLower(v), strings.ToLower(p.Value))
	}
	return strings.Compare(v, p.Value)
}

// filterInstants remembers the instants of the filters' values: a
// predicate is compared with every row of a walk, its value parsed once
// (a run's filters hold a few thousand values at most).
var filterInstants sync.Map // string -> instantOK

type instantOK struct {
	t  time.Time
	ok bool
}

func valueInstant(s string) (time.Time, bool) {
	if v, ok := filterInstants.Load(s); ok {
		r := v.(instantOK)
		return r.t, r.ok
	}
	t, ok := instant(s)
	filterInstants.Store(s, instantOK{t, ok})
	return t, ok
}

// instant parses a date (midnight UTC) or an RFC 3339 dateTime.
func instant(s string) (time.Time, bool) {
	if t, ok := fastInstant(s); ok {
		return t, true
	}
	if len(s) == len("2006-01-02") {
		t, err := time.Parse(time.DateOnly, s)
		return t, err == nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		// A dateTime without a zone is read as UTC: the schema check
		// reports it; the query checks still compare it.
		t, err = time.Parse("2006-01-02T15:04:05.999999999", s)
	}
	return t, err == nil
}

// Encodings of a filter in the query string: consumers differ (SDS's
// examples and Postman write quotes literally; Grade Sync escapes the
// whole expression). A provider must decode all of them alike.
const (
	// encPercent escapes every reserved byte: %27 for quotes, %20 for spaces.
	encPercent = iota
	// encLiteral writes quotes, = > < ~ ! literally and spaces as '+';
	// only bytes that would change the query's meaning are escaped.
	encLiteral
	// encVerbatim is the consumer's own text, spaces as %20 (what a
	// browser or Postman sends for a filter typed as in the seed).
	encVerbatim
)

// encodeFilter renders a filter value for the query string.
func encodeFilter(s string, enc int) string {
	switch enc {
	case encPercent:
		return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' && enc == encLiteral:
			b.WriteByte('+')
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			strings.IndexByte("'=<>~!-_.:@,", c) >= 0:
			b.WriteByte(c)
		default:
			const hex = "0123456789ABCDEF"
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// Three-valued truth of a filter on a record that may not carry a field
// it reads (a tombstone served as sourcedId, status and dateLastModified
// only): such a record can be judged neither right nor wrong on that field.
const (
	triFalse = iota
	triTrue
	triUnknown
)

// judge evaluates the filter with Kleene's three-valued logic when unknown
// is set: a predicate on a field the record does not carry is unknown, AND
// is false when any term is, OR true when any group is. Without unknown it
// is match.
func (e expr) judge(get func(string) []string, fold, unknown bool) int {
	out := triFalse
	for _, g := range e.groups {
		gv := triTrue
		for _, p := range g {
			vals := get(p.Field)
			switch {
			case unknown && len(vals) == 0:
				if gv == triTrue {
					gv = triUnknown
				}
			case !p.match(vals, fold):
				gv = triFalse
			}
			if gv == triFalse {
				break
			}
		}
		switch gv {
		case triTrue:
			return triTrue
		case triUnknown:
			out = triUnknown
		}
	}
	return out
}

// isTombstone reports whether a record's status values say tobedeleted.
func isTombstone(get func(string) []string) bool {
	return slices.Contains(get("status"), "tobedeleted")
}
