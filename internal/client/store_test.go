package client

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// guard is a hang guard only: it fails the test if f does not finish within
// a generous limit; it asserts nothing about speed.
func guard(t *testing.T, limit time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(limit):
		t.Fatalf("hang guard: operation did not finish within %s", limit)
	}
}

func newStore(t *testing.T, cfg Config) *Store {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func TestNewDefaultsAndValidation(t *testing.T) {
	s := newStore(t, Config{})
	if s.cfg.Concurrency != 8 || s.cfg.RequestTimeout != 30*time.Second || s.cfg.MaxBody != 64<<20 ||
		s.cfg.EvidenceBody != 16<<10 || s.cfg.MaxRetries429 != DefaultMaxRetries429 || s.cfg.ResetRetries != DefaultResetRetries || s.cfg.BodyBudget != 32<<20 || s.cfg.Auth.Name() != "none" {
		t.Fatalf("defaults not applied: %+v", s.cfg)
	}
	if s.gate.free != 8 {
		t.Fatalf("gate slots %d", s.gate.free)
	}
	for _, bad := range []Config{{Concurrency: -1}, {MaxBody: -1}, {RequestTimeout: -time.Second}, {EvidenceBody: -2}} {
		if _, err := New(bad); err == nil {
			t.Errorf("New(%+v) should fail", bad)
		}
	}
	if s := newStore(t, Config{MaxRetries429: -1}); s.cfg.MaxRetries429 != 0 {
		t.Fatalf("negative MaxRetries429 should disable retries, got %d", s.cfg.MaxRetries429)
	}
}

func TestHeadersAndBasicExchange(t *testing.T) {
	var got http.Header
	var gotBody []byte
	var gotMethod string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		gotMethod = r.Method
		gotBody, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Test", "yes")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"ok":true}`)
	}))
	defer srv.Close()

	s := newStore(t, Config{UserAgent: "rostercheck/1.2.3"})
	ex := s.Do(context.Background(), Request{
		Method: "put", URL: srv.URL + "/ims/oneroster/v1p1/results/r1",
		Header: http.Header{"X-Extra": {"1"}}, Body: []byte(`{"result":{}}`),
		CheckID: "gradebook.results.put",
	})
	if ex.Err != nil {
		t.Fatal(ex.Err)
	}
	if got.Get("User-Agent") != "rostercheck/1.2.3" || got.Get("X-Rostercheck-Check") != "gradebook.results.put" ||
		got.Get("Accept") != "application/json" || got.Get("Content-Type") != "application/json" || got.Get("X-Extra") != "1" {
		t.Fatalf("request headers: %v", got)
	}
	if gotMethod != "PUT" || string(gotBody) != `{"result":{}}` {
		t.Fatalf("method %s body %q", gotMethod, gotBody)
	}
	if ex.ID == 0 || ex.Status != 201 || string(ex.Body) != `{"ok":true}` || ex.ResponseHeader.Get("X-Test") != "yes" ||
		ex.Method != "PUT" || ex.CheckID != "gradebook.results.put" || ex.Attempts != 1 || ex.BodyTruncated ||
		ex.RequestHeader.Get("User-Agent") != "rostercheck/1.2.3" || string(ex.RequestBody) != `{"result":{}}` ||
		ex.Started.IsZero() || ex.Duration <= 0 {
		t.Fatalf("exchange: %+v", ex)
	}
	if s.Count() != 1 {
		t.Fatalf("Count = %d", s.Count())
	}
	ex2 := s.Do(context.Background(), Request{URL: srv.URL + "/x", Header: http.Header{"Accept": {"text/csv"}}})
	if ex2.ID == ex.ID || got.Get("Accept") != "text/csv" || got.Get("X-Rostercheck-Check") != "" || ex2.Method != "GET" {
		t.Fatalf("second exchange: id %d accept %q", ex2.ID, got.Get("Accept"))
	}
}

func TestInvalidRequests(t *testing.T) {
	s := newStore(t, Config{})
	for _, u := range []string{"::not a url", "ftp://example.com/x", ""} {
		ex := s.Do(context.Background(), Request{URL: u})
		if ex == nil || ex.Err == nil || ex.Status != 0 {
			t.Fatalf("%q: expected an error exchange, got %+v", u, ex)
		}
	}
}

