package suites

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rostercheck/rostercheck/internal/client"
	"github.com/rostercheck/rostercheck/suites/catalogue"
)

// Env is everything a run's checks share: the target, the exchange store,
// the walk settings and the memoised, read-only page walks. It is built by
// the runner before the spec tree and never mutated by checks, except for
// the memo tables, which are safe for concurrent use.
type Env struct {
	// BaseURL is the OneRoster 1.1 root, e.g. https://sis.example/ims/oneroster/v1p1 (no trailing slash).
	BaseURL string
	Store   *client.Store
	// PageSize is the limit used for full page walks.
	PageSize int
	// Concurrency is how many pages one walk fetches at a time once
	// X-Total-Count gives the number of pages (the store bounds the run).
	Concurrency int
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
	// Today is the date checks about "now" compare with (asm: a current
	// term); zero means the wall clock.
	Today time.Time
	// Redact hides the run's secrets in text quoted from responses (nil:
	// quote as is). It is applied before any cutting.
	Redact func(string) string
	// Tracker records what the write checks create, so that it is deleted
	// (nil: the write checks track nothing and refuse to run).
	Tracker *Tracker
	// Pins are ids from the configuration that the write checks use
	// instead of discovering them in the walked data.
	Pins WritePins
	// Auth is what the authentication checks need (auth_env.go).
	Auth *AuthEnv

	// Values are the valued profile options of the run, keyed
	// "<profile>.<option>" ("google-classroom.teacher-email").
	Values map[string]string
	// Latency collects the per-request table of a consumer whose own
	// report has one (Google Classroom's latency_report), nil until a
	// check adds to it.
	Latency *ConsumerLatency
	// classroom is what Google Classroom's checks share: one token, and
	// what the roster check carried forward (classroom.go).
	classroom gcShared

	// Workers bounds the checks Schedule runs at once (0: 4 × Concurrency).
	Workers int

	// AllParents are the relationship operations whose integrity checks
	// compare every parent, not a sample (a selected profile asks for it).
	AllParents map[string]bool

	// Roots maps a 1.2 service root relative to the shared root
	// ("/rostering/v1p2", catalogue.Endpoint.Root) to its absolute URL
	// (no trailing slash); 1.2 paths are fetched there.
	Roots map[string]string

	walks   sync.Map // filled path -> *walkEntry
	results sync.Map // check id -> *Result
	sources map[string]bool
	once    sync.Once
	// decode bounds the pages decoded and validated at once (one per CPU),
	// so that pages in flight wait as bytes, not as decoded trees.
	decode chan struct{}
	// pages bounds the pages held between fetch and digest across all
	// walks (requests in flight plus pages waiting to be decoded), so that
	// concurrent walks of large pages cannot pile bodies up in memory. A
	// freed slot goes to the first page of a walk (its total plans the
	// rest), then to the walk with the most pages left (digestOpts.left),
	// so that the largest collection's walk, which the most checks wait
	// for, is not the last to end.
	pages *client.Gate
	// bigPages bounds, within pages, the pages of bigPage records or more
	// (a 5000-record page of enrollments is about 4 MB): CPUs + 2 of them,
	// enough to keep every CPU decoding while the next ones arrive, where
	// ten at once were 40 MB of bodies at the large run's memory peak.
	bigPages *client.Gate
	// pre holds the checks' own requests, prefetched (prefetch.go).
	pre prefetched

	// prefetchedWalks are the endpoints Prefetch started walking, each
	// with a channel closed once its walks are read.
	prefetchedWalks sync.Map
	progress        progressCounters // see Progress
	sched           scheduler        // the scheduled checks (schedule.go)

	integOnce sync.Once
	integIx   *integrity
}

type walkEntry struct {
	once sync.Once
	walk atomic.Pointer[Walk]
	took time.Duration // how long the walk took (set inside once)
}

