package suites

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/rostercheck/rostercheck/internal/client"
	"github.com/rostercheck/rostercheck/suites/catalogue"
)

// Env is everything a run's checks share: the target, the exchange store,
// the walk settings and the memoised, read-only page walks. It is built by
// the runner before the spec tree and never mutated by checks, except for
// the memo tables, which are safe for concurrent use.
type Env struct {
	// BaseURL is the OneRoster root, e.g. https://sis.example/ims/oneroster/v1p1 (no trailing slash).
	BaseURL string
	Store   *client.Store
	// PageSize is the limit used for full page walks.
	PageSize int
	// Parents is how many parent ids each relationship endpoint is walked for.
	Parents int
	// Samples is how many ids each singleton check fetches.
	Samples int
	// LargeLimit is the page size of the large-limit probe (the largest any selected profile uses).
	LargeLimit int
	// Evidence is how many body bytes an exchange keeps as evidence.
	Evidence int
	// MaxViolations caps the violations kept per check (all are counted).
	MaxViolations int
	// RunCtx bounds work shared between checks (page walks): it ends with
	// the run's deadline or an interrupt. Nil means never.
	RunCtx context.Context
	// Redact hides the run's secrets in text quoted from responses (nil:
	// quote as is). It is applied before any cutting.
	Redact func(string) string

	// AllParents are the relationship operations whose integrity checks
	// compare every parent, not a sample (a selected profile asks for it).
	AllParents map[string]bool

	walks   sync.Map // filled path -> *walkEntry
	results sync.Map // check id -> *Result
	sources map[string]bool
	once    sync.Once

	integOnce sync.Once
	integIx   *integrity
}

type walkEntry struct {
	once sync.Once
	walk atomic.Pointer[Walk]
}

func (e *Env) init() {
	e.once.Do(func() {
		e.sources = map[string]bool{}
		for _, ep := range catalogue.Endpoints {
			if ep.Parent != nil {
				e.sources[ep.Parent.From] = true
				if ep.Parent.Via != "" {
					e.sources[ep.Parent.Via] = true
				}
			}
		}
		if e.PageSize <= 0 {
			e.PageSize = 100
		}
		if e.Parents <= 0 {
			e.Parents = 2
		}
		if e.Samples <= 0 {
			e.Samples = 3
		}
		if e.LargeLimit <= 0 {
			e.LargeLimit = 5000
		}
		if e.Evidence <= 0 {
			e.Evidence = 16 << 10
		}
		if e.MaxViolations <= 0 {
			e.MaxViolations = 1000
		}
	})
}

func (e *Env) runCtx(ctx context.Context) context.Context {
	if e.RunCtx != nil {
		return e.RunCtx
	}
	return context.WithoutCancel(ctx)
}

