package suites

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rostercheck/rostercheck/internal/client"
	"github.com/rostercheck/rostercheck/suites/catalogue"
)

// behaviour is a generic check applied to every endpoint of the catalogue
// it fits: the table-driven half of the suite.
type behaviour struct {
	name    string // the behaviour part of the check ID
	title   string // fmt template; %s is the endpoint path template
	level   string
	feature string
	rule    string // default rule of its violations
	single  bool   // exercises the singleton operation (/x/{id}), not the collection
	applies func(ep catalogue.Endpoint) bool
	run     func(ctx context.Context, e *Env, ep catalogue.Endpoint, r *Recorder)
}

func always(catalogue.Endpoint) bool            { return true }
func hasSingleton(ep catalogue.Endpoint) bool   { return ep.SingleKey != "" }
func isRelationship(ep catalogue.Endpoint) bool { return !ep.TopLevel() }

// Rules of the generic behaviours.
const (
	RuleNotServed      = "endpoint.not-served"
	ruleEnvelope       = "envelope.invalid"
	ruleContentType    = "envelope.content-type"
	ruleVariantKey     = "wrapper.variant-key"
	ruleSchema         = "schema.invalid"
	ruleBoolean        = "boolean.not-string"
	ruleDateTime       = "datetime.invalid"
	ruleMissingHref    = "guidref.missing-href"
	ruleTombstone      = "tombstone.partial-record"
	ruleTotalMissing   = "paging.total-missing"
	ruleDuplicate      = "paging.duplicate"
	ruleUnion          = "paging.union-mismatch"
	ruleRunaway        = "paging.runaway"
	ruleLimit          = "paging.limit-ignored"
	ruleLargeLimit     = "paging.large-limit"
	ruleLink           = "link.inconsistent"
	ruleLinkMissing    = "link.missing"
	ruleLinkFirst      = "link.first-missing"
	ruleLinkNext       = "link.next-missing"
	ruleLinkLast       = "link.last-missing"
	ruleLinkAbsolute   = "link.not-absolute"
	ruleLinkOffOrigin  = "link.off-origin"
	ruleLinkLoop       = "link.loop"
	rulePastEnd        = "paging.past-end"
	ruleSingleton      = "singleton.invalid"
	ruleSingletonDiff  = "singleton.differs"
	ruleUnknownStatus  = "error.unknown-id-status"
	ruleNoImsxBody     = "error.no-imsx-body"
	ruleUnknownParent  = "relationship.unknown-parent"
	ruleParent404      = "relationship.unknown-parent-404"
	specLinks          = "OneRoster 1.1 §3.6 paging: Link header (RFC 8288) first/next/last"
	specPaging         = "OneRoster 1.1 §3.6 paging: limit, offset and X-Total-Count"
	specJSONBinding    = "OneRoster 1.1 §4 JSON binding"
	specErrorsUnknown  = "OneRoster 1.1 §3.9 status codes: 404 unknown object"
	seedPagingSDS      = `Microsoft page: Onboarding OneRoster API providers in SDS and Grade Sync: "All endpoints must support paging, i.e., limit and offset parameters"`
	seedLargeLimitSDS  = "SDS page: OneRoster API data accessed by School Data Sync: GetAll examples ?offset=0&limit=5000"
	hintFollowTheModel = "serve every record exactly as the 1.1 JSON binding defines it"
)

