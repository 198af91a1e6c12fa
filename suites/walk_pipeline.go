package suites

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/rostercheck/rostercheck/internal/client"
	"github.com/rostercheck/rostercheck/schemas"
	"github.com/rostercheck/rostercheck/suites/catalogue"
)

// defaultPageSize is the page size a walk falls back to when the
// provider refuses the consumers' large one.
const defaultPageSize = 100

// digest is what one fetched page comes to once decoded and validated:
// everything the walk keeps of it, computed off the merge path, so that
// pages are decoded and validated while others are still in flight. The
// decoded page itself is dropped before the digest is merged.
type digest struct {
	pg     Page
	ok     bool   // the page held a usable collection
	status int    // HTTP status (0: transport error)
	harm   string // harness fault (schema compiler) while validating
	lone   []Item // discovery items of a misnamed wrapper (fatal page only)

	ids          []string
	schema, data []Violation // capped at MaxViolations each
	schemaCounts map[string]int
	dataCounts   map[string]int
	schemaN      int
	items        []Item
	terms        []Span
	rows         []pendRow        // the query columns of every record (Walk.Cols)
	first        []map[string]any // the first records, for singleton samples
	last         map[string]any
}

// digestOpts say what a digest computes: lite digests (paging samples)
// read only counts and ids.
type digestOpts struct {
	lite     bool
	keepRefs bool
	// ix, when set, is the integrity index the page's records feed (the
	// base collection's own walk only).
	ix *collIndex
	// left is the page's priority at Env.pages: the pages its walk has
	// left after it (firstPage for a walk's first page).
	left int
}

// firstPage is the page priority of a walk's first page: its total plans
// the rest of the walk.
const firstPage = 1 << 30

// fetchDigest fetches one page and digests it.
func (e *Env) fetchDigest(ctx context.Context, ep catalogue.Endpoint, u string, probe bool, o digestOpts) *digest {
	_, limit := pagingOf(u, e.PageSize)
	if o.left == firstPage {
		// Its size is not known yet (most collections fit one page), and
		// the first pages come before the walks hold anything else.
		limit = 0
	}
	release, _ := e.pageSlot(ctx, o.left, limit)
	defer release()
	ex := e.getPage(ctx, walkCheckID+":"+ep.Slug(), u)
	select {
	case e.decode <- struct{}{}:
		defer func() { <-e.decode }()
	case <-ctx.Done():
	}
	d := e.digestPage(ex, ep, o)
	d.pg.URL, d.pg.Probe = u, probe
	d.pg.Offset, d.pg.Limit = pagingOf(u, e.PageSize)
	return d
}

func (e *Env) digestPage(ex *client.Exchange, ep catalogue.Endpoint, o digestOpts) *digest {
	return e.digestPageBy(ex, ep, o, true)
}

