// Package oauth1 is the harness-side RFC 5849 (OAuth 1.0a) request signer.
//
// It exists instead of github.com/dghubble/oauth1 because a conformance
// harness needs things that library cannot do: omit oauth_token entirely
// (OneRoster 1.1 two-legged signing), sign every value of a repeated query
// key, place the OAuth parameters in the query string, inject the clock and
// the nonce (skew and replay probes) and expose the signature base string as
// evidence.
//
// Only query parameters are signed: OneRoster request bodies are JSON, never
// application/x-www-form-urlencoded, so RFC 5849 §3.4.1.3.1 body parameters
// never apply.
package oauth1

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Method is an OAuth 1.0a signature method name, as sent in
// oauth_signature_method.
type Method string

// Supported signature methods.
const (
	HMACSHA1   Method = "HMAC-SHA1"
	HMACSHA256 Method = "HMAC-SHA256"
	// HMACSHA2 is a name some OneRoster providers accept as a synonym for
	// HMAC-SHA256; it is signed with SHA-256 and sent verbatim.
	HMACSHA2 Method = "HMAC-SHA2"
)

// Placement says where the OAuth protocol parameters are sent.
type Placement int

const (
	// Header sends them in an "Authorization: OAuth ..." header (RFC 5849 §3.5.1).
	Header Placement = iota
	// Query appends them to the request URI query (RFC 5849 §3.5.3).
	Query
)

// String returns "header" or "query".
func (p Placement) String() string {
	switch p {
	case Header:
		return "header"
	case Query:
		return "query"
	default:
		return "Placement(" + strconv.Itoa(int(p)) + ")"
	}
}

// Signer signs outgoing requests. The zero value is not usable: ConsumerKey
// and Method are required. A Signer is safe for concurrent use as long as its
// fields are not modified and Now/Nonce are safe for concurrent use.
type Signer struct {
	ConsumerKey, ConsumerSecret string
	// Method is the signature method. It is required: an empty Method is an
	// error, no default is assumed.
	Method Method
	// Token is nil to omit oauth_token entirely (OneRoster two-legged); a
	// non-nil pointer sends it, even when it points at "".
	Token *string
	// Placement is Header (default) or Query.
	Placement Placement
	// Now defaults to time.Now.
	Now func() time.Time
	// Nonce defaults to 16 random bytes, hex-encoded.
	Nonce func() string
	// Realm is sent in the header only and is never signed.
	Realm string
}

// Sign adds the OAuth protocol parameters, including oauth_signature, to req
// (as an Authorization header or in the URL query, per Placement) and returns
// the signature base string as evidence.
//
// With Query placement any oauth_* parameters already in the query are
// removed first, so signing the same request twice (a redirect hop) does not
// duplicate them. With Header placement the query is signed as is.
func (s *Signer) Sign(req *http.Request) (baseString string, err error) {
	if s == nil {
		return "", errors.New("oauth1: nil Signer")
	}
	if req == nil || req.URL == nil {
		return "", errors.New("oauth1: nil request or request URL")
	}
	if s.ConsumerKey == "" {
		return "", errors.New("oauth1: empty consumer key")
	}
	h, err := s.hashFunc()
	if err != nil {
		return "", err
	}
	switch s.Placement {
	case Header, Query:
	default:
		return "", fmt.Errorf("oauth1: unknown placement %d", int(s.Placement))
	}

	// Work on a copy of the URL: req.URL is replaced only on success.
	u := *req.URL
	if s.Placement == Query {
		u.RawQuery = StripOAuthParams(u.RawQuery)
	}
	if _, err := parseQuery(u.RawQuery); err != nil {
		return "", fmt.Errorf("oauth1: cannot normalize query: %w", err)
	}
	if req.Host != "" && !strings.EqualFold(req.Host, u.Host) {
		// The server sees the Host header; sign what it will reconstruct.
		u.Host = req.Host
	}

	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	nonce := defaultNonce
	if s.Nonce != nil {
		nonce = s.Nonce
	}
	params := map[string]string{
		"oauth_consumer_key":     s.ConsumerKey,
		"oauth_nonce":            nonce(),
		"oauth_signature_method": string(s.Method),
		"oauth_timestamp":        strconv.FormatInt(now().Unix(), 10),
		"oauth_version":          "1.0",
	}
	if s.Token != nil {
		params["oauth_token"] = *s.Token
	}

	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	baseString = BaseString(method, &u, params)
	params["oauth_signature"] = signature(h, s.ConsumerSecret, "", baseString)

	switch s.Placement {
	case Header:
		if req.Header == nil {
			req.Header = make(http.Header)
		}
		req.Header.Set("Authorization", headerValue(s.Realm, params))
	case Query:
		nu := *req.URL
		nu.RawQuery = StripOAuthParams(nu.RawQuery)
		enc := encodeSorted(params)
		if nu.RawQuery == "" {
			nu.RawQuery = enc
		} else {
			nu.RawQuery += "&" + enc
		}
		nu.ForceQuery = false
		req.URL = &nu
	}
	return baseString, nil
}

func (s *Signer) hashFunc() (func() hash.Hash, error) {
	switch s.Method {
	case HMACSHA1:
		return sha1.New, nil
	case HMACSHA256, HMACSHA2:
		return sha256.New, nil
	case "":
		return nil, errors.New("oauth1: signature method not set")
	default:
		return nil, fmt.Errorf("oauth1: unsupported signature method %q", string(s.Method))
	}
}

