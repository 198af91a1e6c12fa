package suites

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rostercheck/rostercheck/internal/client"
)

func TestQueryPredicates(t *testing.T) {
	rec := map[string]any{
		"sourcedId":        "u1",
		"status":           "active",
		"dateLastModified": "2024-03-05T10:20:30.123Z",
		"familyName":       "O'Brien",
		"orgs":             []any{map[string]any{"sourcedId": "o1"}, map[string]any{"sourcedId": "o2"}},
		"class":            map[string]any{"sourcedId": "c1"},
	}
	get := func(f string) []string { return fieldValues(rec, f) }
	cases := []struct {
		f    expr
		fold bool
		want bool
	}{
		{and(pred{"status", "=", "active"}), false, true},
		{and(pred{"status", "!=", "active"}), false, false},
		{and(pred{"email", "!=", "x"}), false, true}, // absent field matches only !=
		{and(pred{"email", "=", "x"}), false, false},
		{and(pred{"dateLastModified", ">=", "2024-03-06T00:20:30.123+14:00"}), false, true}, // the same instant
		{and(pred{"dateLastModified", "<=", "2024-03-04T22:20:30.123-12:00"}), false, true},
		{and(pred{"dateLastModified", "<", "2024-03-05T10:20:30Z"}), false, false}, // .123 is after :30
		{and(pred{"dateLastModified", ">", "2024-03-05"}), false, true},
		{and(pred{"orgs.sourcedId", "=", "o2"}), false, true}, // any element of a GUIDRef array
		{and(pred{"class.sourcedId", "=", "c1"}), false, true},
		{and(pred{"familyName", "=", "o'brien"}), false, false},
		{and(pred{"familyName", "=", "o'brien"}), true, true},
		{and(pred{"familyName", "~", "BRI"}), true, true},
		{or(pred{"sourcedId", "=", "x"}, pred{"sourcedId", "=", "u1"}), false, true},
		{and(pred{"sourcedId", "=", "x"}, pred{"status", "=", "active"}), false, false},
	}
	for _, c := range cases {
		if got := c.f.match(get, c.fold); got != c.want {
			t.Errorf("%s (fold %v) = %v, want %v", c.f, c.fold, got, c.want)
		}
	}
	num := map[string]any{"resultValueMax": "100"}
	if !and(pred{"resultValueMax", ">", "9"}).match(func(f string) []string { return fieldValues(num, f) }, false) {
		t.Error("numbers must compare as numbers: 100 > 9")
	}
}

func TestEncodeFilter(t *testing.T) {
	f := "familyName='O'Brien' AND email='a+b@x.org' AND givenName='Zoë'"
	for _, enc := range []int{encPercent, encLiteral, encVerbatim} {
		raw := encodeFilter(f, enc)
		q, err := url.ParseQuery("filter=" + raw)
		if err != nil || q.Get("filter") != f {
			t.Errorf("encoding %d: %q decodes to %q (%v)", enc, raw, q.Get("filter"), err)
		}
	}
	if got := encodeFilter("a='b c'", encLiteral); got != "a='b+c'" {
		t.Errorf("literal: %q", got)
	}
	if got := encodeFilter("a='b c'", encPercent); got != "a%3D%27b%20c%27" {
		t.Errorf("percent: %q", got)
	}
}

// A tombstone served bare cannot be judged on the fields it does not carry;
// its status still decides.
func TestJudgeBareTombstone(t *testing.T) {
	tomb := map[string]any{"sourcedId": "g1", "status": "tobedeleted", "dateLastModified": "2024-03-05T10:20:30.123Z"}
	get := func(f string) []string { return fieldValues(tomb, f) }
	cases := []struct {
		f    expr
		want int
	}{
		{and(pred{"role", "=", "guardian"}), triUnknown},
		{and(pred{"role", "!=", "guardian"}), triUnknown},
		{and(pred{"status", "=", "active"}, pred{"role", "=", "guardian"}), triFalse},
		{and(pred{"status", "=", "tobedeleted"}), triTrue},
		{or(pred{"role", "=", "guardian"}, pred{"status", "=", "tobedeleted"}), triTrue},
		{or(pred{"role", "=", "guardian"}, pred{"status", "=", "active"}), triUnknown},
	}
	for _, c := range cases {
		if !isTombstone(get) {
			t.Fatal("not read as a tombstone")
		}
		if got := c.f.judge(get, false, true); got != c.want {
			t.Errorf("%s: judge %d, want %d", c.f, got, c.want)
		}
	}
	// Without unknown, judge is match: a record without role matches only !=.
	if got := and(pred{"role", "=", "guardian"}).judge(get, false, false); got != triFalse {
		t.Errorf("role='guardian' on a record without role: %d, want false", got)
	}
	if got := and(pred{"role", "!=", "guardian"}).judge(get, false, false); got != triTrue {
		t.Errorf("role!='guardian' on a record without role: %d, want true", got)
	}
}