func init() {
	RegisterRules(
		Rule{RuleNotServed, MUST, "the operation is not served (404, 405 or 501)", specJSONBinding, "implement the endpoint at the OneRoster 1.1 path under /ims/oneroster/v1p1"},
		Rule{ruleEnvelope, MUST, "the response is not a 200 JSON object with the collection's wrapper key", specJSONBinding, hintFollowTheModel},
		Rule{ruleContentType, MUST, "Content-Type is not application/json", specJSONBinding, "answer with Content-Type: application/json"},
		Rule{ruleVariantKey, MUST, "the collection is wrapped in a key named after the endpoint (schools, students) instead of the entity (orgs, users)", "OneRoster 1.1 JSON binding: the wrapper names the entity type", "wrap /schools in orgs, /students and /teachers in users, /terms and /gradingPeriods in academicSessions"},
		Rule{ruleSchema, MUST, "a record does not match the OneRoster 1.1 data model", specJSONBinding, hintFollowTheModel},
		Rule{ruleBoolean, MUST, "a boolean is a JSON boolean instead of the string \"true\" or \"false\"", "OneRoster 1.1 JSON binding: booleans are strings", "write enabledUser, primary and the demographics flags as \"true\"/\"false\""},
		Rule{ruleDateTime, MUST, "a date or dateTime is not ISO 8601 (dateTime with a zone)", "OneRoster 1.1 §4.13 date and dateTime", "write dates as YYYY-MM-DD and dateTimes as YYYY-MM-DDThh:mm:ss.SSSZ"},
		Rule{ruleMissingHref, MUST, "a GUIDRef lacks href", "OneRoster 1.1 §4.14 GUIDRef: href, sourcedId and type", "give every GUIDRef an absolute href to the referenced object"},
		Rule{ruleTombstone, MUST, "a tobedeleted record carries only some of its required fields", "OneRoster 1.1 data model: required fields hold for every status", "serve tobedeleted records with all their required fields"},
		Rule{ruleTotalMissing, MUST, "X-Total-Count is missing, malformed or changes between pages", specPaging, "send X-Total-Count with the number of records the query matches on every page"},
		Rule{ruleDuplicate, MUST, "a record appears on more than one page", specPaging, "page over a stable order (e.g. by sourcedId)"},
		Rule{ruleUnion, MUST, "the pages together do not hold X-Total-Count records", specPaging, "make offset/limit pages partition exactly the records X-Total-Count counts"},
		Rule{ruleRunaway, MUST, "paging never ends", specPaging, "stop offering pages past the last record"},
		Rule{ruleLimit, MUST, "a page holds more records than limit", specPaging, "never return more than limit records"},
		Rule{ruleLargeLimit, MUST, "a consumer's large limit fails or is capped without saying so", seedLargeLimitSDS, "serve limit=5000, or cap it visibly with X-Total-Count and rel=\"next\""},
		Rule{ruleLink, SHOULD, "a Link rel points at the wrong page", specLinks, "make first/next/last point at offset 0, the next offset and the last page"},
		Rule{ruleLinkMissing, SHOULD, "a page of a multi-page collection has no Link header", specLinks, "send Link with first, next (except on the last page) and last"},
		Rule{ruleLinkFirst, SHOULD, "Link has no rel=\"first\"", specLinks, "add rel=\"first\""},
		Rule{ruleLinkNext, SHOULD, "a page before the last has no rel=\"next\"", specLinks, "add rel=\"next\" on every page but the last"},
		Rule{ruleLinkLast, SHOULD, "Link has no rel=\"last\"", specLinks, "add rel=\"last\""},
		Rule{ruleLinkAbsolute, SHOULD, "a Link URL is not absolute", specLinks, "write absolute URLs in Link"},
		Rule{ruleLinkOffOrigin, SHOULD, "a Link URL points at another origin (host, scheme or port) than the base URL", specLinks, "build Link URLs from the public base URL (mind TLS-terminating proxies)"},
		Rule{ruleLinkLoop, SHOULD, "rel=\"next\" leads back to a page already walked, or on past the last page", specLinks, "leave rel=\"next\" off the last page"},
		Rule{rulePastEnd, SHOULD, "an offset past the end does not answer 200 with an empty array", specPaging, "answer 200 with an empty array past the end"},
		Rule{ruleSingleton, MUST, "GET /{collection}/{id} does not answer the singular wrapper with a valid record", specJSONBinding, "answer {\"user\": {...}} (the entity's singular name) with the record"},
		Rule{ruleSingletonDiff, MUST, "GET /{collection}/{id} differs from the same record in the collection", specJSONBinding, "serve one representation of each record"},
		Rule{ruleUnknownStatus, MUST, "an unknown sourcedId does not answer 404", specErrorsUnknown, "answer 404 for an unknown sourcedId"},
		Rule{ruleUnknownParent, MUST, "a relationship endpoint with an unknown parent id answers neither 200 with an empty array nor 404", "OneRoster 1.1 §3.9 status codes (an unknown parent is not an error of the server)", "answer 200 with an empty array (what SDS expects) or 404"},
		Rule{ruleParent404, Ignore, "a relationship endpoint with an unknown parent id answers 404 instead of 200 with an empty array", `SDS classic provider tests call /schools/1000000/classes and expect 200 with an empty array (SDS Postman collection: SDS V2 OneRoster v1.1-OAuth2, §9 item 7; 1.2 prose says unknownobject)`, "answer 200 with an empty array and X-Total-Count: 0"},
		Rule{ruleNoImsxBody, SHOULD, "the 404 has no imsx statusInfoSet body", "OneRoster 1.1 §3.9 (error payload shape not normative in 1.1)", "answer {\"statusInfoSet\":[{\"imsx_codeMajor\":\"failure\",\"imsx_severity\":\"error\",\"imsx_codeMinor\":\"unknown object\"}]}"},
	)
}

