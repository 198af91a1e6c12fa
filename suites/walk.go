package suites

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rostercheck/rostercheck/internal/client"
	"github.com/rostercheck/rostercheck/schemas"
	"github.com/rostercheck/rostercheck/suites/catalogue"
)

// Page is what one page of a walk showed.
type Page struct {
	Ex       *client.Exchange // evidence copy (body trimmed)
	URL      string
	Offset   int // offset the request asked for
	Limit    int // limit the request asked for
	Count    int // records on the page; -1 when the page could not be read
	HasTotal bool
	Total    int
	TotalRaw string
	Links    map[string]string // rel -> URL as sent
	LinkRaw  string
	// Problem is an envelope problem (status, content type, wrapper key).
	Problems []string
}

// Item is the compact memory of one walked record: its id and the ids its
// GUIDRefs point at (only kept for walks that feed parent discovery).
type Item struct {
	ID    string
	Refs  map[string]string // GUIDRef field -> sourcedId
	Lists map[string]int    // GUIDRef-list field -> length
}

// Violation is one finding of a check: where, which record, what, and
// which exchange showed it.
type Violation struct {
	Pointer  string
	RecordID string
	Message  string
	Ex       *client.Exchange
}

// Walk is a full page walk of one filled endpoint path. It validates every
// record of every page as the pages arrive and keeps only compact results,
// so memory stays bounded by ids rather than by payloads.
type Walk struct {
	Endpoint catalogue.Endpoint
	Path     string
	Limit    int
	Pages    []Page
	Items    []Item
	IDs      []string
	Dups     []Violation // sourcedIds seen on more than one page position (capped)
	DupN     int         // all repeated sourcedIds
	Schema   []Violation // capped
	SchemaN  int         // all schema violations
	Samples  []map[string]any
	Loop     string // a rel="next" that led back to a page already walked
	Runaway  string // more pages than X-Total-Count allows
	// Fatal stops the walk: transport error, non-200, undecodable body, missing wrapper.
	Fatal   string
	FatalEx *client.Exchange
}

// Records returns how many records the walk read.
func (w *Walk) Records() int { return len(w.IDs) }

// Distinct returns how many distinct sourcedIds the walk read.
func (w *Walk) Distinct() int { return len(w.IDs) - w.DupN }

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

const walkCheckID = "walk"

