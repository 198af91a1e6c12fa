package client

import (
	"bytes"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Exchange is the evidence of one request: what was sent (redacted), what
// came back, and how it went.
type Exchange struct {
	ID      uint64
	CheckID string
	// Method and URL are the request as asked for (before redirects). URL
	// has every oauth_* query parameter removed.
	Method, URL string
	// RequestHeader is the header of the last hop actually sent, with the
	// Authorization value replaced by "<scheme> <redacted>".
	RequestHeader http.Header
	RequestBody   []byte
	// Status is 0 when no response was received.
	Status         int
	ResponseHeader http.Header
	// Body is the decoded body, at most MaxBody bytes.
	Body []byte
	// BodyTruncated is true when the body exceeded MaxBody (reading
	// stopped there; Err is ErrBodyTooLarge, and Body keeps only its start).
	BodyTruncated bool
	// BodyRead is the number of body bytes read (up to MaxBody).
	BodyRead int64
	Started  time.Time
	// Duration covers all attempts, redirects and retry waits.
	Duration time.Duration
	// Err is a transport error, a timeout (errors.Is
	// context.DeadlineExceeded), ErrBodyTooLarge, *OffHostRedirectError or
	// *AuthError. A non-2xx status is not an error.
	Err error
	// Redirects lists the same-host Location URLs followed, in order
	// (oauth_* parameters removed).
	Redirects []string
	// Attempts is the number of attempts made (more than one after 429s).
	Attempts int
	// Renewed: the API answered 401 and the request was sent again once
	// with a freshly obtained token.
	Renewed bool
	// Dropped: the provider closed the connection without an answer, on a
	// retry of this request or earlier on a request of the same shape
	// (method, path and query parameter names): a finding, not a restart.
	Dropped bool

	evidenceMax int
	authName    string
}

// EvidenceBody returns at most n bytes of the body (n <= 0: the store's
// Config.EvidenceBody) and whether anything was left out, either here or
// because the body exceeded MaxBody. The cut backs off to a UTF-8 rune
// start. The returned slice aliases Body.
func (e *Exchange) EvidenceBody(n int) (body []byte, truncated bool) {
	if n <= 0 {
		n = e.evidenceMax
		if n <= 0 {
			n = DefaultEvidenceBody
		}
	}
	b := e.Body
	if len(b) <= n {
		return b, e.BodyTruncated
	}
	cut := n
	for i := 0; i < utf8.UTFMax-1 && cut > 0 && !utf8.RuneStart(b[cut]); i++ {
		cut--
	}
	return b[:cut], true
}

// Curl returns a shell command (POSIX sh) that reproduces the first request
// of the exchange. Credentials are never included: Bearer tokens become
// $ROSTERCHECK_TOKEN, Basic credentials $ROSTERCHECK_CLIENT_ID and
// $ROSTERCHECK_CLIENT_SECRET, and an OAuth 1.0a-signed request gets a
// comment saying it must be signed with those. Every literal is
// single-quoted with embedded single quotes escaped; --globoff keeps curl
// from interpreting [] and {} in the URL.
func (e *Exchange) Curl() string {
	var lines []string
	var comments []string
	var args []string

	method := e.Method
	if method == "" {
		method = http.MethodGet
	}
	implied := http.MethodGet
	if e.RequestBody != nil {
		implied = http.MethodPost
	}
	switch {
	case method == http.MethodHead:
		args = append(args, "--head")
	case method != implied:
		args = append(args, "--request "+shellQuote(method))
	}

	keys := make([]string, 0, len(e.RequestHeader))
	for k := range e.RequestHeader {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ck := http.CanonicalHeaderKey(k)
		switch ck {
		case "Authorization":
			v := ""
			if vs := e.RequestHeader[k]; len(vs) > 0 {
				v = vs[0]
			}
			scheme, _, _ := strings.Cut(v, " ")
			switch {
			case e.authName == "oauth1" || strings.EqualFold(scheme, "OAuth"):
				// handled below
			case strings.EqualFold(scheme, "Bearer"):
				args = append(args, `--header "Authorization: Bearer $ROSTERCHECK_TOKEN"`)
			case strings.EqualFold(scheme, "Basic"):
				args = append(args, `--user "$ROSTERCHECK_CLIENT_ID:$ROSTERCHECK_CLIENT_SECRET"`)
			default:
				args = append(args, "--header "+shellQuote("Authorization: "+scheme+" ")+`"$ROSTERCHECK_CREDENTIAL"`)
			}
			continue
		case "Proxy-Authorization", "Cookie":
			comments = append(comments, "# the original request also sent a "+ck+" header (omitted)")
			continue
		}
		for _, v := range e.RequestHeader[k] {
			args = append(args, "--header "+shellQuote(ck+": "+v))
		}
	}
	if e.authName == "oauth1" {
		comments = append(comments,
			"# This request must be OAuth 1.0a-signed (RFC 5849) with consumer key",
			"# $ROSTERCHECK_CLIENT_ID and secret $ROSTERCHECK_CLIENT_SECRET; the",
			"# original signature (timestamp, nonce) is not reusable and is omitted.")
	}

	if e.RequestBody != nil {
		if bytes.IndexByte(e.RequestBody, 0) >= 0 {
			comments = append(comments, "# the request body is binary ("+strconv.Itoa(len(e.RequestBody))+" bytes); save it as request-body.bin")
			args = append(args, "--data-binary @request-body.bin")
		} else {
			args = append(args, "--data-binary "+shellQuote(string(e.RequestBody)))
		}
	}
	args = append(args, shellQuote(e.URL))

	lines = append(lines, comments...)
	var b strings.Builder
	b.WriteString("curl --silent --show-error --globoff")
	for _, a := range args {
		b.WriteString(" \\\n  ")
		b.WriteString(a)
	}
	lines = append(lines, b.String())
	return strings.Join(lines, "\n")
}

// shellQuote single-quotes s for POSIX sh; each embedded single quote
// closes the quoting, is written as \' and reopens it.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
