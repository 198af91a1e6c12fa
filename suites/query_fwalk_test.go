package suites

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// shallowRead is the whole-document reading of a filtered page's records
// (readFiltered before the byte scan): the oracle of streamFiltered.
func shallowRead(body []byte, key string, keys []string) ([]any, bool) {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil || top == nil {
		return nil, false
	}
	raw, ok := top[key]
	if !ok || len(bytes.TrimSpace(raw)) == 0 || bytes.TrimSpace(raw)[0] != '[' {
		return nil, false
	}
	var shallow []map[string]json.RawMessage
	if json.Unmarshal(raw, &shallow) != nil {
		return nil, false
	}
	recs := make([]any, len(shallow))
	for i, sm := range shallow {
		m := map[string]any{}
		for _, k := range keys {
			if rv, ok := sm[k]; ok {
				dec := json.NewDecoder(bytes.NewReader(rv))
				dec.UseNumber()
				var v any
				if dec.Decode(&v) == nil {
					m[k] = v
				}
			}
		}
		recs[i] = m
	}
	return recs, true
}

// The byte scan of a filtered page reads exactly what the whole-document
// reading reads, or declines (and readFiltered then reads it whole).
func TestStreamFilteredAgreesWithWholeReading(t *testing.T) {
	keys := []string{"sourcedId", "status", "dateLastModified", "orgs", "score"}
	bodies := []string{
		`{"users":[]}`,
		` { "users" : [ { "sourcedId" : "a" , "status":"active"} ,{"sourcedId":"b"} ] } `,
		`{"statusInfoSet":[{"x":"}]"}],"users":[{"sourcedId":"a\"]}","status":"tobedeleted","dateLastModified":"2024-01-01T00:00:00.000Z","orgs":[{"sourcedId":"o1","type":"org"},{"sourcedId":"o\\2"}]}]}`,
		`{"users":[{"sourcedId":"a","status":null,"score":1.50e3,"nested":{"status":"no"},"x":[1,[2,{"status":"no"}]]}]}`,
		`{"users":[{"sourcedId":"a","status":"x","status":"y"}]}`,
		`{"users":[{"sourc\u0065dId":"esc","\u0073tatus":"escaped key"}]}`,
		`{"users":[{"sourcedId":"é✓","status":"\ud83d\ude00"}],"more":{"users":[]}}`,
		`{"users":[{"sourcedId":true},{"sourcedId":12},{}]}`,
		"{\"users\":[{\"sourcedId\":\"Jos\xe9\",\"status\":\"caf\xc3\xa9\"}]}", // Latin-1 byte: decoded as U+FFFD
		// Declined: whole-document readings (and findings) decide these.
		`{"users":[1,2]}`, `{"users":[null]}`, `{"users":{}}`, `{"users":null}`, `{"user":[]}`,
		`{"users":[],"users":[{"sourcedId":"b"}]}`, `{"users":[{"sourcedId":"a"}]} trailing`, `[{"users":[]}]`, ``, `{"users":[{"sourcedId":"a"}]`,
	}
	for _, b := range bodies {
		got, ok := streamFiltered([]byte(b), "users", keys)
		if !ok {
			continue // declined: readFiltered reads it whole
		}
		want, wok := shallowRead([]byte(b), "users", keys)
		if !wok || !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n scan  %#v\n whole %#v (%v)", b, got, want, wok)
		}
	}
	// Bodies it must read, not decline.
	for _, b := range bodies[:9] {
		if _, ok := streamFiltered([]byte(b), "users", keys); !ok {
			t.Errorf("declined %s", b)
		}
	}
	// A duplicate key in a page is declined (the whole reading keeps the last).
	if _, ok := streamFiltered([]byte(bodies[14]), "users", keys); ok {
		t.Error("a repeated wrapper key was read")
	}
}
