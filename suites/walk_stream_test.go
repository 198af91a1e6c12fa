package suites

import (
	"context"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/rostercheck/rostercheck/fixtures/defects"
	"github.com/rostercheck/rostercheck/internal/client"
	"github.com/rostercheck/rostercheck/suites/catalogue"
)

// digestsAgree digests ex both ways (record by record, and from the whole
// decoded document) and fails when the digests differ in anything.
func digestsAgree(t *testing.T, e *Env, ex *client.Exchange, ep catalogue.Endpoint, what string) (streamed bool) {
	t.Helper()
	_, _, st := e.readPageStream(ex, ep.Key, ep.VariantKey())
	for _, o := range []digestOpts{{}, {keepRefs: true}, {lite: true}} {
		got := e.digestPageBy(ex, ep, o, true)
		want := e.digestPageBy(ex, ep, o, false)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s (opts %+v, streamed %v): streamed digest differs from the whole-document one\n got: %+v\nwant: %+v", what, o, st != nil, got, want)
		}
	}
	return st != nil
}

// The streaming digest of a page gives exactly the digest of the
// whole-document path, on every endpoint of the reference provider and
// under the catalogued defects of body shape and record content.
func TestStreamedDigestMatchesWholePage(t *testing.T) {
	names := []string{"", "subtype-wrapper", "wrong-content-type", "html-content-type", "null-optional", "json-booleans",
		"guidref-typo", "guidref-wrong-type", "bad-date", "malformed-json", "latin1-body", "duplicate-sourcedid",
		"empty-result-object", "empty-result-null", "bad-userflag", "no-millis", "status-case", "partial-tombstones",
		"href-no-base", "phone-not-e164", "username-at", "empty-identifier", "local-times", "huge-body"}
	for _, n := range names {
		if _, ok := defects.Lookup(n); n != "" && !ok {
			t.Fatalf("no defect %q", n)
		}
	}
	streamed := 0
	for _, name := range names {
		e, _ := testEnv(t, smallProvider(t, name), 100, 2)
		e.MaxViolations, e.Samples = 50, 3
		for _, ep := range catalogue.Endpoints {
			if !ep.TopLevel() {
				continue
			}
			for _, q := range []string{"limit=100&offset=0", "limit=5000&offset=0"} {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				ex := e.get(ctx, "t", e.BaseURL+ep.Path+"?"+q)
				cancel()
				if digestsAgree(t, e, ex, ep, name+" "+ep.Path+"?"+q) {
					streamed++
				}
			}
		}
	}
	if streamed == 0 {
		t.Fatal("no page was streamed")
	}
}

// Hostile and unusual bodies: wrapper variants, duplicate keys, escaped
// names, statusInfoSet, non-arrays, trailing data, invalid UTF-8, lone
// arrays and records that are not objects digest as the whole document
// does; the well-formed ones are streamed.
func TestStreamedDigestHostileBodies(t *testing.T) {
	e := &Env{MaxViolations: 5, Samples: 3, PageSize: 100}
	ep, ok := catalogue.Lookup("/users")
	if !ok {
		t.Fatal("no /users endpoint")
	}
	rec := `{"sourcedId":"u1","status":"active","dateLastModified":"2020-01-01T00:00:00Z","username":"a","enabledUser":"true","givenName":"A","familyName":"B","role":"student","orgs":[{"href":"x","sourcedId":"o1","type":"org"}],"grades":["09"]}`
	bad := `{"sourcedId":"u2","status":"bogus","role":7,"orgs":"none","x":"]}[{\"users\":"}`
	bodies := map[string]bool{ // body -> want streamed
		`{"users":[` + rec + `,` + bad + `]}`:                                                                    true,
		` {"users" : [ ` + rec + ` ] , "statusInfoSet" : [ {"imsx_codeMajor":1} ] } `:                            true,
		`{"statusInfoSet":[],"users":[` + bad + `,` + bad + `,` + bad + `,` + bad + `,` + bad + `,` + bad + `]}`: true,
		`{"users":[1,"two",null,[],` + rec + `]}`:                                                                true,
		`{"user":[` + rec + `]}`:                                                                                 ep.VariantKey() != "",
		`{"user":[` + bad + `],"users":[` + rec + `]}`:                                                           true,
		`{"users":[` + bad + `],"users":[` + rec + `]}`:                                                          true,
		`{"users":[` + rec + `],"users":null}`:                                                                   false,
		`{"us\u0065rs":[` + rec + `]}`:                                                                           true,
		`{"users":{}}`:                                                                                           false,
		`{"users":null}`:                                                                                         false,
		`{"other":[]}`:                                                                                           false,
		`{"users":[]}`:                                                                                           true,
		`{"users":[]}{}`:                                                                                         false,
		`{"users":[]}]`:                                                                                          false,
		`[` + rec + `]`:                                                                                          false,
		`"users"`:                                                                                                false,
		`{"users":[` + rec[:40]:                                                                                  false,
		"{\"users\":[{\"sourcedId\":\"u\xff\",\"givenName\":\"\xc3\"}]}":                                         true,
		"": false,
		`{"users":[{"sourcedId":"a\"b\\","n":-1.5e3,"t":true,"f":false,"z":null}]}`: true,
	}
	for body, want := range bodies {
		for _, ct := range []string{"application/json", "text/html"} {
			ex := &client.Exchange{Method: "GET", URL: "http://127.0.0.1/ims/oneroster/v1p1/users", Status: 200,
				ResponseHeader: http.Header{"Content-Type": {ct}, "X-Total-Count": {"2"}}, Body: []byte(body)}
			if got := digestsAgree(t, e, ex, ep, body); got != want {
				t.Errorf("%q: streamed %v, want %v", body, got, want)
			}
		}
	}
}
