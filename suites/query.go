package suites

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rostercheck/rostercheck/suites/catalogue"
)

// Query semantics: every filter, delta, sort and field selection a
// consumer sends, proven right record by record against the full walk.
//
// Features (a profile lists those its consumer relies on):
const (
	FeatureFilterStatus   = "filter.status"         // SDS page: OneRoster API data accessed by School Data Sync: ?offset=0&limit=5000&filter=status='active'
	FeatureFilterDelta    = "filter.delta"          // SDS page: OneRoster API data accessed by School Data Sync: ?filter=dateLastModified>'{deltaDateTime}'
	FeatureFilterOnboard  = "filter.sds-onboarding" // Microsoft page: Onboarding OneRoster API providers in SDS and Grade Sync: the filters of the onboarding table
	FeatureFilterNone     = "filter.norecords"      // filter=sourcedId='norecords': 200, [] and X-Total-Count: 0
	FeatureFilterGuardian = "filter.guardian"       // /users?filter=role='guardian'
	FeatureFilterEmail    = "filter.email"          // /users?filter=email='...', /teachers?filter=email='...'
	FeatureFilterSemantic = "filter.semantics"      // every operator, AND/OR, three clauses, encodings, dates as instants
	FeatureFilterErrors   = "filter.errors"         // unknown field 400 invalid_filter_field; malformed 400
	FeatureSort           = "sort"                  // sort=F&orderBy=asc|desc across pages; unknown field warning
	FeatureFields         = "fields"                // fields=a,b on collections and singletons
	FeaturePagingInvalid  = "paging.invalid"        // limit/offset abc, -1, 0: 400
)

// Rules of the query checks.
const (
	ruleFilterStatus     = "filter.status-wrong"
	ruleFilterDelta      = "filter.delta-wrong"
	ruleFilterWrong      = "filter.wrong-result"
	ruleFilterTotal      = "filter.total-wrong"
	ruleFilterPages      = "filter.paging-duplicate"
	ruleFilterRejected   = "filter.rejected"
	ruleQueryBroken      = "query.server-error"
	ruleEmptyNotArray    = "filter.empty-not-array"
	ruleFilterUnknown    = "filter.unknown-field-accepted"
	ruleFilterErrorCode  = "filter.error-code"
	ruleFilterMalformed  = "filter.malformed-accepted"
	ruleSortOrder        = "sort.wrong-order"
	ruleSortPages        = "sort.paging-inconsistent"
	ruleSortUnknown      = "sort.unknown-field"
	ruleFieldsSelected   = "fields.not-selected"
	ruleFieldsUnknown    = "fields.unknown-field"
	ruleFieldsBlank      = "fields.blank-accepted"
	rulePagingInvalid    = "paging.invalid-accepted"
	ruleFilterPrecedence = "filter.precedence-wrong"
	ruleFilterDateOnly   = "filter.date-only-refused"

	seedFilterSDS   = `SDS page: OneRoster API data accessed by School Data Sync: "SDS applies a filter on the dateLastModified property for delta sync/incremental sync processing and is required for integration with SDS."`
	seedStatusSDS   = `SDS page: OneRoster API data accessed by School Data Sync, Required API Endpoints for SDS: "Required Filter Properties: status", e.g. /users?offset=0&limit=5000&filter=status='active'`
	seedOnboarding  = `Microsoft page: Onboarding OneRoster API providers in SDS and Grade Sync, Required API Endpoints for School Data Sync: "Some endpoints have requirements on filter parameter support to allow filtering by status, or to enable delta sync."`
	specFilter      = "OneRoster 1.1 §3.3 filtering: field op 'value', = != > >= < <= ~, AND/OR"
	specSort        = "OneRoster 1.1 §3.2 sorting: sort=field&orderBy=asc|desc"
	specFields      = "OneRoster 1.1 §3.4 field selection: fields=a,b"
	specPagingParam = "OneRoster 1.1 §3.1 paging: limit and offset are non-negative integers (invalid values are not defined by 1.1)"
)