// digestPageBy digests a page record by record when stream is set and
// the body allows it (see streamable), else from the whole decoded
// document; both give the same digest.
func (e *Env) digestPageBy(ex *client.Exchange, ep catalogue.Endpoint, o digestOpts, stream bool) *digest {
	var pg Page
	var doc map[string]any
	var st *pageStream
	if stream {
		pg, doc, st = e.readPageStream(ex, ep.Key, ep.VariantKey())
	} else {
		pg, doc = e.readPage(ex, ep.Key, ep.VariantKey())
	}
	d := &digest{pg: pg, status: ex.Status}
	if st != nil {
		e.digestStream(d, st, ep, o)
		return d
	}
	if doc == nil {
		if o.keepRefs {
			d.lone = loneArrayItems(ex)
		}
		return d
	}
	d.ok = true
	recs, _ := doc[ep.Key].([]any)
	d.pg.Count = len(recs)
	d.ids = make([]string, len(recs))
	for i, r := range recs {
		m, _ := r.(map[string]any)
		d.ids[i], _ = m["sourcedId"].(string)
	}
	if o.lite {
		return d
	}
	ev := d.pg.Ex
	if o.ix != nil {
		o.ix.addPage(e, ep.Key, recs, ev, d.pg.Total)
	}
	d.schemaCounts, d.dataCounts = map[string]int{}, map[string]int{}
	// Schema: every record, every violation, pointer into the page.
	vs, err := validateCollection(ep, doc)
	if err != nil {
		d.harm = harnessFault + "schema: " + err.Error()
		return d
	}
	for _, v := range vs {
		d.schemaN++
		rec := recordAt(recs, ep.Key, v.Pointer)
		id, _ := rec["sourcedId"].(string)
		rule := schemaRuleFor(ep, v, rec)
		d.schemaCounts[rule]++
		if len(d.schema) < e.MaxViolations {
			d.schema = append(d.schema, Violation{Rule: rule, Pointer: v.Pointer, RecordID: id, Message: v.Message, Ex: ev})
		}
	}
	for i, r := range recs {
		m, _ := r.(map[string]any)
		if m == nil {
			continue
		}
		for _, v := range dataViolations(ep.Entity, m, fmt.Sprintf("/%s/%d", ep.Key, i)) {
			d.dataCounts[v.Rule]++
			if len(d.data) < e.MaxViolations {
				v.RecordID = d.ids[i]
				v.Ex = ev
				d.data = append(d.data, v)
			}
		}
		if o.keepRefs && len(d.items) < maxItems {
			d.items = append(d.items, itemOf(d.ids[i], m))
		}
		if names := queryColumns[columnKey(ep)]; names != nil {
			d.rows = append(d.rows, rowOf(names, d.ids[i], m))
		}
		if t, _ := m["type"].(string); t == "term" && ep.Entity == "academicSession" && len(d.terms) < maxItems {
			start, _ := m["startDate"].(string)
			end, _ := m["endDate"].(string)
			d.terms = append(d.terms, Span{ID: d.ids[i], Start: start, End: end})
		}
		if len(d.first) < e.Samples-1 {
			d.first = append(d.first, m)
		}
	}
	if len(recs) > 0 {
		d.last, _ = recs[len(recs)-1].(map[string]any)
	}
	return d
}

// digestStream digests a streamed page: every observer (ids, integrity
// index, schema, data rules, references, query columns, terms, samples)
// runs on a record before the next one is decoded, in the order and with
// the pointers of the whole-document path.
func (e *Env) digestStream(d *digest, st *pageStream, ep catalogue.Endpoint, o digestOpts) {
	d.ok, d.ids = true, []string{}
	ev := d.pg.Ex
	if !o.lite {
		d.schemaCounts, d.dataCounts = map[string]int{}, map[string]int{}
	}
	var first bool
	if !o.lite && o.ix != nil {
		first = o.ix.beginPage()
	}
	keyPtr := "/" + ep.Key
	names := queryColumns[columnKey(ep)]
	addSchema := func(v schemas.Violation, rec map[string]any) {
		d.schemaN++
		id, _ := rec["sourcedId"].(string)
		rule := schemaRuleFor(ep, v, rec)
		d.schemaCounts[rule]++
		if len(d.schema) < e.MaxViolations {
			d.schema = append(d.schema, Violation{Rule: rule, Pointer: v.Pointer, RecordID: id, Message: v.Message, Ex: ev})
		}
	}
	err := st.each(func(i int, r any) {
		m, _ := r.(map[string]any)
		id, _ := m["sourcedId"].(string)
		d.ids = append(d.ids, id)
		if o.lite {
			return
		}
		if o.ix != nil {
			o.ix.addRecord(e, ep.Key, i, r, ev)
		}
		if d.harm != "" {
			return
		}
		vs, err := validateRecord(ep, r)
		if err != nil {
			d.harm = harnessFault + "schema: " + err.Error()
			return
		}
		ptr := keyPtr + "/" + strconv.Itoa(i)
		for _, v := range vs {
			v.Pointer = ptr + v.Pointer
			addSchema(v, m)
		}
		d.last = m
		if m == nil {
			return
		}
		for _, v := range dataViolations(ep.Entity, m, ptr) {
			d.dataCounts[v.Rule]++
			if len(d.data) < e.MaxViolations {
				v.RecordID = id
				v.Ex = ev
				d.data = append(d.data, v)
			}
		}
		if o.keepRefs && len(d.items) < maxItems {
			d.items = append(d.items, itemOf(id, m))
		}
		if names != nil {
			d.rows = append(d.rows, rowOf(names, id, m))
		}
		if t, _ := m["type"].(string); t == "term" && ep.Entity == "academicSession" && len(d.terms) < maxItems {
			start, _ := m["startDate"].(string)
			end, _ := m["endDate"].(string)
			d.terms = append(d.terms, Span{ID: id, Start: start, End: end})
		}
		if len(d.first) < e.Samples-1 {
			d.first = append(d.first, m)
		}
	})
	d.pg.Count = len(d.ids)
	if !o.lite && o.ix != nil {
		o.ix.endPage(first, d.pg.Total)
	}
	if err != nil {
		// Not reached: the body was checked to be valid JSON.
		d.harm = harnessFault + "decoding a checked page: " + err.Error()
		return
	}
	if o.lite || d.harm != "" {
		return
	}
	// A 1.1 page may carry a statusInfoSet beside its records; 1.2 pages
	// validate their records only (as validateCollection does).
	if st.hasStatus && versions[specOf(ep)].validate == nil {
		vs, err := schemas.ValidateCollection(ep.Key, ep.Entity, map[string]any{ep.Key: []any{}, "statusInfoSet": st.statusInfoSet})
		if err != nil {
			d.harm = harnessFault + "schema: " + err.Error()
			return
		}
		for _, v := range vs {
			addSchema(v, nil)
		}
	}
}