func (e *Env) init() {
	e.once.Do(func() {
		e.sources = map[string]bool{}
		for _, ep := range catalogue.All() {
			if len(ep.Alt) > 0 {
				e.sources[ep.Path] = true
			}
			for _, a := range ep.Alt {
				if a.Under != "" {
					e.sources[a.Under] = true // the relationship walks keep their ids anyway
					continue
				}
				e.sources[a.From] = true
			}
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
		if e.Concurrency <= 0 {
			e.Concurrency = 8
		}
		e.decode = make(chan struct{}, runtime.GOMAXPROCS(0))
		e.pages = client.NewGate(e.Concurrency + runtime.GOMAXPROCS(0))
		e.bigPages = client.NewGate(runtime.GOMAXPROCS(0) + 2)
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
	for root, abs := range e.Roots {
		if strings.HasPrefix(path, root+"/") {
			u = strings.TrimRight(abs, "/") + path[len(root):]
			break
		}
	}
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// get runs one GET through the store and returns the exchange.
func (e *Env) get(ctx context.Context, checkID, u string) *client.Exchange {
	return e.Store.Do(ctx, client.Request{Method: "GET", URL: u, CheckID: checkID})
}

// getPage is get for a page of a walk, which checks wait for: it goes
// before the probes waiting for a slot (client.Request.Walk).
func (e *Env) getPage(ctx context.Context, checkID, u string) *client.Exchange {
	return e.Store.Do(ctx, client.Request{Method: "GET", URL: u, CheckID: checkID, Walk: true})
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
		start := time.Now()
		we.walk.Store(e.runWalk(e.runCtx(ctx), ep, filled, e.sources[ep.Path]))
		we.took = time.Since(start)
	})
	chargeWalk(ctx, filled, we.took)
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
	// NotServed: the source collection is not served and no other source
	// has its ids: its envelope check is the one finding.
	NotServed bool
}

func (d *DiscoveryError) Error() string { return d.Msg }

// parentTuples picks up to e.Parents parameter tuples for a relationship
// endpoint from the discovery walk of its source collection. A source walk
// that failed still yields the records it could read.
//
// When the source is not served and no alternative yields a tuple, the
// parent's Fallback (another collection holding the same parent ids) is
// tried; failing that, the DiscoveryError is NotServed: one finding (the
// source's envelope), not a failure of every dependant.
func (e *Env) parentTuples(ctx context.Context, ep catalogue.Endpoint, n int) ([]map[string]string, error) {
	e.init()
	tuples, err := e.tuplesFrom(ctx, ep.Parent, n)
	var de *DiscoveryError
	if err != nil && ep.Parent.Fallback != nil && errors.As(err, &de) && de.NotServed {
		if ft, ferr := e.tuplesFrom(ctx, ep.Parent.Fallback, n); ferr == nil {
			return ft, nil
		}
	}
	return tuples, err
}

// brokenSource is the DiscoveryError of a source walk that failed.
func brokenSource(w *Walk) *DiscoveryError {
	if walkRule(w) == RuleNotServed {
		return &DiscoveryError{Msg: fmt.Sprintf("no parent ids: GET %s is not served (%d), and no other source has its ids; see its envelope check", w.Path, w.FatalEx.Status),
			Ex: w.FatalEx, NotServed: true}
	}
	return &DiscoveryError{Msg: fmt.Sprintf("cannot pick parent ids: the walk of %s failed: %s", w.Path, w.Fatal), Ex: w.FatalEx}
}

func (e *Env) tuplesFrom(ctx context.Context, p *catalogue.Parent, n int) ([]map[string]string, error) {
	src := e.WalkTop(ctx, p.From)
	// broken is the error when the obvious source is broken and its
	// alternatives yield no tuple either.
	var broken error
	if len(src.Items) == 0 && src.Fatal != "" {
		// The obvious source is broken: read the ids (and, where the
		// alternative has them, the references) where else they are.
		broken = brokenSource(src)
		alt := e.altItems(ctx, p.From)
		if len(alt) == 0 {
			return nil, broken
		}
		src = &Walk{Path: p.From, Items: alt}
	}
	var via map[string]*Item
	if p.Via != "" {
		vw := e.WalkTop(ctx, p.Via)
		items := vw.Items
		if len(items) == 0 && vw.Fatal != "" {
			if items = e.altItems(ctx, p.Via); len(items) == 0 {
				return nil, brokenSource(vw)
			}
			broken = brokenSource(vw)
		}
		via = make(map[string]*Item, len(items))
		for i := range items {
			via[items[i].ID] = &items[i]
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
	if len(tuples) == 0 && broken != nil {
		return nil, broken
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

// altItems reads the ids of a top-level collection from its alternative
// sources (catalogue.Endpoint.Alt): the first that yields any.
func (e *Env) altItems(ctx context.Context, path string) []Item {
	ep, ok := catalogue.Lookup(path)
	if !ok {
		return nil
	}
	for _, a := range ep.Alt {
		if a.Under != "" {
			if out := e.itemsUnder(ctx, a); len(out) > 0 {
				return out
			}
			continue
		}
		w := e.WalkTop(ctx, a.From)
		var out []Item
		seen := map[string]bool{}
		for _, it := range w.Items {
			id := it.ID
			switch {
			case a.Kind != "" && it.Kind != a.Kind:
				continue
			case a.Ref != "":
				id = it.Refs[a.Ref]
			}
			if id != "" && !seen[id] {
				seen[id] = true
				out = append(out, Item{ID: id, Kind: a.Kind})
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return nil
}

// maxAltParents bounds the parents an alternative source is walked under.
const maxAltParents = 25

// itemsUnder reads ids from a relationship endpoint (a.From) walked under
// the first parents of a.Under, until e.Parents of them yielded records:
// each record's a.Ref is its parent.
func (e *Env) itemsUnder(ctx context.Context, a catalogue.Source) []Item {
	ep, ok := catalogue.Lookup(a.From)
	params := catalogue.Params(a.From)
	if !ok || len(params) != 1 {
		return nil
	}
	var out []Item
	seen := map[string]bool{}
	yielded := 0
	for k, parent := range e.WalkTop(ctx, a.Under).Items {
		if k == maxAltParents || yielded == max(e.Parents, 1) {
			break
		}
		w := e.walk(ctx, ep, fillEscaped(a.From, map[string]string{params[0]: parent.ID}))
		if len(w.IDs) > 0 {
			yielded++
		}
		for _, id := range w.IDs {
			if id != "" && !seen[id] {
				seen[id] = true
				out = append(out, Item{ID: id, Refs: map[string]string{a.Ref: parent.ID}})
			}
		}
	}
	return out
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

// Prefetch starts, without waiting, every walk the given checks will read,
// so specs block only on their own data. The exchange store bounds how many
// requests are in flight.
func (e *Env) Prefetch(ctx context.Context, checks []Check) {
	e.init()
	seen := map[string]bool{}
	probes := probeBehaviours(checks)
	for _, c := range checks {
		ep, ok := catalogue.Lookup(c.Endpoint)
		if !ok || seen[ep.Path] {
			continue
		}
		seen[ep.Path] = true
		ready := make(chan struct{})
		e.prefetchedWalks.Store(ep.Path, ready)
		go func() {
			ws, _ := e.Walks(ctx, ep)
			close(ready) // the endpoint's checks may start (schedule.go)
			e.prefetchProbes(ctx, ep, ws, probes[ep.Path])
			e.samples(ctx, ep, ws)
		}()
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

// bigPage is the page size from which a page also takes a bigPages slot.
const bigPage = 1000

// pageSlot takes a slot of the page budget for a page of limit records at
// priority prio (and a big-page slot for a big page); release gives them
// back. ok is false when ctx ended first (nothing is held then).
func (e *Env) pageSlot(ctx context.Context, prio, limit int) (release func(), ok bool) {
	if limit >= bigPage {
		if e.bigPages.Acquire(ctx, prio) != nil {
			return func() {}, false
		}
		if e.pages.Acquire(ctx, prio) != nil {
			e.bigPages.Release()
			return func() {}, false
		}
		return func() { e.pages.Release(); e.bigPages.Release() }, true
	}
	if e.pages.Acquire(ctx, prio) != nil {
		return func() {}, false
	}
	return e.pages.Release, true
}
