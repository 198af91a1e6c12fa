package suites

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// jsonEdges are bodies at the edges of the grammar, each judged by
// validJSON and topMembers as encoding/json.Valid judges it.
var jsonEdges = []string{
	``, ` `, `{}`, ` { } `, `[]`, `[ ]`, `{"a":1}`, `{"a" : [ 1 , 2 ] }`, `{"a":1,}`, `{,"a":1}`, `{"a" 1}`,
	`{"a":}`, `{"a"}`, `{a:1}`, `{'a':1}`, `{"a":1}}`, `{"a":1} x`, `{"a":1}` + "\n\t\r ", `{"a":1}{}`,
	`[1,]`, `[,1]`, `[1 2]`, `[[]`, `[]]`, `{"a":[}`, `{"a":{]}`, `["a":1]`, `{"a":1,"a":2}`,
	`0`, `-0`, `-`, `01`, `-01`, `1.`, `.5`, `1.5`, `1e`, `1e+`, `1e+5`, `1E-05`, `1.5e3`, `-1.0e-0`, `1ee5`, `+1`,
	`1.e5`, `0x10`, `1_000`, `NaN`, `Infinity`, `true`, `false`, `null`, `tru`, `nul`, `truex`, `[true,false,null]`,
	`[truefalse]`, `TRUE`, `[nulll]`,
	`""`, `"a`, `"\"`, `"\\"`, `"\/\b\f\n\r\t"`, `"\u00e9"`, `"\u00E9"`, `"\u00g9"`, `"\u00e"`, `"\x41"`, `"\a"`,
	"\"\x01\"", "\"\x1f\"", "\"\x7f\"", "\"tab\there\"", "\"\xff\xfe\"", "\"é\"", "\"\\\"", `"\u`, `"\u12`,
	`{"\u0061":1}`, `{"a\"b":1}`, "{\"a\x00\":1}", "\xef\xbb\xbf{}", "{}\x00", "\x00{}", "\v{}", "\f{}",
	`{"users":[{"sourcedId":"1"},{"sourcedId":"2"}]}`, `{"users":[{"sourcedId":"1"},]}`,
	`{"users":[{"sourcedId":"1"} {"sourcedId":"2"}]}`, `{"users":"x","statusInfoSet":[]}`,
}

func nested(open, close string, n int, inner string) string {
	return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
}

func TestValidJSONAgreesWithEncodingJSON(t *testing.T) {
	bodies := append([]string{}, jsonEdges...)
	// encoding/json's nesting limit, counted the same way at the top and
	// below an object's member.
	for _, n := range []int{9999, 10000, 10001} {
		bodies = append(bodies,
			nested("[", "]", n, ""), nested("[", "]", n, "1"), nested(`{"a":`, "}", n, "1"),
			`{"a":`+nested("[", "]", n-1, "")+`}`, `{"a":`+nested("[", "]", n, "")+`}`,
			`{"a":`+nested(`{"b":`, "}", n-1, "2")+`}`)
	}
	// Random documents, then each broken at random: the bytes that matter
	// to the grammar are inserted, deleted and replaced.
	rng := rand.New(rand.NewPCG(7, 11))
	const alphabet = "{}[]:,\"\\ \t\n0123456789-+.eEtrufalsn/bu\x00\x1f\xc3\xa9x"
	for range 4000 {
		doc, _ := json.Marshal(randomValue(rng, 0))
		if rng.IntN(2) == 0 {
			doc, _ = json.MarshalIndent(json.RawMessage(doc), "", " ")
		}
		bodies = append(bodies, string(doc))
		for range 5 {
			b := []byte(string(doc))
			for range 1 + rng.IntN(3) {
				if len(b) == 0 {
					break
				}
				p := rng.IntN(len(b))
				c := alphabet[rng.IntN(len(alphabet))]
				switch rng.IntN(3) {
				case 0:
					b = append(b[:p], b[p+1:]...)
				case 1:
					b = append(b[:p], append([]byte{c}, b[p:]...)...)
				default:
					b[p] = c
				}
			}
			bodies = append(bodies, string(b))
		}
	}
	valid, invalid := 0, 0
	for _, s := range bodies {
		b := []byte(s)
		want := json.Valid(b)
		if got := validJSON(b); got != want {
			t.Fatalf("validJSON(%.200q) = %v, encoding/json.Valid says %v", s, got, want)
		}
		var top map[string]json.RawMessage
		isObject := want && json.Unmarshal(b, &top) == nil && top != nil
		members, ok := topMembers(b)
		if ok != isObject {
			t.Fatalf("topMembers(%.200q) ok = %v, want %v", s, ok, isObject)
		}
		if ok {
			// The last of each name is the member encoding/json keeps.
			last := map[string]string{}
			for _, m := range members {
				last[m.name] = s[m.start:m.end]
			}
			if len(last) != len(top) {
				t.Fatalf("topMembers(%.200q): %d names, encoding/json has %d", s, len(last), len(top))
			}
			for k, v := range top {
				if last[k] != string(v) {
					t.Fatalf("topMembers(%.200q): member %q is %q, encoding/json has %q", s, k, last[k], v)
				}
			}
		}
		if want {
			valid++
		} else {
			invalid++
		}
	}
	// Both kinds are exercised in numbers.
	if valid < 4000 || invalid < 4000 {
		t.Fatalf("only %d valid and %d invalid bodies were compared", valid, invalid)
	}
}