// signature computes the RFC 5849 §3.4.2 HMAC signature, base64-encoded
// (not yet percent-encoded).
func signature(h func() hash.Hash, consumerSecret, tokenSecret, base string) string {
	key := PercentEncode(consumerSecret) + "&" + PercentEncode(tokenSecret)
	m := hmac.New(h, []byte(key))
	m.Write([]byte(base))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func defaultNonce() string {
	var b [16]byte
	// crypto/rand.Read never returns an error (Go 1.24+).
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func headerValue(realm string, params map[string]string) string {
	var b strings.Builder
	b.WriteString("OAuth ")
	if realm != "" {
		b.WriteString(`realm="`)
		b.WriteString(PercentEncode(realm))
		b.WriteString(`", `)
	}
	keys := sortedKeys(params)
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(PercentEncode(k))
		b.WriteString(`="`)
		b.WriteString(PercentEncode(params[k]))
		b.WriteByte('"')
	}
	return b.String()
}

func encodeSorted(params map[string]string) string {
	keys := sortedKeys(params)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, PercentEncode(k)+"="+PercentEncode(params[k]))
	}
	return strings.Join(parts, "&")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// StripOAuthParams removes every oauth_* parameter (by decoded name) from a
// raw query, keeping the other segments byte for byte.
func StripOAuthParams(rawQuery string) string {
	if rawQuery == "" {
		return ""
	}
	segs := strings.Split(rawQuery, "&")
	kept := segs[:0]
	for _, seg := range segs {
		name, _, _ := strings.Cut(seg, "=")
		if dn, err := url.QueryUnescape(name); err == nil {
			name = dn
		}
		if strings.HasPrefix(name, "oauth_") {
			continue
		}
		kept = append(kept, seg)
	}
	return strings.Join(kept, "&")
}

type pair struct{ k, v string }

// parseQuery decodes a raw query the way url.ParseQuery does ('+' is a
// space, every value of a repeated key kept, empty segments skipped) but
// splits on '&' only: RFC 5849 §3.4.1.3.1 uses application/x-www-form-
// urlencoded, where ';' is an ordinary character. On a malformed escape it
// returns the pairs decoded so far plus the first error; the offending
// segment is kept verbatim (undecoded).
func parseQuery(rawQuery string) ([]pair, error) {
	var out []pair
	var firstErr error
	for rawQuery != "" {
		var seg string
		seg, rawQuery, _ = strings.Cut(rawQuery, "&")
		if seg == "" {
			continue
		}
		k, v, _ := strings.Cut(seg, "=")
		dk, err1 := url.QueryUnescape(k)
		dv, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			if firstErr == nil {
				if err1 != nil {
					firstErr = err1
				} else {
					firstErr = err2
				}
			}
			if err1 != nil {
				dk = k
			}
			if err2 != nil {
				dv = v
			}
		}
		out = append(out, pair{dk, dv})
	}
	return out, firstErr
}

// BaseString builds the RFC 5849 §3.4.1 signature base string:
//
//	METHOD&enc(base URI)&enc(normalized parameters)
//
// The base URI is u with scheme and host lower-cased, the default port (80
// for http, 443 for https) dropped, and no query or fragment. The
// parameters are every query parameter of u (all values of repeated keys,
// '+' decoded as a space) plus oauthParams, excluding oauth_signature and
// realm; names and values are percent-encoded, then sorted by name and then
// by value. A query segment with a malformed escape is used undecoded.
func BaseString(method string, u *url.URL, oauthParams map[string]string) string {
	if u == nil {
		u = &url.URL{}
	}
	var params []pair
	qp, _ := parseQuery(u.RawQuery)
	for _, p := range qp {
		if p.k == "oauth_signature" {
			continue
		}
		params = append(params, pair{PercentEncode(p.k), PercentEncode(p.v)})
	}
	for k, v := range oauthParams {
		if k == "oauth_signature" || k == "realm" {
			continue
		}
		params = append(params, pair{PercentEncode(k), PercentEncode(v)})
	}
	sort.Slice(params, func(i, j int) bool {
		if params[i].k != params[j].k {
			return params[i].k < params[j].k
		}
		return params[i].v < params[j].v
	})
	var norm strings.Builder
	for i, p := range params {
		if i > 0 {
			norm.WriteByte('&')
		}
		norm.WriteString(p.k)
		norm.WriteByte('=')
		norm.WriteString(p.v)
	}
	return strings.ToUpper(method) + "&" + PercentEncode(baseURI(u)) + "&" + PercentEncode(norm.String())
}

func baseURI(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Host)
	if port := u.Port(); port != "" {
		if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
			host = strings.TrimSuffix(host, ":"+port)
		}
	}
	path := u.EscapedPath()
	if u.Opaque != "" {
		path = u.Opaque
	}
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path
}

// PercentEncode encodes s per RFC 5849 §3.6: every byte except the RFC 3986
// unreserved characters (ALPHA, DIGIT, '-', '.', '_', '~') becomes %XX with
// upper-case hex digits.
func PercentEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hexDigits[c>>4], hexDigits[c&15])
	}
	return string(b)
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}