// walker merges digests into a Walk, in page order.
type walker struct {
	e        *Env
	ep       catalogue.Endpoint
	w        *Walk
	keepRefs bool
	keepIDs  bool       // relationship and subtype walks keep their ids (integrity)
	ix       *collIndex // the integrity index the walk feeds, if any
	seenPage map[string]bool
	seenID   posTable
	last     map[string]any
	fresh    int // records of the last merged page not seen before
	// sampleWant are the requests of the paging sample that are pages of
	// this walk; sampleGot keeps what the sample reads of those merged.
	sampleWant map[string]bool
	sampleGot  map[string]*digest
}

// keepSample keeps what the paging sample reads of a merged page (its
// page, whether it was usable, its ids) when the sample would request it.
func (k *walker) keepSample(d *digest) {
	if !k.sampleWant[d.pg.URL] || d.pg.Probe {
		return
	}
	ids := make([]string, len(d.ids))
	for i, id := range d.ids {
		ids[i] = strings.Clone(id)
	}
	k.sampleGot[d.pg.URL] = &digest{pg: d.pg, ok: d.ok, status: d.status, ids: ids}
}

// merge adds one page to the walk; false when the page stops it.
func (k *walker) merge(d *digest) bool {
	w, e := k.w, k.e
	if k.sampleWant != nil {
		k.keepSample(d)
	}
	k.seenPage[pageKey(d.pg.URL)] = true
	// Only the first pages, problem pages and the last page keep evidence.
	if n := len(w.Pages); n > keptPages && len(w.Pages[n-1].Problems) == 0 {
		w.Pages[n-1].Ex = nil
	}
	w.Pages = append(w.Pages, d.pg)
	if d.ok {
		e.progress.page(k.ep.Path, d.pg.Count)
	}
	ev := d.pg.Ex
	if !d.ok {
		w.Fatal, w.FatalEx = strings.Join(d.pg.Problems, "; "), ev
		if k.keepRefs && len(w.Items) == 0 {
			w.Items = d.lone
		}
		return false
	}
	if d.harm != "" {
		w.Fatal, w.FatalEx = d.harm, ev
		return false
	}
	w.SchemaN += d.schemaN
	for rule, n := range d.schemaCounts {
		w.SchemaCounts[rule] += n
	}
	for _, v := range d.schema {
		if len(w.Schema) < e.MaxViolations {
			w.schemaKept[v.Rule]++
			w.Schema = append(w.Schema, v)
		}
	}
	for rule, n := range d.dataCounts {
		w.DataCounts[rule] += n
	}
	for _, v := range d.data {
		if len(w.Data) < e.MaxViolations {
			w.dataKept[v.Rule]++
			w.Data = append(w.Data, v)
		}
	}
	k.fresh = 0
	for i, id := range d.ids {
		h := idHash(id)
		if n, dup := k.seenID.get(h); dup && id != "" {
			w.DupN++
			if len(w.Dups) < e.MaxViolations {
				w.Dups = append(w.Dups, Violation{Rule: ruleDuplicate, Pointer: fmt.Sprintf("/%s/%d/sourcedId", k.ep.Key, i), RecordID: id,
					Message: fmt.Sprintf("sourcedId already returned at position %d of the walk", n), Ex: ev})
			}
		} else {
			k.seenID.put(h, int32(w.N))
			k.fresh++
		}
		w.N++
		if k.keepIDs {
			w.IDs = append(w.IDs, strings.Clone(id))
		}
	}
	if k.keepRefs {
		for _, it := range d.items {
			if len(w.Items) >= maxItems {
				break
			}
			w.Items = append(w.Items, it)
		}
	}
	for _, row := range d.rows {
		w.Cols.addRow(row)
	}
	for _, t := range d.terms {
		if len(w.Terms) < maxItems {
			w.Terms = append(w.Terms, t)
		}
	}
	for _, m := range d.first {
		if len(w.Samples) < e.Samples-1 {
			w.Samples = append(w.Samples, m)
		}
	}
	if d.last != nil {
		k.last = d.last
	}
	return true
}