var behaviours = []behaviour{
	{"envelope", "GET %s answers 200 application/json with its wrapper key on every page", MUST, FeatureEnvelope, ruleEnvelope, false, always, checkEnvelope},
	{"schema", "GET %s: every record on every page is schema-valid", MUST, FeatureSchema, ruleSchema, false, always, checkSchema},
	{"data", "GET %s: every record on every page meets the consumers' data rules (milliseconds, E.164, user flags, contacts, identifiers, GUIDRef types)", MUST, FeatureData, ruleGUIDRefType, false, always, checkData},
	{"paging.union-equals-total", "GET %s pages are disjoint and their union equals X-Total-Count", MUST, FeaturePaging, ruleUnion, false, always, checkUnion},
	{"paging.limit-honoured", "GET %s never returns more records than limit", MUST, FeaturePaging, ruleLimit, false, always, checkLimit},
	{"paging.large-limit", "GET %s with a consumer's large limit is served or capped, never an error", MUST, FeatureLargeLimit, ruleLargeLimit, false, always, checkLargeLimit},
	{"paging.links", "GET %s Link first/next/last are consistent with the page walk", SHOULD, FeatureLinks, ruleLink, false, always, checkLinks},
	{"paging.past-end", "GET %s with offset past the end answers 200 and an empty array", SHOULD, FeaturePastEnd, rulePastEnd, false, always, checkPastEnd},
	{"unknown-parent", "GET %s with an unknown parent id answers 200 with an empty array (or 404)", MUST, FeatureUnknownParent, ruleUnknownParent, false, isRelationship, checkUnknownParent},
	{"singleton", "GET %s/{id} answers the singular wrapper with the same object as the collection", MUST, FeatureSingleton, ruleSingleton, true, hasSingleton, checkSingleton},
	{"unknown-id", "GET %s/{unknown id} answers 404 (with an imsx statusInfoSet)", MUST, FeatureUnknownID, ruleUnknownStatus, true, hasSingleton, checkUnknownID},
}

// Catalogue returns every check the harness knows, sorted by ID: the
// generic behaviours over the endpoint catalogue, then every registered
// family.
func Catalogue() []Check {
	var out []Check
	for _, ep := range catalogue.Endpoints {
		for _, b := range behaviours {
			if !b.applies(ep) {
				continue
			}
			ep, b := ep, b
			op := ep.Path
			if b.single {
				op = ep.SinglePath()
			}
			out = append(out, Check{
				ID:       ep.Area + "." + ep.Slug() + "." + b.name,
				Title:    fmt.Sprintf(b.title, ep.Path) + " [" + b.level + "]",
				Area:     ep.Area,
				Endpoint: ep.Path,
				Level:    b.level,
				Features: []string{op, b.feature},
				Rule:     b.rule,
				Service:  ep.Area,
				Source:   rules[b.rule].Source,
				Run: func(ctx context.Context, e *Env, r *Recorder) {
					b.run(ctx, e, ep, r)
				},
			})
		}
	}
	// 1.2: the same behaviours over the 1.2 rows (catalogue.V1p2), their
	// IDs, features and rules carrying the version.
	for _, ep := range catalogue.V1p2() {
		for _, b := range behaviours {
			if !v1p2Behaviours[b.name] || !b.applies(ep) {
				continue
			}
			ep, b := ep, b
			op, opID, scopes := ep.Path, ep.Op, ep.Scopes
			if b.single {
				op, opID, scopes = ep.SinglePath(), ep.SingleOp, ep.SingleScopes
			}
			rule := ruleFor(ep, b.rule)
			out = append(out, Check{
				ID:       ep.CheckPrefix() + b.name,
				Title:    "OneRoster 1.2: " + fmt.Sprintf(b.title, ep.Path) + " [" + b.level + "]",
				Area:     ep.Area,
				Endpoint: ep.Path,
				Level:    b.level,
				Features: []string{op, b.feature},
				Rule:     rule,
				Service:  ep.Area,
				Source:   v1p2Source(rules[rule].Source, ep, op, opID, scopes),
				Run: func(ctx context.Context, e *Env, r *Recorder) {
					b.run(ctx, e, ep, r)
				},
			})
		}
	}
	for _, f := range families {
		out = append(out, f()...)
	}
	SortChecks(out)
	return out
}

