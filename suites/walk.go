package suites

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"mime"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rostercheck/rostercheck/internal/client"
)

// Page is what one page of a walk showed.
type Page struct {
	// Ex is the evidence of the page (body trimmed). Long walks keep it for
	// the first pages, the last one and pages with problems only, so that
	// memory follows the record count, not the page count.
	Ex       *client.Exchange
	URL      string
	Offset   int // offset the request asked for
	Limit    int // limit the request asked for
	Count    int // records on the page; -1 when the page could not be read
	HasTotal bool
	Total    int
	TotalRaw string
	Links    map[string]string // rel -> URL as sent
	LinkRaw  string
	// LinkPresent: the response has a Link header field, empty or not.
	LinkPresent bool
	// Problems are envelope problems (status, content type, wrapper key).
	Problems []string
	// Encoding says how the body is not UTF-8 ("" when it is).
	Encoding string
	// VariantKey is the endpoint-named key (schools, students, ...) that held
	// the records instead of the entity's wrapper key; the walk reads them.
	VariantKey string
	// Probe marks a page the walk asked for by offset after a full page
	// without X-Total-Count or rel="next": not a page the server led to.
	Probe bool
}

// Where names the page for a message: its number, and its URL when the
// page kept no evidence of its own.
func (pg Page) Where(i int) string {
	if pg.Ex != nil {
		return fmt.Sprintf("page %d", i+1)
	}
	return fmt.Sprintf("page %d (GET %s)", i+1, pg.URL)
}

// Item is the compact memory of one walked record: its id and the ids its
// GUIDRefs point at (only kept, for a bounded number of records, by walks
// that feed parent discovery).
type Item struct {
	ID    string
	Kind  string            // the record's role (users) or type (orgs, academicSessions)
	Refs  map[string]string // GUIDRef field -> sourcedId
	Lists map[string]int    // GUIDRef-list field -> length
}

// Span is a term's dates as served.
type Span struct{ ID, Start, End string }

// Violation is one finding of a check: where, which record, what, and
// which exchange showed it.
type Violation struct {
	Rule     string // rule ID; "" takes the check's rule
	Pointer  string
	RecordID string
	Message  string
	Ex       *client.Exchange
}

// Walk is a full page walk of one filled endpoint path. It validates every
// record of every page as the pages arrive and keeps only compact results:
// counts, a 64-bit hash per id for duplicate detection, bounded evidence
// and a bounded number of discovery items.
type Walk struct {
	Path    string
	Limit   int
	Pages   []Page
	Items   []Item
	N       int         // records read
	Dups    []Violation // sourcedIds seen on more than one page position (capped)
	DupN    int         // all repeated sourcedIds
	Schema  []Violation // capped
	SchemaN int         // all schema violations
	// SchemaCounts and DataCounts count every violation by rule; Data are
	// the data-rule violations (capped).
	SchemaCounts, DataCounts map[string]int
	Data                     []Violation
	schemaKept, dataKept     map[string]int
	Samples                  []map[string]any
	// Terms are the date spans of the terms an academicSession walk read.
	Terms []Span
	// IDs are the sourcedIds the walk read, in order, kept by the walks of
	// relationship and subtype endpoints only (integrity compares them
	// with the base collections, which feed the integrity index instead).
	IDs     []string
	Loop    string // a rel="next" that led back to a page already walked
	Runaway string // more pages than the data can fill
	// StrayNext is a rel="next" that led to an empty page; the walk stops there.
	StrayNext string
	// Fatal stops the walk: transport error, non-200, undecodable body, missing wrapper.
	Fatal   string
	FatalEx *client.Exchange
	// LargeFail is the first page at the consumers' large page size when
	// the provider refused it (4xx or 5xx): the walk then fell back to the
	// spec's default page size, and the large-limit check reports it.
	LargeFail *Page
	// Concurrent says the walk fetched its pages concurrently, by offset,
	// once the first page gave X-Total-Count.
	Concurrent bool

	sampleOnce sync.Once
	sample     *Sample
	// Cols keeps the few field values of every record that the query
	// checks build and judge predicates with (see query_walk.go).
	Cols *Columns
}

// Records returns how many records the walk read.
func (w *Walk) Records() int { return w.N }

// Distinct returns how many distinct sourcedIds the walk read.
func (w *Walk) Distinct() int { return w.N - w.DupN }

