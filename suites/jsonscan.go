package suites

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// A validating scanner for the bodies that are streamed: it accepts
// exactly what encoding/json.Valid accepts (RFC 8259's grammar, strings
// not checked for UTF-8, at most 10,000 nested containers), in one pass
// that also finds the members the streaming readers need. json.Valid
// followed by a second scan was a fifth of a run's CPU on large pages.

// maxJSONDepth is encoding/json's limit on nested containers.
const maxJSONDepth = 10000

// strByte marks the bytes a string's fast loop must stop at: the quote,
// the backslash and the control characters a string may not hold raw.
var strByte = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// validString returns the index just past the JSON string that starts at
// b[i], or -1 when there is none.
func validString(b []byte, i int) int {
	if i >= len(b) || b[i] != '"' {
		return -1
	}
	i++
	for i < len(b) {
		if !strByte[b[i]] {
			i++
			continue
		}
		switch b[i] {
		case '"':
			return i + 1
		case '\\':
			if i+1 >= len(b) {
				return -1
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) {
					return -1
				}
				for _, h := range b[i+2 : i+6] {
					if !isHex(h) {
						return -1
					}
				}
				i += 6
			default:
				return -1
			}
		default: // a raw control character
			return -1
		}
	}
	return -1
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// validNumber returns the index just past the JSON number that starts at
// b[i], or -1.
func validNumber(b []byte, i int) int {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || !isDigit(b[i]) {
			return -1
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return -1
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	return i
}

func validLiteral(b []byte, i int, lit string) int {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}

// validEnd returns the index just past the JSON value that starts at b[i]
// (after any whitespace), or -1 when no valid value starts there; outer
// containers are already open around it. What follows the value is not
// looked at.
func validEnd(b []byte, i, outer int) int {
	var open []byte // the containers open around the value being read
	for {
		// A value starts here.
		i = skipSpace(b, i)
		if i >= len(b) {
			return -1
		}
		switch c := b[i]; {
		case c == '{' || c == '[':
			if outer+len(open) >= maxJSONDepth {
				return -1
			}
			i = skipSpace(b, i+1)
			if i < len(b) && b[i] == c+2 { // '}' is '{'+2, ']' is '['+2
				i++
				break
			}
			open = append(open, c)
			if c == '{' {
				if i = memberName(b, i); i < 0 {
					return -1
				}
			}
			continue
		case c == '"':
			i = validString(b, i)
		case c == '-' || isDigit(c):
			i = validNumber(b, i)
		case c == 't':
			i = validLiteral(b, i, "true")
		case c == 'f':
			i = validLiteral(b, i, "false")
		case c == 'n':
			i = validLiteral(b, i, "null")
		default:
			return -1
		}
		if i < 0 {
			return -1
		}
		// After a value: close containers until one takes another value.
		for {
			if len(open) == 0 {
				return i
			}
			i = skipSpace(b, i)
			if i >= len(b) {
				return -1
			}
			top := open[len(open)-1]
			if b[i] == top+2 {
				open = open[:len(open)-1]
				i++
				continue
			}
			if b[i] != ',' {
				return -1
			}
			i++
			if top == '{' {
				if i = memberName(b, i); i < 0 {
					return -1
				}
			}
			break
		}
	}
}

// memberName reads an object member's name and its colon (whitespace
// around them allowed) and returns where the value may start, or -1.
func memberName(b []byte, i int) int {
	i = validString(b, skipSpace(b, i))
	if i < 0 {
		return -1
	}
	i = skipSpace(b, i)
	if i >= len(b) || b[i] != ':' {
		return -1
	}
	return i + 1
}

// validJSON is encoding/json.Valid, faster.
func validJSON(b []byte) bool {
	i := validEnd(b, 0, 0)
	return i >= 0 && skipSpace(b, i) == len(b)
}

// stringEnd returns the index just past the string that starts at b[i];
// b is valid JSON.
func stringEnd(b []byte, i int) int {
	i++
	for {
		for !strByte[b[i]] {
			i++
		}
		if b[i] == '"' {
			return i + 1
		}
		i += 2 // an escape: its second byte is never the closing quote
	}
}

// decodeValid decodes the value at b[i] (valid JSON, whitespace before it
// allowed) as a json.Decoder with UseNumber decodes it into an any, and
// returns the index just past it. It does not check the grammar again,
// which validEnd already did.
func decodeValid(b []byte, i int) (any, int) {
	i = skipSpace(b, i)
	switch b[i] {
	case '{':
		m := map[string]any{}
		i = skipSpace(b, i+1)
		if b[i] == '}' {
			return m, i + 1
		}
		for {
			ke := stringEnd(b, i)
			name := decodeString(b[i:ke])
			var v any
			v, i = decodeValid(b, skipSpace(b, ke)+1)
			m[name] = v
			i = skipSpace(b, i)
			if b[i] == '}' {
				return m, i + 1
			}
			i = skipSpace(b, i+1) // ','
		}
	case '[':
		a := []any{}
		i = skipSpace(b, i+1)
		if b[i] == ']' {
			return a, i + 1
		}
		for {
			var v any
			v, i = decodeValid(b, i)
			a = append(a, v)
			i = skipSpace(b, i)
			if b[i] == ']' {
				return a, i + 1
			}
			i++ // ','
		}
	case '"':
		e := stringEnd(b, i)
		return decodeString(b[i:e]), e
	case 't':
		return true, i + 4
	case 'f':
		return false, i + 5
	case 'n':
		return nil, i + 4
	default:
		e := validNumber(b, i)
		return json.Number(b[i:e]), e
	}
}

// decodeString decodes a valid JSON string as encoding/json does: bytes
// that are not UTF-8 become U+FFFD, as do lone surrogates.
func decodeString(q []byte) string {
	if bytes.IndexByte(q, '\\') < 0 && utf8.Valid(q) {
		return string(q[1 : len(q)-1])
	}
	var s string
	_ = json.Unmarshal(q, &s)
	return s
}
