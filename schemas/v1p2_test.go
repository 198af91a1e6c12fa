package schemas

import (
	"io/fs"
	"slices"
	"strings"
	"testing"
)

const orgRef12 = `{"href": "https://sis.example.org/ims/oneroster/rostering/v1p2/orgs/s1", "sourcedId": "s1", "type": "org"}`

// A 1.2 user with the 1.2 model changes: roles[] (roleType, role, org,
// userProfile), userProfiles, userMasterIdentifier, primaryOrg, pronouns;
// plus a vendor property (unknown properties are allowed).
const validUser12 = `{
  "sourcedId": "u1", "status": "active", "dateLastModified": "2026-09-01T12:00:00.000Z",
  "userMasterIdentifier": "M-0001", "username": "jdoe",
  "userIds": [{"type": "LDAP", "identifier": "jdoe"}],
  "enabledUser": "true", "givenName": "Jane", "familyName": "Doe",
  "preferredFirstName": "J", "pronouns": "she/her",
  "roles": [
    {"roleType": "primary", "role": "student", "org": ` + orgRef12 + `,
     "userProfile": "https://sis.example.org/profiles/p1", "beginDate": "2026-09-01", "endDate": "2027-06-30"},
    {"roleType": "secondary", "role": "ext:peerTutor", "org": ` + orgRef12 + `}
  ],
  "userProfiles": [{"profileId": "https://sis.example.org/profiles/p1", "profileType": "lms", "vendorId": "acme",
    "credentials": [{"type": "password", "username": "jdoe"}]}],
  "primaryOrg": ` + orgRef12 + `,
  "email": "jane@example.org", "grades": ["09"], "metadata": {"house": 3}, "x-vendor": "kept"
}`

func TestV1p2SchemasCompile(t *testing.T) {
	c, err := loadV1p2()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := fs.Glob(schemaFSV1p2, "v1p2/*.json")
	if len(files) != 4 {
		t.Errorf("embedded v1p2 files %v, want common + three services", files)
	}
	for _, e := range EntitiesV1p2 {
		if c.defs[e.Service+"#"+e.Def] == nil {
			t.Errorf("entity %s: no compiled %s in %s", e.Name, e.Def, e.Service)
		}
	}
	if _, err := ValidateV1p2("rostering", "NoSuchDType", map[string]any{}); err == nil {
		t.Error("unknown definition: no error")
	}
	if _, err := ValidateEntityV1p2("student", map[string]any{}); err == nil {
		t.Error("unknown entity: no error")
	}
}

