package suites

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rostercheck/rostercheck/internal/client"
	"github.com/rostercheck/rostercheck/suites/catalogue"
)

func sortFieldsChecks() []Check {
	var out []Check
	for _, ep := range topLevel() {
		out = append(out,
			qcheck(ep, "sort",
				fmt.Sprintf("GET %s?sort=F&orderBy=asc|desc orders every record by F across page boundaries (a date, sourcedId and a string field; on a collection of more than 600, its 600 latest by dateLastModified>=), losing and repeating none; an unknown sort field answers 200 with the invalid_sort_field warning", ep.Path),
				MUST, FeatureSort, ruleSortOrder, specSort, checkSort),
			qcheck(ep, "fields",
				fmt.Sprintf("GET %s?fields=a,b and GET %s/{id}?fields=a,b return only those fields (and sourcedId) with the walk's values; an unknown field answers 200 with all fields and the invalid_selection_field warning; a blank fields= answers 400", ep.Path, ep.Path),
				MUST, FeatureFields, ruleFieldsSelected, specFields, checkFields),
		)
	}
	return out
}

// maxSortRecords bounds the records a sorted walk reads: a larger
// collection is narrowed by dateLastModified, and its sorted walk proves
// order and no repetition (completeness is proven on smaller collections
// and by the filter checks).
const maxSortRecords = 600

// sortSpec is one sorted walk a sort check sends.
type sortSpec struct {
	field string
	desc  bool
}

func checkSort(ctx context.Context, e *Env, ep catalogue.Endpoint, w *Walk, r *Recorder) {
	specs := []sortSpec{{"dateLastModified", false}, {"sourcedId", true}}
	if sc := stringColumns(w.Cols); len(sc) > 0 {
		specs = append(specs, sortSpec{sc[0], false})
	}
	for _, s := range specs {
		if ctx.Err() != nil {
			return
		}
		sortedWalk(ctx, e, r, ep, w, s)
	}
	// Unknown sort field: what the version answers.
	queryVersionOf(ep).unknownSort(ctx, e, r, ep, w)
}

