package suites

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/rostercheck/rostercheck/internal/client"
	"github.com/rostercheck/rostercheck/schemas"
	"github.com/rostercheck/rostercheck/suites/catalogue"
	"github.com/rostercheck/rostercheck/suites/catalogue/v1p2"
)

// What the query families (filter, sort, fields) judge differently per
// spec version, as data: the columns a walk keeps, the rule of an unknown
// filter field answered 2xx, how a refused query's body is judged, and
// what an unknown sort field or selection field must answer. The families
// themselves (query*.go) are shared by 1.1 and 1.2.
type queryVersion struct {
	// columns replaces queryColumns for an entity of the version; they are
	// registered in queryColumns under prefix+entity ("v1p2.user").
	columns map[string][]string
	prefix  string
	// unknownFilter is the rule of a filter on an unknown field answered 2xx.
	unknownFilter string
	// refusal judges the 4xx answer to a bad query.
	refusal func(e *Env, r *Recorder, ep catalogue.Endpoint, ex *client.Exchange, rf refusal)
	// unknownSort and unknownSelection send an unknown sort field and an
	// unknown fields entry (with, for 1.1, a blank selection) and judge
	// the answer.
	unknownSort, unknownSelection func(ctx context.Context, e *Env, r *Recorder, ep catalogue.Endpoint, w *Walk)
}

// refusal is what a refused query is judged against.
type refusal struct {
	request string // "GET /users?filter=..."
	want    string // the codeMinor the spec names for it ("" any of the service's)
	// rule of a body or status that is not what the spec declares; ""
	// is the version's own.
	rule string
	// reading, when set, names the reading of the 1.2 files that alone
	// makes want the code on the operations it lists (a codeMinor other
	// than want is then its SHOULD rule, ruleV1p2FilterCodeReading).
	reading string
}

var queryVersions = map[string]queryVersion{
	SpecV1p1: {unknownFilter: ruleFilterUnknown, refusal: refusalV1p1, unknownSort: unknownSortV1p1, unknownSelection: unknownSelectionV1p1},
	SpecV1p2: {
		prefix: "v1p2.",
		// A 1.2 user has roles[] (role, roleType, org) and primaryOrg
		// instead of 1.1's role and orgs.
		columns: map[string][]string{
			"user": {"status", "dateLastModified", "username", "givenName", "familyName", "email", "enabledUser", "identifier",
				"roles.role", "roles.roleType", "primaryOrg.sourcedId"},
			// The 1.2 gradebook's new entities (the others keep 1.1's).
			"scoreScale":         {"status", "dateLastModified", "title", "type", "class.sourcedId", "course.sourcedId"},
			"assessmentLineItem": {"status", "dateLastModified", "title", "class.sourcedId", "resultValueMax"},
			"assessmentResult":   {"status", "dateLastModified", "scoreStatus", "score", "assessmentLineItem.sourcedId", "student.sourcedId", "scoreDate"},
		},
		unknownFilter: ruleV1p2FilterUnknown, refusal: refusalV1p2, unknownSort: unknownSortV1p2, unknownSelection: unknownSelectionV1p2,
	},
}

func queryVersionOf(ep catalogue.Endpoint) queryVersion { return queryVersions[specOf(ep)] }

// columnKey is the key of queryColumns that names the query columns a
// walk of ep keeps: the entity, or for a version with its own columns of
// the entity, the entity under the version's check-ID prefix
// ("v1p2.user"), registered below.
func columnKey(ep catalogue.Endpoint) string {
	qv := queryVersionOf(ep)
	if _, ok := qv.columns[ep.Entity]; ok {
		return qv.prefix + ep.Entity
	}
	return ep.Entity
}

func init() {
	for _, qv := range queryVersions {
		for entity, names := range qv.columns {
			queryColumns[qv.prefix+entity] = names
		}
	}
}

