package suites

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/rostercheck/rostercheck/schemas"
	"github.com/rostercheck/rostercheck/suites/catalogue"
)

// Data rules: what consumers require of records beyond the 1.1 schema.
// Each is applied to every record of every page during the walk, at no
// extra request; the spec level of most is ignore (the spec allows the
// record), and the consumer profiles that reject it raise it to MUST.
const (
	ruleNoMillis       = "datetime.no-millis"
	rulePhone          = "phone.not-e164"
	ruleContact        = "contact.incomplete"
	ruleUserFlags      = "userflags.unknown"
	ruleUsernameAt     = "username.has-at"
	ruleUserIdentifier = "user.identifier-missing"
	ruleOrgIdentifier  = "org.identifier-missing"
	ruleGivenName      = "user.givenname-empty"
	ruleNoEmail        = "user.no-email"
	ruleGUIDRefType    = "guidref.wrong-type"
	ruleSessionDates   = "session.dates-inverted"
	ruleEnrollDates    = "enrollment.dates-inverted"
)

const seed001 = "SDS page: OneRoster API data accessed by School Data Sync (https://learn.microsoft.com/en-us/schooldatasync/sds-oneroster-api)"

func init() {
	RegisterRules(
		Rule{ruleNoMillis, Ignore, "dateLastModified is not YYYY-MM-DDTHH:mm:ss.SSSZ (milliseconds, UTC)", "SDS parses dateLastModified strictly as YYYY-MM-DDTHH:mm:ss.SSSZ (OneRoster 1.1 Information Model, DateTime)", "write dateLastModified in UTC with exactly three fraction digits: 2024-05-01T10:00:00.000Z"},
		Rule{rulePhone, Ignore, "phone or sms is not E.164 with a leading +", seed001 + `: "Expect phone and sms to be in E.164 and + must be included. (Example: +1234567890)"`, "write phone numbers as + and up to 15 digits"},
		Rule{ruleContact, Ignore, "a guardian, parent or relative lacks givenName, familyName or email", seed001 + `: "familyName, givenName, and email are required for users that have contact/guardian roles."`, "give every contact a givenName, familyName and email, or leave the contact out"},
		Rule{ruleUserFlags, Ignore, `metadata["microsoft.userFlags"] holds a value SDS does not know`, seed001 + `: "The key should be named microsoft.userFlags and must be formatted as a comma delimited list" (values: freeLunch, reducedLunch, homeless, giftedOrTalented, 504, ELL, LEP, IEP)`, "use only the documented flags, comma separated"},
		Rule{ruleUsernameAt, Ignore, "a student's or teacher's username contains @", `SDS classic provider tests: username without "@" ("SDS adds second domain", OneRoster 1.1 Information Model, user and org)`, "serve the bare user name; SDS appends the domain"},
		Rule{ruleUserIdentifier, Ignore, "a user has no identifier", "SDS requires user identifier (SDS Postman collection: SDS V2 OneRoster v1.1-OAuth2)", "fill identifier with the SIS's stable user number"},
		Rule{ruleOrgIdentifier, Ignore, "an org has no identifier", "SDS requires org identifier (SDS Postman collection: SDS V2 OneRoster v1.1-OAuth2)", "fill identifier (e.g. the NCES id)"},
		Rule{ruleGivenName, Ignore, "a user's givenName is empty", "SDS requires givenName (SDS Postman collection: SDS V2 OneRoster v1.1-OAuth2)", "fill givenName"},
		Rule{ruleNoEmail, Ignore, "a user has no email", "Apple School Manager: with federated authentication every user needs an e-mail address", "give every user an email, or turn federation off"},
		Rule{ruleSessionDates, MUST, "an academic session's startDate is after its endDate", "OneRoster 1.1 Information Model §4.2 academicSession: startDate and endDate bound the session; a consumer that builds a calendar of terms and grading periods cannot place it", "write startDate on or before endDate (swap them if they were exchanged)"},
		Rule{ruleEnrollDates, MUST, "an enrollment's beginDate is after its endDate", "OneRoster 1.1 Information Model §4.6 enrollment: beginDate and endDate bound the enrollment; a consumer that dates class membership cannot place it", "write beginDate on or before endDate, or leave the dates out"},
		Rule{ruleGUIDRefType, MUST, "a GUIDRef's type does not match the object it points at (e.g. a user typed org)", "OneRoster 1.1 §4.14 GUIDRef type vocabulary; SDS requires enrollment.user.type user and enrollment.class.type class", "type each GUIDRef after its target: user, class, org, academicSession, ..."},
	)
}