func init() {
	RegisterFeatures(FeatureFilterStatus, FeatureFilterDelta, FeatureFilterOnboard, FeatureFilterNone, FeatureFilterGuardian,
		FeatureFilterEmail, FeatureFilterSemantic, FeatureFilterErrors, FeatureSort, FeatureFields, FeaturePagingInvalid)
	RegisterRules(
		Rule{ruleFilterStatus, MUST, "filter=status='active' returns records that are not active or leaves out active ones", seedStatusSDS, "apply the filter to every record before paging; tobedeleted records are not active"},
		Rule{ruleFilterDelta, MUST, "a delta (dateLastModified>'T') returns records not modified after T or leaves out records that were", seedFilterSDS, "compare dateLastModified as an instant, strictly after the cut-off, tobedeleted records included"},
		Rule{ruleFilterWrong, MUST, "a filtered collection returns records that do not satisfy the filter or leaves out records that do", specFilter, "evaluate every predicate on every record: AND binds tighter than OR, dot paths read GUIDRef members, dates compare as instants"},
		Rule{ruleFilterTotal, MUST, "X-Total-Count of a filtered collection is not the number of records the filter matches", specPaging + " (X-Total-Count counts the filtered set)", "count the filtered records before paging"},
		Rule{ruleFilterPages, MUST, "a filtered collection repeats records across its pages", specPaging, "page the filtered records over a stable order"},
		Rule{ruleFilterRejected, MUST, "a valid filter is refused (4xx)", specFilter, "accept every 1.1 filter on the fields of the data model"},
		Rule{ruleQueryBroken, MUST, "a query answers 5xx, drops the connection, times out or is not JSON", specFilter, "validate query parameters and answer 400 with an imsx statusInfoSet; never crash"},
		Rule{ruleEmptyNotArray, MUST, "an empty result is not an empty array (null, {} or no wrapper key)", specJSONBinding + `; consumers tell "no data" from "broken" by it (SDS "No Records" probe)`, `answer {"users": []} with X-Total-Count: 0`},
		Rule{ruleFilterUnknown, MUST, "an unknown filter field is not answered 400", "OneRoster 1.1 filtering: unknown filter field: no data, failure, invalid_filter_field", "answer 400 with imsx_codeMinor invalid_filter_field naming the field"},
		Rule{ruleFilterErrorCode, SHOULD, "a refused filter carries no imsx statusInfoSet with codeMinor invalid_filter_field", "OneRoster 1.1 §3.3 (error payload shape not normative in 1.1)", `answer {"statusInfoSet":[{"imsx_codeMajor":"failure","imsx_severity":"error","imsx_codeMinor":"invalid_filter_field"}]}`},
		Rule{ruleFilterMalformed, SHOULD, "a malformed filter expression is answered 200 (with everything or a guess)", "OneRoster 1.1 §3.3 (malformed filters are not separately defined; implementations answer 400)", "answer 400 invalid_filter_field for an expression that does not parse"},
		Rule{ruleSortOrder, MUST, "sort=F&orderBy=asc|desc does not order the records by F", specSort, "sort the filtered records by the field, then page them"},
		Rule{ruleSortPages, MUST, "a sorted collection repeats or loses records across its pages", specSort, "break ties by sourcedId so that the order is total and repeatable"},
		Rule{ruleSortUnknown, SHOULD, "an unknown sort field is not answered 200 with the invalid_sort_field warning", "OneRoster 1.1 sorting: 200, success/warning invalid_sort_field", `answer 200 in the default order with "statusInfoSet":[{"imsx_codeMajor":"success","imsx_severity":"warning","imsx_codeMinor":"invalid_sort_field"}]`},
		Rule{ruleFieldsSelected, MUST, "fields=a,b returns other fields, or leaves a selected field out", specFields, "serve only the selected fields (and sourcedId)"},
		Rule{ruleFieldsUnknown, SHOULD, "an unknown field in fields is not answered 200 with all fields and the invalid_selection_field warning", "OneRoster 1.1 field selection: 200, all fields, success/warning invalid_selection_field", "serve all fields and add the invalid_selection_field warning"},
		Rule{ruleFieldsBlank, SHOULD, "a blank selection (fields=) is not answered 400", "OneRoster 1.1 field selection: invalid_blank_selection_field", "answer 400 invalid_blank_selection_field"},
		Rule{ruleFilterPrecedence, SHOULD, "a filter mixing AND and OR (A OR B AND C) is not read with AND binding tighter than OR, or is refused",
			"OneRoster 1.1 §3.3 Filtering: the grammar shows one predicate or two joined by one logical operator; a mix of AND and OR is an extension, read as in SQL (AND binds tighter)",
			"read A OR B AND C as A OR (B AND C), as SQL does"},
		Rule{ruleFilterDateOnly, SHOULD, "a date-only value (dateLastModified>'2020-01-01') on a dateTime field is refused",
			"OneRoster 1.1 §3.3 Filtering: values compare in the field's type; 1.1 is silent on a date-only value for a DateTime field, read as midnight UTC of that day (as SQL reads a date)",
			"accept a date-only value on a dateTime field as midnight UTC of that day"},
		Rule{rulePagingInvalid, SHOULD, "an invalid limit or offset (abc, -1, 0) is not answered 400", specPagingParam, "answer 400 invalid data for a limit or offset that is not a positive (limit) or non-negative (offset) integer"},
	)
	RegisterChecks(queryChecks)
}