// walksOrFail returns the walks of an endpoint; a walk that could not
// complete is recorded as a violation (the provider broke the walk). An
// endpoint whose parents cannot be found in an empty source collection is
// not supported by this target's data, not failed.
func walksOrFail(ctx context.Context, e *Env, ep catalogue.Endpoint, r *Recorder, needComplete bool) []*Walk {
	ws, err := e.Walks(ctx, ep)
	if err != nil {
		var de *DiscoveryError
		if errors.As(err, &de) && (de.Empty || de.NotServed) {
			r.NotSupported(err.Error())
			return nil
		}
		var ex *client.Exchange
		if de != nil {
			ex = de.Ex
		}
		r.AddRule(ruleEnvelope, ex, "%v", err)
		return nil
	}
	var out []*Walk
	for _, w := range ws {
		if strings.HasPrefix(w.Fatal, harnessFault) {
			r.Errorf("GET %s: %s", w.Path, w.Fatal)
			continue
		}
		if w.Fatal != "" && walkRule(w) == RuleNotServed && r.rule != ruleEnvelope {
			// One cause, one finding: the envelope check reports the
			// missing operation; the others have nothing to exercise.
			r.NotSupported(fmt.Sprintf("GET %s is not served (%d); see the envelope check", w.Path, w.FatalEx.Status))
			continue
		}
		if w.Fatal != "" {
			r.AddRule(walkRule(w), w.FatalEx, "GET %s: page %d: %s", w.Path, len(w.Pages), w.Fatal)
			if needComplete {
				continue
			}
		}
		out = append(out, w)
	}
	return out
}

// probe fetches one page of a walked endpoint with the given query and
// reads it (prefetched when possible). The exchange is attached as
// evidence; an unusable page is recorded as a violation and its Count is
// -1.
func probe(ctx context.Context, e *Env, r *Recorder, ep catalogue.Endpoint, w *Walk, q url.Values) (Page, *client.Exchange) {
	pg := e.probeOnce(ctx, r.res.CheckID, ep, e.url(w.Path, q))
	ex := r.Evidence(pg.Ex)
	if pg.Count < 0 {
		r.Addf(ex, "GET %s?%s: %s", w.Path, q.Encode(), strings.Join(pg.Problems, "; "))
	}
	return pg, ex
}

func checkEnvelope(ctx context.Context, e *Env, ep catalogue.Endpoint, r *Recorder) {
	for _, w := range walksOrFail(ctx, e, ep, r, false) {
		for i, pg := range w.Pages {
			if w.Fatal != "" && i == len(w.Pages)-1 {
				continue // already reported
			}
			for _, p := range pg.Problems {
				r.Addf(pg.Ex, "%s: %s", pg.Where(i), p)
			}
			if pg.Encoding != "" {
				r.AddRule(ruleNotUTF8, pg.Ex, "%s: %s", pg.Where(i), pg.Encoding)
			}
			if pg.VariantKey != "" {
				r.AddRule(ruleVariantKey, pg.Ex, "%s: the records are under %q, want %q", pg.Where(i), pg.VariantKey, ep.Key)
			}
		}
	}
}

func checkSchema(ctx context.Context, e *Env, ep catalogue.Endpoint, r *Recorder) {
	for _, w := range walksOrFail(ctx, e, ep, r, false) {
		for _, v := range w.Schema {
			r.Add(v)
		}
		for rule, n := range w.SchemaCounts {
			r.Uncounted(rule, n-w.schemaKept[rule])
		}
	}
}