// The 1.2 query rules.
const (
	ruleV1p2FilterUnknown     = "v1p2.filter.unknown-field-accepted"
	ruleV1p2FieldsUnknown     = "v1p2.fields.unknown-field-accepted"
	ruleV1p2QueryStatusInfo   = "v1p2.error.query-status-info"
	ruleV1p2QueryStatus       = "v1p2.error.query-not-400"
	ruleV1p2FilterCodeReading = "v1p2.error.filter-code-unlisted"
	ruleV1p2SortUnknown       = "v1p2.sort.unknown-field"

	specV1p2Query400 = specV1p2Rostering + ": every read declares 400 \"Either an invalid selection field or invalid filter selection was supplied … i.e. 'invalid_selection_field' or 'invalid_filter_field'\", its body imsx_StatusInfoDType"
	specV1p2Get422   = "reading get-no-422 of the 1.2 files: reads declare 422 for \"a JSON request body\", which a GET has none of; a read's bad query answers 400 (RFC 9110 section 9.3.1 GET, section 15.5.21 422)"
	specV1p2Gradebk  = "reading bad-request-filter-too of the 1.2 files: the gradebook 400 descriptions name only invalid_selection_field, though its reads take filter and its vocabulary lists invalid_filter_field (as rostering's 400 names it)"
	specV1p2Sort     = "OneRoster 1.2 OpenAPI files: collection reads take sort and orderBy; 1.1's 200 with an invalid_sort_field warning has no place in 1.2, whose imsx_StatusInfo is \"only … returned to provide information about a failed request\", and only the resources vocabulary lists invalid_sort_field: a refusal (400) is the reading (unconfirmed, SHOULD)"
)

func init() {
	RegisterRules(
		Rule{ruleV1p2FilterUnknown, MUST, "a 1.2 filter on an unknown field is not refused (answered 2xx)", specV1p2Query400, "answer 400 with imsx_StatusInfo, codeMinor invalid_filter_field, naming the field"},
		Rule{ruleV1p2FieldsUnknown, MUST, "a 1.2 fields= selection naming an unknown field is not refused (1.1's 200 with a warning is gone)", specV1p2Query400, "answer 400 with imsx_StatusInfo, codeMinor invalid_selection_field, naming the field"},
		Rule{ruleV1p2QueryStatusInfo, MUST, "the refusal of a bad 1.2 query is not a JSON imsx_StatusInfo object with codeMajor failure and the codeMinor the files name for it", specV1p2Query400,
			`answer {"imsx_codeMajor":"failure","imsx_severity":"error","imsx_CodeMinor":{"imsx_codeMinorField":[{"imsx_codeMinorFieldName":"TargetEndSystem","imsx_codeMinorFieldValue":"invalid_filter_field"}]}}`},
		Rule{ruleV1p2QueryStatus, SHOULD, "a bad 1.2 query is refused with a 4xx other than 400 (e.g. the 422 the files also declare on reads)", specV1p2Get422, "answer 400 to a bad filter, sort or fields parameter"},
		Rule{ruleV1p2FilterCodeReading, SHOULD, "a gradebook 1.2 read refuses an unknown filter field without codeMinor invalid_filter_field", specV1p2Gradebk, "answer codeMinor invalid_filter_field to an unknown filter field"},
		Rule{ruleV1p2SortUnknown, SHOULD, "a 1.2 sort on an unknown field is not refused with 400 and an imsx_StatusInfo (codeMinor invalid_sort_field where the service's vocabulary has it)", specV1p2Sort,
			"answer 400 with imsx_StatusInfo (codeMinor invalid_sort_field on resources, invalid_selection_field elsewhere)"},
	)
}

// refusalV1p1 judges a 1.1 refusal: 400 with a statusInfoSet naming the
// codeMinor (1.1 does not make the payload normative: SHOULD).
func refusalV1p1(e *Env, r *Recorder, ep catalogue.Endpoint, ex *client.Exchange, rf refusal) {
	if ex.Status != 400 {
		r.AddRule(ruleFilterErrorCode, ex, "%s answered %d, want 400", rf.request, ex.Status)
	}
	codes, problem := codeMinorOf(ex.Body)
	switch {
	case problem != "":
		r.AddRule(ruleFilterErrorCode, ex, "%s: %s", rf.request, problem)
	case !slices.Contains(codes, rf.want):
		r.AddRule(ruleFilterErrorCode, ex, "%s: imsx_codeMinor %q, want %s", rf.request, strings.Join(codes, ", "), rf.want)
	}
}