func TestConcurrencyBound(t *testing.T) {
	const limit, total = 3, 20
	var inFlight, maxInFlight atomic.Int32
	arrived := make(chan struct{}, total)
	gate := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		arrived <- struct{}{}
		<-gate
		inFlight.Add(-1)
		io.WriteString(w, "{}")
	}))
	defer srv.Close()

	s := newStore(t, Config{Concurrency: limit})
	futures := make([]*Future, total)
	for i := range futures {
		futures[i] = s.Go(Request{URL: fmt.Sprintf("%s/users/%d", srv.URL, i), CheckID: "rostering.users.get"})
	}
	guard(t, 20*time.Second, func() {
		for i := 0; i < limit; i++ {
			<-arrived
		}
	})
	close(gate)
	guard(t, 20*time.Second, func() {
		for i, f := range futures {
			ex := f.Wait(context.Background())
			if ex.Err != nil || ex.Status != 200 {
				t.Errorf("future %d: %v %d", i, ex.Err, ex.Status)
			}
		}
	})
	if m := maxInFlight.Load(); m != limit {
		t.Fatalf("max in flight = %d, want exactly %d", m, limit)
	}
	if s.Count() != total {
		t.Fatalf("Count = %d, want %d", s.Count(), total)
	}
}

func TestGoWaitPrefetch(t *testing.T) {
	gate := make(chan struct{})
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		<-gate
		io.WriteString(w, `{"users":[]}`)
	}))
	defer srv.Close()
	defer func() {
		select {
		case <-gate:
		default:
			close(gate)
		}
	}()

	s := newStore(t, Config{})
	f := s.Go(Request{URL: srv.URL + "/users?oauth_nonce=zz&limit=1", CheckID: "rostering.users.schema"})

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ph := f.Wait(ctx)
	if !errors.Is(ph.Err, context.Canceled) || ph.ID != 0 || ph.CheckID != "rostering.users.schema" ||
		strings.Contains(ph.URL, "oauth_") || !strings.Contains(ph.URL, "limit=1") {
		t.Fatalf("placeholder: %+v", ph)
	}
	close(gate)
	var ex *Exchange
	guard(t, 20*time.Second, func() { ex = f.Wait(context.Background()) })
	if ex.Err != nil || ex.Status != 200 || string(ex.Body) != `{"users":[]}` || ex.ID == 0 {
		t.Fatalf("exchange: %+v", ex)
	}
	if again := f.Wait(context.Background()); again != ex {
		t.Fatal("Wait must return the same exchange every time")
	}
	if hits.Load() != 1 {
		t.Fatalf("server hits = %d", hits.Load())
	}
}

func TestDoContextCancelledWhileWaitingForSlot(t *testing.T) {
	gate := make(chan struct{})
	arrived := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-gate
	}))
	defer srv.Close()
	s := newStore(t, Config{Concurrency: 1})
	f := s.Go(Request{URL: srv.URL})
	guard(t, 20*time.Second, func() { <-arrived })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ex := s.Do(ctx, Request{URL: srv.URL + "/second"})
	if !errors.Is(ex.Err, context.Canceled) || ex.Status != 0 {
		t.Fatalf("expected cancellation, got %+v", ex)
	}
	close(gate)
	guard(t, 20*time.Second, func() { f.Wait(context.Background()) })
	if s.Count() != 1 {
		t.Fatalf("a request that never got a slot must not count: Count=%d", s.Count())
	}
}