// sdsGetAll are the GetAll endpoints of SDS page: OneRoster API data accessed by School Data Sync (five required, two optional).
var sdsGetAll = []string{"/academicSessions", "/orgs", "/users", "/classes", "/enrollments", "/courses", "/demographics"}

// topLevel returns the top-level endpoints of the catalogue.
func topLevel() []catalogue.Endpoint {
	var out []catalogue.Endpoint
	for _, ep := range catalogue.Endpoints {
		if ep.TopLevel() {
			out = append(out, ep)
		}
	}
	return out
}

// qcheck builds one query check of an endpoint; run gets each usable walk.
func qcheck(ep catalogue.Endpoint, behaviour, title, level, feature, rule, source string,
	run func(ctx context.Context, e *Env, ep catalogue.Endpoint, w *Walk, r *Recorder)) Check {
	return Check{
		ID:       ep.CheckPrefix() + behaviour,
		Title:    title + " [" + level + "]",
		Area:     ep.Area,
		Endpoint: ep.Path,
		Level:    level,
		Features: []string{ep.Path, feature},
		Rule:     rule,
		Service:  ep.Area,
		Source:   source,
		Run: func(ctx context.Context, e *Env, r *Recorder) {
			// A relationship read is judged on the walks of the parents that
			// have records; it is not supported only when none has.
			ws := walksOrFail(ctx, e, ep, r, true)
			var empty []string
			ran := false
			for _, w := range ws {
				if w.Cols == nil || w.Cols.Len() == 0 {
					empty = append(empty, w.Path)
					continue
				}
				ran = true
				run(ctx, e, ep, w, r)
			}
			if !ran && len(empty) > 0 {
				r.NotSupported(fmt.Sprintf("GET %s returned no records to build filters from", strings.Join(empty[:min(len(empty), 3)], ", ")))
			}
		},
	}
}

func mustLookup(path string) catalogue.Endpoint {
	ep, ok := catalogue.Lookup(path)
	if !ok {
		panic("suites: no catalogue row for " + path)
	}
	return ep
}