// refusalV1p2 judges a 1.2 refusal: 400 (SHOULD: the files also declare
// 422 on reads), the body imsx_StatusInfo itself, codeMajor failure, and
// the codeMinor the files name for the case, from the service's
// vocabulary.
func refusalV1p2(e *Env, r *Recorder, ep catalogue.Endpoint, ex *client.Exchange, rf refusal) {
	rule, status := rf.rule, rf.rule
	if rule == "" {
		rule, status = ruleV1p2QueryStatusInfo, ruleV1p2QueryStatus
	}
	if ex.Status != 400 {
		r.AddRule(status, ex, "%s answered %d, want 400", rf.request, ex.Status)
	}
	if ct := jsonContentType(ex.ResponseHeader.Get("Content-Type")); ct != "" || len(bytes.TrimSpace(ex.Body)) == 0 {
		r.AddRule(rule, ex, "%s: the %d has %s, not an imsx_StatusInfo object", rf.request, ex.Status, e.describeBody(ex))
		return
	}
	doc, err := decodeObject(ex.Body)
	if err != nil {
		r.AddRule(rule, ex, "%s: the %d body is not an imsx_StatusInfo object: %s", rf.request, ex.Status, e.decodeProblem(err, ex.Body))
		return
	}
	vs, err := schemas.ValidateStatusInfoV1p2(ep.Area, doc)
	if err != nil {
		r.Errorf("harness: schema: %v", err)
		return
	}
	for _, v := range vs {
		r.Add(Violation{Rule: rule, Pointer: v.Pointer, Message: rf.request + ": imsx_StatusInfo: " + v.Message, Ex: ex})
	}
	if len(vs) > 0 {
		return
	}
	if m := stringAt(doc, "/imsx_codeMajor"); m != "failure" {
		r.Add(Violation{Rule: rule, Pointer: "/imsx_codeMajor", Message: fmt.Sprintf("%s: imsx_codeMajor %q, want \"failure\"", rf.request, m), Ex: ex})
	}
	var codes []string
	fs, _ := stringPath(doc, "imsx_CodeMinor", "imsx_codeMinorField").([]any)
	for _, f := range fs {
		if m, ok := f.(map[string]any); ok {
			if v, ok := m["imsx_codeMinorFieldValue"].(string); ok {
				codes = append(codes, v)
			}
		}
	}
	if rf.want != "" && !slices.Contains(codes, rf.want) {
		codeRule := rule
		if rf.reading != "" && readingCovers(rf.reading, ep.Op) {
			codeRule = ruleV1p2FilterCodeReading
		}
		r.Add(Violation{Rule: codeRule, Pointer: "/imsx_CodeMinor/imsx_codeMinorField", Ex: ex,
			Message: fmt.Sprintf("%s: imsx_codeMinorFieldValue %q, want %s", rf.request, strings.Join(codes, ", "), rf.want)})
	}
}

