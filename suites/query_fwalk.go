package suites

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/rostercheck/rostercheck/internal/client"
	"github.com/rostercheck/rostercheck/suites/catalogue"
)

// qcase is one filtered request a check sends and proves right.
type qcase struct {
	// what names the case in findings ("delta at the median cut-off").
	what   string
	filter expr
	enc    int
	// first, when set, is the raw query of the first request exactly as
	// the consumer writes it (SDS page: OneRoster API data accessed by School Data Sync: "offset=0&limit=5000&filter=...");
	// the following pages keep its limit, or take the chosen one.
	first string
	// limit of the pages; 0 chooses about two pages of the expected result.
	limit int
	// rule of wrong or missing records; "" is the check's rule.
	rule string
	// refused, when set, is the rule of a 4xx refusal of the filter (an
	// expression beyond the two-predicate grammar of OneRoster 1.1 §3.3)
	// instead of filter.rejected.
	refused string
}

// maxShown is how many wrong and how many missing records a finding names.
const maxShown = 3

// qresult is what a filtered walk returned.
type qresult struct {
	n        int // records returned
	total    int
	hasTotal bool
	ok       bool // every page was readable
	first    *client.Exchange
}

// runCase walks the filtered collection across pages and proves it sound
// (every record returned satisfies the filter), complete (every record of
// the full walk that satisfies it comes back) and counted (X-Total-Count
// is the filtered count). Every finding names the request, the filter,
// the counts and the first records with the values that decided.
func runCase(ctx context.Context, e *Env, r *Recorder, ep catalogue.Endpoint, w *Walk, c qcase) qresult {
	res := qresult{}
	cols := w.Cols
	if cols == nil {
		r.Errorf("harness: the walk of %s keeps no query columns", w.Path)
		return res
	}
	for _, f := range c.filter.fields() {
		if f != "sourcedId" && !cols.has(f) {
			r.Errorf("harness: the walk of %s keeps no column %s", w.Path, f)
			return res
		}
	}
	// rowGet reads a row's values of a field once, however often the
	// judging asks (the status, then each field under both comparisons).
	rowGet := func(row Row) func(string) []string {
		var names [4]string
		var vals [4][]string
		n := 0
		return func(f string) []string {
			for i := range n {
				if names[i] == f {
					return vals[i]
				}
			}
			var v []string
			if f == "sourcedId" {
				v = []string{row.ID()}
			} else {
				v = row.values(cols.col(f))
			}
			if n < len(names) {
				names[n], vals[n] = f, v
				n++
			}
			return v
		}
	}
	// Expected, under byte-wise and case-folded string comparison (index
	// 0 and 1). A tombstone of the walk that does not carry a field the
	// filter reads (served as id, status and date only) may come back or
	// not: optional. Only counts are kept; the rows are judged again when
	// the missing ones are looked for.
	dup := cols.dupRows()
	var wantN, optN [2]int
	// want[fold] marks the rows that satisfy the filter, for the missing
	// ones to be looked for among them (a bit a row, not a second judging
	// of every row). A filter without a string comparison or ~ judges a
	// row alike under both comparisons: judged once.
	var want [2]bitset
	folds := c.filter.foldMatters()
	for fold := range 2 {
		want[fold] = make(bitset, (cols.Len()+63)/64)
	}
	distinctRows := 0
	for i, row := range cols.All() {
		if dup != nil && dup[i] {
			continue // a walk that repeated a record (the paging checks report it)
		}
		distinctRows++
		get := rowGet(row)
		tomb := isTombstone(get)
		v := 0
		for fold := range 2 {
			if fold == 0 || folds {
				v = c.filter.judge(get, fold == 1, tomb)
			}
			switch v {
			case triTrue:
				wantN[fold]++
				want[fold].set(i)
			case triUnknown:
				optN[fold]++
			}
		}
	}
	fq := "filter=" + encodeFilter(c.filter.String(), c.enc)
	limit := c.limit
	if limit <= 0 {
		limit = min(max((wantN[0]+1)/2, 1), e.LargeLimit)
	}
	if c.first != "" {
		if l, err := strconv.Atoi(queryParam(c.first, "limit")); err == nil && l > 0 {
			limit = l
		}
	}
	maxPages := (max(wantN[0], wantN[1], 1)+limit-1)/limit + 2
	first := c.first
	if first == "" {
		first = "limit=" + strconv.Itoa(limit) + "&offset=0&" + fq
	}
	// The first page's limit is the server's default when the consumer
	// sends none (SDS's delta): only its X-Total-Count or an empty
	// page ends the walk then.
	pageLimit := 0
	if queryParam(first, "limit") != "" {
		pageLimit = limit
	}
	// The walk: follow by offset, advancing by what came. Of each record
	// only a hash of its id and whether it fails the filter (byte-wise,
	// case-folded: two bits) are kept, 8 bytes a record, so that a
	// filtered walk of a million records stays small; the first records
	// that fail keep the values that decided, for the findings.
	fields := c.filter.fields()
	// The status is kept too: a tombstone is judged by it.
	kept := fields
	if !slices.Contains(kept, "status") {
		kept = append(slices.Clip(kept), "status")
	}
	var wrongEx [2][]example
	var got []uint64 // id hash with the low two bits: wrong byte-wise, wrong case-folded
	var lastEx *client.Exchange
	stopped := false
	fetch := func(ctx context.Context, raw string) *fpage {
		return e.fetchFiltered(ctx, r.res.CheckID, w.Path, ep, c.filter, fields, kept, raw)
	}
	var plan *fplan
	defer func() { plan.stop() }() // the plan as it is when runCase returns
	raw := first
	p := fetch(ctx, raw)
	for page := 0; ; page++ {
		lastEx = r.kept(p.ev)
		if page == 0 {
			res.first = lastEx
		}
		if p.problem != "" {
			rule := p.rule
			if rule == ruleFilterRejected && c.refused != "" {
				rule = c.refused
			}
			r.AddRule(rule, lastEx, "%s: GET %s?%s (filter %s): %s", c.what, w.Path, raw, c.filter, p.problem)
			if rule != ruleEmptyNotArray {
				return res
			}
			// The body says "no records" in the wrong shape: judged as the
			// empty page it means (fetchFiltered keeps no record of it), so
			// that records that should have come back are reported too.
		}
		if page == 0 {
			// The Link of a filtered page must carry the filter encoded.
			for _, lp := range linkFilterProblems(strings.Join(lastEx.ResponseHeader.Values("Link"), ", ")) {
				r.AddRule(ruleLinkSyntax, lastEx, "%s: GET %s?%s: Link %s", c.what, w.Path, raw, lp)
			}
			total := strings.TrimSpace(lastEx.ResponseHeader.Get("X-Total-Count"))
			if n, err := strconv.Atoi(total); err == nil && n >= 0 {
				res.total, res.hasTotal = n, true
			}
		}
		res.n += p.n
		got = append(got, p.hashes...)
		for fold := range 2 {
			for _, x := range p.wrong[fold] {
				if len(wrongEx[fold]) < maxShown && !slices.ContainsFunc(wrongEx[fold], func(y example) bool { return y.id == x.id }) {
					wrongEx[fold] = append(wrongEx[fold], x)
				}
			}
		}
		off := res.n
		if p.n == 0 || (res.hasTotal && off >= res.total) || (!res.hasTotal && p.n < pageLimit) {
			break
		}
		if page == 0 && res.hasTotal && e.Concurrency > 1 {
			// X-Total-Count gives the pages still to come: they go out at
			// once, at offsets advancing by what the first page held (or
			// by the limit, when the first page took the server's
			// default), and are judged in order below. A page whose
			// offset is not where the records so far end (a short page
			// mid-walk) ends the plan: the walk goes on one page at a
			// time from where the records came to, as before.
			step := limit
			if pageLimit > 0 {
				step = p.n
			}
			plan = e.planFiltered(ctx, fetch, off, step, res.total, maxPages-1, func(o int) string {
				return "limit=" + strconv.Itoa(limit) + "&offset=" + strconv.Itoa(o) + "&" + fq
			})
		}
		pageLimit = limit
		if page+1 >= maxPages {
			stopped = true
			break
		}
		raw = "limit=" + strconv.Itoa(limit) + "&offset=" + strconv.Itoa(off) + "&" + fq
		if p = plan.next(raw); p == nil {
			plan.stop()
			plan = nil
			p = fetch(ctx, raw)
		}
	}
	res.ok = true
	// A record returned twice counts once (as it first came) and is a
	// finding of its own.
	slices.SortStableFunc(got, func(a, b uint64) int { return cmp.Compare(a>>2, b>>2) })
	dups := 0
	var wrongN [2]int
	distinct := got[:0]
	for i, h := range got {
		if i > 0 && h>>2 == got[i-1]>>2 {
			dups++
			continue
		}
		distinct = append(distinct, h)
		for fold := range 2 {
			if h&(1<<fold) != 0 {
				wrongN[fold]++
			}
		}
	}
	returned := func(id string) bool {
		h := fnv64(id) >> 2
		_, ok := slices.BinarySearchFunc(distinct, h, func(x, t uint64) int { return cmp.Compare(x>>2, t) })
		return ok
	}
	// missing are the records of the full walk that satisfy the filter but
	// did not come back (none judged when the walk was stopped).
	missing := func(fold int) (n int, shown []Row) {
		if stopped {
			return 0, nil
		}
		for i := range want[fold].each() {
			row := cols.Row(i)
			if returned(row.ID()) {
				continue
			}
			n++
			if len(shown) < maxShown {
				shown = append(shown, row)
			}
		}
		return n, shown
	}
	// X-Total-Count counts the matching records, and may count the
	// tombstones that cannot be judged.
	totalOK := func(exp, opt int) bool { return !res.hasTotal || res.total >= exp && res.total <= exp+opt }
	missN, missShown := missing(0)
	wrongShown := wrongEx[0]
	nWrong := wrongN[0]
	expN, expOpt := wantN[0], optN[0]
	if nWrong+missN > 0 || !totalOK(wantN[0], optN[0]) {
		// A provider comparing strings case-insensitively is right too
		// (1.1 leaves case unspecified).
		if m2, _ := missing(1); wrongN[1]+m2 == 0 && totalOK(wantN[1], optN[1]) {
			nWrong, missN, wrongShown, missShown, expN, expOpt = 0, 0, nil, nil, wantN[1], optN[1]
		}
	}
	rule := c.rule
	defer func() {
		if !totalOK(expN, expOpt) {
			// A count that follows a misread expression is that misreading.
			totalRule := ruleFilterTotal
			if c.rule == ruleFilterPrecedence {
				totalRule = c.rule
			}
			r.AddRule(totalRule, res.first, "%s: GET %s?%s: X-Total-Count is %d, but %d records of the full walk satisfy %s",
				c.what, w.Path, first, res.total, expN, c.filter)
		}
		if dups > 0 {
			r.AddRule(ruleFilterPages, lastEx, "%s: GET %s filtered by %s and walked with limit=%d: %d records came more than once across the pages",
				c.what, w.Path, c.filter, limit, dups)
		}
	}()
	if nWrong+missN == 0 && !stopped {
		return res
	}
	how := fmt.Sprintf("walked with limit=%d over %d records", limit, res.n)
	if stopped {
		how = fmt.Sprintf("walk stopped after %d pages of limit=%d (%d records; X-Total-Count %s)", maxPages, limit, res.n, totalText(res))
	}
	r.AddRule(rule, res.first, "%s: GET %s?%s: filter %s: %d records returned (%s), %d expected from the full walk of %d: %d wrong, %d missing",
		c.what, w.Path, first, c.filter, len(distinct), how, expN, distinctRows, nWrong, missN)
	for _, x := range wrongShown {
		r.Add(Violation{Rule: rule, RecordID: x.id, Ex: res.first, Message: fmt.Sprintf("returned, but does not satisfy %s: %s", c.filter, x.why)})
	}
	if nWrong > len(wrongShown) {
		r.Uncounted(rule, nWrong-len(wrongShown))
	}
	for _, row := range missShown {
		r.Add(Violation{Rule: rule, RecordID: row.ID(), Ex: res.first, Message: fmt.Sprintf("satisfies %s (%s) but was not returned", c.filter, e.deciding(fields, rowGet(row)))})
	}
	if missN > len(missShown) {
		r.Uncounted(rule, missN-len(missShown))
	}
	return res
}