// runWalk walks one filled endpoint path. The first page is fetched at
// the walk's page size; when it gives X-Total-Count, the remaining offsets
// are fetched concurrently (bounded by Env.Concurrency) and merged in
// order, each page decoded and validated while later ones are in flight.
// Without a total, the walk goes on sequentially: it follows rel="next"
// when it is an absolute URL on the target's origin, and pages by
// limit/offset otherwise (a missing, malformed, relative or off-origin
// Link is the Link check's finding, never the walk's end). The invariants
// (disjoint pages, union = total, no gaps) are judged by the checks on
// the assembled result.
func (e *Env) runWalk(ctx context.Context, ep catalogue.Endpoint, path string, keepRefs bool) *Walk {
	w := &Walk{Path: path, Limit: e.PageSize, SchemaCounts: map[string]int{}, DataCounts: map[string]int{},
		schemaKept: map[string]int{}, dataKept: map[string]int{}, Cols: newColumns(columnKey(ep))}
	// Integrity: a base collection's own walk feeds the index; the others
	// keep their ids.
	ix := e.indexFor(ep, path)
	if ix != nil {
		defer ix.finish()
	}
	_, base := integritySpecs[ep.Path]
	k := &walker{e: e, ep: ep, w: w, keepRefs: keepRefs, keepIDs: !base || !ep.TopLevel(), ix: ix, seenPage: map[string]bool{}}
	defer func() {
		w.Cols.seal()
		// The last record of the walk is the final singleton sample.
		if k.last != nil && e.Samples > 1 && w.N > len(w.Samples) {
			w.Samples = append(w.Samples, k.last)
		}
		if w.Fatal != "" && ctx.Err() != nil {
			w.Fatal = "walk interrupted: " + ctx.Err().Error()
		}
	}()
	o := digestOpts{keepRefs: keepRefs, ix: ix, left: firstPage}
	pageURL := func(off, limit int) string {
		return e.url(path, url.Values{"limit": {strconv.Itoa(limit)}, "offset": {strconv.Itoa(off)}})
	}
	d := e.fetchDigest(ctx, ep, pageURL(0, w.Limit), false, o)
	if !d.ok && w.Limit > defaultPageSize && d.status >= 400 {
		// The consumers' large page size was refused: walk at the spec's
		// default instead; the large-limit check reports the refusal.
		pg := d.pg
		w.LargeFail = &pg
		w.Limit = defaultPageSize
		d = e.fetchDigest(ctx, ep, pageURL(0, w.Limit), false, o)
	}
	for {
		if !k.merge(d) {
			return w
		}
		if ctx.Err() != nil {
			w.Fatal = "walk interrupted: " + ctx.Err().Error()
			return w
		}
		pg := w.Pages[len(w.Pages)-1]
		if len(w.Pages) == 1 && pg.HasTotal {
			total := pg.Total
			if total >= 2 && sampleLimit(total) == w.Limit {
				// The sample's pages are pages of the walk (same
				// requests): it takes them from the walk when the walk
				// ends, and sends only those the walk did not.
				k.sampleWant = map[string]bool{}
				for _, off := range sampleOffsets(total, w.Limit) {
					k.sampleWant[e.sampleURL(path, w.Limit, off)] = true
				}
				k.sampleGot = map[string]*digest{}
				k.keepSample(d)
				defer w.sampleOnce.Do(func() { w.sample = e.sampleFrom(ctx, ep, path, total, true, k.sampleGot) })
			} else {
				// The paging sample needs only the total: read it beside the walk.
				go w.sampleOnce.Do(func() { w.sample = e.sampleFor(ctx, ep, path, total, true) })
			}
		}
		if len(w.Pages) == 1 && pg.HasTotal && pg.Count > 0 && pg.Total > pg.Count && e.Concurrency > 1 {
			// X-Total-Count gives the number of pages: fetch the rest at
			// once, advancing by what the first page held (a visible cap).
			w.Concurrent = true
			w.Cols.reserve(pg.Total)
			if !e.fetchPlanned(ctx, k, pageURL, pg.Count, pg.Total) {
				return w
			}
			pg = w.Pages[len(w.Pages)-1]
		}
		next, probe, stop := k.nextPage(pg, pageURL)
		if stop {
			return w
		}
		o.left = 1 // a walk without a total: its length is unknown
		d = e.fetchDigest(ctx, ep, next, probe, o)
	}
}

