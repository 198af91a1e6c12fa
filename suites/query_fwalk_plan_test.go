package suites

import (
	"context"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rostercheck/rostercheck/suites/catalogue"
)

// fwalkOutcome is what a filtered walk reports: its counts and every
// finding (rule, record, message), in order.
type fwalkOutcome struct {
	N, Total int
	HasTotal bool
	OK       bool
	Rules    map[string]int
	Findings []string
}

// filteredWalk runs one filtered walk of /users (role='student', pages of
// limit records) over the small district with the given defect.
func filteredWalk(t *testing.T, h http.Handler, concurrency, limit int) (fwalkOutcome, *counting) {
	t.Helper()
	e, c := testEnv(t, h, 100, concurrency)
	e.Evidence, e.MaxViolations, e.Samples, e.LargeLimit = 512, 50, 3, 5000
	ctx := context.Background()
	ep, _ := catalogue.Lookup("/users")
	w := e.WalkTop(ctx, "/users")
	if w.Fatal != "" {
		t.Fatalf("walk: %s", w.Fatal)
	}
	r := newRecorder(e, Check{ID: "test.filtered", Rule: ruleFilterWrong})
	res := runCase(ctx, e, r, ep, w, qcase{what: "students", filter: and(pred{"role", "=", "student"}), enc: encVerbatim, limit: limit})
	out := fwalkOutcome{N: res.n, Total: res.total, HasTotal: res.hasTotal, OK: res.ok, Rules: r.res.RuleCounts}
	for _, v := range r.res.Violations {
		// (Messages name the test server's port.)
		msg := v.Message
		if i := strings.Index(msg, "127.0.0.1:"); i >= 0 {
			msg = msg[:i]
		}
		out.Findings = append(out.Findings, v.Rule+" "+v.RecordID+" "+msg)
	}
	return out, c
}

// A filtered walk whose pages go out at once reports exactly what the
// same walk one page at a time reports, on the clean provider and under
// the paging and filtering defects, and reads the same pages.
func TestFilteredWalkConcurrentAgreesWithSequential(t *testing.T) {
	for _, defect := range []string{"", "filter-ignored", "filter-or-as-and", "unstable-order", "offset-ignored", "limit-ignored", "no-total-count", "silent-cap"} {
		seq, sc := filteredWalk(t, smallProvider(t, defect), 1, 7)
		con, cc := filteredWalk(t, smallProvider(t, defect), 8, 7)
		if !reflect.DeepEqual(seq, con) {
			t.Errorf("defect %q: sequential and concurrent filtered walks differ:\n%+v\n%+v", defect, seq, con)
		}
		if defect == "" && (seq.N < 20 || len(seq.Findings) != 0 || !seq.OK) {
			t.Errorf("clean provider: implausible filtered walk %+v", seq)
		}
		// Every page the sequential walk read was read by the concurrent
		// one; on the clean provider, no other.
		filtered := func(c *counting) []string {
			c.mu.Lock()
			defer c.mu.Unlock()
			var out []string
			for _, u := range c.urls {
				if strings.Contains(u, "filter=") {
					out = append(out, u)
				}
			}
			sort.Strings(out)
			return out
		}
		s, cn := filtered(sc), filtered(cc)
		for _, u := range s {
			if !contains(cn, u) {
				t.Errorf("defect %q: the concurrent walk did not read %s", defect, u)
			}
		}
		if defect == "" && !reflect.DeepEqual(s, cn) {
			t.Errorf("clean provider: pages read differ:\n%v\n%v", s, cn)
		}
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// Once page 1 gives X-Total-Count, the remaining pages of a filtered
// walk are in flight together (the gate holds every page after the first
// until 4 are waiting; one page at a time would never get there).
func TestFilteredWalkFetchesPagesConcurrently(t *testing.T) {
	inner := smallProvider(t, "")
	g := &flightGate{h: inner, n: 4, open: make(chan struct{})}
	// The gate applies to filtered pages only: the full walk goes first,
	// through the provider directly.
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("filter") != "" {
			g.ServeHTTP(w, r)
			return
		}
		inner.ServeHTTP(w, r)
	})
	out, _ := filteredWalk(t, h, 4, 5)
	g.mu.Lock()
	peak := g.peak
	g.mu.Unlock()
	if peak < 4 {
		t.Fatalf("at most %d filtered page requests were in flight at once, want 4 (--concurrency)", peak)
	}
	if len(out.Findings) != 0 || !out.OK || !out.HasTotal || out.N != out.Total || out.N < 20 {
		t.Fatalf("filtered walk: %+v", out)
	}
}

// flightGate holds every page request after the first until n of them
// are in flight at once, counting those in flight (a request leaves the
// count once answered); the timeout only keeps a walk that asks one page
// at a time from hanging the test.
type flightGate struct {
	h        http.Handler
	n        int
	mu       sync.Mutex
	inFlight int
	opened   bool
	open     chan struct{}
	peak     int
}

func (g *flightGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("offset") != "0" {
		g.mu.Lock()
		g.inFlight++
		g.peak = max(g.peak, g.inFlight)
		if g.inFlight >= g.n && !g.opened {
			g.opened = true
			close(g.open)
		}
		g.mu.Unlock()
		defer func() {
			g.mu.Lock()
			g.inFlight--
			g.mu.Unlock()
		}()
		select {
		case <-g.open:
		case <-time.After(2 * time.Second):
		}
	}
	g.h.ServeHTTP(w, r)
}