func randomValue(rng *rand.Rand, depth int) any {
	k := rng.IntN(8)
	if depth > 3 {
		k %= 5
	}
	switch k {
	case 0:
		return nil
	case 1:
		return rng.IntN(2) == 0
	case 2:
		return rng.NormFloat64() * float64(rng.IntN(100000))
	case 3:
		return rng.IntN(1000) - 500
	case 4:
		return randomString(rng)
	case 5, 6:
		m := map[string]any{}
		for range rng.IntN(4) {
			m[randomString(rng)+"k"] = randomValue(rng, depth+1)
		}
		return m
	default:
		a := make([]any, rng.IntN(4))
		for i := range a {
			a[i] = randomValue(rng, depth+1)
		}
		return a
	}
}

// FuzzValidJSON runs its seeds in every go test; `go test -fuzz
// FuzzValidJSON ./suites/` searches further.
func FuzzValidJSON(f *testing.F) {
	for _, s := range jsonEdges {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := validJSON(b), json.Valid(b); got != want {
			t.Fatalf("validJSON(%q) = %v, encoding/json.Valid says %v", b, got, want)
		}
	})
}

func randomString(rng *rand.Rand) string {
	runes := []rune("aé\"\\/\n\t\x01€😀 z")
	var sb strings.Builder
	for range rng.IntN(8) {
		sb.WriteRune(runes[rng.IntN(len(runes))])
	}
	return sb.String()
}

// decodeValid reads what a json.Decoder with UseNumber reads, on every
// valid body of the grammar test and on the random documents.
func TestDecodeValidAgreesWithDecoder(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	bodies := append([]string{}, jsonEdges...)
	for range 3000 {
		doc, _ := json.Marshal(randomValue(rng, 0))
		bodies = append(bodies, string(doc))
		ind, _ := json.MarshalIndent(json.RawMessage(doc), " ", "\t")
		bodies = append(bodies, string(ind))
	}
	// Strings encoding/json repairs: bytes that are not UTF-8, lone and
	// paired surrogates, escaped and raw.
	bodies = append(bodies, "[\"a\xffb\"]", `["\ud800"]`, `["\ud83d\ude00"]`, `["\udc00\ud800x"]`, `{"k\u00e9":"\u0000"}`,
		`{"a":1,"a":[2]}`, `[1e400, -0.0, 12345678901234567890]`, "{\"\xc3(\":\"\xed\xa0\x80\"}")
	n := 0
	for _, s := range bodies {
		b := []byte(s)
		if !json.Valid(b) {
			continue
		}
		n++
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		var want any
		if err := dec.Decode(&want); err != nil {
			t.Fatal(err)
		}
		got, end := decodeValid(b, 0)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("decodeValid(%.200q) = %#v, the decoder reads %#v", s, got, want)
		}
		if skipSpace(b, end) != len(b) {
			t.Fatalf("decodeValid(%.200q) ended at %d of %d", s, end, len(b))
		}
	}
	if n < 6000 {
		t.Fatalf("only %d bodies compared", n)
	}
}