// example is a returned record that does not satisfy the filter, with
// the values that decided.
type example struct{ id, why string }

// fpage is what runCase keeps of one page of a filtered walk: its
// evidence copy (the body trimmed), what is wrong with it, and of each
// record only a hash of its id with whether it fails the filter
// (byte-wise, case-folded: the low two bits), 8 bytes a record; the first
// records of the page that fail keep the values that decided.
type fpage struct {
	ev            *client.Exchange
	problem, rule string
	n             int // records read
	hashes        []uint64
	wrong         [2][]example
}

// fetchFiltered sends one page request of a filtered walk and reads it.
// Safe for concurrent use: it touches no Recorder. The page's body is not
// kept past its reading. It runs under the run's page budget (Env.pages),
// as walk pages do, so that pages read ahead never pile up as bodies.
func (e *Env) fetchFiltered(ctx context.Context, checkID, path string, ep catalogue.Endpoint, filter expr, fields, kept []string, raw string) *fpage {
	u := e.url(path, nil) + "?" + raw
	ex := e.get(ctx, checkID, u)
	p := &fpage{ev: evidence(ex, e.Evidence)}
	select {
	case e.decode <- struct{}{}:
		defer func() { <-e.decode }()
	case <-ctx.Done():
	}
	recs, problem, rule := e.readFiltered(ex, ep.Key, ep.VariantKey(), heads(kept...))
	if problem != "" {
		p.problem, p.rule = problem, rule
		return p
	}
	getOf := func(m map[string]any) func(string) []string {
		vs := make([][]string, len(kept))
		for i, f := range kept {
			vs[i] = fieldValues(m, f)
		}
		return func(f string) []string {
			for i, name := range kept {
				if name == f {
					return vs[i]
				}
			}
			return nil
		}
	}
	p.hashes = make([]uint64, 0, len(recs))
	for _, rec := range recs {
		m, _ := rec.(map[string]any)
		id, _ := m["sourcedId"].(string)
		p.n++
		get := getOf(m)
		tomb := isTombstone(get)
		h := fnv64(id) &^ 3
		for fold := range 2 {
			if filter.judge(get, fold == 1, tomb) != triFalse {
				continue
			}
			h |= 1 << fold
			if len(p.wrong[fold]) < maxShown && !slices.ContainsFunc(p.wrong[fold], func(x example) bool { return x.id == id }) {
				p.wrong[fold] = append(p.wrong[fold], example{id, e.deciding(fields, get)})
			}
		}
		p.hashes = append(p.hashes, h)
	}
	return p
}