func checkUnion(ctx context.Context, e *Env, ep catalogue.Endpoint, r *Recorder) {
	for _, w := range walksOrFail(ctx, e, ep, r, true) {
		total, haveTotal := -1, false
		for i, pg := range w.Pages {
			switch {
			// X-Total-Count itself (as the paging sample classifies it), so
			// that a profile can weigh a missing total apart from a broken
			// partition.
			case pg.TotalRaw == "":
				r.AddRule(ruleTotalMissing, pg.Ex, "%s has no X-Total-Count header", pg.Where(i))
			case !pg.HasTotal:
				r.AddRule(ruleTotalMissing, pg.Ex, "%s: X-Total-Count %q is not a non-negative integer", pg.Where(i), pg.TotalRaw)
			case haveTotal && pg.Total != total:
				r.AddRule(ruleTotalMissing, pg.Ex, "%s: X-Total-Count %d differs from the first page's %d", pg.Where(i), pg.Total, total)
			case !haveTotal:
				total, haveTotal = pg.Total, true
			}
		}
		for _, v := range w.Dups {
			r.Add(v)
		}
		r.Uncounted(ruleDuplicate, w.DupN-len(w.Dups))
		lastPg := w.Pages[len(w.Pages)-1]
		if haveTotal && w.Records() != total {
			r.Addf(lastPg.Ex, "GET %s: the walk returned %d records (%d distinct) but X-Total-Count is %d", w.Path, w.Records(), w.Distinct(), total)
		}
		if w.Runaway != "" {
			r.AddRule(ruleRunaway, lastPg.Ex, "GET %s: %s", w.Path, w.Runaway)
		}
		if s := e.PagingSample(ctx, ep, w); s != nil {
			judgeSampleUnion(r, s)
		}
	}
}

func checkLimit(ctx context.Context, e *Env, ep catalogue.Endpoint, r *Recorder) {
	ws := walksOrFail(ctx, e, ep, r, true)
	for _, w := range ws {
		for i, pg := range w.Pages {
			if pg.Count > pg.Limit {
				r.Addf(pg.Ex, "%s holds %d records, more than limit=%d", pg.Where(i), pg.Count, pg.Limit)
			}
		}
	}
	// A small limit shows a provider that ignores it even when the walk fits
	// one page: the paging sample of every walk with two or more records.
	for _, w := range ws {
		if s := e.PagingSample(ctx, ep, w); s != nil {
			judgeSampleLimit(r, s)
		}
	}
}

func checkLargeLimit(ctx context.Context, e *Env, ep catalogue.Endpoint, r *Recorder) {
	lim := e.LargeLimit
	for _, w := range walksOrFail(ctx, e, ep, r, true) {
		if f := w.LargeFail; f != nil {
			r.Addf(f.Ex, "GET %s?limit=%d: %s (the walk fell back to limit=%d)", w.Path, f.Limit, joinProblems(f.Problems), w.Limit)
			continue
		}
		var pg Page
		var ex *client.Exchange
		shared := w.Limit == lim && len(w.Pages) > 0
		if shared {
			// The walk's first page is the large page: one fetch for both.
			pg = w.Pages[0]
			ex = r.Evidence(pg.Ex)
		} else {
			if pg, ex = probe(ctx, e, r, ep, w, e.largeLimitQuery()); pg.Count < 0 {
				continue
			}
		}
		n, walked := pg.Count, w.Distinct()
		if n > lim {
			r.Addf(ex, "GET %s?limit=%d returned %d records", w.Path, lim, n)
			continue
		}
		if wt, ok := w.Total(); ok && pg.HasTotal && pg.Total != wt {
			r.Addf(ex, "GET %s?limit=%d answers X-Total-Count %d, but %d with limit=%d", w.Path, lim, pg.Total, wt, w.Limit)
		}
		if n == lim || (n >= walked && pg.HasTotal) || hasRel(pg, "next") {
			continue // full, complete, or says there is more
		}
		switch {
		case n < walked && !(pg.HasTotal && pg.Total > n):
			r.Addf(ex, "GET %s?limit=%d was capped to %d of the %d records the page walk found, without X-Total-Count or rel=\"next\" saying so; a consumer stops here and loses data", w.Path, lim, n, walked)
		case !pg.HasTotal && !shared:
			// Nothing says whether there is more: look.
			more := url.Values{"limit": {"1"}, "offset": {strconv.Itoa(n)}}
			if mpg, mex := probe(ctx, e, r, ep, w, more); mpg.Count > 0 {
				r.Addf(mex, "GET %s?limit=%d was capped to %d records without X-Total-Count or rel=\"next\" saying so, but offset=%d still has records; a consumer stops here and loses data", w.Path, lim, n, n)
			}
		}
	}
}

