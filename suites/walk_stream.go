package suites

import (
	"bytes"
	"encoding/json"
)

// pageStream is a collection page whose records are decoded one at a time
// from the raw body, so that a large page never exists as a []any: the
// digest runs every observer on a record before the next is decoded. It
// is used only when the body is valid JSON, an object, and its wrapper
// (the last occurrence of the key, or of the variant key when the key is
// absent) is an array; every other body takes the whole-document path,
// which describes what is wrong with it.
type pageStream struct {
	body       []byte
	start, end int // the wrapper array's bytes
	// statusInfoSet is the decoded top-level "statusInfoSet" member when
	// the page carries one (validated as the envelope validator does).
	statusInfoSet any
	hasStatus     bool
}

// topMember is one top-level member of a JSON object body.
type topMember struct {
	name       string
	start, end int // the value's bytes
}

// streamable returns the stream of a collection body, or nil when the
// body must be decoded whole. variantKey says the wrapper was found under
// the variant key.
func streamable(body []byte, key, variant string) (s *pageStream, variantKey bool) {
	members, ok := topMembers(body)
	if !ok {
		return nil, false
	}
	last := func(name string) (topMember, bool) {
		for i := len(members) - 1; i >= 0; i-- {
			if members[i].name == name {
				return members[i], true
			}
		}
		return topMember{}, false
	}
	m, found := last(key)
	if !found && variant != "" && variant != key {
		m, found = last(variant)
		variantKey = found
	}
	if !found || body[m.start] != '[' {
		return nil, false
	}
	s = &pageStream{body: body, start: m.start, end: m.end}
	if key != "statusInfoSet" {
		if si, ok := last("statusInfoSet"); ok {
			v, err := decodeValue(body[si.start:si.end])
			if err != nil {
				return nil, false
			}
			s.statusInfoSet, s.hasStatus = v, true
		}
	}
	return s, variantKey
}

// each decodes the wrapper's records in order and calls fn on each (the
// body was validated by streamable).
func (s *pageStream) each(fn func(i int, rec any)) error {
	b := s.body[:s.end]
	i := skipSpace(b, s.start+1)
	if b[i] == ']' {
		return nil
	}
	for n := 0; ; n++ {
		var rec any
		rec, i = decodeValid(b, i)
		fn(n, rec)
		i = skipSpace(b, i)
		if b[i] == ']' {
			return nil
		}
		i++ // ','
	}
}

func decodeValue(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

// topMembers lists the members of a body that is one valid JSON object
// (as encoding/json.Valid has it); false for any other body.
func topMembers(b []byte) ([]topMember, bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, false
	}
	var out []topMember
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return out, skipSpace(b, i+1) == len(b)
	}
	for {
		ks := skipSpace(b, i)
		ke := validString(b, ks)
		if ke < 0 {
			return nil, false
		}
		name := decodeString(b[ks:ke])
		i = skipSpace(b, ke)
		if i >= len(b) || b[i] != ':' {
			return nil, false
		}
		vs := skipSpace(b, i+1)
		ve := validEnd(b, vs, 1)
		if ve < 0 {
			return nil, false
		}
		out = append(out, topMember{name: name, start: vs, end: ve})
		i = skipSpace(b, ve)
		switch {
		case i < len(b) && b[i] == ',':
			i++
		case i < len(b) && b[i] == '}':
			return out, skipSpace(b, i+1) == len(b)
		default:
			return nil, false
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// skipJSON returns the index just past the JSON value that starts at
// b[i]; b is valid JSON.
func skipJSON(b []byte, i int) int {
	depth := 0
	for i < len(b) {
		switch c := b[i]; c {
		case '"':
			i++
			for i < len(b) && b[i] != '"' {
				if b[i] == '\\' {
					i++
				}
				i++
			}
			i++
		case '{', '[':
			depth++
			i++
		case '}', ']':
			depth--
			i++
		default:
			if depth == 0 {
				// A literal or number: up to the next delimiter.
				for i < len(b) && !delim(b[i]) {
					i++
				}
				return i
			}
			i++
		}
		if depth == 0 {
			return i
		}
	}
	return i
}

func delim(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', ',', '}', ']', ':':
		return true
	}
	return false
}
