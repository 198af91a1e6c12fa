package suites

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/rostercheck/rostercheck/internal/client"
	"github.com/rostercheck/rostercheck/suites/catalogue"
)

// Checks run one after another (Ginkgo runs specs serially in one
// process), so a check's own requests (the large-limit probe, the request
// past the end, the singletons, the unknown id) would each cost a full
// round trip in turn. Prefetch issues them as soon as the walk they depend
// on is done, concurrently, bounded by the store; the check then takes
// the prefetched exchange instead of asking again.

// memoEx is one prefetched exchange.
type memoEx struct {
	done chan struct{}
	ex   *client.Exchange
}

// memoProbe is one prefetched probe page, read: only its compact Page
// (with trimmed evidence) waits for the check, never the body.
type memoProbe struct {
	done chan struct{}
	pg   Page
}

type prefetched struct {
	byURL   sync.Map // URL -> *memoEx, taken once
	probes  sync.Map // URL -> *memoProbe, taken once
	unknown sync.Map // endpoint path -> unknown id
}

func (e *Env) prefetched() *prefetched { return &e.pre }

// prefetchGet starts a GET of u in the background, once.
func (e *Env) prefetchGet(ctx context.Context, checkID, u string) {
	m := &memoEx{done: make(chan struct{})}
	if _, loaded := e.prefetched().byURL.LoadOrStore(u, m); loaded {
		return
	}
	go func() {
		m.ex = e.get(ctx, checkID, u)
		close(m.done)
	}()
}

// getOnce returns the prefetched exchange of u, taking it (a later call
// asks again), or makes the request now.
func (e *Env) getOnce(ctx context.Context, checkID, u string) *client.Exchange {
	if v, ok := e.prefetched().byURL.LoadAndDelete(u); ok {
		m := v.(*memoEx)
		select {
		case <-m.done:
			return m.ex
		case <-ctx.Done():
			return &client.Exchange{CheckID: checkID, Method: "GET", URL: u, Err: ctx.Err()}
		}
	}
	return e.get(ctx, checkID, u)
}

// readProbe fetches and reads one probe page (bounded like walk pages).
func (e *Env) readProbe(ctx context.Context, checkID string, ep catalogue.Endpoint, u string) Page {
	_, limit := pagingOf(u, e.PageSize)
	release, _ := e.pageSlot(ctx, 0, limit)
	defer release()
	ex := e.get(ctx, checkID, u)
	select {
	case e.decode <- struct{}{}:
		defer func() { <-e.decode }()
	case <-ctx.Done():
	}
	d := e.digestPage(ex, ep, digestOpts{lite: true})
	d.pg.URL = u
	d.pg.Offset, d.pg.Limit = pagingOf(u, e.PageSize)
	return d.pg
}

// prefetchProbe reads a probe page in the background, once.
func (e *Env) prefetchProbe(ctx context.Context, checkID string, ep catalogue.Endpoint, u string) {
	m := &memoProbe{done: make(chan struct{})}
	if _, loaded := e.prefetched().probes.LoadOrStore(u, m); loaded {
		return
	}
	go func() {
		m.pg = e.readProbe(ctx, checkID, ep, u)
		close(m.done)
	}()
}

// probeOnce returns the prefetched probe page of u, taking it, or reads
// it now.
func (e *Env) probeOnce(ctx context.Context, checkID string, ep catalogue.Endpoint, u string) Page {
	if v, ok := e.prefetched().probes.LoadAndDelete(u); ok {
		m := v.(*memoProbe)
		select {
		case <-m.done:
			return m.pg
		case <-ctx.Done():
			return Page{URL: u, Count: -1, Problems: []string{"interrupted: " + ctx.Err().Error()}}
		}
	}
	return e.readProbe(ctx, checkID, ep, u)
}

// unknownID is the run's unknown sourcedId for an endpoint.
func (e *Env) unknownID(ep catalogue.Endpoint) string {
	v, _ := e.prefetched().unknown.LoadOrStore(ep.Path, "rostercheck-unknown-"+randomHex(8))
	return v.(string)
}

func (e *Env) largeLimitQuery() url.Values {
	return url.Values{"limit": {strconv.Itoa(e.LargeLimit)}, "offset": {"0"}}
}

func pastEndQuery(w *Walk) url.Values {
	end := w.Records()
	if t, ok := w.Total(); ok {
		end = max(end, t)
	}
	return url.Values{"limit": {strconv.Itoa(w.Limit)}, "offset": {strconv.Itoa(end + w.Limit)}}
}

func (e *Env) singletonURL(w *Walk, id string) string {
	return e.url(w.Path+"/"+url.PathEscape(id), nil)
}

func (e *Env) unknownURL(ep catalogue.Endpoint) string {
	return e.url(ep.Path+"/"+e.unknownID(ep), nil)
}

// prefetchProbes starts the requests the selected checks of an endpoint
// will make of its walks.
func (e *Env) prefetchProbes(ctx context.Context, ep catalogue.Endpoint, ws []*Walk, ids map[string]string) {
	for behaviour, id := range ids {
		switch behaviour {
		case "unknown-id":
			e.prefetchGet(ctx, id, e.unknownURL(ep))
		}
	}
	for _, w := range ws {
		if w.Fatal != "" {
			continue
		}
		for behaviour, id := range ids {
			switch behaviour {
			case "paging.large-limit":
				if w.LargeFail == nil && w.Limit != e.LargeLimit {
					e.prefetchProbe(ctx, id, ep, e.url(w.Path, e.largeLimitQuery()))
				}
			case "paging.past-end":
				e.prefetchProbe(ctx, id, ep, e.url(w.Path, pastEndQuery(w)))
			case "singleton":
				for _, s := range w.Samples {
					if sid, _ := s["sourcedId"].(string); sid != "" {
						e.prefetchGet(ctx, id, e.singletonURL(w, sid))
					}
				}
			}
		}
	}
}

// probeBehaviours maps each endpoint to the prefetchable behaviours of the
// selected checks (behaviour -> check ID).
func probeBehaviours(checks []Check) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, c := range checks {
		ep, ok := catalogue.Lookup(c.Endpoint)
		if !ok {
			continue
		}
		prefix := ep.CheckPrefix()
		b, ok := strings.CutPrefix(c.ID, prefix)
		if !ok {
			continue
		}
		switch b {
		case "paging.large-limit", "paging.past-end", "singleton", "unknown-id":
			if out[ep.Path] == nil {
				out[ep.Path] = map[string]string{}
			}
			out[ep.Path][b] = c.ID
		}
	}
	return out
}