func TestBodyCapPlainEndless(t *testing.T) {
	chunk := bytes.Repeat([]byte("a"), 32<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < 1<<16 && r.Context().Err() == nil; i++ { // at most 2 GiB
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	const max = 1 << 20
	s := newStore(t, Config{MaxBody: max})
	var ex *Exchange
	guard(t, 30*time.Second, func() { ex = s.Do(context.Background(), Request{URL: srv.URL}) })
	// Past the cap only the start of the body is kept, as evidence.
	if !errors.Is(ex.Err, ErrBodyTooLarge) || !ex.BodyTruncated || ex.BodyRead != max || len(ex.Body) == 0 || len(ex.Body) > max || ex.Status != 200 {
		t.Fatalf("err=%v truncated=%v len=%d status=%d", ex.Err, ex.BodyTruncated, len(ex.Body), ex.Status)
	}
	if bytes.Count(ex.Body, []byte("a")) != len(ex.Body) {
		t.Fatal("body content damaged")
	}
}

func TestBodyExactlyAtCapIsNotTruncated(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("b"), 1000))
	}))
	defer srv.Close()
	s := newStore(t, Config{MaxBody: 1000})
	ex := s.Do(context.Background(), Request{URL: srv.URL})
	if ex.Err != nil || ex.BodyTruncated || len(ex.Body) != 1000 {
		t.Fatalf("err=%v truncated=%v len=%d", ex.Err, ex.BodyTruncated, len(ex.Body))
	}
}

func TestGzipDecodedAndBombCapped(t *testing.T) {
	zeros := make([]byte, 64<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Type", "application/json")
		zw := gzip.NewWriter(w)
		if r.URL.Path == "/small" {
			io.WriteString(zw, `{"orgs":[]}`)
			zw.Close()
			return
		}
		// 1 GiB of zeros, compressed on the fly; stops when the client goes.
		for i := 0; i < (1<<30)/len(zeros) && r.Context().Err() == nil; i++ {
			if _, err := zw.Write(zeros); err != nil {
				return
			}
		}
		zw.Close()
	}))
	defer srv.Close()

	const max = 1 << 20
	s := newStore(t, Config{MaxBody: max})
	small := s.Do(context.Background(), Request{URL: srv.URL + "/small"})
	if small.Err != nil || string(small.Body) != `{"orgs":[]}` {
		t.Fatalf("gzip body not decoded: err=%v body=%q", small.Err, small.Body)
	}

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var ex *Exchange
	guard(t, 60*time.Second, func() { ex = s.Do(context.Background(), Request{URL: srv.URL + "/bomb"}) })
	runtime.ReadMemStats(&after)

	if !errors.Is(ex.Err, ErrBodyTooLarge) || !ex.BodyTruncated || ex.BodyRead != max || len(ex.Body) == 0 {
		t.Fatalf("err=%v truncated=%v len=%d", ex.Err, ex.BodyTruncated, len(ex.Body))
	}
	if bytes.Count(ex.Body, []byte{0}) != len(ex.Body) {
		t.Fatal("body is not the decoded zeros")
	}
	// Allocation during the exchange (client and server together) must be
	// of the order of MaxBody, nowhere near the 1 GiB the bomb expands to.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Fatalf("allocated %d MiB reading a gzip bomb capped at 1 MiB", alloc>>20)
	}
}

func TestOffHostRedirectNotFollowed(t *testing.T) {
	var otherHits atomic.Int32
	var otherAuth atomic.Value
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherHits.Add(1)
		otherAuth.Store(r.Header.Get("Authorization"))
	}))
	defer other.Close()
	target := other.URL + "/collect?x=1"
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok-secret-1" {
			t.Errorf("origin did not receive credentials")
		}
		http.Redirect(w, r, target, http.StatusFound)
	}))
	defer origin.Close()

	s := newStore(t, Config{Auth: Bearer("tok-secret-1")})
	ex := s.Do(context.Background(), Request{URL: origin.URL + "/users"})
	var ohe *OffHostRedirectError
	if !errors.As(ex.Err, &ohe) || ohe.Location != target {
		t.Fatalf("err = %v, want OffHostRedirectError to %s", ex.Err, target)
	}
	if ex.Status != http.StatusFound || ex.ResponseHeader.Get("Location") != target {
		t.Fatalf("the 3xx exchange must be kept: status=%d", ex.Status)
	}
	if otherHits.Load() != 0 {
		t.Fatalf("other host was contacted (%d times, Authorization %q)", otherHits.Load(), otherAuth.Load())
	}
	if strings.Contains(ex.Err.Error(), "tok-secret-1") {
		t.Fatal("error leaks the token")
	}
}

