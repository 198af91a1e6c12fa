package schemas

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// decode parses JSON with encoding/json (float64 numbers), failing the test on error.
func decode(t testing.TB, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad test JSON: %v\n%s", err, s)
	}
	return v
}

// decodeNumber parses JSON with UseNumber (json.Number numbers).
func decodeNumber(t testing.TB, s string) any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("bad test JSON: %v", err)
	}
	return v
}

func sample(t testing.TB, entity string) map[string]any {
	t.Helper()
	s, ok := validSamples[entity]
	if !ok {
		t.Fatalf("no sample for %s", entity)
	}
	return decode(t, s).(map[string]any)
}

func TestEverySchemaCompiles(t *testing.T) {
	c, err := compileAll()
	if err != nil {
		t.Fatalf("compileAll: %v", err)
	}
	if len(c.entities) != len(Entities) {
		t.Fatalf("compiled %d entity schemas, want %d", len(c.entities), len(Entities))
	}
	for _, e := range Entities {
		// Both forms: a schema the compiled validator cannot take would
		// silently fall back to the slower reference.
		if c.entities[e].ref == nil || c.entities[e].fast == nil {
			t.Errorf("entity %q not compiled (reference %v, compiled %v)", e, c.entities[e].ref != nil, c.entities[e].fast != nil)
		}
	}
	if c.statusInfoSet.ref == nil || c.statusInfoArray.ref == nil || c.statusInfoSet.fast == nil || c.statusInfoArray.fast == nil {
		t.Fatal("statusInfoSet schemas not compiled")
	}
	if _, err := compileNodes(); err != nil {
		t.Fatal(err)
	}
	// The lazily compiled set is the same success.
	if _, err := load(); err != nil {
		t.Fatalf("load: %v", err)
	}
}