var (
	strictDateTime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`)
	e164           = regexp.MustCompile(`^\+[1-9]\d{1,14}$`)
	// userFlags are the values SDS documents (SDS page: OneRoster API data accessed by School Data Sync and its default list).
	userFlags = map[string]bool{"freelunch": true, "reducedlunch": true, "homeless": true, "giftedortalented": true,
		"504": true, "ell": true, "lep": true, "iep": true}
	contactRoles = map[string]bool{"guardian": true, "parent": true, "relative": true}
	sessionTypes = []string{"academicSession", "term", "gradingPeriod", "semester", "schoolYear"}
	orgTypes     = []string{"org", "school", "district", "department", "local", "state", "national"}
	userTypes    = []string{"user", "student", "teacher"}
	// refTypes are the GUIDRef types each entity's reference fields accept.
	refTypes = map[string]map[string][]string{
		"enrollment":      {"user": userTypes, "class": {"class"}, "school": orgTypes},
		"class":           {"course": {"course"}, "school": orgTypes, "terms": sessionTypes, "resources": {"resource"}},
		"course":          {"org": orgTypes, "schoolYear": sessionTypes, "resources": {"resource"}},
		"user":            {"orgs": orgTypes, "agents": userTypes},
		"academicSession": {"parent": sessionTypes, "children": sessionTypes},
		"org":             {"parent": orgTypes, "children": orgTypes},
		"lineItem":        {"class": {"class"}, "category": {"category"}, "gradingPeriod": sessionTypes},
		"result":          {"lineItem": {"lineItem"}, "student": userTypes},
	}
)

// dataViolations applies the data rules to one record; ptr is its JSON
// pointer in the page.
func dataViolations(entity string, rec map[string]any, ptr string) []Violation {
	var out []Violation
	add := func(rule, field, format string, args ...any) {
		p := ptr
		if field != "" {
			p += "/" + field
		}
		out = append(out, Violation{Rule: rule, Pointer: p, Message: fmt.Sprintf(format, args...)})
	}
	str := func(k string) (string, bool) {
		s, ok := rec[k].(string)
		return s, ok
	}
	if d, ok := str("dateLastModified"); ok && !strictDateTime.MatchString(d) {
		add(ruleNoMillis, "dateLastModified", "%q is not YYYY-MM-DDTHH:mm:ss.SSSZ", d)
	}
	for field, types := range refTypes[entity] {
		for i, ref := range refsOf(rec[field]) {
			t, _ := ref["type"].(string)
			if t == "" || slices.Contains(types, t) {
				continue // a missing type is the schema's finding
			}
			f := field
			if _, isList := rec[field].([]any); isList {
				f = fmt.Sprintf("%s/%d", field, i)
			}
			add(ruleGUIDRefType, f+"/type", "type %q, want %s", t, strings.Join(types, " or "))
		}
	}
	if rec["status"] == "tobedeleted" {
		return out // a tombstone's content does not matter to a consumer
	}
	switch entity {
	case "user":
		role, _ := str("role")
		for _, k := range []string{"phone", "sms"} {
			if v, ok := str(k); ok && v != "" && !e164.MatchString(v) {
				add(rulePhone, k, "%q is not E.164 (+ and up to 15 digits)", v)
			}
		}
		if contactRoles[role] {
			var missing []string
			for _, k := range []string{"givenName", "familyName", "email"} {
				if v, _ := str(k); strings.TrimSpace(v) == "" {
					missing = append(missing, k)
				}
			}
			if len(missing) > 0 {
				add(ruleContact, "", "%s without %s", role, strings.Join(missing, ", "))
			}
		}
		if md, ok := rec["metadata"].(map[string]any); ok {
			if flags, ok := md["microsoft.userFlags"].(string); ok {
				for _, f := range strings.Split(flags, ",") {
					if f = strings.TrimSpace(f); f != "" && !userFlags[strings.ToLower(f)] {
						add(ruleUserFlags, "metadata/microsoft.userFlags", "unknown user flag %q", f)
					}
				}
			}
		}
		if u, _ := str("username"); (role == "student" || role == "teacher") && strings.Contains(u, "@") {
			add(ruleUsernameAt, "username", "%q contains @", u)
		}
		if v, _ := str("identifier"); strings.TrimSpace(v) == "" {
			add(ruleUserIdentifier, "identifier", "identifier is empty or absent")
		}
		if v, ok := str("givenName"); ok && strings.TrimSpace(v) == "" {
			add(ruleGivenName, "givenName", "givenName is empty")
		}
		if v, _ := str("email"); strings.TrimSpace(v) == "" {
			add(ruleNoEmail, "email", "email is empty or absent")
		}
	case "org":
		if v, _ := str("identifier"); strings.TrimSpace(v) == "" {
			add(ruleOrgIdentifier, "identifier", "identifier is empty or absent")
		}
	case "academicSession":
		if a, b, ok := datePair(rec, "startDate", "endDate"); ok && a > b {
			add(ruleSessionDates, "startDate", "startDate %s is after endDate %s", a, b)
		}
	case "enrollment":
		if a, b, ok := datePair(rec, "beginDate", "endDate"); ok && a > b {
			add(ruleEnrollDates, "beginDate", "beginDate %s is after endDate %s", a, b)
		}
	}
	return out
}

// isoDate is a calendar date (YYYY-MM-DD): two such strings order as
// their dates do.
var isoDate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// datePair returns the two date fields of a record when both are
// calendar dates (a missing or malformed date is not compared: the schema
// reports the malformed one).
func datePair(rec map[string]any, from, to string) (string, string, bool) {
	a, _ := rec[from].(string)
	b, _ := rec[to].(string)
	if !isoDate.MatchString(a) || !isoDate.MatchString(b) {
		return "", "", false
	}
	return a, b, true
}

func refsOf(v any) []map[string]any {
	switch x := v.(type) {
	case map[string]any:
		return []map[string]any{x}
	case []any:
		out := make([]map[string]any, 0, len(x))
		for _, e := range x {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	}
	return nil
}

// schemaRule names the rule a schema violation breaks: the cause a vendor
// fixes, not the keyword that noticed it.
func schemaRule(v schemas.Violation, rec map[string]any) string {
	switch {
	case v.Missing == "href":
		return ruleMissingHref
	case v.Missing != "" && rec["status"] == "tobedeleted":
		return ruleTombstone
	case v.Def == "boolString" && strings.HasPrefix(v.Message, "got boolean"):
		return ruleBoolean
	case v.Def == "date" || v.Def == "dateTime" || v.Def == "dateOrDateTime":
		return ruleDateTime
	}
	return ruleSchema
}

func checkData(ctx context.Context, e *Env, ep catalogue.Endpoint, r *Recorder) {
	for _, w := range walksOrFail(ctx, e, ep, r, false) {
		for _, v := range w.Data {
			r.Add(v)
		}
		for rule, n := range w.DataCounts {
			r.Uncounted(rule, n-w.dataKept[rule])
		}
	}
}