func TestV1p2ValidRecords(t *testing.T) {
	cases := []struct{ service, def, doc string }{
		{"rostering", "UserDType", validUser12},
		{"rostering", "SingleUserDType", `{"user": ` + validUser12 + `}`},
		{"rostering", "UserSetDType", `{"users": [` + validUser12 + `]}`},
		{"rostering", "OrgDType", `{"sourcedId": "s1", "status": "tobedeleted", "dateLastModified": "2026-09-01T12:00:00+02:00",
			"name": "North High", "type": "school", "identifier": "NH"}`},
		{"rostering", "DemographicsDType", `{"sourcedId": "u1", "status": "active", "dateLastModified": "2026-09-01T12:00:00Z",
			"sex": "unspecified", "americanIndianOrAlaskaNative": "false"}`},
		{"gradebook", "LineItemDType", `{"sourcedId": "li1", "status": "active", "dateLastModified": "2026-09-01T12:00:00Z",
			"title": "Quiz", "assignDate": "2026-09-01T08:00:00Z", "dueDate": "2026-09-08T08:00:00Z", "resultValueMax": 100,
			"class": {"href": "https://sis.example.org/c1", "sourcedId": "c1", "type": "class"},
			"school": {"href": "https://sis.example.org/s1", "sourcedId": "s1", "type": "org"},
			"category": {"href": "https://sis.example.org/cat1", "sourcedId": "cat1", "type": "category"}}`},
		{"gradebook", "ResultDType", `{"sourcedId": "r1", "status": "active", "dateLastModified": "2026-09-01T12:00:00Z",
			"scoreStatus": "ext:resubmitted", "scoreDate": "2026-09-02", "score": 300, "late": "true",
			"lineItem": {"href": "https://sis.example.org/li1", "sourcedId": "li1", "type": "lineItem"},
			"student": {"href": "https://sis.example.org/u1", "sourcedId": "u1", "type": "user"}}`},
		{"gradebook", "GUIDPairSetDType", `{"sourcedIdPairs": [{"suppliedSourcedId": "tmp-1", "allocatedSourcedId": "li9"}]}`},
		{"gradebook", "imsx_StatusInfoDType", `{"imsx_codeMajor": "failure", "imsx_severity": "error", "imsx_description": "no such result",
			"imsx_CodeMinor": {"imsx_codeMinorField": [{"imsx_codeMinorFieldName": "TargetEndSystem", "imsx_codeMinorFieldValue": "deletefailure"}]}}`},
		{"resources", "ResourceDType", `{"sourcedId": "res1", "status": "active", "dateLastModified": "2026-09-01T12:00:00Z",
			"vendorResourceId": "V-1", "roles": ["student", "ext:coach"]}`},
	}
	for _, c := range cases {
		vs, err := ValidateV1p2(c.service, c.def, decode(t, c.doc))
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) != 0 {
			t.Errorf("%s %s: want valid, got %v", c.service, c.def, vs)
		}
	}
	if vs, err := ValidateEntityV1p2("user", decode(t, validUser12)); err != nil || len(vs) != 0 {
		t.Errorf("ValidateEntityV1p2(user): %v %v", vs, err)
	}
	if vs, err := ValidateStatusInfoV1p2("rostering", decode(t, `{"imsx_codeMajor": "failure", "imsx_severity": "error"}`)); err != nil || len(vs) != 0 {
		t.Errorf("ValidateStatusInfoV1p2: %v %v", vs, err)
	}
}

// has reports whether vs holds a violation at pointer whose message
// contains msg.
func has(vs []Violation, pointer, msg string) bool {
	return slices.ContainsFunc(vs, func(v Violation) bool { return v.Pointer == pointer && strings.Contains(v.Message, msg) })
}

