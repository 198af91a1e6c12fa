package reports

import (
	"fmt"
	"net/url"
	"strings"
)

// Repro scripts: every failure group carries a POSIX sh script that gets a
// token exactly as the run did (client id and secret form-encoded into the
// Basic header, RFC 6749 §2.3.1; scopes space-separated, RFC 6749 §3.3) and
// then sends the request that showed the problem, printing the status line
// and headers (--include). The secret comes from the environment and the
// script stops when it is unset or when no token comes back.

// urlencFunc is a POSIX sh function that form-encodes its argument as the
// harness does (url.QueryEscape: unreserved bytes kept, space as +).
const urlencFunc = `urlenc() {
  printf '%s' "$1" | od -An -v -tu1 | awk '{ for (i = 1; i <= NF; i++) { c = $i
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 45 || c == 46 || c == 95 || c == 126) printf "%c", c
    else if (c == 32) printf "+"
    else printf "%%%02X", c } }'
}`

// tokenScript is the part of a repro that gets a token into
// $ROSTERCHECK_TOKEN, or a comment when the run's auth needs none or cannot
// be replayed by curl.
func tokenScript(run *Run) string {
	id := ConfigString(run.Config, "client-id")
	tokenURL := run.Target.TokenURL
	var scopes []string
	for _, s := range strings.FieldsFunc(ConfigString(run.Config, "scope"), func(r rune) bool { return r == ',' || r == ' ' }) {
		scopes = append(scopes, s)
	}
	scope := ""
	if len(scopes) > 0 {
		// RFC 6749 §3.3: scopes are space-separated; --data-urlencode encodes the value.
		scope = " \\\n  --data-urlencode " + shQuote("scope="+strings.Join(scopes, " "))
	}
	var b strings.Builder
	switch run.Target.Auth {
	case "oauth2", "oauth2-password", "":
		if tokenURL == "" {
			return "# the run used no token endpoint: set ROSTERCHECK_TOKEN yourself\n: \"${ROSTERCHECK_TOKEN:?set ROSTERCHECK_TOKEN}\"\n"
		}
		b.WriteString(`: "${ROSTERCHECK_CLIENT_SECRET:?set ROSTERCHECK_CLIENT_SECRET to the client secret}"` + "\n")
		if id != "" {
			b.WriteString(`ROSTERCHECK_CLIENT_ID=${ROSTERCHECK_CLIENT_ID:-` + shQuote(id) + "}\n")
		} else {
			b.WriteString(`: "${ROSTERCHECK_CLIENT_ID:?set ROSTERCHECK_CLIENT_ID to the client id}"` + "\n")
		}
		grant := " \\\n  --data grant_type=client_credentials"
		if run.Target.Auth == "oauth2-password" {
			user := ConfigString(run.Config, "username")
			b.WriteString(`: "${ROSTERCHECK_PASSWORD:?set ROSTERCHECK_PASSWORD to the user's password}"` + "\n")
			grant = " \\\n  --data grant_type=password --data-urlencode " + shQuote("username="+user) + ` --data-urlencode "password=$ROSTERCHECK_PASSWORD"`
		}
		b.WriteString(urlencFunc + "\n")
		b.WriteString("# the token request as the run sent it: id and secret form-encoded in Basic (RFC 6749 §2.3.1)\n")
		b.WriteString(`token_response=$(curl --silent --show-error \` + "\n" +
			`  --user "$(urlenc "$ROSTERCHECK_CLIENT_ID"):$(urlenc "$ROSTERCHECK_CLIENT_SECRET")"` + grant + scope + " \\\n  " + shQuote(tokenURL) + ")\n")
		b.WriteString(`ROSTERCHECK_TOKEN=$(printf '%s' "$token_response" | sed -n 's/.*"access_token" *: *"\([^"]*\)".*/\1/p')` + "\n")
		b.WriteString(`if [ -z "$ROSTERCHECK_TOKEN" ]; then printf 'no access_token in the token response: %s\n' "$token_response" >&2; exit 1; fi` + "\n")
	case "bearer":
		b.WriteString(`: "${ROSTERCHECK_TOKEN:?set ROSTERCHECK_TOKEN to the static token the run used}"` + "\n")
	case "oauth1":
		b.WriteString("# OAuth 1.0a signs every request (nonce, timestamp, signature): curl alone cannot replay it.\n")
	case "none":
		b.WriteString("# --auth none: the requests carry no credentials\n")
	}
	return b.String()
}

// tokenVar is what a redacted credential inside a single-quoted curl
// argument becomes: the quote is closed, the token expanded, and reopened.
const tokenVar = `'"$ROSTERCHECK_TOKEN"'`

// GroupRepro returns the repro script of a group, or "" when the run
// recorded no request for it.
func GroupRepro(run *Run, g *FailureGroup) string {
	byID := map[string]*CheckResult{}
	for i := range run.Checks {
		byID[run.Checks[i].ID] = &run.Checks[i]
	}
	evs := groupExchanges(*g, byID)
	if len(evs) == 0 || evs[0].Curl == "" {
		return ""
	}
	e := evs[0].Exchange
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	fmt.Fprintf(&b, "# rostercheck repro: %s", g.Name())
	if g.Title != "" {
		fmt.Fprintf(&b, ": %s", oneLine(g.Title))
	}
	b.WriteString("\n")
	if len(g.Checks) > 0 {
		fmt.Fprintf(&b, "# check %s\n", g.Checks[0].ID)
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, "# the run got: HTTP %d\n", e.Status)
	}
	if e.Method != "" && e.Method != "GET" && e.Method != "HEAD" {
		b.WriteString("# WARNING: this request changes data on the target (" + e.Method + "): run it against a test tenant only.\n")
	}
	b.WriteString("set -eu\n")
	isToken := run.Target.TokenURL != "" && sameEndpoint(e.URL, run.Target.TokenURL)
	if !isToken {
		b.WriteString(tokenScript(run))
	} else {
		b.WriteString("# the finding is about the token endpoint itself: this is the request the run sent there\n")
		if strings.Contains(e.Curl, "$ROSTERCHECK_CLIENT_SECRET") {
			b.WriteString(`: "${ROSTERCHECK_CLIENT_SECRET:?set ROSTERCHECK_CLIENT_SECRET to the client secret}"` + "\n")
		}
		if id := ConfigString(run.Config, "client-id"); id != "" && strings.Contains(e.Curl, "$ROSTERCHECK_CLIENT_ID") {
			b.WriteString(`ROSTERCHECK_CLIENT_ID=${ROSTERCHECK_CLIENT_ID:-` + shQuote(id) + "}\n")
		}
	}
	b.WriteString("# the request that showed it (status line and headers first):\n")
	b.WriteString(replayCurl(e))
	b.WriteString("\n")
	return b.String()
}

// replayCurl turns the run's curl line into one that sends what the run
// sent: --include for the status line, the token where the run put it in a
// query string or a cookie (the recorded line has it redacted or left out).
func replayCurl(e *Exchange) string {
	lines := strings.Split(e.Curl, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "curl ") {
			lines[i] = "curl --include " + strings.TrimPrefix(l, "curl ")
			break
		}
	}
	c := strings.Join(lines, "\n")
	c = strings.ReplaceAll(c, Redacted, tokenVar)
	c = strings.ReplaceAll(c, url.QueryEscape(Redacted), tokenVar)
	if ck, ok := headerValue(e.RequestHeaders, "Cookie"); ok && strings.Contains(c, "Cookie header (omitted)") {
		var lines []string
		for _, l := range strings.Split(c, "\n") {
			if !strings.Contains(l, "Cookie header (omitted)") {
				lines = append(lines, l)
			}
		}
		c = strings.Join(lines, "\n") + " \\\n  --header " + strings.ReplaceAll(shQuote("Cookie: "+ck), Redacted, tokenVar)
	}
	return c
}

func headerValue(h map[string]string, name string) (string, bool) {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// sameEndpoint reports whether two URLs name the same scheme, host and path.
func sameEndpoint(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	if err1 != nil || err2 != nil {
		return false
	}
	return ua.Scheme == ub.Scheme && ua.Host == ub.Host && strings.TrimRight(ua.Path, "/") == strings.TrimRight(ub.Path, "/")
}