// DataPages returns the pages the server led the walk through: without
// the walk's own probe past the end, and without an empty page a stray
// rel="next" led to.
func (w *Walk) DataPages() []Page {
	ps := w.Pages
	if n := len(ps); n > 1 && ps[n-1].Count == 0 && (ps[n-1].Probe || w.StrayNext != "") {
		ps = ps[:n-1]
	}
	return ps
}

// Total returns the X-Total-Count of the first page, if it had one.
func (w *Walk) Total() (int, bool) {
	if len(w.Pages) == 0 || !w.Pages[0].HasTotal {
		return 0, false
	}
	return w.Pages[0].Total, true
}

// evidence copies an exchange keeping at most n body bytes, so that walks
// of large pages do not pin their bodies in memory.
func evidence(ex *client.Exchange, n int) *client.Exchange {
	if ex == nil {
		return nil
	}
	c := *ex
	if len(c.Body) > n {
		c.Body = append([]byte(nil), c.Body[:n]...)
		c.BodyTruncated = true
	}
	return &c
}

const (
	// harnessFault starts a Fatal that is the harness's fault, not the provider's.
	harnessFault = "harness: "
	walkCheckID  = "walk"
	// keptPages is how many leading pages of a walk keep their evidence.
	keptPages = 3
	// maxItems bounds the discovery items a source walk keeps.
	maxItems = 1000
	// maxPagesWithoutTotal stops a walk whose server never says how much there is.
	maxPagesWithoutTotal = 100000
)

func idHash(id string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(id))
	return h.Sum64()
}

// pageKey normalises a URL for loop detection: same path and the same
// query parameters in any order and any encoding are the same page.
func pageKey(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Scheme + "://" + strings.ToLower(u.Host) + u.EscapedPath() + "?" + u.Query().Encode()
}

// loneArrayItems reads discovery items from a page whose wrapper key is
// wrong but which holds exactly one array of objects (e.g. {"schools": [...]}),
// so that one misnamed wrapper does not hide every relationship endpoint
// below it. The page itself still fails its own checks.
func loneArrayItems(ex *client.Exchange) []Item {
	if ex.Err != nil || ex.Status != 200 {
		return nil
	}
	doc, err := decodeObject(ex.Body)
	if err != nil {
		return nil
	}
	var arr []any
	for _, v := range doc {
		if a, ok := v.([]any); ok {
			if arr != nil {
				return nil
			}
			arr = a
		}
	}
	var items []Item
	for _, r := range arr {
		m, ok := r.(map[string]any)
		if !ok {
			return nil
		}
		id, _ := m["sourcedId"].(string)
		items = append(items, itemOf(id, m))
	}
	return items
}

func itemOf(id string, m map[string]any) Item {
	it := Item{ID: id}
	if k, ok := m["role"].(string); ok {
		it.Kind = k
	} else if k, ok := m["type"].(string); ok {
		it.Kind = k
	}
	for k, v := range m {
		switch x := v.(type) {
		case map[string]any:
			if s, ok := x["sourcedId"].(string); ok {
				if it.Refs == nil {
					it.Refs = map[string]string{}
				}
				it.Refs[k] = s
			}
		case []any:
			if len(x) > 0 {
				if _, ok := x[0].(map[string]any); ok {
					if it.Lists == nil {
						it.Lists = map[string]int{}
					}
					it.Lists[k] = len(x)
				}
			}
		}
	}
	return it
}

// recordAt returns the record a pointer like /users/42/x points into.
func recordAt(recs []any, key, ptr string) map[string]any {
	rest, ok := strings.CutPrefix(ptr, "/"+key+"/")
	if !ok {
		return nil
	}
	idx, _, _ := strings.Cut(rest, "/")
	i, err := strconv.Atoi(idx)
	if err != nil || i < 0 || i >= len(recs) {
		return nil
	}
	m, _ := recs[i].(map[string]any)
	return m
}