func checkLinks(ctx context.Context, e *Env, ep catalogue.Endpoint, r *Recorder) {
	for _, w := range walksOrFail(ctx, e, ep, r, true) {
		pages := w.DataPages()
		lastPage := len(pages) - 1
		if w.Loop != "" {
			r.AddRule(ruleLinkLoop, pages[lastPage].Ex, "GET %s: %s", w.Path, w.Loop)
		}
		if w.StrayNext != "" {
			r.AddRule(ruleLinkLoop, pages[lastPage].Ex, "GET %s: the last page still has rel=\"next\": %s", w.Path, w.StrayNext)
		}
		finalOffset := pages[lastPage].Offset
		complete := w.Loop == "" && w.Runaway == ""
		for i, pg := range pages {
			if pg.LinkRaw == "" {
				for _, p := range linkSyntax(pg.LinkRaw, pg.LinkPresent) {
					r.AddRule(ruleLinkSyntax, pg.Ex, "%s: %s", pg.Where(i), p)
				}
				if len(pages) > 1 {
					r.AddRule(ruleLinkMissing, pg.Ex, "%s of a %d-page walk has no Link header", pg.Where(i), len(pages))
				}
				continue
			}
			e.judgeLinkURLs(r, pg, pg.Where(i))
			if next, ok := pg.Links["next"]; ok && i < lastPage {
				// The next page starts where this one ended; its limit is the
				// one asked for, or the server's cap it just applied.
				if off, lim := pagingOf(next, pg.Limit); off != pg.Offset+pg.Count || (lim != pg.Limit && lim != pg.Count) {
					r.Addf(pg.Ex, "%s: rel=\"next\" asks offset=%d limit=%d, want offset=%d limit=%d", pg.Where(i), off, lim, pg.Offset+pg.Count, pg.Limit)
				}
			} else if ok && i == lastPage && w.Loop == "" && w.StrayNext == "" && complete {
				// The walk did not follow it (it paged by offset): the last
				// page must not offer more.
				r.AddRule(ruleLinkLoop, pg.Ex, "%s is the last page but has rel=\"next\" %s", pg.Where(i), e.redact(next))
			} else if !ok && i < lastPage && complete && pg.Count <= pg.Limit {
				// (A page holding more than limit is the limit check's finding.)
				r.AddRule(ruleLinkNext, pg.Ex, "%s is not the last page but Link has no rel=\"next\"", pg.Where(i))
			}
			if last, ok := pg.Links["last"]; ok && complete {
				if off, _ := pagingOf(last, pg.Limit); off != finalOffset {
					r.Addf(pg.Ex, "%s: rel=\"last\" asks offset=%d but the walk's last page is at offset=%d", pg.Where(i), off, finalOffset)
				}
			}
		}
		if s := e.PagingSample(ctx, ep, w); s != nil {
			judgeSampleLinks(e, r, s)
		}
	}
}

func hasRel(pg Page, rel string) bool {
	_, ok := pg.Links[rel]
	return ok
}

func checkPastEnd(ctx context.Context, e *Env, ep catalogue.Endpoint, r *Recorder) {
	for _, w := range walksOrFail(ctx, e, ep, r, true) {
		end := w.Records()
		if t, ok := w.Total(); ok {
			end = max(end, t)
		}
		q := pastEndQuery(w)
		off := end + w.Limit
		pg, ex := probe(ctx, e, r, ep, w, q)
		if pg.Count < 0 {
			continue
		}
		if pg.Count != 0 {
			r.Addf(ex, "GET %s?offset=%d (past the %d records) returned %d records, want none", w.Path, off, end, pg.Count)
		}
		if next, ok := pg.Links["next"]; ok {
			r.Addf(ex, "GET %s?offset=%d (past the end) has rel=\"next\" %s", w.Path, off, next)
		}
	}
}

// singletonSample is a record to fetch one by one: want is its collection
// form (nil when its id came from another endpoint), kind the role or type
// it must have.
type singletonSample struct {
	id, kind string
	want     map[string]any
}