// Every embedded file declares draft 2020-12, an $id matching its file name,
// and nowhere forbids additional properties.
func TestEmbeddedFilesWellFormed(t *testing.T) {
	files, err := fs.Glob(schemaFS, "v1p1/*.json")
	if err != nil {
		t.Fatal(err)
	}
	want := append(slices.Clone(Entities), "common", "statusInfoSet")
	var got []string
	for _, f := range files {
		b, err := schemaFS.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		name := strings.TrimSuffix(strings.TrimPrefix(f, "v1p1/"), ".json")
		got = append(got, name)
		if doc["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
			t.Errorf("%s: $schema = %v", f, doc["$schema"])
		}
		if doc["$id"] != baseURL+name+".json" {
			t.Errorf("%s: $id = %v", f, doc["$id"])
		}
		if bytes.Contains(b, []byte(`"additionalProperties"`)) || bytes.Contains(b, []byte(`"unevaluatedProperties"`)) {
			t.Errorf("%s: restricts additional properties; vendors may extend", f)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("embedded files %v, want %v", got, want)
	}
}

func TestValidSamplesPass(t *testing.T) {
	if len(validSamples) != len(Entities) {
		t.Fatalf("%d samples for %d entities", len(validSamples), len(Entities))
	}
	for _, e := range Entities {
		for name, dec := range map[string]func(testing.TB, string) any{"float64": decode, "json.Number": decodeNumber} {
			v, err := ValidateEntity(e, dec(t, validSamples[e]))
			if err != nil {
				t.Fatalf("%s/%s: %v", e, name, err)
			}
			if len(v) != 0 {
				t.Errorf("%s/%s: valid sample has violations: %v", e, name, v)
			}
		}
	}
}

// Forms the schemas must accept besides the main samples.
func TestAcceptedVariants(t *testing.T) {
	cases := []struct {
		entity string
		mutate func(m map[string]any)
	}{
		{"lineItem", func(m map[string]any) { m["assignDate"] = "2024-09-02T08:00:00Z"; m["dueDate"] = "2024-09-09" }},
		{"lineItem", func(m map[string]any) {
			delete(m, "category")
			delete(m, "gradingPeriod")
			delete(m, "resultValueMin")
			delete(m, "resultValueMax")
		}},
		{"result", func(m map[string]any) { m["scoreStatus"] = "exempt"; delete(m, "score"); m["scoreDate"] = "2024-09-10" }},
		{"user", func(m map[string]any) { m["dateLastModified"] = "2024-08-15T10:21:07+00:00" }},
		{"user", func(m map[string]any) { m["role"] = "guardian"; m["enabledUser"] = "false" }},
		{"enrollment", func(m map[string]any) {
			m["role"] = "aide"
			delete(m, "primary")
			delete(m, "beginDate")
			delete(m, "endDate")
		}},
		{"course", func(m map[string]any) { delete(m, "courseCode"); delete(m, "org"); delete(m, "schoolYear") }},
		{"class", func(m map[string]any) { delete(m, "classType") }},
		{"org", func(m map[string]any) { delete(m, "identifier"); delete(m, "parent"); delete(m, "children") }},
		{"demographics", func(m map[string]any) {
			for k := range m {
				if k != "sourcedId" && k != "status" && k != "dateLastModified" {
					delete(m, k)
				}
			}
		}},
		{"academicSession", func(m map[string]any) { m["type"] = "schoolYear"; delete(m, "parent"); delete(m, "children") }},
	}
	for i, c := range cases {
		m := sample(t, c.entity)
		c.mutate(m)
		v, err := ValidateEntity(c.entity, m)
		if err != nil || len(v) != 0 {
			t.Errorf("case %d (%s): got %v, %v; want no violations", i, c.entity, v, err)
		}
	}
}

func TestExtraUnknownPropertiesPass(t *testing.T) {
	m := sample(t, "user")
	m["x-vendor"] = map[string]any{"anything": []any{1.0, "two", nil}}
	m["preferredFirstName"] = "Zo"
	m["orgs"].([]any)[0].(map[string]any)["name"] = "Niños Héroes"
	m["userIds"].([]any)[0].(map[string]any)["note"] = nil
	v, err := ValidateEntity("user", m)
	if err != nil || len(v) != 0 {
		t.Fatalf("got %v, %v; want no violations", v, err)
	}
}

// Each defect is applied to an otherwise valid sample, so exactly one
// violation is expected, with the given pointer and message.
func TestDefects(t *testing.T) {
	cases := []struct {
		name    string
		entity  string
		mutate  func(m map[string]any)
		pointer string
		message string
	}{
		{"missing sourcedId", "user", func(m map[string]any) { delete(m, "sourcedId") }, "", "missing property 'sourcedId'"},
		{"missing status", "org", func(m map[string]any) { delete(m, "status") }, "", "missing property 'status'"},
		{"missing dateLastModified", "category", func(m map[string]any) { delete(m, "dateLastModified") }, "", "missing property 'dateLastModified'"},
		{"missing class terms", "class", func(m map[string]any) { delete(m, "terms") }, "", "missing property 'terms'"},
		{"missing lineItem class", "lineItem", func(m map[string]any) { delete(m, "class") }, "", "missing property 'class'"},
		{"missing vendorResourceId", "resource", func(m map[string]any) { delete(m, "vendorResourceId") }, "", "missing property 'vendorResourceId'"},
		{"missing scoreDate", "result", func(m map[string]any) { delete(m, "scoreDate") }, "", "missing property 'scoreDate'"},
		{"missing enrollment school", "enrollment", func(m map[string]any) { delete(m, "school") }, "", "missing property 'school'"},
		{"empty sourcedId", "course", func(m map[string]any) { m["sourcedId"] = "" }, "/sourcedId", "must not be empty"},
		{"wrong type title", "course", func(m map[string]any) { m["title"] = 42.0 }, "/title", "got number, want string"},
		{"wrong type score", "result", func(m map[string]any) { m["score"] = "87.5" }, "/score", "got string, want number"},
		{"record not object", "org", func(m map[string]any) { clear(m); m["__replace"] = "x" }, "", "got string, want object"},
		{"status toBeDeleted", "user", func(m map[string]any) { m["status"] = "toBeDeleted" }, "/status", "value must be one of 'active', 'tobedeleted'"},
		{"status inactive", "enrollment", func(m map[string]any) { m["status"] = "inactive" }, "/status", "value must be one of 'active', 'tobedeleted'"},
		{"bad role", "user", func(m map[string]any) { m["role"] = "Student" }, "/role", "value must be one of 'administrator', 'aide', 'guardian', 'parent', 'proctor', 'relative', 'student', 'teacher'"},
		{"bad scoreStatus", "result", func(m map[string]any) { m["scoreStatus"] = "fully_graded" }, "/scoreStatus", "value must be one of 'exempt', 'fully graded', 'not submitted', 'partially graded', 'submitted'"},
		{"bad org type", "org", func(m map[string]any) { m["type"] = "org" }, "/type", "value must be one of 'department', 'school', 'district', 'local', 'state', 'national'"},
		{"bad classType", "class", func(m map[string]any) { m["classType"] = "Homeroom" }, "/classType", "value must be one of 'homeroom', 'scheduled'"},
		{"bad sex", "demographics", func(m map[string]any) { m["sex"] = "F" }, "/sex", "value must be one of 'male', 'female'"},
		{"bad importance", "resource", func(m map[string]any) { m["importance"] = "high" }, "/importance", "value must be one of 'primary', 'secondary'"},
		{"bad date US format", "academicSession", func(m map[string]any) { m["startDate"] = "08/15/2024" }, "/startDate", "'08/15/2024' is not a valid date (YYYY-MM-DD)"},
		{"impossible date", "enrollment", func(m map[string]any) { m["beginDate"] = "2024-02-30" }, "/beginDate", "'2024-02-30' is not a valid date (YYYY-MM-DD)"},
		{"date with time", "demographics", func(m map[string]any) { m["birthDate"] = "2010-02-28T00:00:00Z" }, "/birthDate", "'2010-02-28T00:00:00Z' is not a valid date (YYYY-MM-DD)"},
		{"dateTime without zone", "user", func(m map[string]any) { m["dateLastModified"] = "2024-08-15T10:21:07.512" }, "/dateLastModified", "'2024-08-15T10:21:07.512' is not a valid dateTime: missing time zone (Z or ±hh:mm)"},
		{"dateTime garbage", "org", func(m map[string]any) { m["dateLastModified"] = "yesterday" }, "/dateLastModified", "'yesterday' is not a valid dateTime (YYYY-MM-DDThh:mm:ss[.sss]Z or ±hh:mm)"},
		{"dateTime compact offset", "org", func(m map[string]any) { m["dateLastModified"] = "2024-08-15T10:21:07+0200" }, "/dateLastModified", "'2024-08-15T10:21:07+0200' is not a valid dateTime (YYYY-MM-DDThh:mm:ss[.sss]Z or ±hh:mm)"},
		{"lineItem dueDate bad", "lineItem", func(m map[string]any) { m["dueDate"] = "09/09/2024" }, "/dueDate", "'09/09/2024' is not a valid date (YYYY-MM-DD) or dateTime (YYYY-MM-DDThh:mm:ssZ)"},
		{"lineItem assignDate no zone", "lineItem", func(m map[string]any) { m["assignDate"] = "2024-09-02T08:00:00" }, "/assignDate", "'2024-09-02T08:00:00' is not a valid date or dateTime: missing time zone (Z or ±hh:mm)"},
		{"lineItem assignDate number", "lineItem", func(m map[string]any) { m["assignDate"] = 20240902.0 }, "/assignDate", "got number, want string"},
		{"numeric schoolYear", "academicSession", func(m map[string]any) { m["schoolYear"] = 2025.0 }, "/schoolYear", "got number, want string"},
		{"short schoolYear", "academicSession", func(m map[string]any) { m["schoolYear"] = "24-25" }, "/schoolYear", "'24-25' is not a 4-digit year (YYYY)"},
		{"JSON boolean enabledUser", "user", func(m map[string]any) { m["enabledUser"] = true }, "/enabledUser", "got boolean, want string 'true' or 'false'"},
		{".NET True enabledUser", "user", func(m map[string]any) { m["enabledUser"] = "True" }, "/enabledUser", "value must be one of 'true', 'false'"},
		{"JSON boolean primary", "enrollment", func(m map[string]any) { m["primary"] = false }, "/primary", "got boolean, want string 'true' or 'false'"},
		{"JSON boolean race flag", "demographics", func(m map[string]any) { m["asian"] = false }, "/asian", "got boolean, want string 'true' or 'false'"},
		{"null middleName", "user", func(m map[string]any) { m["middleName"] = nil }, "/middleName", "got null, want string"},
		{"null metadata", "user", func(m map[string]any) { m["metadata"] = nil }, "/metadata", "got null, want object"},
		{"null parent", "org", func(m map[string]any) { m["parent"] = nil }, "/parent", "got null, want object"},
		{"null score", "result", func(m map[string]any) { m["score"] = nil }, "/score", "got null, want number"},
		{"null grades", "user", func(m map[string]any) { m["grades"] = nil }, "/grades", "got null, want array"},
		{"null agents", "user", func(m map[string]any) { m["agents"] = nil }, "/agents", "got null, want array"},
		{"string periods", "class", func(m map[string]any) { m["periods"] = "3" }, "/periods", "got string, want array"},
		{"number in grades", "course", func(m map[string]any) { m["grades"] = []any{"08", 9.0} }, "/grades/1", "got number, want string"},
		{"GUIDRef sourceId typo", "course", func(m map[string]any) {
			r := m["resources"].([]any)[0].(map[string]any)
			r["sourceId"] = r["sourcedId"]
			delete(r, "sourcedId")
		}, "/resources/0", "missing property 'sourcedId'"},
		{"GUIDRef missing href", "class", func(m map[string]any) { delete(m["course"].(map[string]any), "href") }, "/course", "missing property 'href'"},
		{"GUIDRef bad type", "enrollment", func(m map[string]any) { m["class"].(map[string]any)["type"] = "section" }, "/class/type", "value must be one of 'academicSession', 'category', 'class', 'course', 'demographics', 'enrollment', 'gradingPeriod', 'lineItem', 'org', 'resource', 'result', 'student', 'teacher', 'term', 'user'"},
		{"GUIDRef empty sourcedId", "user", func(m map[string]any) { m["orgs"].([]any)[0].(map[string]any)["sourcedId"] = "" }, "/orgs/0/sourcedId", "must not be empty"},
		{"GUIDRef as string", "result", func(m map[string]any) { m["lineItem"] = "li-42" }, "/lineItem", "got string, want object"},
		{"terms empty", "class", func(m map[string]any) { m["terms"] = []any{} }, "/terms", "must have at least 1 item, got 0"},
		{"orgs empty", "user", func(m map[string]any) { m["orgs"] = []any{} }, "/orgs", "must have at least 1 item, got 0"},
		{"userIds missing identifier", "user", func(m map[string]any) { delete(m["userIds"].([]any)[1].(map[string]any), "identifier") }, "/userIds/1", "missing property 'identifier'"},
		{"children not array", "academicSession", func(m map[string]any) { m["children"] = m["parent"] }, "/children", "got object, want array"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := sample(t, c.entity)
			c.mutate(m)
			var rec any = m
			if r, ok := m["__replace"]; ok {
				rec = r
			}
			v, err := ValidateEntity(c.entity, rec)
			if err != nil {
				t.Fatal(err)
			}
			want := []pm{{Pointer: c.pointer, Message: c.message}}
			if !reflect.DeepEqual(strip(v), want) {
				t.Errorf("got  %q\nwant %q", v, want)
			}
		})
	}
}