func queryChecks() []Check {
	var out []Check
	// Seed 001: SDS's own requests on its GetAll endpoints.
	for _, path := range sdsGetAll {
		ep := mustLookup(path)
		out = append(out,
			qcheck(ep, "filter.status-active",
				fmt.Sprintf("GET %s?offset=0&limit=5000&filter=status='active' (SDS) returns exactly the active records of the full walk, across pages, with X-Total-Count the filtered count", path),
				MUST, FeatureFilterStatus, ruleFilterStatus, seedStatusSDS, checkStatusActive),
			qcheck(ep, "filter.delta",
				fmt.Sprintf("GET %s?filter=dateLastModified>'{deltaDateTime}' (SDS page: OneRoster API data accessed by School Data Sync: \"SDS applies a filter on the dateLastModified property for delta sync\") returns exactly the records modified after the cut-off (oldest, median, newest, after the newest), tobedeleted ones included", path),
				MUST, FeatureFilterDelta, ruleFilterDelta, seedFilterSDS, checkDelta),
		)
	}
	out = append(out, onboardingChecks()...)
	out = append(out, probeChecks()...)
	out = append(out, semanticChecks()...)
	out = append(out, sortFieldsChecks()...)
	return out
}

// instants are distinct instants, sorted, as Unix nanoseconds (8 bytes
// each: a walk of a million records has about as many).
type instants []int64

func (s instants) at(i int) time.Time { return time.Unix(0, s[i]).UTC() }