// fplan is the pages of a filtered walk requested ahead, in order.
type fplan struct {
	cancel context.CancelFunc
	pages  chan fplanned
}

type fplanned struct {
	raw string
	p   chan *fpage
}

// planFiltered requests the pages at offsets from, from+step, ... below
// total (at most maxPages of them) ahead of their judging: at most
// Concurrency at a time, each holding a slot of the run's page budget
// from its request to its reading, so that a large filtered walk keeps
// the provider busy without holding more than a few pages.
func (e *Env) planFiltered(ctx context.Context, fetch func(context.Context, string) *fpage, from, step, total, maxPages int, rawAt func(off int) string) *fplan {
	if step <= 0 || from >= total || maxPages <= 0 {
		return nil
	}
	pctx, cancel := context.WithCancel(ctx)
	pl := &fplan{cancel: cancel, pages: make(chan fplanned, e.Concurrency-1)}
	go func() {
		defer close(pl.pages)
		for off, n := from, 0; off < total && n < maxPages; off, n = off+step, n+1 {
			s := fplanned{raw: rawAt(off), p: make(chan *fpage, 1)}
			select {
			case pl.pages <- s:
			case <-pctx.Done():
				return
			}
			// The walk with the most pages left goes first (Env.pages).
			release, ok := e.pageSlot(pctx, (total-off)/step, step)
			if !ok {
				s.p <- fetch(pctx, s.raw) // ends at once, as a sequential request would
				return
			}
			go func() {
				defer release()
				s.p <- fetch(pctx, s.raw)
			}()
		}
	}()
	return pl
}