func TestAllViolationsReportedSorted(t *testing.T) {
	m := sample(t, "user")
	delete(m, "givenName")
	delete(m, "familyName")
	m["status"] = "Active"
	m["enabledUser"] = true
	m["orgs"] = []any{}
	v, err := ValidateEntity("user", m)
	if err != nil {
		t.Fatal(err)
	}
	want := []pm{
		{"", "missing property 'familyName'"},
		{"", "missing property 'givenName'"},
		{"/enabledUser", "got boolean, want string 'true' or 'false'"},
		{"/orgs", "must have at least 1 item, got 0"},
		{"/status", "value must be one of 'active', 'tobedeleted'"},
	}
	if !reflect.DeepEqual(strip(v), want) {
		t.Errorf("got  %q\nwant %q", v, want)
	}
}

func TestUnknownEntity(t *testing.T) {
	for _, e := range []string{"", "users", "User", "gradingPeriod"} {
		if _, err := ValidateEntity(e, map[string]any{}); err == nil {
			t.Errorf("ValidateEntity(%q): want error", e)
		}
		if _, err := ValidateCollection("x", e, map[string]any{}); err == nil {
			t.Errorf("ValidateCollection(%q): want error", e)
		}
		if _, err := ValidateSingle("x", e, map[string]any{}); err == nil {
			t.Errorf("ValidateSingle(%q): want error", e)
		}
	}
}

