package suites

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strconv"

	"github.com/rostercheck/rostercheck/internal/client"
	"github.com/rostercheck/rostercheck/schemas"
	"github.com/rostercheck/rostercheck/suites/catalogue"
)

// behaviour is a generic check applied to every endpoint of the catalogue
// it fits: the table-driven half of the suite.
type behaviour struct {
	name    string // the behaviour part of the check ID
	title   string // fmt template; %s is the endpoint path template
	level   string
	feature string
	applies func(ep catalogue.Endpoint) bool
	run     func(ctx context.Context, e *Env, ep catalogue.Endpoint, r *Recorder)
}

func always(catalogue.Endpoint) bool          { return true }
func hasSingleton(ep catalogue.Endpoint) bool { return ep.SingleKey != "" }

var behaviours = []behaviour{
	{"envelope", "GET %s answers 200 application/json with its wrapper key on every page", MUST, FeatureEnvelope, always, checkEnvelope},
	{"schema", "GET %s: every record on every page is schema-valid", MUST, FeatureSchema, always, checkSchema},
	{"paging.union-equals-total", "GET %s pages are disjoint and their union equals X-Total-Count", MUST, FeaturePaging, always, checkUnion},
	{"paging.limit-honoured", "GET %s never returns more records than limit", MUST, FeaturePaging, always, checkLimit},
	{"paging.large-limit", "GET %s with a consumer's large limit is served or capped, never an error", MUST, FeatureLargeLimit, always, checkLargeLimit},
	{"paging.links", "GET %s Link first/next/last are consistent with the page walk", SHOULD, FeatureLinks, always, checkLinks},
	{"paging.past-end", "GET %s with offset past the end answers 200 and an empty array", SHOULD, FeaturePastEnd, always, checkPastEnd},
	{"singleton", "GET %s/{id} answers the singular wrapper with the same object as the collection", MUST, FeatureSingleton, hasSingleton, checkSingleton},
	{"unknown-id", "GET %s/{unknown id} answers 404 with an imsx statusInfoSet", MUST, FeatureUnknownID, hasSingleton, checkUnknownID},
}

// Catalogue returns every check the harness knows, sorted by ID.
func Catalogue() []Check {
	var out []Check
	for _, ep := range catalogue.Endpoints {
		for _, b := range behaviours {
			if !b.applies(ep) {
				continue
			}
			ep, b := ep, b
			out = append(out, Check{
				ID:       ep.Area + "." + ep.Slug() + "." + b.name,
				Title:    fmt.Sprintf(b.title, ep.Path) + " [" + b.level + "]",
				Area:     ep.Area,
				Endpoint: ep.Path,
				Level:    b.level,
				Features: []string{ep.Feature(), b.feature},
				Run: func(ctx context.Context, e *Env, r *Recorder) {
					b.run(ctx, e, ep, r)
				},
			})
		}
	}
	SortChecks(out)
	return out
}

// walksOrFail returns the walks of an endpoint; a walk that could not
// complete is recorded as a violation (the provider broke the walk).
func walksOrFail(ctx context.Context, e *Env, ep catalogue.Endpoint, r *Recorder, needComplete bool) []*Walk {
	ws, err := e.Walks(ctx, ep)
	if err != nil {
		var de *DiscoveryError
		errors.As(err, &de)
		var ex *client.Exchange
		if de != nil {
			ex = de.Ex
		}
		r.Addf(ex, "%v", err)
		return nil
	}
	var out []*Walk
	for _, w := range ws {
		if w.Fatal != "" {
			r.Addf(w.FatalEx, "GET %s: page %d: %s", w.Path, len(w.Pages), w.Fatal)
			if needComplete {
				continue
			}
		}
		out = append(out, w)
	}
	return out
}

func checkEnvelope(ctx context.Context, e *Env, ep catalogue.Endpoint, r *Recorder) {
	for _, w := range walksOrFail(ctx, e, ep, r, false) {
		for i, pg := range w.Pages {
			if w.Fatal != "" && i == len(w.Pages)-1 {
				continue // already reported
			}
			for _, p := range pg.Problems {
				r.Addf(pg.Ex, "page %d: %s", i+1, p)
			}
		}
	}
}

func checkSchema(ctx context.Context, e *Env, ep catalogue.Endpoint, r *Recorder) {
	for _, w := range walksOrFail(ctx, e, ep, r, false) {
		for _, v := range w.Schema {
			r.Add(v)
		}
		r.res.ViolationsTotal += w.SchemaN - len(w.Schema)
	}
}