// next returns the planned page whose query is raw when it is the next
// one planned; nil otherwise (the plan no longer fits the walk, or is
// spent).
func (pl *fplan) next(raw string) *fpage {
	if pl == nil {
		return nil
	}
	s, ok := <-pl.pages
	if !ok || s.raw != raw {
		return nil
	}
	return <-s.p
}

// stop cancels the pages planned and not yet judged.
func (pl *fplan) stop() {
	if pl != nil {
		pl.cancel()
	}
}

// kept records ex as evidence and returns the evidence copy (its body
// trimmed), which is what a finding shows: a check that walks many pages
// holds no whole page after reading it.
func (r *Recorder) kept(ex *client.Exchange) *client.Exchange {
	if r.Evidence(ex) == nil {
		return nil
	}
	if ev := r.seen[ex.ID]; ev != nil {
		return ev
	}
	return ex
}

func totalText(res qresult) string {
	if !res.hasTotal {
		return "absent"
	}
	return strconv.Itoa(res.total)
}

// deciding renders the values of the fields a filter reads.
func (e *Env) deciding(fields []string, get func(string) []string) string {
	parts := make([]string, 0, len(fields))
	for _, f := range fields {
		vs := get(f)
		switch len(vs) {
		case 0:
			parts = append(parts, f+" absent")
		case 1:
			parts = append(parts, fmt.Sprintf("%s=%q", f, e.short(vs[0])))
		default:
			q := make([]string, len(vs))
			for i, v := range vs {
				q[i] = strconv.Quote(e.short(v))
			}
			if len(q) > 5 {
				q = append(q[:5], "…")
			}
			parts = append(parts, f+"=["+strings.Join(q, ",")+"]")
		}
	}
	return strings.Join(parts, ", ")
}