// makeUsers builds n valid user records (distinct ids, varied fields).
func makeUsers(n int) []any {
	tmpl := validSamples["user"]
	var base map[string]any
	if err := json.Unmarshal([]byte(tmpl), &base); err != nil {
		panic(err)
	}
	out := make([]any, n)
	for i := range out {
		var m map[string]any
		_ = json.Unmarshal([]byte(tmpl), &m)
		m["sourcedId"] = "user-" + strconv.Itoa(i)
		m["username"] = "u" + strconv.Itoa(i)
		if i%3 == 0 {
			m["role"] = "teacher"
			delete(m, "agents")
		}
		out[i] = m
	}
	return out
}

func TestCollectionFindsAllBadRecords(t *testing.T) {
	users := makeUsers(1000)
	users[17].(map[string]any)["status"] = "toBeDeleted"
	delete(users[250].(map[string]any), "sourcedId")
	users[499].(map[string]any)["enabledUser"] = true
	users[500].(map[string]any)["orgs"].([]any)[0].(map[string]any)["type"] = "school"
	users[999] = nil
	doc := map[string]any{"users": users, "statusInfoSet": []any{}, "x-total": 1000.0}
	want := []pm{
		{"/users/17/status", "value must be one of 'active', 'tobedeleted'"},
		{"/users/250", "missing property 'sourcedId'"},
		{"/users/499/enabledUser", "got boolean, want string 'true' or 'false'"},
		{"/users/500/orgs/0/type", "value must be one of 'academicSession', 'category', 'class', 'course', 'demographics', 'enrollment', 'gradingPeriod', 'lineItem', 'org', 'resource', 'result', 'student', 'teacher', 'term', 'user'"},
		{"/users/999", "got null, want object"},
	}
	for run := 0; run < 3; run++ { // same result every time (parallel path is deterministic)
		v, err := ValidateCollection("users", "user", doc)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(strip(v), want) {
			t.Fatalf("run %d: got  %q\nwant %q", run, v, want)
		}
	}
	// The sequential path (small page) gives the same per-record answers.
	small := map[string]any{"users": []any{users[16], users[17], users[18]}}
	v, _ := ValidateCollection("users", "user", small)
	if want := []pm{{"/users/1/status", "value must be one of 'active', 'tobedeleted'"}}; !reflect.DeepEqual(strip(v), want) {
		t.Errorf("small page: got %q, want %q", v, want)
	}
}