// fetchPlanned fetches offsets step, 2*step, ... below total, at most
// Env.Concurrency at a time, and merges them in order. It returns false
// when a page stopped the walk.
func (e *Env) fetchPlanned(ctx context.Context, k *walker, pageURL func(off, limit int) string, step, total int) bool {
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	limit := k.w.Limit
	slots := make(chan chan *digest, e.Concurrency-1)
	go func() {
		defer close(slots)
		for off, n := step, 1; off < total && n < maxPagesWithoutTotal; off, n = off+step, n+1 {
			s := make(chan *digest, 1)
			select {
			case slots <- s:
			case <-pctx.Done():
				return
			}
			u := pageURL(off, limit)
			left := (total - off) / step
			go func() {
				s <- e.fetchDigest(pctx, k.ep, u, false, digestOpts{keepRefs: k.keepRefs, ix: k.ix, left: left})
			}()
		}
	}()
	for s := range slots {
		d := <-s
		if !k.merge(d) {
			return false
		}
		if ctx.Err() != nil {
			k.w.Fatal = "walk interrupted: " + ctx.Err().Error()
			return false
		}
		if d.pg.Count == 0 {
			// The data ended before X-Total-Count said: the union check
			// reports the difference; stop asking.
			return true
		}
	}
	return true
}

// nextPage decides where the walk goes after page pg: rel="next" when it
// is usable, else the next offset; stop at the end, on a loop or on a
// runaway.
func (k *walker) nextPage(pg Page, pageURL func(off, limit int) string) (next string, probe, stop bool) {
	w, e := k.w, k.e
	if n, ok := pg.Links["next"]; ok && e.followable(n) {
		if pg.Count == 0 && len(w.Pages) > 1 {
			w.StrayNext = fmt.Sprintf("rel=\"next\" of page %d led to an empty page (%s)", len(w.Pages)-1, pg.URL)
			return "", false, true
		}
		if k.seenPage[pageKey(n)] {
			w.Loop = fmt.Sprintf("rel=\"next\" on page %d points back to an already walked page: %s", len(w.Pages), n)
			return "", false, true
		}
		next = n
	} else {
		// A short page after a longer limit was asked for is a cap:
		// advance by what came, as a careful consumer would. Without
		// X-Total-Count, a short page may still be a silent cap: look once
		// past it (an empty answer ends the walk).
		off := pg.Offset + min(pg.Count, pg.Limit)
		if pg.Count <= 0 || (pg.HasTotal && off >= pg.Total) {
			return "", false, true
		}
		next, probe = pageURL(off, w.Limit), !pg.HasTotal
	}
	switch {
	case pg.HasTotal && (len(w.Pages) > pg.Total+2 || w.N > 2*pg.Total+pg.Limit):
		w.Runaway = fmt.Sprintf("still paging after %d pages and %d records although X-Total-Count is %d", len(w.Pages), w.N, pg.Total)
		return "", false, true
	case !pg.HasTotal && k.fresh == 0:
		w.Runaway = fmt.Sprintf("page %d brought no new records and the server still offers more", len(w.Pages))
		return "", false, true
	case len(w.Pages) >= maxPagesWithoutTotal:
		w.Runaway = fmt.Sprintf("still paging after %d pages", len(w.Pages))
		return "", false, true
	}
	return next, probe, false
}

// followable says whether the walk may follow a Link URL: absolute, and
// on the target's own origin. Anything else is the Link check's finding;
// the walk pages by limit/offset instead, and never sends credentials to
// another origin.
func (e *Env) followable(link string) bool {
	u, err := url.Parse(link)
	if err != nil || !u.IsAbs() {
		return false
	}
	b, err := url.Parse(e.BaseURL)
	return err == nil && client.SameOrigin(b, u)
}