// sortedWalk walks the collection sorted by one field with a limit of
// about a third of it, and proves the order and the partition.
func sortedWalk(ctx context.Context, e *Env, r *Recorder, ep catalogue.Endpoint, w *Walk, s sortSpec) {
	// The records the sorted walk must return: all of them, or on a large
	// collection the maxSortRecords most recently modified (filtered by
	// dateLastModified>='L'), so that a sort check costs a few pages.
	n := w.Cols.Len()
	narrowing := ""
	if n > maxSortRecords {
		di := w.Cols.col("dateLastModified")
		var ts []time.Time
		for _, row := range w.Cols.All() {
			if vs := row.values(di); len(vs) > 0 {
				if t, ok := instant(vs[0]); ok {
					ts = append(ts, t)
				}
			}
		}
		if len(ts) > maxSortRecords {
			sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
			f := and(pred{"dateLastModified", ">=", ts[len(ts)-maxSortRecords].UTC().Format(msLayout)})
			narrowing = "&filter=" + encodeFilter(f.String(), encPercent)
			n = 0
			for _, row := range w.Cols.All() {
				if f.match(func(string) []string { return row.values(di) }, false) {
					n++
				}
			}
		}
	}
	limit := min(max((n+2)/3, 1), e.LargeLimit)
	maxPages := (n+limit-1)/limit + 2
	order := "asc"
	if s.desc {
		order = "desc"
	}
	base := "sort=" + s.field + "&orderBy=" + order + narrowing
	type item struct {
		id, v string
		has   bool
		page  int
	}
	var got []item
	seen := map[string]bool{}
	dups := 0
	var firstEx *client.Exchange
	total := -1
	for page := 0; page < maxPages; page++ {
		raw := fmt.Sprintf("limit=%d&offset=%d&%s", limit, len(got)+dups, base)
		ex := r.Evidence(e.get(ctx, r.res.CheckID, e.url(w.Path, nil)+"?"+raw))
		if page == 0 {
			firstEx = ex
		}
		recs, problem, rule := e.readFiltered(ex, ep.Key, ep.VariantKey(), heads(s.field))
		if problem != "" {
			if rule == ruleFilterRejected {
				rule = ruleSortOrder
			}
			r.AddRule(rule, ex, "GET %s?%s: %s", w.Path, raw, problem)
			return
		}
		for _, rec := range recs {
			m, _ := rec.(map[string]any)
			id, _ := m["sourcedId"].(string)
			if seen[id] {
				dups++
				continue
			}
			seen[id] = true
			vs := fieldValues(m, s.field)
			it := item{id: id, page: page + 1}
			if len(vs) > 0 {
				it.v, it.has = vs[0], true
			}
			got = append(got, it)
		}
		if page == 0 {
			if t, err := strconv.Atoi(strings.TrimSpace(ex.ResponseHeader.Get("X-Total-Count"))); err == nil {
				total = t
			}
		}
		if len(recs) < limit || (total >= 0 && len(got)+dups >= total) || (total < 0 && len(got) >= n) {
			break
		}
	}
	missing := 0
	var firstMissing []string
	// A narrowed walk leaves completeness to the filter checks: a
	// filter defect must not show as a sort defect.
	for _, row := range w.Cols.All() {
		if narrowing == "" && !seen[row.ID()] {
			missing++
			if len(firstMissing) < maxShown {
				firstMissing = append(firstMissing, row.ID())
			}
		}
	}
	if dups > 0 || missing > 0 {
		r.AddRule(ruleSortPages, firstEx, "GET %s?%s walked with limit=%d: %d records repeated and %d of the full walk's %d missing across the pages (first missing: %s)",
			w.Path, base, limit, dups, missing, n, strings.Join(firstMissing, ", "))
	}
	// Order: compare neighbours that both have a value.
	cmpFor := func(fold bool) func(a, b string) int {
		return func(a, b string) int {
			if dateFields[s.field] {
				ta, ok1 := instant(a)
				tb, ok2 := instant(b)
				if ok1 && ok2 {
					return ta.Compare(tb)
				}
			}
			if fold {
				return strings.Compare(strings.ToLower(a), strings.ToLower(b))
			}
			return strings.Compare(a, b)
		}
	}
	inversions := func(cmp func(a, b string) int) []int {
		var out []int
		prev := -1
		for i, it := range got {
			if !it.has {
				continue
			}
			if prev >= 0 {
				c := cmp(got[prev].v, it.v)
				if (!s.desc && c > 0) || (s.desc && c < 0) {
					out = append(out, i)
				}
			}
			prev = i
		}
		return out
	}
	inv := inversions(cmpFor(false))
	if len(inv) > 0 && len(inversions(cmpFor(true))) == 0 {
		return // ordered case-insensitively: 1.1 does not say which
	}
	if len(inv) == 0 {
		return
	}
	r.AddRule(ruleSortOrder, firstEx, "GET %s?%s walked with limit=%d: %d of %d records are out of %s order by %s",
		w.Path, base, limit, len(inv), len(got), order, s.field)
	for k, i := range inv {
		if k == maxShown {
			r.Uncounted(ruleSortOrder, len(inv)-maxShown)
			break
		}
		prev := i - 1
		for prev >= 0 && !got[prev].has {
			prev--
		}
		r.Add(Violation{Rule: ruleSortOrder, RecordID: got[i].id, Ex: firstEx, Message: fmt.Sprintf("position %d (page %d): %s=%q comes after %s=%q (record %s)",
			i+1, got[i].page, s.field, e.short(got[i].v), s.field, e.short(got[prev].v), got[prev].id)})
	}
}

