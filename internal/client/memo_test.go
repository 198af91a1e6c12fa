package client

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// With the memo on, an identical GET (same URL, headers and credentials,
// no write in between) is answered with the first response and not sent;
// anything else is sent: another URL or header, a probe of credentials, a
// read after a write, a 5xx, a body beyond memoMaxBody, any GET once the
// memo is off. Identical GETs in flight at once are sent once.
func TestIdenticalGETsShareOneResponse(t *testing.T) {
	var sent sync.Map // path?query -> *atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, _ := sent.LoadOrStore(r.URL.RequestURI(), new(atomic.Int64))
		n := v.(*atomic.Int64).Add(1)
		switch {
		case r.URL.Path == "/boom":
			http.Error(w, "boom", http.StatusInternalServerError)
		case r.URL.Path == "/big":
			_, _ = w.Write([]byte(strings.Repeat("x", memoMaxBody+1)))
		default:
			fmt.Fprintf(w, `{"n":%d}`, n)
		}
	}))
	defer srv.Close()
	count := func(uri string) int64 {
		v, ok := sent.Load(uri)
		if !ok {
			return 0
		}
		return v.(*atomic.Int64).Load()
	}
	s := newStore(t, Config{})
	ctx := context.Background()
	get := func(r Request) *Exchange {
		if r.Method == "" {
			r.URL = srv.URL + r.URL
		}
		return s.Do(ctx, r)
	}
	get(Request{URL: "/users?limit=1"})
	if count("/users?limit=1") != 1 {
		t.Fatal("memo off: first GET not sent")
	}
	get(Request{URL: "/users?limit=1"})
	if count("/users?limit=1") != 2 {
		t.Fatal("memo off: an identical GET must be sent")
	}
	s.ShareGETs(true)
	a := get(Request{URL: "/users?limit=1"})
	b := get(Request{URL: "/users?limit=1"})
	if count("/users?limit=1") != 3 || a != b || string(b.Body) != `{"n":3}` {
		t.Fatalf("memo on: sent %d times, shared %v, body %s; want 3, true, {\"n\":3}", count("/users?limit=1"), a == b, b.Body)
	}
	get(Request{URL: "/users?limit=1", Header: http.Header{"Accept": {"text/html"}}})
	get(Request{URL: "/users?limit=1", Auth: Bearer("x")})
	get(Request{URL: "/users?limit=1", Auth: Bearer("x")})
	if got := count("/users?limit=1"); got != 6 {
		t.Fatalf("other headers and credential probes: sent %d times in all, want 6", got)
	}
	get(Request{Method: "PUT", URL: srv.URL + "/users/u1"})
	if c := get(Request{URL: "/users?limit=1"}); string(c.Body) != `{"n":7}` {
		t.Fatalf("a read after a write must be sent: body %s", c.Body)
	}
	get(Request{URL: "/boom"})
	get(Request{URL: "/boom"})
	get(Request{URL: "/big"})
	get(Request{URL: "/big"})
	if count("/boom") != 2 || count("/big") != 2 {
		t.Fatalf("5xx sent %d times, large body %d times; want 2 and 2", count("/boom"), count("/big"))
	}
	// Concurrent identical GETs: one is sent.
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() { defer wg.Done(); get(Request{URL: "/orgs/o1"}) }()
	}
	wg.Wait()
	if count("/orgs/o1") != 1 {
		t.Fatalf("8 concurrent identical GETs sent %d times, want 1", count("/orgs/o1"))
	}
	// Sent again: /users?limit=1 twice before the memo was on (the
	// second and third sends), /boom and /big; shared: b and 7 of the 8.
	if th := s.Throttling(); th.Duplicates != 4 || th.Shared != 8 {
		t.Fatalf("duplicates %d, shared %d; want 4 and 8", th.Duplicates, th.Shared)
	}
	s.ShareGETs(false)
	get(Request{URL: "/orgs/o1"})
	if count("/orgs/o1") != 2 {
		t.Fatal("memo off again: an identical GET must be sent")
	}
}