func (e *Env) runWalk(ctx context.Context, ep catalogue.Endpoint, path string, keepRefs bool) *Walk {
	w := &Walk{Endpoint: ep, Path: path, Limit: e.PageSize}
	seenURL := map[string]bool{}
	seenID := map[string]int{}
	next := e.url(path, url.Values{"limit": {strconv.Itoa(e.PageSize)}, "offset": {"0"}})
	maxPages := 0
	var last map[string]any
	defer func() {
		// The last record of the walk is the final singleton sample.
		if last != nil && e.Samples > 1 && len(w.IDs) > len(w.Samples) {
			w.Samples = append(w.Samples, last)
		}
	}()
	for {
		seenURL[next] = true
		ex := e.get(ctx, walkCheckID+":"+ep.Slug(), next)
		pg, doc := e.readPage(ex, ep.Key)
		pg.URL = next
		pg.Offset, pg.Limit = pagingOf(next, e.PageSize)
		ev := pg.Ex
		if doc == nil {
			w.Pages = append(w.Pages, pg)
			w.Fatal, w.FatalEx = strings.Join(pg.Problems, "; "), ev
			if keepRefs && len(w.Items) == 0 {
				w.Items = loneArrayItems(ex)
			}
			return w
		}
		recs, _ := doc[ep.Key].([]any)
		pg.Count = len(recs)
		w.Pages = append(w.Pages, pg)
		// Schema: every record, every violation, pointer into the page.
		vs, err := schemas.ValidateCollection(ep.Key, ep.Entity, doc)
		if err != nil {
			w.Fatal, w.FatalEx = "schema: "+err.Error(), ev
			return w
		}
		for _, v := range vs {
			w.SchemaN++
			if len(w.Schema) < e.MaxViolations {
				w.Schema = append(w.Schema, Violation{Pointer: v.Pointer, RecordID: recordIDAt(recs, ep.Key, v.Pointer), Message: v.Message, Ex: ev})
			}
		}
		for i, r := range recs {
			m, _ := r.(map[string]any)
			id, _ := m["sourcedId"].(string)
			if n, dup := seenID[id]; dup && id != "" {
				w.DupN++
				if len(w.Dups) < e.MaxViolations {
					w.Dups = append(w.Dups, Violation{Pointer: fmt.Sprintf("/%s/%d/sourcedId", ep.Key, i), RecordID: id,
						Message: fmt.Sprintf("sourcedId already returned at position %d of the walk", n), Ex: ev})
				}
			} else {
				seenID[id] = len(w.IDs)
			}
			w.IDs = append(w.IDs, id)
			if keepRefs {
				w.Items = append(w.Items, itemOf(id, m))
			}
			if len(w.Samples) < e.Samples-1 && m != nil {
				w.Samples = append(w.Samples, m)
			}
		}
		if len(recs) > 0 {
			last, _ = recs[len(recs)-1].(map[string]any)
		}
		if pg.HasTotal && maxPages == 0 {
			maxPages = pg.Total/max(pg.Limit, 1) + 3
		}
		// Continue: follow rel="next" when the server gives one, else advance by offset.
		if n, ok := pg.Links["next"]; ok {
			abs, err := resolve(next, n)
			if err != nil {
				w.Fatal, w.FatalEx = fmt.Sprintf("rel=\"next\" is not a URL: %q", n), ev
				return w
			}
			if seenURL[abs] {
				w.Loop = fmt.Sprintf("rel=\"next\" on page %d points back to an already walked page: %s", len(w.Pages), abs)
				return w
			}
			next = abs
		} else {
			off := pg.Offset + pg.Limit
			if len(recs) == 0 || (pg.HasTotal && off >= pg.Total) || (!pg.HasTotal && len(recs) < pg.Limit) {
				return w
			}
			q := url.Values{"limit": {strconv.Itoa(e.PageSize)}, "offset": {strconv.Itoa(off)}}
			next = e.url(path, q)
		}
		if (maxPages > 0 && len(w.Pages) >= maxPages) || len(w.Pages) >= 100000 {
			w.Runaway = fmt.Sprintf("still paging after %d pages although X-Total-Count is %s", len(w.Pages), pg.TotalRaw)
			return w
		}
		if ctx.Err() != nil {
			w.Fatal = "walk interrupted: " + ctx.Err().Error()
			return w
		}
	}
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

// recordIDAt returns the sourcedId of the record a pointer like /users/42/x points into.
func recordIDAt(recs []any, key, ptr string) string {
	rest, ok := strings.CutPrefix(ptr, "/"+key+"/")
	if !ok {
		return ""
	}
	idx, _, _ := strings.Cut(rest, "/")
	i, err := strconv.Atoi(idx)
	if err != nil || i < 0 || i >= len(recs) {
		return ""
	}
	m, _ := recs[i].(map[string]any)
	id, _ := m["sourcedId"].(string)
	return id
}

// readPage checks status, content type and wrapper of one collection
// response and decodes it. doc is nil when the page cannot be used.
func (e *Env) readPage(ex *client.Exchange, key string) (Page, map[string]any) {
	pg := Page{Ex: evidence(ex, e.Evidence), Count: -1}
	if ex.Err != nil {
		pg.Problems = append(pg.Problems, describeErr(ex))
		return pg, nil
	}
	pg.TotalRaw = ex.ResponseHeader.Get("X-Total-Count")
	if n, err := strconv.Atoi(strings.TrimSpace(pg.TotalRaw)); err == nil && n >= 0 {
		pg.HasTotal, pg.Total = true, n
	}
	pg.LinkRaw = strings.Join(ex.ResponseHeader.Values("Link"), ", ")
	pg.Links = parseLinks(pg.LinkRaw)
	if ex.Status != 200 {
		pg.Problems = append(pg.Problems, fmt.Sprintf("status %d, want 200%s", ex.Status, bodyHint(ex.Body)))
		return pg, nil
	}
	if p := jsonContentType(ex.ResponseHeader.Get("Content-Type")); p != "" {
		pg.Problems = append(pg.Problems, p)
	}
	doc, err := decodeObject(ex.Body)
	if err != nil {
		pg.Problems = append(pg.Problems, err.Error())
		return pg, nil
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

func describeErr(ex *client.Exchange) string {
	var off *client.OffHostRedirectError
	var ae *client.AuthError
	switch {
	case errors.As(ex.Err, &off):
		return fmt.Sprintf("redirected to another host (%s); not followed, credentials not sent", off.Location)
	case errors.Is(ex.Err, client.ErrBodyTooLarge):
		return fmt.Sprintf("response body larger than the cap (%d bytes read); reading stopped", len(ex.Body))
	case errors.As(ex.Err, &ae):
		return "could not obtain credentials: " + ae.Error()
	case errors.Is(ex.Err, context.DeadlineExceeded):
		return fmt.Sprintf("no complete answer within the request timeout (%d bytes of body after %s)", len(ex.Body), ex.Duration.Round(time.Millisecond))
	}
	return "request failed: " + ex.Err.Error()
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

func decodeObject(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("body is not valid JSON: %v%s", err, bodyHint(body))
	}
	if dec.More() {
		return nil, fmt.Errorf("body has data after the JSON value%s", bodyHint(body))
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("body is a JSON %s, want an object", jsonType(v))
	}
	return m, nil
}

func bodyHint(b []byte) string {
	s := strings.TrimSpace(string(b))
	if s == "" {
		return " (empty body)"
	}
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return fmt.Sprintf(" (body starts %q)", s)
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
				if _, dup := out[rel]; !dup {
					out[strings.ToLower(rel)] = u
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