func checkFields(ctx context.Context, e *Env, ep catalogue.Endpoint, w *Walk, r *Recorder) {
	cols := w.Cols
	sel := []string{"dateLastModified"}
	if sc := stringColumns(cols); len(sc) > 0 {
		sel = append(sel, sc[0])
	} else {
		sel = append(sel, "status")
	}
	// The walk's rows of the records that came back (filled below).
	byID := map[string]Row{}
	allowed := map[string]bool{"sourcedId": true}
	for _, f := range sel {
		allowed[f] = true
	}
	judge := func(m map[string]any, ptr string) []string {
		var problems []string
		var extra []string
		for k := range m {
			if !allowed[k] {
				extra = append(extra, k)
			}
		}
		sort.Strings(extra)
		if len(extra) > 0 {
			problems = append(problems, fmt.Sprintf("%s: fields not selected: %s", ptr, strings.Join(extra, ", ")))
		}
		id, _ := m["sourcedId"].(string)
		row, known := byID[id]
		for _, f := range sel {
			want := ""
			if known {
				want = strings.Join(row.values(cols.col(f)), valueSep)
			}
			gotv := strings.Join(fieldValues(m, f), valueSep)
			switch {
			case known && want != "" && gotv == "":
				problems = append(problems, fmt.Sprintf("%s: selected field %s is missing", ptr, f))
			case known && gotv != want:
				problems = append(problems, fmt.Sprintf("%s: %s is %q, the walk has %q", ptr, f, e.short(gotv), e.short(want)))
			}
		}
		return problems
	}
	fq := "fields=" + strings.Join(sel, ",")
	limit := min(cols.Len(), 50)
	raw := fmt.Sprintf("limit=%d&offset=0&%s", limit, fq)
	ex := r.Evidence(e.get(ctx, r.res.CheckID, e.url(w.Path, nil)+"?"+raw))
	recs, problem, rule := e.readFiltered(ex, ep.Key, ep.VariantKey(), nil)
	if problem != "" {
		if rule == ruleFilterRejected {
			rule = ruleFieldsSelected
		}
		r.AddRule(rule, ex, "GET %s?%s: %s", w.Path, raw, problem)
	}
	for _, rec := range recs {
		m, _ := rec.(map[string]any)
		if id, ok := m["sourcedId"].(string); ok {
			byID[id] = Row{}
		}
	}
	for _, row := range cols.All() {
		if _, ok := byID[row.ID()]; ok {
			byID[row.ID()] = row // the last row of an id, as a map of the whole walk would keep
		}
	}
	for id, row := range byID {
		if row.c == nil {
			delete(byID, id)
		}
	}
	bad := 0
	for i, rec := range recs {
		m, _ := rec.(map[string]any)
		id, _ := m["sourcedId"].(string)
		for _, p := range judge(m, fmt.Sprintf("/%s/%d", ep.Key, i)) {
			bad++
			if bad <= maxShown {
				r.Add(Violation{Rule: ruleFieldsSelected, RecordID: id, Ex: ex, Message: "GET " + w.Path + "?" + raw + ": " + p})
			} else {
				r.Uncounted(ruleFieldsSelected, 1)
			}
		}
	}
	// The singleton of the middle record.
	if ep.SingleKey != "" {
		id := cols.Row(cols.Len() / 2).ID()
		u := e.url(w.Path+"/"+url.PathEscape(id), nil) + "?" + fq
		ex := r.Evidence(e.get(ctx, r.res.CheckID, u))
		doc, problem := e.readObject(ex)
		switch {
		case doc == nil:
			r.AddRule(ruleFieldsSelected, ex, "GET %s/%s?%s: %s", w.Path, id, fq, problem)
		default:
			m, ok := doc[ep.SingleKey].(map[string]any)
			if !ok {
				r.AddRule(ruleFieldsSelected, ex, "GET %s/%s?%s: no %q object (top-level keys: %s)", w.Path, id, fq, ep.SingleKey, keysOf(doc))
				break
			}
			for _, p := range judge(m, "/"+ep.SingleKey) {
				r.Add(Violation{Rule: ruleFieldsSelected, RecordID: id, Ex: ex, Message: "GET " + w.Path + "/" + id + "?" + fq + ": " + p})
			}
		}
	}
	// An unknown field (and, for 1.1, a blank selection): what the
	// version answers.
	queryVersionOf(ep).unknownSelection(ctx, e, r, ep, w)
}
