package client

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// One budget bounds the body bytes being read across all requests: eight
// endless bodies in flight at once hold at most BodyBudget + MaxBody, not
// eight times MaxBody. (Accounting, not timing: the store counts every
// byte it claims before reading it.)
func TestBodyBudgetBoundsBytesInFlight(t *testing.T) {
	chunk := bytes.Repeat([]byte(" "), 32<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "identity")
		_, _ = w.Write([]byte(`{"users":[]}`))
		for i := 0; i < 1<<14 && r.Context().Err() == nil; i++ { // up to 512 MiB each
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	const maxBody, budget = 4 << 20, 2 << 20
	s := newStore(t, Config{MaxBody: maxBody, BodyBudget: budget, Concurrency: 8})
	var wg sync.WaitGroup
	exs := make([]*Exchange, 8)
	guard(t, 60*time.Second, func() {
		for i := range exs {
			wg.Add(1)
			go func() { defer wg.Done(); exs[i] = s.Do(context.Background(), Request{URL: srv.URL}) }()
		}
		wg.Wait()
	})
	for _, ex := range exs {
		if !errors.Is(ex.Err, ErrBodyTooLarge) || ex.BodyRead != maxBody {
			t.Fatalf("err=%v read=%d", ex.Err, ex.BodyRead)
		}
	}
	if peak := s.PeakBodyBytes(); peak > budget+maxBody+1 {
		t.Fatalf("peak body bytes in flight %d, want at most budget+MaxBody = %d", peak, budget+maxBody)
	}
	s.budget.mu.Lock()
	defer s.budget.mu.Unlock()
	if s.budget.used != 0 || s.budget.over != 0 || len(s.budget.big) != 0 {
		t.Fatalf("budget not returned: used %d over %d big %d", s.budget.used, s.budget.over, len(s.budget.big))
	}
}

// Throttled answers are waited out until they stop (429 always, 503 only
// with Retry-After), and counted; a 5xx without Retry-After is never
// retried.
func TestThrottlingWaitedOutAndCounted(t *testing.T) {
	var hits sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, _ := hits.LoadOrStore(r.URL.Path, new(atomic.Int32))
		n := v.(*atomic.Int32).Add(1)
		switch r.URL.Path {
		case "/limited":
			if n <= 6 { // more than the old two retries
				w.Header().Set("Retry-After", "0")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
		case "/maintenance":
			if n <= 2 {
				w.Header().Set("Retry-After", "0")
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
		case "/down":
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		case "/broken":
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	s := newStore(t, Config{})
	for path, want := range map[string]struct{ status, attempts int }{
		"/limited": {200, 7}, "/maintenance": {200, 3}, "/down": {503, 1}, "/broken": {500, 1},
	} {
		ex := s.Do(context.Background(), Request{URL: srv.URL + path})
		if ex.Status != want.status || ex.Attempts != want.attempts {
			t.Errorf("%s: status %d after %d attempts, want %d after %d", path, ex.Status, ex.Attempts, want.status, want.attempts)
		}
	}
	if th := s.Throttling(); th.Throttled != 8 || th.GaveUp != 0 {
		t.Fatalf("throttling %+v, want 8 waited out", th)
	}
}

// With WaitAlone a throttled answer is waited out and retried as ever,
// but the store learns no rate from it: its later requests are not
// spaced. Without it, the same answers teach the learner a spacing.
func TestThrottlingWaitAloneLearnsNothing(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%2 == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	for _, alone := range []bool{true, false} {
		s := newStore(t, Config{WaitAlone: alone})
		for range 3 {
			if ex := s.Do(context.Background(), Request{URL: srv.URL + "/token"}); ex.Status != 200 || ex.Attempts != 2 {
				t.Fatalf("WaitAlone %v: status %d after %d attempts, want 200 after 2", alone, ex.Status, ex.Attempts)
			}
		}
		s.learn.mu.Lock()
		gap := s.learn.gap
		s.learn.mu.Unlock()
		if alone && gap != 0 {
			t.Errorf("WaitAlone: the store learned a spacing of %v", gap)
		}
		if !alone && gap == 0 {
			t.Errorf("without WaitAlone the store learned no spacing from 3 throttled answers")
		}
	}
}

// A Retry-After past the run's deadline is not waited for: the throttled
// answer is the result, and it is counted.
func TestThrottlingGivesUpAtTheDeadline(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "100")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	s := newStore(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var ex *Exchange
	guard(t, 20*time.Second, func() { ex = s.Do(ctx, Request{URL: srv.URL}) })
	if ex.Status != 429 || ex.Attempts != 1 || s.Throttling().GaveUp != 1 {
		t.Fatalf("status %d attempts %d throttling %+v", ex.Status, ex.Attempts, s.Throttling())
	}
}

// A reset connection (a provider restarting) is tried again once, for GET
// only. A reset that repeats is a dropped connection (a finding), and a
// request of the same shape (method, path, parameter names) is then not
// retried at all.
func TestResetRetriedOnceThenDropped(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		if r.URL.Path == "/always" || n <= 1 {
			c, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = c.Close() // no response at all
			}
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	defer func(d time.Duration) { resetBackoff = d }(resetBackoff)
	resetBackoff = time.Millisecond
	s := newStore(t, Config{})
	ex := s.Do(context.Background(), Request{URL: srv.URL + "/x"})
	if ex.Err != nil || ex.Status != 200 || ex.Attempts != 2 || ex.Dropped || s.Throttling().ResetRetries != 1 {
		t.Fatalf("restart: err=%v status=%d attempts=%d dropped=%v %+v", ex.Err, ex.Status, ex.Attempts, ex.Dropped, s.Throttling())
	}
	for _, c := range []struct {
		url      string
		attempts int
	}{
		{"/always?filter=a", 2},   // retried once, reset again: dropped
		{"/always?filter=b", 1},   // same shape: not retried
		{"/always?filter=c&x", 2}, // another shape: one retry
	} {
		ex = s.Do(context.Background(), Request{URL: srv.URL + c.url})
		if ex.Err == nil || !ex.Dropped || ex.Attempts != c.attempts {
			t.Fatalf("%s: err=%v dropped=%v attempts=%d, want dropped after %d", c.url, ex.Err, ex.Dropped, ex.Attempts, c.attempts)
		}
	}
	if th := s.Throttling(); th.Dropped != 3 || th.ResetRetries != 3 {
		t.Fatalf("throttling %+v, want 3 dropped, 3 retries", th)
	}
	ex = s.Do(context.Background(), Request{Method: "POST", URL: srv.URL + "/always", Body: []byte("{}")})
	if ex.Err == nil || ex.Attempts != 1 || ex.Dropped {
		t.Fatalf("POST: err=%v attempts=%d dropped=%v (never retried)", ex.Err, ex.Attempts, ex.Dropped)
	}
}

// Every GET sent again with the same URL, headers and the run's
// credentials is counted.
func TestDuplicateGETsCounted(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "{}") }))
	defer srv.Close()
	s := newStore(t, Config{})
	for _, r := range []Request{
		{URL: srv.URL + "/users?limit=1"},
		{URL: srv.URL + "/users?limit=2"},
		{URL: srv.URL + "/users?limit=1"},                                               // duplicate
		{URL: srv.URL + "/users?limit=1", Auth: Bearer("x")},                            // other credentials: not a duplicate
		{URL: srv.URL + "/users?limit=1", Auth: Bearer("x")},                            // a probe of credentials: never a duplicate
		{URL: srv.URL + "/users?limit=1", Header: http.Header{"Accept": {"text/html"}}}, // another request
		{URL: srv.URL + "/users?limit=2"},                                               // duplicate
		{Method: "PUT", URL: srv.URL + "/users/u1"},                                     // a write: what follows reads anew
		{URL: srv.URL + "/users?limit=1"},                                               // a read-back: not a duplicate
		{URL: srv.URL + "/users?limit=1"},                                               // duplicate
		{Method: "POST", URL: srv.URL + "/lineItems/l1/results", Body: []byte("{}")},    // a 1.2 write
		{URL: srv.URL + "/users?limit=1"},                                               // a read-back: not a duplicate
	} {
		s.Do(context.Background(), r)
	}
	if d := s.Throttling().Duplicates; d != 3 {
		t.Fatalf("duplicates %d, want 3", d)
	}
}