func TestV1p2InvalidRecords(t *testing.T) {
	type want struct{ pointer, msg string }
	cases := []struct {
		name, service, def, doc string
		want                    []want
	}{
		{"1.1-style user: role and orgs, no roles; JSON boolean; inactive; zoneless; null", "rostering", "UserDType",
			`{"sourcedId": "u1", "status": "inactive", "dateLastModified": "2026-09-01T12:00:00",
			  "enabledUser": true, "givenName": "Jane", "familyName": null, "role": "student", "orgs": [` + orgRef12 + `]}`,
			[]want{{"", `missing property 'roles'`}, {"/status", "one of 'active', 'tobedeleted'"}, {"/dateLastModified", "missing time zone"},
				{"/enabledUser", "string 'true' or 'false'"}, {"/familyName", "got null"}}},
		{"roles: empty", "rostering", "UserDType",
			`{"sourcedId": "u1", "status": "active", "dateLastModified": "2026-09-01T12:00:00Z", "enabledUser": "true",
			  "givenName": "J", "familyName": "D", "roles": []}`,
			[]want{{"/roles", "at least 1 item"}}},
		{"role: unanchored ext token, bad roleType, org without type, profile not a URI", "rostering", "UserDType",
			`{"sourcedId": "u1", "status": "active", "dateLastModified": "2026-09-01T12:00:00Z", "enabledUser": "true",
			  "givenName": "J", "familyName": "D",
			  "roles": [{"roleType": "main", "role": "student ext:x", "org": {"href": "https://x/o", "sourcedId": "o"}, "userProfile": "not a uri"}],
			  "userProfiles": [{"profileId": "https://x/p", "vendorId": "v"}], "primaryOrg": {"href": "https://x/o", "sourcedId": "", "type": "school"}}`,
			[]want{{"/roles/0/roleType", ""}, {"/roles/0/role", ""}, {"/roles/0/org", `missing property 'type'`},
				{"/roles/0/userProfile", "not a valid"}, {"/userProfiles/0", `missing property 'profileType'`},
				{"/primaryOrg/sourcedId", "must not be empty"}, {"/primaryOrg/type", ""}}},
		{"org: identifier required in 1.2", "rostering", "OrgDType",
			`{"sourcedId": "s1", "status": "active", "dateLastModified": "2026-09-01T12:00:00Z", "name": "N", "type": "school"}`,
			[]want{{"", `missing property 'identifier'`}}},
		{"result: date-time scoreDate, numeric string score, JSON boolean late", "gradebook", "ResultDType",
			`{"sourcedId": "r1", "status": "active", "dateLastModified": "2026-09-01T12:00:00Z", "scoreStatus": "graded",
			  "scoreDate": "2026-09-02T10:00:00.000Z", "score": "80", "late": false,
			  "lineItem": {"href": "https://x/li", "sourcedId": "li1", "type": "lineItem"},
			  "student": {"href": "https://x/u", "sourcedId": "u1", "type": "user"}}`,
			[]want{{"/scoreDate", "not a valid date"}, {"/score", "want number"}, {"/late", "string 'true' or 'false'"}, {"/scoreStatus", ""}}},
		{"1.1 statusInfoSet is not the 1.2 error shape", "rostering", "imsx_StatusInfoDType",
			`{"statusInfoSet": [{"imsx_codeMajor": "failure", "imsx_severity": "error", "imsx_codeMinor": "unknown object"}]}`,
			[]want{{"", `missing property 'imsx_codeMajor'`}, {"", `missing property 'imsx_severity'`}}},
		{"1.2 error: flat codeMinor, gradebook-only value in rostering", "rostering", "imsx_StatusInfoDType",
			`{"imsx_codeMajor": "failure", "imsx_severity": "fatal",
			  "imsx_CodeMinor": {"imsx_codeMinorField": [{"imsx_codeMinorFieldName": "TargetEndSystem", "imsx_codeMinorFieldValue": "deletefailure"}]}}`,
			[]want{{"/imsx_severity", ""}, {"/imsx_CodeMinor/imsx_codeMinorField/0/imsx_codeMinorFieldValue", ""}}},
		{"resource: vendorResourceId required, role token", "resources", "ResourceDType",
			`{"sourcedId": "res1", "status": "active", "dateLastModified": "2026-09-01T12:00:00Z", "roles": ["ext:"]}`,
			[]want{{"", `missing property 'vendorResourceId'`}, {"/roles/0", ""}}},
	}
	for _, c := range cases {
		vs, err := ValidateV1p2(c.service, c.def, decode(t, c.doc))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range c.want {
			if !has(vs, w.pointer, w.msg) {
				t.Errorf("%s: no violation at %q containing %q; got %v", c.name, w.pointer, w.msg, vs)
			}
		}
		if len(vs) < len(c.want) {
			t.Errorf("%s: %d violations, want at least %d (every one reported)", c.name, len(vs), len(c.want))
		}
	}
}

// TestV1p2LeavesV1p1Alone: a valid 1.1 user is still valid under 1.1 and
// is not a valid 1.2 user.
func TestV1p2LeavesV1p1Alone(t *testing.T) {
	u := sample(t, "user")
	if vs, err := ValidateEntity("user", u); err != nil || len(vs) != 0 {
		t.Fatalf("1.1 user under 1.1: %v %v", vs, err)
	}
	vs, err := ValidateEntityV1p2("user", u)
	if err != nil {
		t.Fatal(err)
	}
	if !has(vs, "", `missing property 'roles'`) {
		t.Errorf("1.1 user under 1.2: %v, want roles missing", vs)
	}
}