func checkUnion(ctx context.Context, e *Env, ep catalogue.Endpoint, r *Recorder) {
	for _, w := range walksOrFail(ctx, e, ep, r, true) {
		total, haveTotal := -1, false
		for i, pg := range w.Pages {
			switch {
			case pg.TotalRaw == "":
				r.Addf(pg.Ex, "page %d has no X-Total-Count header", i+1)
			case !pg.HasTotal:
				r.Addf(pg.Ex, "page %d: X-Total-Count %q is not a non-negative integer", i+1, pg.TotalRaw)
			case haveTotal && pg.Total != total:
				r.Addf(pg.Ex, "page %d: X-Total-Count %d differs from the first page's %d", i+1, pg.Total, total)
			case !haveTotal:
				total, haveTotal = pg.Total, true
			}
		}
		for _, v := range w.Dups {
			r.Add(v)
		}
		r.res.ViolationsTotal += w.DupN - len(w.Dups)
		if haveTotal && len(w.IDs) != total {
			var ex = w.Pages[len(w.Pages)-1].Ex
			r.Addf(ex, "GET %s: the walk returned %d records (%d distinct) but X-Total-Count is %d", w.Path, len(w.IDs), w.Distinct(), total)
		}
		if w.Runaway != "" {
			r.Addf(w.Pages[len(w.Pages)-1].Ex, "GET %s: %s", w.Path, w.Runaway)
		}
	}
}

func checkLimit(ctx context.Context, e *Env, ep catalogue.Endpoint, r *Recorder) {
	ws := walksOrFail(ctx, e, ep, r, true)
	for _, w := range ws {
		for i, pg := range w.Pages {
			if pg.Count > pg.Limit {
				r.Addf(pg.Ex, "page %d holds %d records, more than limit=%d", i+1, pg.Count, pg.Limit)
			}
		}
	}
	// A small limit shows a provider that ignores it even when the walk fits
	// one page. It needs a collection of two or more: for a relationship
	// whose sampled parents have fewer, look further for one that has.
	probe := ws
	if !ep.TopLevel() && !anyWithAtLeast(ws, 2) {
		more, _ := e.walksFor(ctx, ep, maxProbeParents)
		for _, w := range more {
			if w.Fatal == "" && w.Distinct() >= 2 {
				probe = []*Walk{w}
				break
			}
		}
	}
	for _, w := range probe {
		if w.Distinct() < 2 {
			continue
		}
		ex := r.Evidence(e.get(ctx, r.res.CheckID, e.url(w.Path, url.Values{"limit": {"1"}, "offset": {"0"}})))
		pg, doc := e.readPage(ex, ep.Key)
		if doc == nil {
			r.Addf(ex, "GET %s?limit=1: %v", w.Path, pg.Problems)
			continue
		}
		if n := len(doc[ep.Key].([]any)); n > 1 {
			r.Addf(ex, "GET %s?limit=1 returned %d records", w.Path, n)
		}
	}
}

// maxProbeParents bounds the search for a parent with enough children.
const maxProbeParents = 100

func anyWithAtLeast(ws []*Walk, n int) bool {
	for _, w := range ws {
		if w.Distinct() >= n {
			return true
		}
	}
	return false
}

func checkLargeLimit(ctx context.Context, e *Env, ep catalogue.Endpoint, r *Recorder) {
	for _, w := range walksOrFail(ctx, e, ep, r, true) {
		lim := e.LargeLimit
		ex := r.Evidence(e.get(ctx, r.res.CheckID, e.url(w.Path, url.Values{"limit": {strconv.Itoa(lim)}, "offset": {"0"}})))
		pg, doc := e.readPage(ex, ep.Key)
		if doc == nil {
			r.Addf(ex, "GET %s?limit=%d: %s", w.Path, lim, join(pg.Problems))
			continue
		}
		n := len(doc[ep.Key].([]any))
		if n > lim {
			r.Addf(ex, "GET %s?limit=%d returned %d records", w.Path, lim, n)
			continue
		}
		if n == lim || pg.HasTotal || hasRel(pg, "next") {
			// A full page, or one whose X-Total-Count or rel="next" tells
			// the consumer whether there is more (the union check holds
			// X-Total-Count to the truth).
			continue
		}
		// A short page that does not say there is more: a consumer stops
		// here. Is there more?
		if w.Distinct() > n {
			r.Addf(ex, "GET %s?limit=%d was capped to %d of the %d records the page walk found, without X-Total-Count or rel=\"next\" saying so; a consumer stops here and loses data", w.Path, lim, n, w.Distinct())
			continue
		}
		more := r.Evidence(e.get(ctx, r.res.CheckID, e.url(w.Path, url.Values{"limit": {"1"}, "offset": {strconv.Itoa(n)}})))
		if _, mdoc := e.readPage(more, ep.Key); mdoc != nil && len(mdoc[ep.Key].([]any)) > 0 {
			r.Addf(more, "GET %s?limit=%d was capped to %d records without X-Total-Count or rel=\"next\" saying so, but offset=%d still has records; a consumer stops here and loses data", w.Path, lim, n, n)
		}
	}
}

