package suites

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// The syntax of a Link header, as a strict parser reads it: RFC 8288 §3
// (Link = #link-value; link-value = "<" URI-Reference ">" *( OWS ";" OWS
// link-param )), the list rule of RFC 9110 §5.6.1 (a sender does not
// generate empty list elements), the characters RFC 3986 §2 and §3.4 allow
// in a URI, and OneRoster 1.1 §3.3 ("Filter queries MUST be URL encoded").
// A quote or '=' is a sub-delim that RFC 3986 allows in a query; inside a
// filter value OneRoster wants them encoded (%27, %3D): only the unreserved
// characters of RFC 3986 §2.3 stand for themselves there.
const (
	ruleLinkSyntax = "link.syntax"

	specLinkSyntax = `RFC 8288 §3 (Link = #link-value, "<" URI-Reference ">"); RFC 9110 §5.6.1 (a sender MUST NOT generate empty list elements); RFC 3986 §2, §3.4 (URI characters); OneRoster 1.1 §3.3 ("Filter queries MUST be URL encoded")`
)

func init() {
	RegisterRules(Rule{ruleLinkSyntax, SHOULD,
		"a Link header a strict parser rejects: empty, an empty list element (a trailing ','), a URI with characters RFC 3986 does not allow, a filter not URL-encoded, or a query ending in '&'",
		specLinkSyntax, `send no Link header when there is no link; join link-values with ", " and end with the last; percent-encode the filter (filter=role%3D%27student%27) and every byte RFC 3986 does not allow; end each query with its last parameter`})
}

// linkSyntax returns what a strict RFC 8288 parser trips over in a Link
// header (raw: its values joined by ", "; present: whether the response
// has the field at all), one problem per kind and URI.
func linkSyntax(raw string, present bool) []string {
	if !present {
		return nil
	}
	if strings.TrimSpace(raw) == "" {
		return []string{"the Link header is empty (a response without links sends no Link header)"}
	}
	var out []string
	s := raw
	for n := 0; ; n++ {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			if n > 0 {
				out = append(out, "a ',' follows the last link-value (an empty list element)")
			}
			break
		}
		if s[0] == ',' {
			out = append(out, "an empty list element (two ',' in a row)")
			s = s[1:]
			continue
		}
		if s[0] != '<' {
			out = append(out, fmt.Sprintf("link-value %d does not start with '<': %q", n+1, clip(s, 40)))
			break
		}
		end := strings.IndexByte(s, '>')
		if end < 0 {
			out = append(out, fmt.Sprintf("link-value %d has no closing '>'", n+1))
			break
		}
		out = append(out, uriProblems(s[1:end])...)
		s = s[end+1:]
		// The link-params, up to the ',' that ends the link-value (outside
		// a quoted string).
		quoted, i := false, 0
		for ; i < len(s); i++ {
			if s[i] == '"' {
				quoted = !quoted
			}
			if s[i] == ',' && !quoted {
				break
			}
		}
		if i == len(s) {
			break
		}
		s = s[i+1:]
	}
	return dedupe(out)
}

// linkFilterProblems returns the Link URIs of a filtered response that
// carry the filter unencoded.
func linkFilterProblems(raw string) []string {
	var out []string
	for _, u := range parseLinks(raw) {
		out = append(out, filterProblems(u)...)
	}
	sort.Strings(out)
	return dedupe(out)
}

// uriProblems judges one URI-Reference of a Link header.
func uriProblems(u string) []string {
	var out []string
	for i := 0; i < len(u); i++ {
		c := u[i]
		if c == '%' {
			if i+2 >= len(u) || !isHex(u[i+1]) || !isHex(u[i+2]) {
				out = append(out, fmt.Sprintf("%q: a '%%' not followed by two hex digits (RFC 3986 §2.1)", clip(u, 120)))
				break
			}
			continue
		}
		if !uriByte(c) {
			out = append(out, fmt.Sprintf("%q: byte %q at %d is not allowed in a URI (RFC 3986 §2); percent-encode it", clip(u, 120), c, i))
			break
		}
	}
	_, query, _ := strings.Cut(u, "?")
	query, _, _ = strings.Cut(query, "#")
	if query != "" && (strings.HasSuffix(query, "&") || strings.Contains(query, "&&")) {
		out = append(out, fmt.Sprintf("%q: the query ends in '&' or holds an empty parameter", clip(u, 120)))
	}
	return append(out, filterProblems(u)...)
}

// filterProblems reports a filter parameter of a URI that is not URL-encoded.
func filterProblems(u string) []string {
	_, query, _ := strings.Cut(u, "?")
	query, _, _ = strings.Cut(query, "#")
	var out []string
	for _, part := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(part, "=")
		if dk, err := url.QueryUnescape(k); err != nil || dk != "filter" {
			continue
		}
		// URL-encoded: every byte but the unreserved ones (RFC 3986 §2.3)
		// is a %-escape ('+' a form-encoded space).
		if strings.IndexFunc(v, func(c rune) bool {
			return !(c == '%' || c == '+' || c < 0x80 && uriByte(byte(c)) && strings.IndexByte(":/?#[]@!$&'()*,;=", byte(c)) < 0)
		}) >= 0 {
			out = append(out, fmt.Sprintf("%q: the filter is not URL-encoded (filter=%s); OneRoster 1.1 §3.3: \"Filter queries MUST be URL encoded\"", clip(u, 120), clip(v, 60)))
		}
	}
	return out
}

// uriByte reports whether RFC 3986 allows c unencoded in a URI: unreserved,
// gen-delims and sub-delims.
func uriByte(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("-._~:/?#[]@!$&'()*+,;=", c) >= 0
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func dedupe(ss []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