// --max-rps spaces request starts 1/rps apart: the pacer hands out slots.
func TestPacerSpacesStarts(t *testing.T) {
	if newPacer(0) != nil {
		t.Fatal("no pace without --max-rps")
	}
	p := newPacer(1000)
	first := time.Now()
	for i := 0; i < 5; i++ {
		if !p.wait(context.Background()) {
			t.Fatal("wait refused")
		}
	}
	if got := p.next.Sub(first); got < 5*time.Millisecond {
		t.Fatalf("five starts reserved %s, want at least 5 slots of 1ms", got)
	}
}

// After a throttled answer the learner holds every start for the wait
// asked, then spaces starts to 9/10 of the rate the provider refused;
// the spacing is bounded, and nothing is learned from one start.
func TestRateLearnerLearnsTheLimit(t *testing.T) {
	var l rateLearner
	now := time.Now()
	for i := range 41 { // 41 starts within the last second, the 41st refused
		l.starts = append(l.starts, now.Add(-time.Duration(i)*time.Millisecond))
	}
	l.throttled(time.Second)
	if want := time.Second * 10 / (9 * 40); l.gap != want {
		t.Errorf("gap %v, want %v (36 requests/s)", l.gap, want)
	}
	if !l.next.After(now.Add(900 * time.Millisecond)) {
		t.Errorf("no hold: next start %v after the refusal", l.next.Sub(now))
	}
	var one rateLearner
	one.starts = []time.Time{time.Now()}
	one.throttled(0)
	if one.gap != 0 {
		t.Errorf("learned %v from one start", one.gap)
	}
	var few rateLearner
	few.starts = []time.Time{time.Now(), time.Now()}
	few.throttled(0)
	if few.gap != maxLearnedGap {
		t.Errorf("gap %v, want the bound %v", few.gap, maxLearnedGap)
	}
}
