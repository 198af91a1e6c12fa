package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A provider that hangs on request after request, on several paths, stops
// the store: OnStall is told why, and no further request is sent. One path
// that never answers (a slow body on one endpoint) does not.
func TestStallStopsRequests(t *testing.T) {
	var sent atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent.Add(1)
		if strings.HasPrefix(r.URL.Path, "/ok") {
			_, _ = io.WriteString(w, "{}")
			return
		}
		<-r.Context().Done() // hangs until the client gives up
	}))
	defer srv.Close()

	s := newStore(t, Config{RequestTimeout: 20 * time.Millisecond})
	for i := 0; i < 3*stallRequests; i++ {
		s.Do(context.Background(), Request{URL: srv.URL + "/hang"}) // one path only
	}
	if s.Stalled() != nil {
		t.Fatalf("stalled on one path: %v", s.Stalled())
	}

	tripped := make(chan error, 1)
	s = newStore(t, Config{RequestTimeout: 20 * time.Millisecond})
	s.OnStall(func(err error) { tripped <- err })
	for i := 0; i < stallRequests-1; i++ {
		s.Do(context.Background(), Request{URL: fmt.Sprintf("%s/hang/%d", srv.URL, i)})
	}
	s.Do(context.Background(), Request{URL: srv.URL + "/ok"}) // an answer resets the count
	for i := 0; i < stallRequests-1; i++ {
		s.Do(context.Background(), Request{URL: fmt.Sprintf("%s/hang/%d", srv.URL, i)})
	}
	if s.Stalled() != nil {
		t.Fatalf("stalled although an answer came between: %v", s.Stalled())
	}
	s.Do(context.Background(), Request{URL: srv.URL + "/hang/last"})
	err := s.Stalled()
	if !errors.Is(err, ErrProviderStalled) || !strings.Contains(err.Error(), "in a row") {
		t.Fatalf("Stalled() = %v, want ErrProviderStalled", err)
	}
	if got := <-tripped; got != err {
		t.Fatalf("OnStall got %v, want %v", got, err)
	}
	before := sent.Load()
	ex := s.Do(context.Background(), Request{URL: srv.URL + "/ok"})
	if !errors.Is(ex.Err, ErrProviderStalled) || ex.Status != 0 || sent.Load() != before {
		t.Fatalf("after the stall: err=%v status=%d, %d requests sent", ex.Err, ex.Status, sent.Load()-before)
	}
}