func TestSameHostRedirectsFollowedWithAuth(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]string{}
	var methods []string
	var srvURL string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.Path] = r.Header.Get("Authorization")
		methods = append(methods, r.Method+" "+r.URL.Path)
		mu.Unlock()
		switch r.URL.Path {
		case "/a":
			http.Redirect(w, r, "/b?p=1", http.StatusMovedPermanently) // relative
		case "/b":
			http.Redirect(w, r, srvURL+"/c", http.StatusTemporaryRedirect) // absolute, same host
		case "/c":
			io.WriteString(w, "final")
		case "/post":
			http.Redirect(w, r, "/after", http.StatusSeeOther)
		case "/after":
			b, _ := io.ReadAll(r.Body)
			fmt.Fprintf(w, "%s:%d", r.Method, len(b))
		default: // /loop/N -> /loop/N+1 forever
			http.Redirect(w, r, r.URL.Path+"x", http.StatusFound)
		}
	}))
	defer srv.Close()
	srvURL = srv.URL

	s := newStore(t, Config{Auth: Bearer("tok-1")})
	ex := s.Do(context.Background(), Request{URL: srv.URL + "/a"})
	if ex.Err != nil || ex.Status != 200 || string(ex.Body) != "final" {
		t.Fatalf("err=%v status=%d body=%q", ex.Err, ex.Status, ex.Body)
	}
	if len(ex.Redirects) != 2 || ex.Redirects[0] != srv.URL+"/b?p=1" || ex.Redirects[1] != srv.URL+"/c" {
		t.Fatalf("redirects %v", ex.Redirects)
	}
	if ex.URL != srv.URL+"/a" {
		t.Fatalf("URL should be the requested one, got %s", ex.URL)
	}
	for _, p := range []string{"/a", "/b", "/c"} {
		if seen[p] != "Bearer tok-1" {
			t.Fatalf("hop %s Authorization %q", p, seen[p])
		}
	}

	ex = s.Do(context.Background(), Request{Method: "POST", URL: srv.URL + "/post", Body: []byte(`{"a":1}`)})
	if ex.Err != nil || string(ex.Body) != "GET:0" {
		t.Fatalf("303 should become a GET without body: err=%v body=%q", ex.Err, ex.Body)
	}

	mu.Lock()
	methods = nil
	mu.Unlock()
	ex = s.Do(context.Background(), Request{URL: srv.URL + "/loop"})
	if ex.Err == nil || !strings.Contains(ex.Err.Error(), "redirects") || ex.Status != http.StatusFound {
		t.Fatalf("redirect loop: err=%v status=%d", ex.Err, ex.Status)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(methods) != 6 { // the original request plus 5 followed hops
		t.Fatalf("loop made %d requests: %v", len(methods), methods)
	}
}

func TestTimeoutTricklingBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/silent" {
			<-r.Context().Done()
			return
		}
		w.WriteHeader(200)
		for r.Context().Err() == nil {
			if _, err := w.Write([]byte("x")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-time.After(20 * time.Millisecond):
			case <-r.Context().Done():
			}
		}
	}))
	defer srv.Close()

	s := newStore(t, Config{RequestTimeout: 200 * time.Millisecond})
	for _, path := range []string{"/trickle", "/silent"} {
		var ex *Exchange
		guard(t, 20*time.Second, func() { ex = s.Do(context.Background(), Request{URL: srv.URL + path}) })
		if !errors.Is(ex.Err, context.DeadlineExceeded) {
			t.Fatalf("%s: err = %v, want a deadline error", path, ex.Err)
		}
		if !strings.Contains(ex.Err.Error(), "timeout") {
			t.Fatalf("%s: error should say timeout: %v", path, ex.Err)
		}
		wantStatus := 200
		if path == "/silent" {
			wantStatus = 0
		}
		if ex.Status != wantStatus {
			t.Fatalf("%s: status %d", path, ex.Status)
		}
	}
}

