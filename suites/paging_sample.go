package suites

import (
	"context"
	"fmt"
	"github.com/rostercheck/rostercheck/internal/client"
	"net/url"
	"sort"
	"strconv"
	"sync"

	"github.com/rostercheck/rostercheck/suites/catalogue"
)

// Sample is the paging sample of a walked collection: a few pages at a
// page size small enough to give several pages, whatever page size the
// main walk used (a consumer's 5000 puts most collections on one page).
// It proves paging on every collection of two or more records at a
// bounded cost: the first pages (and their boundaries), the page before
// the last, and the last page.
type Sample struct {
	Path  string
	Limit int
	// Total is the number of records the sample expects: the main walk's
	// X-Total-Count, else the records it read.
	Total    int
	HasTotal bool // Total is the main walk's X-Total-Count
	// LastOffset is the offset of the last page at Limit.
	LastOffset int
	Pages      []Page // in offset order, each with its evidence
	// Dups are records seen on two sample pages.
	Dups []Violation
	// Failed are sample pages that could not be read.
	Failed []Violation
}

// maxSampleLimit caps the sample's page size.
const maxSampleLimit = 100

// sampleLimit is a page size that gives total records at least two pages,
// three or more from three records on.
func sampleLimit(total int) int {
	return max(1, min(maxSampleLimit, (total-1)/2))
}

// sampleOffsets are the offsets of the sampled pages: the first three,
// the one before the last and the last.
func sampleOffsets(total, limit int) []int {
	last := (total - 1) / limit * limit
	set := map[int]bool{}
	for _, o := range []int{0, limit, 2 * limit, last - limit, last} {
		if o >= 0 && o < total {
			set[o] = true
		}
	}
	out := make([]int, 0, len(set))
	for o := range set {
		out = append(out, o)
	}
	sort.Ints(out)
	return out
}

// PagingSample returns the memoised paging sample of a walk, or nil when
// the walk did not complete or holds fewer than two records.
func (e *Env) PagingSample(ctx context.Context, ep catalogue.Endpoint, w *Walk) *Sample {
	e.init()
	w.sampleOnce.Do(func() { w.sample = e.runSample(e.runCtx(ctx), ep, w) })
	return w.sample
}

func (e *Env) runSample(ctx context.Context, ep catalogue.Endpoint, w *Walk) *Sample {
	if w.Fatal != "" {
		return nil
	}
	total, has := w.Total()
	if !has {
		total = w.Distinct()
	}
	return e.sampleFor(ctx, ep, w.Path, total, has)
}

// sampleFor reads the paging sample of a collection of total records
// (has: total is its X-Total-Count). The walk starts it as soon as its
// first page gives X-Total-Count, beside its own pages.
func (e *Env) sampleFor(ctx context.Context, ep catalogue.Endpoint, path string, total int, has bool) *Sample {
	return e.sampleFrom(ctx, ep, path, total, has, nil)
}

// sampleURL is the request of the sample page at off.
func (e *Env) sampleURL(path string, limit, off int) string {
	return e.url(path, url.Values{"limit": {strconv.Itoa(limit)}, "offset": {strconv.Itoa(off)}})
}

// sampleFrom is sampleFor given the pages the walk already read with the
// very request the sample would send (by URL): those are not sent again.
func (e *Env) sampleFrom(ctx context.Context, ep catalogue.Endpoint, path string, total int, has bool, have map[string]*digest) *Sample {
	if total < 2 {
		return nil
	}
	s := &Sample{Path: path, Limit: sampleLimit(total), Total: total, HasTotal: has}
	s.LastOffset = (total - 1) / s.Limit * s.Limit
	offs := sampleOffsets(total, s.Limit)
	ds := make([]*digest, len(offs))
	var wg sync.WaitGroup
	for i, off := range offs {
		u := e.sampleURL(path, s.Limit, off)
		if d := have[u]; d != nil {
			ds[i] = d
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ds[i] = e.fetchDigest(ctx, ep, u, false, digestOpts{lite: true})
		}()
	}
	wg.Wait()
	seen := map[string]int{} // id -> offset of the page that had it
	for _, d := range ds {
		pg := d.pg
		s.Pages = append(s.Pages, pg)
		if !d.ok {
			s.Failed = append(s.Failed, Violation{Rule: ruleEnvelope, Message: fmt.Sprintf("paging sample GET %s: %s", pg.URL, joinProblems(pg.Problems)), Ex: pg.Ex})
			continue
		}
		for i, id := range d.ids {
			if id == "" {
				continue
			}
			if at, dup := seen[id]; dup && len(s.Dups) < e.MaxViolations {
				s.Dups = append(s.Dups, Violation{Rule: ruleDuplicate, Pointer: fmt.Sprintf("/%s/%d/sourcedId", ep.Key, i), RecordID: id,
					Message: fmt.Sprintf("paging sample (limit=%d): the page at offset=%d repeats a record of the page at offset=%d", s.Limit, pg.Offset, at), Ex: pg.Ex})
				continue
			}
			seen[id] = pg.Offset
		}
	}
	return s
}

func joinProblems(ps []string) string {
	if len(ps) == 0 {
		return "unusable page"
	}
	out := ps[0]
	for _, p := range ps[1:] {
		out += "; " + p
	}
	return out
}

// samples returns the paging samples of the walks (those with two or more records).
func (e *Env) samples(ctx context.Context, ep catalogue.Endpoint, ws []*Walk) []*Sample {
	var out []*Sample
	for _, w := range ws {
		if s := e.PagingSample(ctx, ep, w); s != nil {
			out = append(out, s)
		}
	}
	return out
}