func checkSingleton(ctx context.Context, e *Env, ep catalogue.Endpoint, r *Recorder) {
	w := e.WalkTop(ctx, ep.Path)
	var samples []singletonSample
	for _, m := range w.Samples {
		id, _ := m["sourcedId"].(string)
		samples = append(samples, singletonSample{id: id, want: m})
	}
	if len(samples) == 0 {
		// The collection is not served (or broke): the singleton is an
		// operation of its own, so take ids wherever the API has them.
		for _, it := range e.altItems(ctx, ep.Path) {
			if len(samples) == e.Samples {
				break
			}
			samples = append(samples, singletonSample{id: it.ID, kind: it.Kind})
		}
	}
	if len(samples) == 0 {
		switch {
		case strings.HasPrefix(w.Fatal, harnessFault):
			r.Errorf("GET %s: %s", w.Path, w.Fatal)
		case w.Fatal != "":
			r.AddRule(walkRule(w), w.FatalEx, "no ids to fetch one by one: GET %s: %s", w.Path, w.Fatal)
		default:
			r.NotSupported(fmt.Sprintf("GET %s returned no records to fetch one by one", w.Path))
		}
		return
	}
	for _, sm := range samples {
		// A walked sample was prefetched beside the walk; an id from
		// another endpoint is fetched now.
		ex := r.Evidence(e.getOnce(ctx, r.res.CheckID, e.singletonURL(w, sm.id)))
		doc, problem := e.readObject(ex)
		if enc := utf8Problem(ex); enc != "" {
			r.Add(Violation{Rule: ruleNotUTF8, RecordID: sm.id, Message: "GET " + ep.Path + "/{id}: " + enc, Ex: ex})
		}
		if problem != "" {
			rule := ruleFor(ep, ruleSingleton)
			if notServed(ex) {
				rule = RuleNotServed
			}
			r.Add(Violation{Rule: rule, RecordID: sm.id, Message: "GET " + ep.Path + "/{id}: " + problem, Ex: ex})
			if doc == nil {
				continue
			}
		}
		got, ok := doc[ep.SingleKey].(map[string]any)
		if !ok {
			r.Add(Violation{RecordID: sm.id, Pointer: "/" + ep.SingleKey, Message: fmt.Sprintf("no %q object in the response (top-level keys: %s)", ep.SingleKey, keysOf(doc)), Ex: ex})
			continue
		}
		vs, err := validateSingle(ep, doc)
		if err != nil {
			r.Errorf("harness: schema: %v", err)
			return
		}
		for _, v := range vs {
			r.Add(Violation{Rule: schemaRuleFor(ep, v, got), RecordID: sm.id, Pointer: v.Pointer, Message: v.Message, Ex: ex})
		}
		if gid, _ := got["sourcedId"].(string); gid != sm.id {
			r.Add(Violation{RecordID: sm.id, Pointer: "/" + ep.SingleKey + "/sourcedId", Message: fmt.Sprintf("asked for %q, got %q", sm.id, gid), Ex: ex})
		}
		if sm.kind != "" {
			if k := kindOf(got); k != sm.kind {
				r.Add(Violation{RecordID: sm.id, Pointer: "/" + ep.SingleKey, Message: fmt.Sprintf("GET %s/{id} served a record of role/type %q, want %q", ep.Path, k, sm.kind), Ex: ex})
			}
		}
		if sm.want == nil || modifiedSince(sm.want, got) {
			continue // nothing to compare, or the record changed between the reads
		}
		for _, k := range diffKeys(sm.want, got) {
			r.Add(Violation{Rule: ruleFor(ep, ruleSingletonDiff), RecordID: sm.id, Pointer: "/" + ep.SingleKey + "/" + k, Message: fmt.Sprintf("differs from the collection: %s vs %s", e.short(got[k]), e.short(sm.want[k])), Ex: ex})
		}
	}
}

func kindOf(m map[string]any) string {
	if k, ok := m["role"].(string); ok {
		return k
	}
	k, _ := m["type"].(string)
	return k
}

// modifiedSince reports whether the singleton is a later version of the
// collection record (its dateLastModified is after the collection's): a
// record edited between two reads is not a difference of representation.
func modifiedSince(collection, single map[string]any) bool {
	a, _ := collection["dateLastModified"].(string)
	b, _ := single["dateLastModified"].(string)
	ta, err1 := time.Parse(time.RFC3339Nano, a)
	tb, err2 := time.Parse(time.RFC3339Nano, b)
	return err1 == nil && err2 == nil && tb.After(ta)
}

// notServed reports whether a response says the operation does not exist.
func notServed(ex *client.Exchange) bool {
	return ex.Err == nil && (ex.Status == 404 || ex.Status == 405 || ex.Status == 501)
}

// walkRule is the rule of a walk that could not complete: the operation
// not served at all, or a broken answer.
func walkRule(w *Walk) string {
	if len(w.Pages) == 1 && w.FatalEx != nil && notServed(w.FatalEx) {
		return RuleNotServed
	}
	return ruleEnvelope
}

