package reports_test

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/rostercheck/rostercheck/reports"
)

func TestJSONRoundTrip(t *testing.T) {
	run := sampleRun()
	run.SuiteErrors = []string{"AfterSuite failed"}
	var buf bytes.Buffer
	if err := reports.WriteJSON(&buf, run); err != nil {
		t.Fatal(err)
	}
	got, err := reports.ReadJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, run) {
		t.Errorf("round trip differs:\n got %+v\nwant %+v", got, run)
	}
	// Writing the read-back run gives the same bytes.
	var again bytes.Buffer
	if err := reports.WriteJSON(&again, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("WriteJSON is not stable across a round trip")
	}
}

func TestJSONLayout(t *testing.T) {
	var buf bytes.Buffer
	if err := reports.WriteJSON(&buf, sampleRun()); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	if !strings.HasPrefix(s, "{\n  \"schemaVersion\": 1,\n  \"tool\": {\n    \"name\": \"rostercheck\",") {
		t.Errorf("not indented in struct order:\n%.200s", s)
	}
	// Struct order of the top level, and checks in the given order.
	order := []string{`"schemaVersion"`, `"tool"`, `"target"`, `"profiles"`, `"verdict"`, `"started"`, `"finished"`, `"summary"`, `"config"`, `"checks"`,
		`"id": "rostering.users.schema"`, `"id": "rostering.schools-classes.paging.links"`, `"id": "gradebook.lineitems.write"`, `"id": "resources.resources.list"`, `"stats"`}
	last := -1
	for _, k := range order {
		i := strings.Index(s, k)
		if i <= last {
			t.Errorf("%s at %d, not after the previous key (%d)", k, i, last)
		}
		last = i
	}
	for _, k := range []string{`"baseUrl"`, `"catalogueHash"`, `"mustFailed"`, `"notSupported"`, `"violationsTotal"`, `"recordId"`, `"exchangeId"`, `"responseTruncated"`, `"requestHeaders"`, `"durationMs"`} {
		if !strings.Contains(s, k) {
			t.Errorf("missing key %s", k)
		}
	}
	if strings.Contains(s, `"suiteErrors"`) || strings.Contains(s, `"defect"`) {
		t.Error("empty optional fields must be omitted")
	}
	if !strings.Contains(s, `<b>Algebra</b>`) {
		t.Error("bodies must not be HTML-escaped in JSON")
	}
}

func TestJSONNilCollectionsAreEmpty(t *testing.T) {
	run := &reports.Run{SchemaVersion: 1, Verdict: "error", Checks: []reports.CheckResult{{ID: "a.b.c", Outcome: reports.Error}}}
	var buf bytes.Buffer
	if err := reports.WriteJSON(&buf, run); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	for _, want := range []string{`"profiles": []`, `"config": {}`, `"features": []`, `"profiles": []`} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %s in\n%s", want, s)
		}
	}
	if strings.Contains(s, "null") || strings.Contains(s, `"stats"`) {
		t.Errorf("null or empty stats written:\n%s", s)
	}
	if run.Checks[0].Features != nil || run.Config != nil {
		t.Error("WriteJSON modified its input")
	}
	empty := &reports.Run{SchemaVersion: 1}
	buf.Reset()
	if err := reports.WriteJSON(&buf, empty); err != nil || !strings.Contains(buf.String(), `"checks": []`) {
		t.Errorf("err %v; empty run must write checks as []:\n%s", err, buf.String())
	}
}

func TestReadJSONRejects(t *testing.T) {
	for name, in := range map[string]string{
		"newer schema":   `{"schemaVersion": 2}`,
		"no schema":      `{"verdict": "pass"}`,
		"trailing data":  `{"schemaVersion": 1} {"schemaVersion": 1}`,
		"not json":       `<testsuites/>`,
		"wrong type":     `{"schemaVersion": "1"}`,
		"truncated file": `{"schemaVersion": 1, "checks": [`,
	} {
		if _, err := reports.ReadJSON(strings.NewReader(in)); err == nil {
			t.Errorf("%s: ReadJSON accepted %s", name, in)
		}
	}
}