// url joins the base URL, a filled path and a query.
func (e *Env) url(path string, q url.Values) string {
	u := strings.TrimRight(e.BaseURL, "/") + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// get runs one GET through the store and returns the exchange.
func (e *Env) get(ctx context.Context, checkID, u string) *client.Exchange {
	return e.Store.Do(ctx, client.Request{Method: "GET", URL: u, CheckID: checkID})
}

// WalkTop returns the memoised full walk of a top-level endpoint.
func (e *Env) WalkTop(ctx context.Context, path string) *Walk {
	ep, ok := catalogue.Lookup(path)
	if !ok {
		return &Walk{Path: path, Fatal: fmt.Sprintf("no catalogue row for %s", path)}
	}
	return e.walk(ctx, ep, path)
}

func (e *Env) walk(ctx context.Context, ep catalogue.Endpoint, filled string) *Walk {
	e.init()
	v, _ := e.walks.LoadOrStore(filled, &walkEntry{})
	we := v.(*walkEntry)
	we.once.Do(func() {
		// A walk is shared by several checks, so it runs under the run's
		// context rather than the first asking spec's.
		we.walk.Store(e.runWalk(e.runCtx(ctx), ep, filled, e.sources[ep.Path]))
	})
	return we.walk.Load()
}

// Walks returns the walks a check of endpoint ep evaluates: the endpoint
// itself when top-level, else one walk per sampled parent. err explains why
// no parent could be found.
func (e *Env) Walks(ctx context.Context, ep catalogue.Endpoint) ([]*Walk, error) {
	e.init()
	return e.walksFor(ctx, ep, e.Parents)
}

// walksFor is Walks with up to n parents.
func (e *Env) walksFor(ctx context.Context, ep catalogue.Endpoint, n int) ([]*Walk, error) {
	if ep.TopLevel() {
		return []*Walk{e.walk(ctx, ep, ep.Path)}, nil
	}
	tuples, err := e.parentTuples(ctx, ep, n)
	if err != nil {
		return nil, err
	}
	out := make([]*Walk, 0, len(tuples))
	for _, t := range tuples {
		out = append(out, e.walk(ctx, ep, fillEscaped(ep.Path, t)))
	}
	return out, nil
}

func fillEscaped(path string, vals map[string]string) string {
	esc := make(map[string]string, len(vals))
	for k, v := range vals {
		esc[k] = url.PathEscape(v)
	}
	return catalogue.Fill(path, esc)
}

// DiscoveryError says why a relationship endpoint has no parent ids; Ex is
// the response that broke the discovery walk, if any.
type DiscoveryError struct {
	Msg string
	Ex  *client.Exchange
	// Empty: the source collection was read fine but holds nothing to use,
	// so the relationship cannot be exercised on this target's data.
	Empty bool
}

func (d *DiscoveryError) Error() string { return d.Msg }

// parentTuples picks up to e.Parents parameter tuples for a relationship
// endpoint from the discovery walk of its source collection. A source walk
// that failed still yields the records it could read.
func (e *Env) parentTuples(ctx context.Context, ep catalogue.Endpoint, n int) ([]map[string]string, error) {
	e.init()
	p := ep.Parent
	src := e.WalkTop(ctx, p.From)
	if len(src.Items) == 0 && src.Fatal != "" {
		return nil, &DiscoveryError{Msg: fmt.Sprintf("cannot pick parent ids: the walk of %s failed: %s", p.From, src.Fatal), Ex: src.FatalEx}
	}
	var via map[string]*Item
	if p.Via != "" {
		vw := e.WalkTop(ctx, p.Via)
		if len(vw.Items) == 0 && vw.Fatal != "" {
			return nil, &DiscoveryError{Msg: fmt.Sprintf("cannot pick parent ids: the walk of %s failed: %s", p.Via, vw.Fatal), Ex: vw.FatalEx}
		}
		via = make(map[string]*Item, len(vw.Items))
		for i := range vw.Items {
			via[vw.Items[i].ID] = &vw.Items[i]
		}
	}
	pick := func(preferOnly bool) []map[string]string {
		var out []map[string]string
		seen := map[string]bool{}
		for i := range src.Items {
			it := &src.Items[i]
			if preferOnly && it.Lists[p.Prefer] == 0 {
				continue
			}
			t, ok := tupleFor(it, p.Params, via)
			if !ok {
				continue
			}
			key := fmt.Sprint(t)
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, t)
			if len(out) == n {
				break
			}
		}
		return out
	}
	var tuples []map[string]string
	if p.Prefer != "" {
		tuples = pick(true)
	}
	if len(tuples) == 0 {
		tuples = pick(false)
	}
	if len(tuples) == 0 {
		var ex *client.Exchange
		if len(src.Pages) > 0 {
			ex = src.Pages[0].Ex
		}
		return nil, &DiscoveryError{Msg: fmt.Sprintf("no parent ids to test with: %s returned no record with %v", p.From, paramFields(p.Params)), Ex: ex, Empty: src.Fatal == ""}
	}
	return tuples, nil
}

func tupleFor(it *Item, params map[string]string, via map[string]*Item) (map[string]string, bool) {
	t := make(map[string]string, len(params))
	for param, field := range params {
		var id string
		switch {
		case field == "":
			id = it.ID
		case strings.Contains(field, "."):
			first, second, _ := strings.Cut(field, ".")
			if v := via[it.Refs[first]]; v != nil {
				id = v.Refs[second]
			}
		default:
			id = it.Refs[field]
		}
		if id == "" {
			return nil, false
		}
		t[param] = id
	}
	return t, true
}

func paramFields(params map[string]string) string {
	var fs []string
	for _, f := range params {
		if f == "" {
			f = "sourcedId"
		}
		fs = append(fs, f)
	}
	sort.Strings(fs)
	return strings.Join(fs, " and ")
}

// maxProbeParents bounds the search for a parent with enough children.
const maxProbeParents = 100

// findParentWith walks further parents of a relationship endpoint, one at
// a time, and returns the first walk with at least n distinct records.
func (e *Env) findParentWith(ctx context.Context, ep catalogue.Endpoint, n int) *Walk {
	tuples, err := e.parentTuples(ctx, ep, maxProbeParents)
	if err != nil {
		return nil
	}
	for _, t := range tuples {
		if w := e.walk(ctx, ep, fillEscaped(ep.Path, t)); w.Fatal == "" && w.Distinct() >= n {
			return w
		}
	}
	return nil
}

// Prefetch starts, without waiting, every walk the given checks will read,
// so specs block only on their own data. The exchange store bounds how many
// requests are in flight.
func (e *Env) Prefetch(ctx context.Context, checks []Check) {
	e.init()
	seen := map[string]bool{}
	for _, c := range checks {
		ep, ok := catalogue.Lookup(c.Endpoint)
		if !ok || seen[ep.Path] {
			continue
		}
		seen[ep.Path] = true
		go e.Walks(ctx, ep)
	}
}

// RecordsWalked returns how many records the run's page walks read and
// schema-validated.
func (e *Env) RecordsWalked() int {
	n := 0
	e.walks.Range(func(_, v any) bool {
		if w := v.(*walkEntry).walk.Load(); w != nil {
			n += w.Records()
		}
		return true
	})
	return n
}