func checkLinks(ctx context.Context, e *Env, ep catalogue.Endpoint, r *Recorder) {
	for _, w := range walksOrFail(ctx, e, ep, r, true) {
		if w.Loop != "" {
			r.Addf(w.Pages[len(w.Pages)-1].Ex, "GET %s: %s", w.Path, w.Loop)
		}
		pages := w.Pages
		if n := len(pages); n > 1 && pages[n-1].Count == 0 && !hasRel(pages[n-2], "next") {
			// Without X-Total-Count the walk probes one empty page past
			// the end; it is not a page the server paginated to.
			pages = pages[:n-1]
		}
		lastPage := len(pages) - 1
		finalOffset := pages[lastPage].Offset
		for i, pg := range pages {
			if pg.LinkRaw == "" {
				if len(w.Pages) > 1 {
					r.Addf(pg.Ex, "page %d of a %d-page walk has no Link header", i+1, len(w.Pages))
				}
				continue
			}
			for _, rel := range []string{"first", "last"} {
				if _, ok := pg.Links[rel]; !ok {
					r.Addf(pg.Ex, "page %d: Link has no rel=%q", i+1, rel)
				}
			}
			rels := make([]string, 0, len(pg.Links))
			for rel := range pg.Links {
				rels = append(rels, rel)
			}
			sort.Strings(rels)
			for _, rel := range rels {
				if pu, err := url.Parse(pg.Links[rel]); err != nil || !pu.IsAbs() {
					r.Addf(pg.Ex, "page %d: Link rel=%q is not an absolute URL: %q", i+1, rel, pg.Links[rel])
				}
			}
			next, hasNext := pg.Links["next"]
			switch {
			case i < lastPage && !hasNext && w.Loop == "":
				// The walk continued by offset because next was missing.
				r.Addf(pg.Ex, "page %d is not the last page but Link has no rel=\"next\"", i+1)
			case i == lastPage && hasNext && w.Loop == "":
				r.Addf(pg.Ex, "the last page (%d) still has rel=\"next\" %s", i+1, next)
			case hasNext:
				off, lim := pagingOf(next, pg.Limit)
				if off != pg.Offset+pg.Limit || lim != pg.Limit {
					r.Addf(pg.Ex, "page %d: rel=\"next\" asks offset=%d limit=%d, want offset=%d limit=%d", i+1, off, lim, pg.Offset+pg.Limit, pg.Limit)
				}
			}
			if last, ok := pg.Links["last"]; ok && w.Loop == "" {
				if off, _ := pagingOf(last, pg.Limit); off != finalOffset {
					r.Addf(pg.Ex, "page %d: rel=\"last\" asks offset=%d but the walk's last page is at offset=%d", i+1, off, finalOffset)
				}
			}
		}
	}
}

func hasRel(pg Page, rel string) bool {
	_, ok := pg.Links[rel]
	return ok
}

func checkPastEnd(ctx context.Context, e *Env, ep catalogue.Endpoint, r *Recorder) {
	for _, w := range walksOrFail(ctx, e, ep, r, true) {
		off := w.Records() + e.PageSize
		ex := r.Evidence(e.get(ctx, r.res.CheckID, e.url(w.Path, url.Values{"limit": {strconv.Itoa(e.PageSize)}, "offset": {strconv.Itoa(off)}})))
		pg, doc := e.readPage(ex, ep.Key)
		if doc == nil {
			r.Addf(ex, "GET %s?offset=%d: %s", w.Path, off, join(pg.Problems))
			continue
		}
		if n := len(doc[ep.Key].([]any)); n != 0 {
			r.Addf(ex, "GET %s?offset=%d (past the %d records) returned %d records, want none", w.Path, off, w.Records(), n)
		}
		if next, ok := pg.Links["next"]; ok {
			r.Addf(ex, "GET %s?offset=%d (past the end) has rel=\"next\" %s", w.Path, off, next)
		}
	}
}

