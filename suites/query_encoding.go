package suites

import (
	"fmt"
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/rostercheck/rostercheck/internal/client"
)

// The character encoding of JSON responses: RFC 8259 §8.1 requires UTF-8
// between systems that are not part of a closed ecosystem, and defines no
// charset parameter for application/json (RFC 8259 §11: "No 'charset'
// parameter is defined for this registration"). A body in another encoding
// decodes to replacement characters: names a consumer imports wrong, and
// filter values no provider holds.
const (
	ruleNotUTF8 = "encoding.not-utf8"

	specUTF8 = `RFC 8259 §8.1 Character Encoding: "JSON text exchanged between systems that are not part of a closed ecosystem MUST be encoded using UTF-8"`
)

func init() {
	RegisterRules(Rule{ruleNotUTF8, MUST, "a JSON response is not UTF-8: its bytes are not valid UTF-8, or its Content-Type names another charset",
		specUTF8, "encode every response in UTF-8 and send Content-Type: application/json (or charset=utf-8)"})
}

// utf8Problem says what is wrong with the encoding of a response: a
// charset other than UTF-8 in its Content-Type, and the first byte that
// is not UTF-8 (with the bytes around it); "" when it is UTF-8.
func utf8Problem(ex *client.Exchange) string {
	if ex == nil || ex.Err != nil {
		return ""
	}
	var out []string
	if _, params, err := mime.ParseMediaType(ex.ResponseHeader.Get("Content-Type")); err == nil {
		if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
			out = append(out, fmt.Sprintf("Content-Type names charset=%s, want UTF-8", cs))
		}
	}
	if at := invalidUTF8At(ex.Body); at >= 0 {
		lo, hi := max(at-12, 0), min(at+4, len(ex.Body))
		out = append(out, fmt.Sprintf("the body is not valid UTF-8: byte 0x%02X at offset %d (%q); it decodes to U+FFFD replacement characters", ex.Body[at], at, ex.Body[lo:hi]))
	}
	return strings.Join(out, "; ")
}

// invalidUTF8At returns the offset of the first byte of b that does not
// start a valid UTF-8 sequence, or -1. A body cut off by the body cap ends
// in the middle of a sequence at most: its last three bytes are not judged.
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			if !utf8.FullRune(b[i:]) && len(b)-i < utf8.UTFMax {
				return -1
			}
			return i
		}
		i += n
	}
	return -1
}

// probeable reports whether a walked value may be sent back in a filter: a
// value holding U+FFFD is what a non-UTF-8 body decoded to, not a value of
// the provider (the envelope check reports the encoding).
func probeable(v string) bool { return !strings.ContainsRune(v, utf8.RuneError) }
