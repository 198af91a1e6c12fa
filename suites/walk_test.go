package suites

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rostercheck/rostercheck/fixtures/district"
	"github.com/rostercheck/rostercheck/fixtures/provider"
	"github.com/rostercheck/rostercheck/internal/client"
	"github.com/rostercheck/rostercheck/suites/catalogue"
)

// counting wraps a handler and counts requests by path.
type counting struct {
	h     http.Handler
	mu    sync.Mutex
	paths map[string]int
	urls  []string
}

func (c *counting) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.paths[r.URL.Path]++
	c.urls = append(c.urls, r.URL.RequestURI())
	c.mu.Unlock()
	c.h.ServeHTTP(w, r)
}

func testEnv(t *testing.T, h http.Handler, pageSize, concurrency int) (*Env, *counting) {
	t.Helper()
	c := &counting{h: h, paths: map[string]int{}}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	store, err := client.New(client.Config{Concurrency: max(concurrency, 2), Origin: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return &Env{BaseURL: srv.URL + provider.BasePath, Store: store, PageSize: pageSize, Concurrency: concurrency}, c
}

func smallProvider(t *testing.T, defect string) http.Handler {
	t.Helper()
	d, err := district.Generate(district.Spec{Seed: 1, Size: "small"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := provider.New(provider.Options{District: d, NoAuth: true, Defect: defect})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// walkSummary is what checks read of a walk, for comparing two walks.
type walkSummary struct {
	N, Distinct, DupN, SchemaN int
	Offsets                    []int
	Items                      []string
	Samples                    []string
	Fatal, Loop, Runaway       string
}

func summarize(w *Walk) walkSummary {
	s := walkSummary{N: w.N, Distinct: w.Distinct(), DupN: w.DupN, SchemaN: w.SchemaN, Fatal: w.Fatal, Loop: w.Loop, Runaway: w.Runaway}
	for _, pg := range w.Pages {
		s.Offsets = append(s.Offsets, pg.Offset)
	}
	for _, it := range w.Items {
		s.Items = append(s.Items, it.ID)
	}
	for _, m := range w.Samples {
		id, _ := m["sourcedId"].(string)
		s.Samples = append(s.Samples, id)
	}
	return s
}

// A concurrent walk assembles exactly what a sequential one reads: the
// same pages in the same order, the same records, duplicates, discovery
// items and singleton samples, with or without paging defects.
func TestConcurrentWalkAssemblesLikeSequential(t *testing.T) {
	for _, defect := range []string{"", "unstable-order", "offset-ignored", "endless-next", "local-times"} {
		for _, path := range []string{"/users", "/classes", "/enrollments"} {
			ep, _ := catalogue.Lookup(path)
			seqEnv, _ := testEnv(t, smallProvider(t, defect), 37, 1)
			conEnv, _ := testEnv(t, smallProvider(t, defect), 37, 8)
			seq := seqEnv.WalkTop(context.Background(), path)
			con := conEnv.WalkTop(context.Background(), path)
			if seq.Concurrent || !con.Concurrent {
				t.Fatalf("%s %s: concurrent flags %v/%v", defect, path, seq.Concurrent, con.Concurrent)
			}
			a, b := summarize(seq), summarize(con)
			// (A loop message names the server's port.)
			if (a.Loop == "") == (b.Loop == "") {
				a.Loop, b.Loop = "", ""
			}
			if !reflect.DeepEqual(a, b) {
				t.Errorf("defect %q %s (%s): sequential and concurrent walks differ:\n%+v\n%+v", defect, path, ep.Key, a, b)
			}
			if defect == "" && (a.N == 0 || a.N != a.Distinct || len(a.Offsets) < 2) {
				t.Errorf("%s: implausible walk %+v", path, a)
			}
		}
	}
}

// gate holds every page request after the first until n of them are in
// flight at once: a walk that fetched one page at a time would never get
// there (the timeout only keeps a broken walk from hanging the test).
type gate struct {
	h       http.Handler
	n       int
	mu      sync.Mutex
	waiting int
	open    chan struct{}
	peak    int
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("offset") != "0" {
		g.mu.Lock()
		g.waiting++
		g.peak = max(g.peak, g.waiting)
		if g.waiting == g.n {
			close(g.open)
		}
		g.mu.Unlock()
		select {
		case <-g.open:
		case <-time.After(10 * time.Second):
		}
		// Out of the gate: peak counts the requests held at once, never
		// the requests seen in all (a walk of one page at a time holds one).
		g.mu.Lock()
		g.waiting--
		g.mu.Unlock()
	}
	g.h.ServeHTTP(w, r)
}

func TestWalkFetchesPagesConcurrently(t *testing.T) {
	g := &gate{h: smallProvider(t, ""), n: 4, open: make(chan struct{})}
	e, _ := testEnv(t, g, 10, 4)
	w := e.WalkTop(context.Background(), "/users")
	g.mu.Lock()
	peak := g.peak
	g.mu.Unlock()
	if peak < 4 {
		t.Fatalf("at most %d page requests were in flight at once, want 4 (--concurrency)", peak)
	}
	if w.Fatal != "" || !w.Concurrent || w.N != w.Distinct() {
		t.Fatalf("walk: %+v", summarize(w))
	}
	if total, _ := w.Total(); w.N != total {
		t.Fatalf("walk read %d of %d records", w.N, total)
	}
}

// linkServer serves 25 users without X-Total-Count (so the walk is
// sequential) with a rel="next" made by next(offset, limit).
func linkServer(next func(r *http.Request, off, lim int) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		off, _ := strconv.Atoi(q.Get("offset"))
		lim, _ := strconv.Atoi(q.Get("limit"))
		if lim <= 0 {
			lim = 100
		}
		var users []map[string]any
		for i := off; i < 25 && i < off+lim; i++ {
			users = append(users, map[string]any{"sourcedId": fmt.Sprintf("u%02d", i)})
		}
		if users == nil {
			users = []map[string]any{}
		}
		if off+lim < 25 {
			if n := next(r, off, lim); n != "" {
				w.Header().Set("Link", "<"+n+`>; rel="next"`)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"users": users})
	})
}

// The walk pages by limit/offset whenever rel="next" is malformed,
// relative or on another origin, and follows it only when it is an
// absolute URL on the target's origin. Credentials never go elsewhere.
func TestWalkFallsBackToOffsetOnUnusableLink(t *testing.T) {
	cases := map[string]struct {
		next       func(r *http.Request, off, lim int) string
		followLink bool
	}{
		"missing":   {func(*http.Request, int, int) string { return "" }, false},
		"malformed": {func(*http.Request, int, int) string { return "http://[::1%zz/users" }, false},
		"relative": {func(_ *http.Request, off, lim int) string {
			return fmt.Sprintf("?limit=%d&offset=%d&via=link", lim, off+lim)
		}, false},
		"off-origin": {func(r *http.Request, off, lim int) string {
			return fmt.Sprintf("http://127.0.0.2:1/users?limit=%d&offset=%d&via=link", lim, off+lim)
		}, false},
		"other-scheme": {func(r *http.Request, off, lim int) string {
			return fmt.Sprintf("https://%s%s?limit=%d&offset=%d&via=link", r.Host, r.URL.Path, lim, off+lim)
		}, false},
		"usable": {func(r *http.Request, off, lim int) string {
			return fmt.Sprintf("http://%s%s?limit=%d&offset=%d&via=link", r.Host, r.URL.Path, lim, off+lim)
		}, true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e, c := testEnv(t, linkServer(tc.next), 10, 8)
			e.BaseURL = strings.TrimSuffix(e.BaseURL, provider.BasePath)
			w := e.WalkTop(context.Background(), "/users")
			if w.Fatal != "" || w.N != 25 || w.Distinct() != 25 || w.Loop != "" || w.Runaway != "" {
				t.Fatalf("walk: %+v", summarize(w))
			}
			viaLink := 0
			for _, u := range c.urls {
				if strings.Contains(u, "via=link") {
					viaLink++
				}
			}
			if tc.followLink != (viaLink > 0) {
				t.Fatalf("followed rel=\"next\" %d times (want followed: %v): %v", viaLink, tc.followLink, c.urls)
			}
		})
	}
}

// Relationship endpoints are sampled for exactly --parents parents: no
// search through further parents for one with more children.
func TestParentsExact(t *testing.T) {
	e, c := testEnv(t, smallProvider(t, ""), 5000, 8)
	e.Parents = 2
	for _, ck := range Catalogue() {
		if ck.Endpoint == "/classes/{class_id}/teachers" || ck.Endpoint == "/schools/{school_id}/classes/{class_id}/students" {
			if res := e.Execute(context.Background(), ck); res.Outcome == OutcomeError {
				t.Fatalf("%s: %s %s", ck.ID, res.Outcome, res.Format())
			}
		}
	}
	parents := map[string]bool{}
	for p := range c.paths {
		if strings.Contains(p, "rostercheck-unknown-") {
			continue // the unknown-parent probe, not a sampled parent
		}
		segs := strings.Split(strings.TrimPrefix(p, provider.BasePath+"/"), "/")
		if len(segs) == 3 && segs[0] == "classes" && segs[2] == "teachers" {
			parents["classes/"+segs[1]] = true
		}
		if len(segs) == 5 && segs[0] == "schools" && segs[4] == "students" {
			parents["schools/"+segs[1]+"/classes/"+segs[3]] = true
		}
	}
	n := 0
	for p := range parents {
		if strings.HasPrefix(p, "classes/") {
			n++
		}
	}
	if n != 2 || len(parents)-n != 2 {
		t.Fatalf("requested %d classes' teachers and %d schools' classes' students, want exactly 2 each: %v", n, len(parents)-n, parents)
	}
}

func TestSampleOffsets(t *testing.T) {
	for _, tc := range []struct {
		total, limit int
		want         []int
	}{
		{2, 1, []int{0, 1}},
		{3, 1, []int{0, 1, 2}},
		{10, 4, []int{0, 4, 8}},
		{1000, 100, []int{0, 100, 200, 800, 900}},
		{1001, 100, []int{0, 100, 200, 900, 1000}},
	} {
		if got := sampleOffsets(tc.total, tc.limit); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("sampleOffsets(%d, %d) = %v, want %v", tc.total, tc.limit, got, tc.want)
		}
	}
	for total := 2; total < 500; total++ {
		l := sampleLimit(total)
		if pages := (total + l - 1) / l; pages < 2 || (total >= 3 && pages < 3) || l > maxSampleLimit {
			t.Fatalf("sampleLimit(%d) = %d gives %d pages", total, l, pages)
		}
	}
}