func checkUnknownID(ctx context.Context, e *Env, ep catalogue.Endpoint, r *Recorder) {
	id := e.unknownID(ep)
	ex := r.Evidence(e.getOnce(ctx, r.res.CheckID, e.unknownURL(ep)))
	if ex.Err != nil {
		r.Addf(ex, "%s", e.describeErr(ex))
		return
	}
	if ex.Status != 404 {
		r.Addf(ex, "GET %s/%s answered %d, want 404%s", ep.Path, id, ex.Status, e.bodyHint(ex.Body))
		return
	}
	ver, noBody := versions[specOf(ep)], ruleFor(ep, ruleNoImsxBody)
	if ct := jsonContentType(ex.ResponseHeader.Get("Content-Type")); ct != "" || len(bytes.TrimSpace(ex.Body)) == 0 {
		r.AddRule(noBody, ex, "the 404 has %s, not an imsx status payload", e.describeBody(ex))
		return
	}
	doc, err := decodeObject(ex.Body)
	if err != nil {
		r.AddRule(noBody, ex, "the 404 body is not an imsx status payload: %s", e.decodeProblem(err, ex.Body))
		return
	}
	vs, err := ver.errorBody(ep, doc)
	if err != nil {
		r.Errorf("harness: schema: %v", err)
		return
	}
	for _, v := range vs {
		r.Add(Violation{Rule: noBody, Pointer: v.Pointer, Message: "imsx payload: " + v.Message, Ex: ex})
	}
	if len(vs) == 0 {
		if m := stringAt(doc, ver.codeMajor); m != "failure" {
			r.Add(Violation{Rule: noBody, Pointer: ver.codeMajor, Message: fmt.Sprintf("%q, want \"failure\"", m), Ex: ex})
		}
	}
}

// stringAt reads the string at a JSON pointer of plain object keys and
// array indexes ("" when absent).
func stringAt(doc any, ptr string) string {
	cur := doc
	for _, seg := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		switch v := cur.(type) {
		case map[string]any:
			cur = v[seg]
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(v) {
				return ""
			}
			cur = v[i]
		default:
			return ""
		}
	}
	s, _ := cur.(string)
	return s
}

func checkUnknownParent(ctx context.Context, e *Env, ep catalogue.Endpoint, r *Recorder) {
	vals := map[string]string{}
	for _, p := range catalogue.Params(ep.Path) {
		vals[p] = "rostercheck-unknown-" + randomHex(8)
	}
	path := catalogue.Fill(ep.Path, vals)
	ex := r.Evidence(e.get(ctx, r.res.CheckID, e.url(path, nil)))
	switch {
	case ex.Err != nil:
		r.Addf(ex, "GET %s: %s", path, e.describeErr(ex))
	case ex.Status == 404:
		r.AddRule(ruleParent404, ex, "GET %s answered 404, want 200 with an empty %q array", path, ep.Key)
	case ex.Status != 200:
		r.Addf(ex, "GET %s answered %d with %s, want 200 with an empty %q array (or 404)", path, ex.Status, e.describeBody(ex), ep.Key)
	default:
		pg, doc := e.readPage(ex, ep.Key, "")
		if doc == nil {
			r.Addf(ex, "GET %s: %s", path, strings.Join(pg.Problems, "; "))
			return
		}
		if n := len(doc[ep.Key].([]any)); n > 0 {
			r.Addf(ex, "GET %s returned %d records for a parent that does not exist", path, n)
		}
		if pg.HasTotal && pg.Total != 0 {
			r.Addf(ex, "GET %s: X-Total-Count %d, want 0", path, pg.Total)
		}
	}
}

// diffKeys lists the fields whose values differ; the order of a GUIDRef
// array does not count (no consumer reads meaning into it).
func diffKeys(a, b map[string]any) []string {
	var out []string
	for k, v := range a {
		if !reflect.DeepEqual(normalize(v), normalize(b[k])) {
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

// normalize sorts arrays of objects by sourcedId.
func normalize(v any) any {
	arr, ok := v.([]any)
	if !ok || len(arr) < 2 {
		return v
	}
	ids := make([]string, len(arr))
	for i, x := range arr {
		m, ok := x.(map[string]any)
		if !ok {
			return v
		}
		ids[i], _ = m["sourcedId"].(string)
	}
	idx := make([]int, len(arr))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return ids[idx[i]] < ids[idx[j]] })
	out := make([]any, len(arr))
	for i, j := range idx {
		out[i] = arr[j]
	}
	return out
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