func TestCollectionEnvelope(t *testing.T) {
	good := []any{sample(t, "org")}
	cases := []struct {
		name string
		key  string
		doc  any
		want []pm
	}{
		{"valid", "orgs", map[string]any{"orgs": good}, nil},
		{"valid with warning", "orgs", map[string]any{"orgs": good, "statusInfoSet": []any{map[string]any{"imsx_codeMajor": "success", "imsx_severity": "warning", "imsx_codeMinor": "invalid_sort_field", "imsx_description": "foo"}}}, nil},
		{"empty page", "schools", map[string]any{"schools": []any{}}, nil},
		{"not an object", "orgs", []any{}, []pm{{"", "got array, want object"}}},
		{"null document", "orgs", nil, []pm{{"", "got null, want object"}}},
		{"wrong key", "schools", map[string]any{"orgs": good}, []pm{{"", "missing property 'schools'"}}},
		{"null array", "orgs", map[string]any{"orgs": nil}, []pm{{"/orgs", "got null, want array"}}},
		{"object not array", "orgs", map[string]any{"orgs": good[0]}, []pm{{"/orgs", "got object, want array"}}},
		{"escaped key", "a/b~c", map[string]any{"a/b~c": "x"}, []pm{{"/a~1b~0c", "got string, want array"}}},
		{"bad statusInfoSet", "orgs", map[string]any{"orgs": good, "statusInfoSet": []any{map[string]any{"imsx_codeMajor": "warning", "imsx_severity": "warning", "imsx_codeMinor": "x"}}},
			[]pm{{"/statusInfoSet/0/imsx_codeMajor", "value must be one of 'success', 'processing', 'failure', 'unsupported'"}}},
		{"statusInfoSet object", "orgs", map[string]any{"orgs": good, "statusInfoSet": map[string]any{}}, []pm{{"/statusInfoSet", "got object, want array"}}},
	}
	for _, c := range cases {
		v, err := ValidateCollection(c.key, "org", c.doc)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !reflect.DeepEqual(strip(v), c.want) {
			t.Errorf("%s: got %q, want %q", c.name, v, c.want)
		}
	}
}