// readFiltered reads one page of a filtered collection: 200, a JSON
// object, and the wrapper key holding an array (an empty result is [],
// never null, {} or a missing key). rule names what is wrong. With keys,
// only those top-level fields of each record are decoded (the records of
// a large filtered walk are read shallowly, fast); nil decodes them whole.
//
// variant is the endpoint-named key a lenient consumer accepts (schools for
// /schools): its records are read; the envelope check reports the key once.
func (e *Env) readFiltered(ex *client.Exchange, key, variant string, keys []string) (recs []any, problem, rule string) {
	if ex.Err != nil {
		return nil, e.describeErr(ex), ruleQueryBroken
	}
	if ex.Status >= 500 {
		return nil, fmt.Sprintf("status %d%s", ex.Status, e.bodyHint(ex.Body)), ruleQueryBroken
	}
	if ex.Status != 200 {
		return nil, fmt.Sprintf("status %d, want 200: a valid filter was refused%s", ex.Status, e.bodyHint(ex.Body)), ruleFilterRejected
	}
	if keys != nil {
		if recs, ok := streamFiltered(ex.Body, key, keys); ok {
			return recs, "", ""
		}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(ex.Body, &top); err != nil || top == nil {
		if _, err := decodeObject(ex.Body); err != nil {
			return nil, e.decodeProblem(err, ex.Body), ruleQueryBroken
		}
		return nil, "body is not a JSON object", ruleQueryBroken
	}
	raw, present := top[key]
	if v, ok := top[variant]; !present && ok && variant != "" {
		key, raw, present = variant, v, true
	}
	trimmed := bytes.TrimSpace(raw)
	switch {
	case !present:
		return nil, fmt.Sprintf("no %q key (top-level keys: %s); an empty result is {%q: []}", key, rawKeys(top), key), ruleEmptyNotArray
	case string(trimmed) == "null":
		return nil, fmt.Sprintf("%q is null, want an array (an empty result is [])", key), ruleEmptyNotArray
	case len(trimmed) == 0 || trimmed[0] != '[':
		var v any
		_ = json.Unmarshal(trimmed, &v)
		return nil, fmt.Sprintf("%q is a %s, want an array (an empty result is [])", key, jsonType(v)), ruleEmptyNotArray
	}
	if keys == nil {
		doc, err := decodeObject(ex.Body)
		if err != nil {
			return nil, e.decodeProblem(err, ex.Body), ruleQueryBroken
		}
		return doc[key].([]any), "", ""
	}
	var shallow []map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &shallow); err != nil {
		return nil, fmt.Sprintf("%q is not an array of objects: %v", key, err), ruleQueryBroken
	}
	recs = make([]any, len(shallow))
	for i, sm := range shallow {
		m := make(map[string]any, len(keys))
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
	return recs, "", ""
}

// streamFiltered reads the records of a valid JSON object whose key holds
// an array of objects one record at a time, decoding only keys of each
// (a byte scan finds the values; only theirs are decoded): a page of
// 5000 records is never held decoded, nor copied. ok is false for any
// other body, which readFiltered then reads (and explains) as a whole
// document.
func streamFiltered(body []byte, key string, keys []string) (recs []any, ok bool) {
	members, ok := topMembers(body)
	if !ok {
		return nil, false
	}
	seen := map[string]bool{}
	found := false
	for _, m := range members {
		if seen[m.name] {
			return nil, false // a repeated key: the whole-document reading decides which counts
		}
		seen[m.name] = true
		if m.name != key {
			continue
		}
		if body[m.start] != '[' {
			return nil, false
		}
		found = true
		if recs, ok = scanRecords(body[m.start:m.end], keys); !ok {
			return nil, false
		}
	}
	if !found {
		return nil, false
	}
	return recs, true
}

// scanRecords reads the objects of a JSON array (valid JSON), keeping keys
// of each; ok is false when an element is not an object. Each record's
// bytes are scanned once.
func scanRecords(arr []byte, keys []string) ([]any, bool) {
	recs := []any{}
	i := 1
	for {
		i = skipSpace(arr, i)
		switch arr[i] {
		case ']':
			return recs, true
		case ',':
			i++
			continue
		case '{':
		default:
			return nil, false
		}
		m := make(map[string]any, len(keys))
		i++ // '{'
		for {
			i = skipSpace(arr, i)
			if arr[i] == '}' {
				i++
				break
			}
			if arr[i] == ',' {
				i++
				continue
			}
			kEnd := skipJSON(arr, i)
			name := ""
			if raw := arr[i+1 : kEnd-1]; bytes.IndexByte(raw, '\\') < 0 {
				for _, k := range keys {
					if string(raw) == k {
						name = k
						break
					}
				}
			} else if s := decodeString(arr[i:kEnd]); slices.Contains(keys, s) {
				name = s
			}
			i = skipSpace(arr, skipSpace(arr, kEnd)+1) // past ':'
			vEnd := skipJSON(arr, i)
			if name != "" {
				m[name], _ = decodeValid(arr, i)
			}
			i = vEnd
		}
		recs = append(recs, m)
	}
}

// heads returns sourcedId and the top-level names of field paths.
func heads(paths ...string) []string {
	out := []string{"sourcedId"}
	for _, p := range paths {
		h, _, _ := strings.Cut(p, ".")
		if !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out
}

func rawKeys(m map[string]json.RawMessage) string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	if len(ks) == 0 {
		return "none"
	}
	return strings.Join(ks, ", ")
}

// queryParam reads one parameter of a raw query.
func queryParam(raw, name string) string {
	q, _ := url.ParseQuery(raw)
	return q.Get(name)
}

// ms renders an instant as OneRoster writes dateTimes (milliseconds, UTC).
const msLayout = "2006-01-02T15:04:05.000Z"

// sortedInstants returns the distinct instants of a date column, sorted.
func sortedValues(cols *Columns, name string, less func(a, b string) bool) []string {
	i := cols.col(name)
	seen := map[string]bool{}
	var out []string
	for _, row := range cols.All() {
		for _, v := range row.values(i) {
			if !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	sort.Slice(out, func(a, b int) bool { return less(out[a], out[b]) })
	return out
}