// lastModified returns the distinct dateLastModified instants of a walk, sorted.
func lastModified(w *Walk) instants {
	i := w.Cols.col("dateLastModified")
	var out instants
	for _, row := range w.Cols.All() {
		for _, v := range row.values(i) {
			if t, ok := instant(v); ok {
				out = append(out, t.UnixNano())
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func checkStatusActive(ctx context.Context, e *Env, ep catalogue.Endpoint, w *Walk, r *Recorder) {
	f := and(pred{"status", "=", "active"})
	runCase(ctx, e, r, ep, w, qcase{what: "SDS full sync", filter: f, enc: encVerbatim,
		first: "offset=0&limit=" + strconv.Itoa(e.LargeLimit) + "&filter=" + encodeFilter(f.String(), encVerbatim), rule: ruleFilterStatus})
}

// deltaCutoffs are the cut-offs a delta check sends: the oldest, median and
// newest dateLastModified of the walk, and one millisecond after the newest.
func deltaCutoffs(w *Walk) []struct {
	what string
	t    time.Time
} {
	ts := lastModified(w)
	if len(ts) == 0 {
		return nil
	}
	return []struct {
		what string
		t    time.Time
	}{
		{"the oldest dateLastModified", ts.at(0)},
		{"the median dateLastModified", ts.at(len(ts) / 2)},
		{"the newest dateLastModified", ts.at(len(ts) - 1)},
		{"one millisecond after the newest", ts.at(len(ts) - 1).Add(time.Millisecond)},
	}
}

func checkDelta(ctx context.Context, e *Env, ep catalogue.Endpoint, w *Walk, r *Recorder) {
	cuts := deltaCutoffs(w)
	if cuts == nil {
		r.NotSupported(fmt.Sprintf("GET %s: no record has a dateLastModified to cut at", w.Path))
		return
	}
	// The cut-offs are independent filtered walks, two at once (each may
	// be most of a large collection).
	eachPart(ctx, r, len(cuts), 2, func(i int, r *Recorder) {
		f := and(pred{"dateLastModified", ">", cuts[i].t.UTC().Format(msLayout)})
		runCase(ctx, e, r, ep, w, qcase{what: "delta at " + cuts[i].what, filter: f, enc: encVerbatim,
			first: "filter=" + encodeFilter(f.String(), encVerbatim), rule: ruleFilterDelta})
	})
}

// onboardingChecks are the filters of the SDS onboarding list's table, each verbatim.
func onboardingChecks() []Check {
	median := func(w *Walk) string {
		ts := lastModified(w)
		if len(ts) == 0 {
			return ""
		}
		return ts.at(len(ts) / 2).Format(msLayout)
	}
	type row struct {
		path, behaviour, example, rule string
		build                          func(w *Walk) (expr, bool)
	}
	statusDelta := func(w *Walk) (expr, bool) {
		t := median(w)
		return and(pred{"status", "=", "active"}, pred{"dateLastModified", ">", t}), t != ""
	}
	delta := func(w *Walk) (expr, bool) {
		t := median(w)
		return and(pred{"dateLastModified", ">", t}), t != ""
	}
	// Seed 004 prints the /schools example in the getAllUsers row and the
	// /users example in the getAllSchools row; each endpoint gets its own.
	rows := []row{
		{"/academicSessions", "filter.schoolyear-status", "/academicSessions?filter=schoolYear='2019' AND status='active'", ruleFilterStatus,
			func(w *Walk) (expr, bool) {
				y := mostCommon(w, "schoolYear")
				return and(pred{"schoolYear", "=", y}, pred{"status", "=", "active"}), y != ""
			}},
		{"/users", "filter.status-delta", "/users?filter=status='active' AND dateLastModified>'2018-01-25T03:22:03.297Z'", ruleFilterDelta, statusDelta},
		{"/schools", "filter.status-delta", "/schools?filter=status='active' AND dateLastModified>'2018-01-25T03:22:03.297Z'", ruleFilterDelta, statusDelta},
		{"/schools/{school_id}/classes", "filter.delta", "/schools/{school_id}/classes?filter=dateLastModified>'2018-01-25T03:22:07.209Z'", ruleFilterDelta, delta},
		{"/schools/{school_id}/students", "filter.delta", "/schools/{school_id}/students?filter=dateLastModified>'2018-01-25T03:22:07.209Z'", ruleFilterDelta, delta},
		{"/schools/{school_id}/teachers", "filter.delta", "/schools/{school_id}/teachers?filter=dateLastModified>'2018-01-25T03:22:07.209Z'", ruleFilterDelta, delta},
		{"/schools/{school_id}/enrollments", "filter.role-student", "/schools/{school_id}/enrollments?filter=role='student'", ruleFilterWrong,
			func(w *Walk) (expr, bool) { return and(pred{"role", "=", "student"}), true }},
		{"/schools/{school_id}/enrollments", "filter.delta-role-teacher", "/schools/{school_id}/enrollments?filter=dateLastModified>'2018-01-25T03:22:28.204Z' AND role='teacher'", ruleFilterDelta,
			func(w *Walk) (expr, bool) {
				t := median(w)
				return and(pred{"dateLastModified", ">", t}, pred{"role", "=", "teacher"}), t != ""
			}},
	}
	var out []Check
	for _, rw := range rows {
		rw := rw
		ep := mustLookup(rw.path)
		out = append(out, qcheck(ep, rw.behaviour,
			fmt.Sprintf("GET %s, with the cut-off or value taken from the data, returns exactly the matching records of the full walk (SDS onboarding example)", rw.example),
			MUST, FeatureFilterOnboard, rw.rule, seedOnboarding,
			func(ctx context.Context, e *Env, ep catalogue.Endpoint, w *Walk, r *Recorder) {
				f, ok := rw.build(w)
				if !ok {
					r.NotSupported(fmt.Sprintf("GET %s: no value in the data to build the seed's filter from", w.Path))
					return
				}
				runCase(ctx, e, r, ep, w, qcase{what: "SDS onboarding " + rw.behaviour, filter: f, enc: encVerbatim,
					first: "filter=" + encodeFilter(f.String(), encVerbatim), rule: rw.rule})
			}))
	}
	return out
}

// mostCommon returns the most frequent value of a column ("" when none).
func mostCommon(w *Walk, col string) string {
	i := w.Cols.col(col)
	n := map[string]int{}
	for _, row := range w.Cols.All() {
		for _, v := range row.values(i) {
			if probeable(v) {
				n[v]++
			}
		}
	}
	best, bn := "", 0
	for v, c := range n {
		if c > bn || (c == bn && v < best) {
			best, bn = v, c
		}
	}
	return best
}

// probeChecks are the requests consumers use to tell "no data" from
// "broken", and their lookups by value.
func probeChecks() []Check {
	var out []Check
	for _, ep := range topLevel() {
		out = append(out, qcheck(ep, "filter.norecords",
			fmt.Sprintf("GET %s?filter=sourcedId='norecords' (SDS \"No Records\" probe) answers 200 with an empty array under the wrapper key and X-Total-Count: 0, never null, {} or a missing key", ep.Path),
			MUST, FeatureFilterNone, ruleEmptyNotArray, `SDS provider tests "No Records" (SDS Postman collection: SDS V2 OneRoster v1.1-OAuth2); `+specJSONBinding,
			func(ctx context.Context, e *Env, ep catalogue.Endpoint, w *Walk, r *Recorder) {
				f := and(pred{"sourcedId", "=", "norecords"})
				res := runCase(ctx, e, r, ep, w, qcase{what: "no-records probe", filter: f, enc: encVerbatim,
					first: "filter=" + encodeFilter(f.String(), encVerbatim), rule: ruleFilterWrong})
				if res.ok && !res.hasTotal {
					r.AddRule(ruleFilterTotal, res.first, "GET %s?filter=sourcedId='norecords': no X-Total-Count header, want X-Total-Count: 0", w.Path)
				}
			}))
	}
	users := mustLookup("/users")
	out = append(out, qcheck(users, "filter.role-guardian",
		"GET /users?filter=role='guardian' (SDS contacts; sds-classic onboarding) returns exactly the guardians of the full walk, or an empty array",
		MUST, FeatureFilterGuardian, ruleFilterWrong, `SDS provider tests: guardians via users?filter=role='guardian' (SDS Postman collection: SDS V2 OneRoster v1.1-OAuth2)`,
		func(ctx context.Context, e *Env, ep catalogue.Endpoint, w *Walk, r *Recorder) {
			f := and(pred{"role", "=", "guardian"})
			runCase(ctx, e, r, ep, w, qcase{what: "guardian lookup", filter: f, enc: encVerbatim, first: "filter=" + encodeFilter(f.String(), encVerbatim)})
		}))
	for _, path := range []string{"/users", "/teachers"} {
		ep := mustLookup(path)
		out = append(out, qcheck(ep, "filter.email",
			fmt.Sprintf("GET %s?filter=email='<an address from the walk>' (Google Classroom, sds-classic) returns exactly the users with that address; a '+' in the address is sent as %%2B", path),
			MUST, FeatureFilterEmail, ruleFilterWrong, `Google Classroom OneRoster sync: teachers?filter=email='<given>' expects exactly 1 user (Google OneRoster integration notebooks, googleworkspace/oneroster-integration-conformance-tests)`,
			func(ctx context.Context, e *Env, ep catalogue.Endpoint, w *Walk, r *Recorder) {
				addr := pickValue(w, "email", func(v string) bool { return strings.Contains(v, "+") })
				if addr == "" {
					addr = pickValue(w, "email", func(string) bool { return true })
				}
				if addr == "" {
					r.NotSupported(fmt.Sprintf("GET %s: no user has an email address", w.Path))
					return
				}
				f := and(pred{"email", "=", addr})
				runCase(ctx, e, r, ep, w, qcase{what: "lookup by e-mail", filter: f, enc: encVerbatim, first: "filter=" + encodeFilter(f.String(), encVerbatim)})
			}))
	}
	return out
}

// pickValue returns the value of a column at the middle of the walk that
// satisfies ok (searching forward, then from the start), "" when none.
func pickValue(w *Walk, col string, ok func(string) bool) string {
	i := w.Cols.col(col)
	if i < 0 {
		return ""
	}
	n := w.Cols.Len()
	for k := 0; k < n; k++ {
		row := w.Cols.Row((n/2 + k) % n)
		for _, v := range row.values(i) {
			if v != "" && probeable(v) && ok(v) {
				return v
			}
		}
	}
	return ""
}
