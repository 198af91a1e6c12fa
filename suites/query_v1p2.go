package suites

import (
	"context"
	"fmt"

	"github.com/rostercheck/rostercheck/suites/catalogue"
)

// The query families over the 1.2 rows: the same filter, sort and fields
// checks as 1.1 (query*.go) on every collection read of the 1.2 services
// the catalogue covers, relationship reads included (each on the walks of
// its sampled parents: every 1.2 collection read declares filter, sort,
// orderBy and fields) (catalogue.V1p2Services: a service added
// there gets them at once). What 1.2 judges differently is in
// queryVersions (query_version.go): its columns, its imsx_StatusInfo
// refusals, 400 for an unknown fields entry and an unknown sort field.
//
// The filter grammar is 1.1's: the 1.2 files declare filter as a bare
// string (and describe it with the sort-order sentence, reading
// filter-not-sort), and the implementations of 1.2 parse the 1.1 grammar;
// a filter beyond two predicates keeps its 1.1 rule levels
// (filter.precedence-wrong SHOULD).
const specV1p2Filter = "OneRoster 1.2 OpenAPI files: every collection read takes filter, sort, orderBy and fields; the files give no filter grammar (reading filter-not-sort), so the OneRoster 1.1 REST binding's applies: field op 'value' with = != > >= < <= ~, joined by AND or OR"

func init() { RegisterChecks(v1p2QueryChecks) }

// v1p2Query are the query behaviours over each 1.2 collection read.
var v1p2Query = []struct {
	behaviour, title, level, feature, rule, source string
	run                                            func(ctx context.Context, e *Env, ep catalogue.Endpoint, w *Walk, r *Recorder)
}{
	{"filter.semantics", "GET %s?filter=... is sound and complete for = != > >= < <= ~ on string, enum, date and GUIDRef fields, AND, OR, three clauses, dates as instants (with and without milliseconds, with an offset), values with spaces, apostrophes, '+' and non-ASCII letters in both encodings, across pages, X-Total-Count the filtered count",
		MUST, FeatureFilterSemantic, ruleFilterWrong, specV1p2Filter, checkSemantics},
	{"filter.errors", "GET %s with an unknown filter field answers 400 with an imsx_StatusInfo, codeMinor invalid_filter_field, and with a malformed filter 400; never 200, 500 or a dropped connection",
		MUST, FeatureFilterErrors, ruleV1p2FilterUnknown, specV1p2Query400, checkFilterErrors},
	{"sort", "GET %s?sort=F&orderBy=asc|desc orders every record by F across page boundaries (a date, sourcedId and a string field), losing and repeating none; an unknown sort field answers 400 with an imsx_StatusInfo",
		MUST, FeatureSort, ruleSortOrder, specV1p2Filter + "; orderBy asc|desc, \"The sort order should follow the [UNICODE, 16] standard\"", checkSort},
	{"fields", "GET %s?fields=a,b%s returns only those fields (and sourcedId) with the walk's values; an unknown field answers 400 with an imsx_StatusInfo, codeMinor invalid_selection_field%s",
		MUST, FeatureFields, ruleFieldsSelected, specV1p2Query400, checkFields},
	{"paging.invalid", "GET %s with limit or offset abc, -1 or 0 answers 400, never 200 with other records, 500 or a dropped connection",
		SHOULD, FeaturePagingInvalid, rulePagingInvalid, "OneRoster 1.2 OpenAPI files: limit is an int32 of minimum 1, offset of minimum 0", checkPagingInvalid},
}

func v1p2QueryChecks() []Check {
	var out []Check
	for _, ep := range catalogue.V1p2() {
		for _, b := range v1p2Query {
			title := fmt.Sprintf(b.title, ep.Path)
			if b.behaviour == "fields" {
				single, both := "", ""
				if ep.SingleKey != "" {
					single, both = " (and GET "+ep.Path+"/{sourcedId}?fields=a,b)", ", on the collection and the single object"
				}
				title = fmt.Sprintf(b.title, ep.Path, single, both)
			}
			c := qcheck(ep, b.behaviour, "OneRoster 1.2: "+title, b.level, b.feature, b.rule, "", b.run)
			c.Source = v1p2Source(b.source, ep, ep.Path, ep.Op, ep.Scopes)
			out = append(out, c)
		}
	}
	return out
}