func checkSingleton(ctx context.Context, e *Env, ep catalogue.Endpoint, r *Recorder) {
	ws := walksOrFail(ctx, e, ep, r, false)
	for _, w := range ws {
		if len(w.Samples) == 0 && w.Fatal == "" {
			r.Addf(w.Pages[0].Ex, "GET %s returned no records to fetch one by one", w.Path)
		}
		for _, want := range w.Samples {
			id, _ := want["sourcedId"].(string)
			ex := r.Evidence(e.get(ctx, r.res.CheckID, e.url(w.Path+"/"+url.PathEscape(id), nil)))
			if ex.Err != nil {
				r.Add(Violation{RecordID: id, Message: describeErr(ex), Ex: ex})
				continue
			}
			if ex.Status != 200 {
				r.Add(Violation{RecordID: id, Message: fmt.Sprintf("status %d, want 200%s", ex.Status, bodyHint(ex.Body)), Ex: ex})
				continue
			}
			if p := jsonContentType(ex.ResponseHeader.Get("Content-Type")); p != "" {
				r.Add(Violation{RecordID: id, Message: p, Ex: ex})
			}
			doc, err := decodeObject(ex.Body)
			if err != nil {
				r.Add(Violation{RecordID: id, Message: err.Error(), Ex: ex})
				continue
			}
			got, ok := doc[ep.SingleKey].(map[string]any)
			if !ok {
				r.Add(Violation{RecordID: id, Pointer: "/" + ep.SingleKey, Message: fmt.Sprintf("no %q object in the response (top-level keys: %s)", ep.SingleKey, keysOf(doc)), Ex: ex})
				continue
			}
			vs, err := schemas.ValidateSingle(ep.SingleKey, ep.Entity, doc)
			if err != nil {
				r.Errorf("schema: %v", err)
				return
			}
			for _, v := range vs {
				r.Add(Violation{RecordID: id, Pointer: v.Pointer, Message: v.Message, Ex: ex})
			}
			for _, k := range diffKeys(want, got) {
				r.Add(Violation{RecordID: id, Pointer: "/" + ep.SingleKey + "/" + k, Message: fmt.Sprintf("differs from the collection: %s vs %s", short(got[k]), short(want[k])), Ex: ex})
			}
		}
	}
}

func checkUnknownID(ctx context.Context, e *Env, ep catalogue.Endpoint, r *Recorder) {
	id := "rostercheck-unknown-" + randomHex(8)
	ex := r.Evidence(e.get(ctx, r.res.CheckID, e.url(ep.Path+"/"+id, nil)))
	if ex.Err != nil {
		r.Addf(ex, "%s", describeErr(ex))
		return
	}
	if ex.Status != 404 {
		r.Addf(ex, "GET %s/%s answered %d, want 404%s", ep.Path, id, ex.Status, bodyHint(ex.Body))
	}
	doc, err := decodeObject(ex.Body)
	if err != nil {
		r.Addf(ex, "the 404 body is not an imsx statusInfoSet: %v", err)
		return
	}
	vs, err := schemas.ValidateStatusInfoSet(doc)
	if err != nil {
		r.Errorf("schema: %v", err)
		return
	}
	for _, v := range vs {
		r.Add(Violation{Pointer: v.Pointer, Message: "imsx payload: " + v.Message, Ex: ex})
	}
	if len(vs) == 0 {
		set, _ := doc["statusInfoSet"].([]any)
		first, _ := set[0].(map[string]any)
		if m, _ := first["imsx_codeMajor"].(string); m != "failure" {
			r.Add(Violation{Pointer: "/statusInfoSet/0/imsx_codeMajor", Message: fmt.Sprintf("%q, want \"failure\"", m), Ex: ex})
		}
	}
}

func diffKeys(a, b map[string]any) []string {
	var out []string
	for k, v := range a {
		if !reflect.DeepEqual(v, b[k]) {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func short(v any) string {
	s := fmt.Sprintf("%v", v)
	if v == nil {
		s = "(absent)"
	}
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return s
}

func join(ps []string) string {
	if len(ps) == 0 {
		return "unusable response"
	}
	s := ps[0]
	for _, p := range ps[1:] {
		s += "; " + p
	}
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