func TestSingleEnvelope(t *testing.T) {
	rec := sample(t, "academicSession")
	cases := []struct {
		name string
		doc  any
		want []pm
	}{
		{"valid", map[string]any{"academicSession": rec}, nil},
		{"wrong key", map[string]any{"academicSessions": rec}, []pm{{"", "missing property 'academicSession'"}}},
		{"array instead of object", map[string]any{"academicSession": []any{rec}}, []pm{{"/academicSession", "got array, want object"}}},
		{"null", map[string]any{"academicSession": nil}, []pm{{"/academicSession", "got null, want object"}}},
		{"not an object", "academicSession", []pm{{"", "got string, want object"}}},
	}
	for _, c := range cases {
		v, err := ValidateSingle("academicSession", "academicSession", c.doc)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !reflect.DeepEqual(strip(v), c.want) {
			t.Errorf("%s: got %q, want %q", c.name, v, c.want)
		}
	}
	bad := sample(t, "academicSession")
	bad["endDate"] = "12/20/2024"
	v, _ := ValidateSingle("term", "academicSession", map[string]any{"term": bad})
	if want := []pm{{"/term/endDate", "'12/20/2024' is not a valid date (YYYY-MM-DD)"}}; !reflect.DeepEqual(strip(v), want) {
		t.Errorf("prefixed pointer: got %q, want %q", v, want)
	}
}

func TestStatusInfoSet(t *testing.T) {
	cases := []struct {
		name string
		doc  string
		want []pm
	}{
		{"failure", `{"statusInfoSet":[{"imsx_codeMajor":"failure","imsx_severity":"error","imsx_codeMinor":"unknownobject","imsx_description":"Unknown Object"}]}`, nil},
		{"two items, no description, extra fields", `{"statusInfoSet":[{"imsx_codeMajor":"success","imsx_severity":"warning","imsx_codeMinor":"invalid_sort_field"},{"imsx_codeMajor":"unsupported","imsx_severity":"status","imsx_codeMinor":"","imsx_messageRefIdentifier":"m1","x":1}]}`, nil},
		{"empty", `{"statusInfoSet":[]}`, []pm{{"/statusInfoSet", "must have at least 1 item, got 0"}}},
		{"missing key", `{"imsx_codeMajor":"failure","imsx_severity":"error"}`, []pm{{"", "missing property 'statusInfoSet'"}}},
		{"Veracross single object", `{"statusInfoSet":{"imsx_codeMajor":"failure","imsx_severity":"error","imsx_codeMinor":"x"}}`, []pm{{"/statusInfoSet", "got object, want array"}}},
		{"1.2 nested codeMinor", `{"statusInfoSet":[{"imsx_codeMajor":"failure","imsx_severity":"error","imsx_CodeMinor":{"imsx_codeMinorField":[]}}]}`, []pm{{"/statusInfoSet/0", "missing property 'imsx_codeMinor'"}}},
		{"bad enums and types", `{"statusInfoSet":[{"imsx_codeMajor":"Failure","imsx_severity":"fatal","imsx_codeMinor":42,"imsx_description":null}]}`, []pm{
			{"/statusInfoSet/0/imsx_codeMajor", "value must be one of 'success', 'processing', 'failure', 'unsupported'"},
			{"/statusInfoSet/0/imsx_codeMinor", "got number, want string"},
			{"/statusInfoSet/0/imsx_description", "got null, want string"},
			{"/statusInfoSet/0/imsx_severity", "value must be one of 'status', 'warning', 'error'"},
		}},
		{"not an object", `[]`, []pm{{"", "got array, want object"}}},
	}
	for _, c := range cases {
		v, err := ValidateStatusInfoSet(decode(t, c.doc))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !reflect.DeepEqual(strip(v), c.want) {
			t.Errorf("%s: got %q, want %q", c.name, v, c.want)
		}
	}
}