// stringPath reads nested object members ("" path: the value itself).
func stringPath(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// readingCovers reports whether a reading of the 1.2 catalogue lists the
// operation among those its contradiction touches.
func readingCovers(id, opID string) bool {
	c, err := v1p2.Load()
	if err != nil {
		return false
	}
	for _, rd := range c.Readings {
		if rd.ID == id {
			return slices.Contains(rd.Operations, opID)
		}
	}
	return false
}

// serviceHasMinor reports whether a 1.2 service's codeMinor vocabulary
// lists a value.
func serviceHasMinor(service, minor string) bool {
	c, err := v1p2.Load()
	if err != nil {
		return false
	}
	s, ok := c.Service(service)
	return ok && slices.Contains(s.CodeMinor, minor)
}

// unknownSortV1p1: 1.1 answers 200 in the default order with an
// invalid_sort_field warning next to the data.
func unknownSortV1p1(ctx context.Context, e *Env, r *Recorder, ep catalogue.Endpoint, w *Walk) {
	raw := "limit=1&offset=0&sort=rostercheckNoSuchField"
	ex := r.Evidence(e.get(ctx, r.res.CheckID, e.url(w.Path, nil)+"?"+raw))
	recs, problem, rule := e.readFiltered(ex, ep.Key, ep.VariantKey(), nil)
	switch {
	case problem != "" && rule == ruleQueryBroken:
		r.AddRule(ruleQueryBroken, ex, "GET %s?%s: %s", w.Path, raw, problem)
	case problem != "":
		r.AddRule(ruleSortUnknown, ex, "GET %s?%s: %s; 1.1 answers 200 in the default order with an invalid_sort_field warning", w.Path, raw, problem)
	case len(recs) == 0:
		r.AddRule(ruleSortUnknown, ex, "GET %s?%s answered no records; 1.1 answers the data in the default order", w.Path, raw)
	default:
		if codes, p := codeMinorOf(ex.Body); p != "" || !slices.Contains(codes, "invalid_sort_field") {
			r.AddRule(ruleSortUnknown, ex, "GET %s?%s: no statusInfoSet warning with imsx_codeMinor invalid_sort_field next to the data", w.Path, raw)
		}
	}
}

// unknownSortV1p2: refused with 400 and an imsx_StatusInfo (the reading
// of specV1p2Sort, SHOULD throughout).
func unknownSortV1p2(ctx context.Context, e *Env, r *Recorder, ep catalogue.Endpoint, w *Walk) {
	raw := "limit=1&offset=0&sort=rostercheckNoSuchField"
	if ex := expectError(ctx, e, r, w.Path, raw, "unknown sort field", ruleV1p2SortUnknown); ex != nil {
		want := ""
		if serviceHasMinor(ep.Area, "invalid_sort_field") {
			want = "invalid_sort_field"
		}
		refusalV1p2(e, r, ep, ex, refusal{request: "GET " + w.Path + "?" + raw, want: want, rule: ruleV1p2SortUnknown})
	}
}

// unknownSelectionV1p1: 1.1 answers 200 with every field and an
// invalid_selection_field warning; a blank selection is refused.
func unknownSelectionV1p1(ctx context.Context, e *Env, r *Recorder, ep catalogue.Endpoint, w *Walk) {
	raw := "limit=1&offset=0&fields=sourcedId,rostercheckNoSuchField"
	ex := r.Evidence(e.get(ctx, r.res.CheckID, e.url(w.Path, nil)+"?"+raw))
	recs, problem, rule := e.readFiltered(ex, ep.Key, ep.VariantKey(), nil)
	switch {
	case problem != "" && rule == ruleQueryBroken:
		r.AddRule(ruleQueryBroken, ex, "GET %s?%s: %s", w.Path, raw, problem)
	case problem != "":
		r.AddRule(ruleFieldsUnknown, ex, "GET %s?%s: %s; 1.1 answers 200 with all fields and an invalid_selection_field warning", w.Path, raw, problem)
	case len(recs) > 0:
		m, _ := recs[0].(map[string]any)
		if len(m) < 3 {
			r.AddRule(ruleFieldsUnknown, ex, "GET %s?%s returned only %s; 1.1 returns all fields when one is unknown", w.Path, raw, keysOf(m))
		}
		if codes, p := codeMinorOf(ex.Body); p != "" || !slices.Contains(codes, "invalid_selection_field") {
			r.AddRule(ruleFieldsUnknown, ex, "GET %s?%s: no statusInfoSet warning with imsx_codeMinor invalid_selection_field next to the data", w.Path, raw)
		}
	}
	expectError(ctx, e, r, w.Path, "limit=1&offset=0&fields=", "blank fields=", ruleFieldsBlank)
}

// unknownSelectionV1p2: 1.2 refuses it, 400 invalid_selection_field, on
// the collection and on a singleton.
func unknownSelectionV1p2(ctx context.Context, e *Env, r *Recorder, ep catalogue.Endpoint, w *Walk) {
	raw := "limit=1&offset=0&fields=sourcedId,rostercheckNoSuchField"
	if ex := expectError(ctx, e, r, w.Path, raw, "unknown field in fields", ruleV1p2FieldsUnknown); ex != nil {
		refusalV1p2(e, r, ep, ex, refusal{request: "GET " + w.Path + "?" + raw, want: "invalid_selection_field"})
	}
	var id string
	if len(w.Samples) > 0 {
		id, _ = w.Samples[0]["sourcedId"].(string)
	}
	if ep.SingleKey == "" || id == "" {
		return
	}
	one := w.Path + "/" + url.PathEscape(id)
	raw = "fields=sourcedId,rostercheckNoSuchField"
	if ex := expectError(ctx, e, r, one, raw, "unknown field in fields", ruleV1p2FieldsUnknown); ex != nil {
		refusalV1p2(e, r, ep, ex, refusal{request: "GET " + one + "?" + raw, want: "invalid_selection_field"})
	}
}
