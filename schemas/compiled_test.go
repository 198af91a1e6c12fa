package schemas

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"
)

// replacements are the values every position of every sample record is set
// to in turn: each JSON type, the edge cases of each keyword the schemas use
// (empty strings, enum near-misses, dates and dateTimes the pattern accepts
// but the format rejects and the reverse, leap seconds, zone offsets), and
// values that are not JSON at all.
var replacements = []any{
	nil, true, false, 0.0, 1.5, -3.0, json.Number("7"), math.NaN(), math.Inf(1),
	"", "x", "true", "false", "TRUE", "active", "tobedeleted", "Active", "student", "org", "teacher",
	"2024", "24", "２０２４", "2024-08-15", "2024-02-30", "2024-13-01", "2024-8-15", "２０２４-08-15",
	"2024-08-15T10:21:07Z", "2024-08-15T10:21:07", "2024-08-15T10:21", "2024-08-15 10:21:07Z",
	"2024-08-15t10:21:07z", "2024-08-15T10:21:07.5Z", "2024-08-15T10:21:07.Z", "2024-08-15T10:21:07+02:00",
	"2024-08-15T10:21:07+2:00", "2024-08-15T10:21:07+24:00", "2024-08-15T10:21:07-00:60",
	"2024-06-30T23:59:60Z", "2024-06-30T22:59:60-01:00", "2024-06-30T10:59:60Z", "2024-08-15T25:21:07Z",
	"2024-08-15T+1:21:07Z", "2024-08-15T10:21:07+02:00 ", "ü" + strings.Repeat("ä", 70),
	"success", "warning", "error", "unsupported",
	[]any{}, []any{"a"}, []any{1.0}, []any{nil},
	[]any{map[string]any{"href": "/x", "sourcedId": "x", "type": "org"}},
	[]any{map[string]any{"href": 1.0, "sourcedId": "", "type": "nope"}},
	[]any{map[string]any{}},
	map[string]any{}, map[string]any{"href": "/x", "sourcedId": "x", "type": "org"},
	map[string]any{"sourcedId": nil, "type": 3.0},
	map[string]string{"not": "json"}, []string{"nor", "this"}, struct{}{},
}

// positions lists the JSON pointers (as token paths) of every value in v.
func positions(v any, path []string, out *[][]string) {
	*out = append(*out, slices.Clone(path))
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			positions(v[k], append(path, k), out)
		}
	case []any:
		for i, e := range v {
			positions(e, append(path, fmt.Sprint(i)), out)
		}
	}
}

// mutate returns a deep copy of v with the value at path replaced by repl,
// or deleted when del.
func mutate(v any, path []string, repl any, del bool) any {
	if len(path) == 0 {
		return repl
	}
	switch v := v.(type) {
	case map[string]any:
		c := make(map[string]any, len(v))
		for k, e := range v {
			c[k] = e
		}
		if len(path) == 1 && del {
			delete(c, path[0])
			return c
		}
		c[path[0]] = mutate(v[path[0]], path[1:], repl, del)
		return c
	case []any:
		c := slices.Clone(v)
		var i int
		fmt.Sscan(path[0], &i)
		if len(path) == 1 && del {
			return slices.Delete(c, i, i+1)
		}
		c[i] = mutate(v[i], path[1:], repl, del)
		return c
	}
	return v
}

func compareBoth(t *testing.T, s schema, v any, what string) (nViolations int) {
	t.Helper()
	got := validateCompiled(s.fast, v, "/p")
	want := validateRef(s.ref, v, "/p")
	if err := oracleDiff(got, want); err != nil {
		t.Errorf("%s: %v\ncompiled:  %+v\nreference: %+v", what, err, got, want)
	}
	return len(want)
}