func TestRetry429(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		switch {
		case r.URL.Path == "/always":
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
		case n == 1:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
		case n == 2:
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			io.WriteString(w, "ok")
		}
	}))
	defer srv.Close()

	s := newStore(t, Config{})
	ex := s.Do(context.Background(), Request{URL: srv.URL + "/x"})
	if ex.Err != nil || ex.Status != 200 || ex.Attempts != 3 || string(ex.Body) != "ok" || hits.Load() != 3 {
		t.Fatalf("err=%v status=%d attempts=%d hits=%d", ex.Err, ex.Status, ex.Attempts, hits.Load())
	}
	if s.Count() != 1 {
		t.Fatalf("retries must be one exchange, Count=%d", s.Count())
	}

	hits.Store(0)
	s = newStore(t, Config{MaxRetries429: 1})
	ex = s.Do(context.Background(), Request{URL: srv.URL + "/always"})
	if ex.Err != nil || ex.Status != 429 || ex.Attempts != 2 || hits.Load() != 2 {
		t.Fatalf("exhausted: err=%v status=%d attempts=%d hits=%d", ex.Err, ex.Status, ex.Attempts, hits.Load())
	}

	hits.Store(0)
	s = newStore(t, Config{MaxRetries429: -1})
	ex = s.Do(context.Background(), Request{URL: srv.URL + "/always"})
	if ex.Status != 429 || ex.Attempts != 1 || hits.Load() != 1 {
		t.Fatalf("disabled: status=%d attempts=%d hits=%d", ex.Status, ex.Attempts, hits.Load())
	}
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := map[string]time.Duration{
		"":     time.Second,
		"0":    0,
		"1":    time.Second,
		" 3 ":  3 * time.Second,
		"10":   10 * time.Second,
		"3600": 2 * time.Minute,
		"-5":   time.Second,
		"soon": time.Second,
		now.Add(4 * time.Second).Format(http.TimeFormat):  4 * time.Second,
		now.Add(-4 * time.Second).Format(http.TimeFormat): 0,
		now.Add(time.Hour).Format(http.TimeFormat):        2 * time.Minute,
	}
	for in, want := range cases {
		if got := retryAfter(in, now); got != want {
			t.Errorf("retryAfter(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestEvidenceBody(t *testing.T) {
	ex := &Exchange{Body: []byte("héllo wörld"), evidenceMax: 4}
	b, tr := ex.EvidenceBody(0) // store default: 4 bytes; "hé" is 3 bytes, 'l' the 4th
	if string(b) != "hél" || !tr {
		t.Fatalf("got %q %v", b, tr)
	}
	b, tr = ex.EvidenceBody(2) // byte 2 is inside 'é': back off to "h"
	if string(b) != "h" || !tr {
		t.Fatalf("got %q %v", b, tr)
	}
	b, tr = ex.EvidenceBody(100)
	if string(b) != "héllo wörld" || tr {
		t.Fatalf("got %q %v", b, tr)
	}
	ex.BodyTruncated = true
	if _, tr = ex.EvidenceBody(100); !tr {
		t.Fatal("a body cut at MaxBody must report truncated")
	}
	big := &Exchange{Body: bytes.Repeat([]byte("z"), 20<<10)}
	if b, tr := big.EvidenceBody(-1); len(b) != 16<<10 || !tr {
		t.Fatalf("default evidence size: %d %v", len(b), tr)
	}
}

// TestOriginGuard: with Origin set, a URL on another host (a rel="next"
// pointing elsewhere) is refused before anything is sent, credentials
// included.
func TestOriginGuard(t *testing.T) {
	var hits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer other.Close()
	home := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer home.Close()
	s, err := New(Config{Origin: home.URL, Auth: Bearer("origin-guard-token-123")})
	if err != nil {
		t.Fatal(err)
	}
	ex := s.Do(context.Background(), Request{URL: other.URL + "/users?offset=100"})
	var off *OffHostRedirectError
	if !errors.As(ex.Err, &off) || hits.Load() != 0 {
		t.Fatalf("err %v, other host hit %d times", ex.Err, hits.Load())
	}
	if ex := s.Do(context.Background(), Request{URL: home.URL + "/users"}); ex.Err != nil || ex.Status != 200 {
		t.Fatalf("same origin: %v %d", ex.Err, ex.Status)
	}
	if _, err := New(Config{Origin: "ftp://x"}); err == nil {
		t.Fatal("a non-http origin was accepted")
	}
}