// readPage checks status, content type and wrapper of one collection
// response and decodes it. doc is nil when the page cannot be used.
//
// variant is the key a lenient consumer also accepts (the endpoint's own
// name, e.g. schools for /schools): records found there are read, and the
// page says so (Page.VariantKey).
func (e *Env) readPage(ex *client.Exchange, key, variant string) (Page, map[string]any) {
	pg := Page{Ex: evidence(ex, e.Evidence), Count: -1}
	if ex.Err != nil {
		pg.Problems = append(pg.Problems, e.describeErr(ex))
		return pg, nil
	}
	pageHead(&pg, ex)
	doc, problem := e.readObject(ex)
	if problem != "" {
		pg.Problems = append(pg.Problems, problem)
	}
	if doc == nil {
		return pg, nil
	}
	if _, ok := doc[key]; !ok && variant != "" && variant != key {
		if arr, ok := doc[variant].([]any); ok {
			pg.VariantKey = variant
			doc[key] = arr
			delete(doc, variant)
		}
	}
	switch v := doc[key].(type) {
	case []any:
	case nil:
		pg.Problems = append(pg.Problems, fmt.Sprintf("no %q array in the response (top-level keys: %s)", key, keysOf(doc)))
		return pg, nil
	default:
		pg.Problems = append(pg.Problems, fmt.Sprintf("%q is a %s, want an array", key, jsonType(v)))
		return pg, nil
	}
	return pg, doc
}

// readPageStream is readPage for the walk: a 200 page whose body is valid
// JSON with its wrapper array comes back as a stream of records (doc nil);
// any other page as readPage reads it, with the same problems.
func (e *Env) readPageStream(ex *client.Exchange, key, variant string) (Page, map[string]any, *pageStream) {
	if ex.Err == nil && ex.Status == 200 {
		if s, vk := streamable(ex.Body, key, variant); s != nil {
			pg := Page{Ex: evidence(ex, e.Evidence), Count: -1}
			pageHead(&pg, ex)
			if p := jsonContentType(ex.ResponseHeader.Get("Content-Type")); p != "" {
				pg.Problems = append(pg.Problems, p)
			}
			if vk {
				pg.VariantKey = variant
			}
			return pg, nil, s
		}
	}
	pg, doc := e.readPage(ex, key, variant)
	return pg, doc, nil
}

// pageHead reads the paging headers and the encoding of a page.
func pageHead(pg *Page, ex *client.Exchange) {
	pg.TotalRaw = ex.ResponseHeader.Get("X-Total-Count")
	if n, err := strconv.Atoi(strings.TrimSpace(pg.TotalRaw)); err == nil && n >= 0 {
		pg.HasTotal, pg.Total = true, n
	}
	pg.LinkRaw = strings.Join(ex.ResponseHeader.Values("Link"), ", ")
	pg.Links = parseLinks(pg.LinkRaw)
	_, pg.LinkPresent = ex.ResponseHeader["Link"]
	pg.Encoding = utf8Problem(ex)
}

// readObject checks the status and content type of a response that should
// hold a JSON object and decodes it. problem says what is wrong; doc is nil
// when the body is unusable (a wrong content type alone leaves it usable).
func (e *Env) readObject(ex *client.Exchange) (doc map[string]any, problem string) {
	if ex.Err != nil {
		return nil, e.describeErr(ex)
	}
	if ex.Status != 200 {
		return nil, fmt.Sprintf("status %d with %s, want 200", ex.Status, e.describeBody(ex))
	}
	problem = jsonContentType(ex.ResponseHeader.Get("Content-Type"))
	doc, err := decodeObject(ex.Body)
	if err != nil {
		if problem != "" {
			problem += "; "
		}
		return nil, problem + e.decodeProblem(err, ex.Body)
	}
	return doc, problem
}

func (e *Env) describeErr(ex *client.Exchange) string {
	var off *client.OffHostRedirectError
	var ae *client.AuthError
	switch {
	case ex.Dropped:
		tries := "once"
		if ex.Attempts > 1 {
			tries = fmt.Sprintf("%d times", ex.Attempts)
		}
		return "the provider closed the connection without an answer (sent " + tries + "; requests of this shape are not retried again)"
	case errors.As(ex.Err, &off):
		return fmt.Sprintf("led to another host (%s); not followed, credentials not sent", e.redact(off.Location))
	case errors.Is(ex.Err, client.ErrBodyTooLarge):
		return fmt.Sprintf("response body larger than the cap (%d bytes read); reading stopped", max(ex.BodyRead, int64(len(ex.Body))))
	case errors.As(ex.Err, &ae):
		return "could not obtain credentials: " + e.redact(ae.Error())
	case errors.Is(ex.Err, context.DeadlineExceeded):
		return fmt.Sprintf("no complete answer within the request timeout (%d bytes of body after %s)", max(ex.BodyRead, int64(len(ex.Body))), ex.Duration.Round(time.Millisecond))
	}
	return "request failed: " + e.redact(ex.Err.Error())
}