// where names a sample page in a message.
func (s *Sample) where(pg Page) string {
	return fmt.Sprintf("paging sample GET %s?limit=%d&offset=%d", s.Path, pg.Limit, pg.Offset)
}

// judgeSampleUnion reports, on the sample, what the union check judges:
// X-Total-Count on every page and equal to the walk's, pages disjoint and
// each as full as the total says (no gaps).
func judgeSampleUnion(r *Recorder, s *Sample) {
	for _, v := range s.Failed {
		r.Add(v)
	}
	for _, pg := range s.Pages {
		if pg.Count < 0 {
			continue
		}
		switch {
		case pg.TotalRaw == "":
			r.AddRule(ruleTotalMissing, pg.Ex, "%s has no X-Total-Count header", s.where(pg))
		case !pg.HasTotal:
			r.AddRule(ruleTotalMissing, pg.Ex, "%s: X-Total-Count %q is not a non-negative integer", s.where(pg), pg.TotalRaw)
		case s.HasTotal && pg.Total != s.Total:
			r.AddRule(ruleTotalMissing, pg.Ex, "%s: X-Total-Count %d differs from the walk's %d", s.where(pg), pg.Total, s.Total)
		}
		if want := min(s.Limit, s.Total-pg.Offset); pg.Count < want {
			r.AddRule(ruleUnion, pg.Ex, "%s holds %d records, want %d of the %d: records are skipped", s.where(pg), pg.Count, want, s.Total)
		}
	}
	for _, v := range s.Dups {
		r.Add(v)
	}
}

// judgeSampleLimit reports sample pages holding more records than limit.
func judgeSampleLimit(r *Recorder, s *Sample) {
	for _, pg := range s.Pages {
		if pg.Count > s.Limit {
			r.AddRule(ruleLimit, pg.Ex, "%s holds %d records, more than limit=%d", s.where(pg), pg.Count, s.Limit)
		}
	}
}

// judgeSampleLinks judges the Link header of every sample page against
// the offsets the sample knows: first at 0, next right after the page
// (none on the last page), last at the last page.
func judgeSampleLinks(e *Env, r *Recorder, s *Sample) {
	for _, pg := range s.Pages {
		if pg.Count < 0 {
			continue
		}
		isLast := pg.Offset >= s.LastOffset
		if pg.LinkRaw == "" {
			for _, p := range linkSyntax(pg.LinkRaw, pg.LinkPresent) {
				r.AddRule(ruleLinkSyntax, pg.Ex, "%s: %s", s.where(pg), p)
			}
			r.AddRule(ruleLinkMissing, pg.Ex, "%s (one of %d pages) has no Link header", s.where(pg), s.LastOffset/s.Limit+1)
			continue
		}
		e.judgeLinkURLs(r, pg, s.where(pg))
		if next, ok := pg.Links["next"]; ok {
			if isLast {
				r.AddRule(ruleLinkLoop, pg.Ex, "%s is the last page but has rel=\"next\" %s", s.where(pg), next)
			} else if off, lim := pagingOf(next, pg.Limit); off != pg.Offset+pg.Count || (lim != pg.Limit && lim != pg.Count) {
				r.AddRule(ruleLink, pg.Ex, "%s: rel=\"next\" asks offset=%d limit=%d, want offset=%d limit=%d", s.where(pg), off, lim, pg.Offset+pg.Count, pg.Limit)
			}
		} else if !isLast && pg.Count <= pg.Limit {
			r.AddRule(ruleLinkNext, pg.Ex, "%s is not the last page but Link has no rel=\"next\"", s.where(pg))
		}
		if last, ok := pg.Links["last"]; ok && s.HasTotal {
			if off, _ := pagingOf(last, pg.Limit); off != s.LastOffset {
				r.AddRule(ruleLink, pg.Ex, "%s: rel=\"last\" asks offset=%d, want offset=%d (X-Total-Count %d)", s.where(pg), off, s.LastOffset, s.Total)
			}
		}
	}
}

// judgeLinkURLs reports what any page's Link URLs get wrong on their own:
// first and last missing, a URL that is not absolute or points at another
// origin, rel="first" not at offset 0.
func (e *Env) judgeLinkURLs(r *Recorder, pg Page, where string) {
	for _, p := range linkSyntax(pg.LinkRaw, true) {
		r.AddRule(ruleLinkSyntax, pg.Ex, "%s: %s", where, p)
	}
	if _, ok := pg.Links["first"]; !ok {
		r.AddRule(ruleLinkFirst, pg.Ex, "%s: Link has no rel=\"first\"", where)
	}
	if _, ok := pg.Links["last"]; !ok {
		r.AddRule(ruleLinkLast, pg.Ex, "%s: Link has no rel=\"last\"", where)
	}
	rels := make([]string, 0, len(pg.Links))
	for rel := range pg.Links {
		rels = append(rels, rel)
	}
	sort.Strings(rels)
	base, _ := url.Parse(e.BaseURL)
	for _, rel := range rels {
		pu, err := url.Parse(pg.Links[rel])
		switch {
		case err != nil || !pu.IsAbs():
			r.AddRule(ruleLinkAbsolute, pg.Ex, "%s: Link rel=%q is not an absolute URL: %q", where, rel, pg.Links[rel])
		case base != nil && !client.SameOrigin(base, pu):
			r.AddRule(ruleLinkOffOrigin, pg.Ex, "%s: Link rel=%q points at another origin (%s://%s), not followed: %s", where, rel, pu.Scheme, pu.Host, e.redact(pg.Links[rel]))
		}
	}
	if first, ok := pg.Links["first"]; ok {
		if off, _ := pagingOf(first, pg.Limit); off != 0 {
			r.AddRule(ruleLink, pg.Ex, "%s: rel=\"first\" asks offset=%d, want 0", where, off)
		}
	}
}