// A body that is not UTF-8 is named, and its replacement characters are
// never sent back as filter values.
func TestNotUTF8(t *testing.T) {
	ex := &client.Exchange{Status: 200, ResponseHeader: http.Header{"Content-Type": {"application/json; charset=ISO-8859-1"}},
		Body: []byte(`{"users":[{"givenName":"Jos` + "\xe9" + `"}]}`)}
	p := utf8Problem(ex)
	if !strings.Contains(p, "charset=ISO-8859-1") || !strings.Contains(p, "0xE9 at offset 27") {
		t.Errorf("utf8Problem: %q", p)
	}
	ok := &client.Exchange{Status: 200, ResponseHeader: http.Header{"Content-Type": {"application/json; charset=utf-8"}},
		Body: []byte(`{"users":[{"givenName":"José","familyName":"Nguyễn"}]}`)}
	if p := utf8Problem(ok); p != "" {
		t.Errorf("UTF-8 body: %q", p)
	}
	// A body cut off inside a sequence by the body cap is not judged.
	cut := &client.Exchange{Status: 200, Body: []byte(`{"givenName":"Jos` + "\xc3")}
	if p := utf8Problem(cut); p != "" {
		t.Errorf("truncated body: %q", p)
	}
	var m map[string]any
	_ = json.Unmarshal(ex.Body, &m) // as the walk decodes it: Jos\uFFFD
	cols := newColumns("user")
	cols.add("u1", m["users"].([]any)[0].(map[string]any))
	w := &Walk{Cols: cols}
	if v := pickValue(w, "givenName", func(v string) bool { return !isASCII(v) }); v != "" {
		t.Errorf("pickValue chose %q, a value the provider never sent", v)
	}
	if v := mostCommon(w, "givenName"); v != "" {
		t.Errorf("mostCommon chose %q", v)
	}
}

// What a strict Link parser trips over, and what it accepts.
func TestLinkSyntax(t *testing.T) {
	good := `<http://h/ims/oneroster/v1p1/users?filter=role%3D%27student%27&limit=2&offset=0>; rel="first", <http://h/ims/oneroster/v1p1/users?filter=role%3D%27student%27&limit=2&offset=2>; rel="next"`
	if p := linkSyntax(good, true); len(p) != 0 {
		t.Errorf("good Link: %v", p)
	}
	if p := linkFilterProblems(good); len(p) != 0 {
		t.Errorf("good Link, filter: %v", p)
	}
	if p := linkSyntax("", false); len(p) != 0 {
		t.Errorf("no Link header: %v", p)
	}
	for _, c := range []struct{ raw, want string }{
		{"", "the Link header is empty"},
		{`<http://h/u?limit=2&offset=0>; rel="first",`, "a ',' follows the last link-value"},
		{`<http://h/u?limit=2&offset=0>; rel="first", , <http://h/u?limit=2&offset=2>; rel="next"`, "an empty list element"},
		{`<http://h/u?limit=2&offset=0&>; rel="first"`, "the query ends in '&'"},
		{`<http://h/u?filter=role='student'&limit=2>; rel="first"`, "the filter is not URL-encoded"},
		{`<http://h/u?filter=role%3D'student' AND x&limit=2>; rel="first"`, "is not allowed in a URI"},
		{`<http://h/u?limit=2&offset=%zz>; rel="first"`, "two hex digits"},
	} {
		got := strings.Join(linkSyntax(c.raw, true), " | ")
		if !strings.Contains(got, c.want) {
			t.Errorf("%q: %q, want %q", c.raw, got, c.want)
		}
	}
	if p := linkFilterProblems(`<http://h/u?filter=role='student'&limit=2>; rel="first"`); len(p) != 1 {
		t.Errorf("unencoded filter: %v", p)
	}
}