func jsonContentType(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		if ct == "" {
			ct = "(none)"
		}
		return fmt.Sprintf("Content-Type is %s, want application/json", ct)
	}
	return ""
}

// errTrailing is the error of a body with data after its JSON value.
var errTrailing = errors.New("data after the JSON value")

// errNotObject is the error of a JSON body that is not an object.
type errNotObject struct{ kind string }

func (e errNotObject) Error() string { return "body is a JSON " + e.kind + ", want an object" }

func decodeObject(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errTrailing
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errNotObject{jsonType(v)}
	}
	return m, nil
}

// decodeProblem describes why a body is not a usable JSON object.
func (e *Env) decodeProblem(err error, body []byte) string {
	var no errNotObject
	if errors.As(err, &no) {
		return no.Error()
	}
	return fmt.Sprintf("body is not valid JSON: %v%s", err, e.bodyHint(body))
}

// redact hides the run's secrets in text the harness quotes from responses,
// before any cutting, so that no prefix of a secret survives a cut.
func (e *Env) redact(s string) string {
	if e.Redact == nil {
		return s
	}
	return e.Redact(s)
}

// describeBody names what a response carried: "an empty body", or "a
// text/plain body starting "404 page not found"".
func (e *Env) describeBody(ex *client.Exchange) string {
	s := strings.TrimSpace(string(ex.Body[:min(len(ex.Body), 4096)]))
	if s == "" {
		return "an empty body"
	}
	ct, _, _ := mime.ParseMediaType(ex.ResponseHeader.Get("Content-Type"))
	if ct == "" {
		ct = "untyped"
	}
	s = e.redact(s)
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return fmt.Sprintf("a %s body starting %q", ct, s)
}

func (e *Env) bodyHint(b []byte) string {
	s := strings.TrimSpace(string(b[:min(len(b), 4096)]))
	if s == "" {
		return " (empty body)"
	}
	s = e.redact(s)
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return fmt.Sprintf(" (body starts %q)", s)
}

// short renders a value for a message, redacted, then cut.
func (e *Env) short(v any) string {
	if v == nil {
		return "(absent)"
	}
	s := e.redact(fmt.Sprintf("%v", v))
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return s
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	default:
		return "number"
	}
}

func keysOf(m map[string]any) string {
	if len(m) == 0 {
		return "none"
	}
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

// parseLinks parses an RFC 8288 Link header into rel -> URL. URLs may
// contain commas, so the split is on the '<' that opens each entry.
func parseLinks(h string) map[string]string {
	out := map[string]string{}
	for len(h) > 0 {
		i := strings.IndexByte(h, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(h[i:], '>')
		if j < 0 {
			break
		}
		u := h[i+1 : i+j]
		rest := h[i+j+1:]
		params := rest
		if k := strings.IndexByte(rest, '<'); k >= 0 {
			params = rest[:k]
		}
		for _, p := range strings.Split(params, ";") {
			name, val, ok := strings.Cut(strings.TrimSpace(p), "=")
			if !ok || !strings.EqualFold(strings.TrimSpace(name), "rel") {
				continue
			}
			for _, rel := range strings.Fields(strings.Trim(strings.TrimSpace(val), `", `)) {
				rel = strings.ToLower(rel)
				if _, dup := out[rel]; !dup {
					out[rel] = u
				}
			}
		}
		h = rest
	}
	return out
}

func resolve(base, ref string) (string, error) {
	b, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	r, err := url.Parse(ref)
	if err != nil {
		return "", err
	}
	return b.ResolveReference(r).String(), nil
}

// pagingOf reads limit and offset from a URL (defaults when absent).
func pagingOf(u string, defLimit int) (offset, limit int) {
	limit = defLimit
	pu, err := url.Parse(u)
	if err != nil {
		return 0, limit
	}
	q := pu.Query()
	if n, err := strconv.Atoi(q.Get("offset")); err == nil {
		offset = n
	}
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 {
		limit = n
	}
	return offset, limit
}