func TestJSONNumbers(t *testing.T) {
	rec := decodeNumber(t, validSamples["result"]).(map[string]any)
	if _, ok := rec["score"].(json.Number); !ok {
		t.Fatalf("score decoded as %T", rec["score"])
	}
	rec["comment"] = json.Number("12")
	v, _ := ValidateEntity("result", rec)
	if want := []pm{{"/comment", "got number, want string"}}; !reflect.DeepEqual(strip(v), want) {
		t.Errorf("got %q, want %q", v, want)
	}
}

func TestNeverPanics(t *testing.T) {
	type custom struct{ A int }
	weird := []any{
		nil, true, 1, int64(2), uint8(3), 1.5, json.Number("abc"), "x", []any{nil},
		[]string{"a"}, map[string]string{"sourcedId": "a"}, custom{1}, &custom{}, make(chan int),
		map[string]any{"sourcedId": 7, "status": []any{}, "dateLastModified": map[string]any{}, "score": json.Number("not-a-number"), "resultValueMin": json.Number("1e999999")},
		map[string]any{"metadata": map[string]any{"a/b": func() {}}},
		strings.Repeat("é", 10000),
	}
	for i, w := range weird {
		for _, e := range Entities {
			if _, err := ValidateEntity(e, w); err != nil {
				t.Fatalf("%d/%s: %v", i, e, err)
			}
			v, err := ValidateCollection("k", e, map[string]any{"k": []any{w}, "statusInfoSet": w})
			if err != nil || len(v) == 0 {
				t.Fatalf("%d/%s: collection of a non-record must have violations, got %v %v", i, e, v, err)
			}
			if _, err := ValidateSingle("k", e, map[string]any{"k": w}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := ValidateStatusInfoSet(w); err != nil {
			t.Fatal(err)
		}
	}
	// A non-JSON Go value is a violation, not a crash.
	v, _ := ValidateEntity("category", custom{})
	if len(v) != 1 || v[0].Pointer != "" || !strings.Contains(v[0].Message, "not a JSON value") {
		t.Errorf("custom struct: got %q", v)
	}
	// Long values are shortened in messages.
	v, _ = ValidateEntity("org", map[string]any{"sourcedId": "a", "status": strings.Repeat("x", 500), "dateLastModified": "2024-01-01T00:00:00Z", "name": "n", "type": "school"})
	if len(v) != 1 || len(v[0].Message) > 120 {
		t.Errorf("long value: got %q", v)
	}
}

func TestEntitiesList(t *testing.T) {
	want := []string{"org", "academicSession", "course", "class", "user", "enrollment", "demographics", "category", "lineItem", "result", "resource"}
	if !slices.Equal(Entities, want) {
		t.Errorf("Entities = %v", Entities)
	}
}

func BenchmarkValidateCollectionUsers(b *testing.B) {
	const n = 5000
	raw, err := json.Marshal(map[string]any{"users": makeUsers(n)})
	if err != nil {
		b.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		b.Fatal(err)
	}
	if v, err := ValidateCollection("users", "user", doc); err != nil || len(v) != 0 {
		b.Fatalf("benchmark page not valid: %v %v", v[:min(len(v), 3)], err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		v, _ := ValidateCollection("users", "user", doc)
		if len(v) != 0 {
			b.Fatal(fmt.Sprint(v))
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// pm is a violation's pointer and message, what these tests compare.
type pm struct{ Pointer, Message string }

func strip(vs []Violation) []pm {
	if vs == nil {
		return nil
	}
	out := make([]pm, len(vs))
	for i, v := range vs {
		out[i] = pm{v.Pointer, v.Message}
	}
	return out
}