// TestCompiledMatchesReference is the equivalence proof of the compiled
// validator over the samples: every position of every valid sample record,
// deleted or replaced by every value of replacements, validates to exactly
// the violations the reference validator reports.
func TestCompiledMatchesReference(t *testing.T) {
	c, err := load()
	if err != nil {
		t.Fatal(err)
	}
	cases, failing := 0, 0
	for _, entity := range Entities {
		s := c.entities[entity]
		rec := any(sample(t, entity))
		var ps [][]string
		positions(rec, nil, &ps)
		for _, p := range ps {
			if len(p) > 0 {
				cases++
				if compareBoth(t, s, mutate(rec, p, nil, true), fmt.Sprintf("%s without /%s", entity, strings.Join(p, "/"))) > 0 {
					failing++
				}
			}
			for _, r := range replacements {
				cases++
				if compareBoth(t, s, mutate(rec, p, r, false), fmt.Sprintf("%s /%s = %#v", entity, strings.Join(p, "/"), r)) > 0 {
					failing++
				}
			}
		}
		// Two mutations at once, so that violations at several pointers
		// (and duplicates from base and entity properties) are sorted alike.
		for i := 0; i+1 < len(ps); i += 2 {
			m := mutate(mutate(rec, ps[i+1], 5.0, false), ps[i], "", false)
			compareBoth(t, s, m, fmt.Sprintf("%s double mutation %v %v", entity, ps[i], ps[i+1]))
		}
	}
	for _, v := range []any{
		decode(t, `{"statusInfoSet":[]}`), decode(t, `{"statusInfoSet":[{"imsx_codeMajor":"x"}]}`),
		decode(t, `{}`), decode(t, `[]`), decode(t, `{"statusInfoSet":[{"imsx_codeMajor":"failure","imsx_severity":"error","imsx_codeMinor":1}]}`),
	} {
		cases++
		compareBoth(t, c.statusInfoSet, v, fmt.Sprint("statusInfoSet ", v))
		compareBoth(t, c.statusInfoArray, v, fmt.Sprint("statusInfoArray ", v))
	}
	if failing < cases/2 {
		t.Fatalf("only %d of %d mutations are invalid: the comparison proves little", failing, cases)
	}
	t.Logf("%d mutated records compared, %d of them invalid", cases, failing)
}

// FuzzCompiledMatchesReference compares both validators on arbitrary JSON
// validated as each entity.
func FuzzCompiledMatchesReference(f *testing.F) {
	for _, s := range validSamples {
		f.Add(s)
	}
	f.Add(`{"sourcedId":"","status":"x","dateLastModified":"2024-06-30T23:59:60+00:30","orgs":[]}`)
	c, err := load()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var v any
		if json.Unmarshal([]byte(in), &v) != nil {
			return
		}
		for _, entity := range Entities {
			compareBoth(t, c.entities[entity], v, entity+" "+in)
		}
	})
}

// TestOracleDiff: the oracle reports a difference, and only a difference.
func TestOracleDiff(t *testing.T) {
	a := []Violation{{Pointer: "/a", Message: "m"}}
	if oracleDiff(a, slices.Clone(a)) != nil || oracleDiff(nil, nil) != nil {
		t.Fatal("equal outputs reported as different")
	}
	for _, b := range [][]Violation{nil, {{Pointer: "/a", Message: "m", Def: "date"}}, append(slices.Clone(a), a[0])} {
		if oracleDiff(a, b) == nil {
			t.Errorf("%v vs %v: no difference reported", a, b)
		}
	}
}

// BenchmarkValidateReferenceUsers is BenchmarkValidateCollectionUsers with
// the reference validator, the figure before the compiled one.
func BenchmarkValidateReferenceUsers(b *testing.B) {
	const n = 5000
	raw, err := json.Marshal(map[string]any{"users": makeUsers(n)})
	if err != nil {
		b.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		b.Fatal(err)
	}
	s, err := entitySchema("user")
	if err != nil {
		b.Fatal(err)
	}
	recs := doc["users"].([]any)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, r := range recs {
			if v := validateRef(s.ref, r, "/users/0"); len(v) != 0 {
				b.Fatal(v)
			}
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
