package client

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Politeness and memory: one budget for the body bytes being read across
// all requests, a pace of at most MaxRPS requests per second, throttling
// (429, and 503 with Retry-After) waited out until the run's deadline,
// and a bounded retry of connection resets only.

const (
	// DefaultResetRetries is how often a GET whose connection was reset
	// or refused (a provider restarting) is tried again: once. A reset
	// that repeats is a finding (Exchange.Dropped), and later requests of
	// the same shape are not retried at all.
	DefaultResetRetries = 1
	// maxBackoff caps the wait between two throttled attempts when the
	// provider gives no Retry-After.
	maxBackoff = 30 * time.Second
)

// resetBackoff is the first wait after a reset; it doubles.
var resetBackoff = 500 * time.Millisecond

// Throttling counts what the provider's throttling cost the run: a
// finding for the report, never a check failure.
type Throttling struct {
	Throttled    int64         // 429 and 503-with-Retry-After answers waited out
	Waited       time.Duration // time spent waiting them out
	GaveUp       int64         // throttled answers kept because the deadline was near
	ResetRetries int64         // requests tried again after a reset or refused connection
	Dropped      int64         // requests the provider closed without an answer (Exchange.Dropped)
	Duplicates   int64         // GETs sent again with the same URL and authentication
	Shared       int64         // GETs answered from the response memo, not sent (memo.go)
	// Busy is the sum of every exchange's duration: divided by the run's
	// wall time, the average number of requests in flight.
	Busy time.Duration
}

type counters struct {
	throttled, waited, gaveUp, resets, dropped, busy atomic.Int64
}

// Throttling returns the run's throttling and reset counts so far.
func (s *Store) Throttling() Throttling {
	return Throttling{Throttled: s.ctr.throttled.Load(), Waited: time.Duration(s.ctr.waited.Load()),
		GaveUp: s.ctr.gaveUp.Load(), ResetRetries: s.ctr.resets.Load(), Dropped: s.ctr.dropped.Load(),
		Duplicates: s.gets.duplicates(), Shared: s.memo.shared.Load(), Busy: time.Duration(s.ctr.busy.Load())}
}

// requestShape is a request's method, path and sorted query parameter
// names: requests that differ only in parameter values (offsets, filter
// values) share a shape.
func requestShape(method string, u *url.URL) string {
	names := make([]string, 0, 4)
	for k := range u.Query() {
		names = append(names, k)
	}
	sort.Strings(names)
	return method + " " + u.Host + u.EscapedPath() + "?" + strings.Join(names, "&")
}

// shapeSet is a concurrent set of request shapes.
type shapeSet struct {
	mu sync.Mutex
	m  map[string]bool
}

func (s *shapeSet) add(shape string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]bool{}
	}
	s.m[shape] = true
}

func (s *shapeSet) has(shape string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[shape]
}

// headerKey is the request headers a GET adds, in a fixed order: the
// same URL asked with another Accept is another request.
func headerKey(h http.Header) string {
	if len(h) == 0 {
		return ""
	}
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte(':')
		b.WriteString(strings.Join(h[k], ","))
		b.WriteByte('\n')
	}
	return b.String()
}

// getLog remembers a hash of every GET sent with the run's credentials
// (its added headers and its URL without oauth_* parameters) and counts
// the ones sent again.
type getLog struct {
	mu   sync.Mutex
	seen map[uint64]struct{}
	dups int64
}

func (g *getLog) add(auth, u, checkID string) {
	h := fnv.New64a()
	_, _ = h.Write([]byte(auth))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(u))
	k := h.Sum64()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.seen == nil {
		g.seen = map[uint64]struct{}{}
	}
	if _, dup := g.seen[k]; dup {
		g.dups++
		if os.Getenv("ROSTERCHECK_DEBUG_DUPS") != "" {
			fmt.Fprintf(os.Stderr, "rostercheck: GET sent again (%s): %s\n", checkID, u)
		}
		return
	}
	g.seen[k] = struct{}{}
}

// forget drops the GETs remembered so far (a write was sent).
func (g *getLog) forget() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.seen = nil
}

func (g *getLog) duplicates() int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.dups
}

// throttled says whether a response asks the client to come back later:
// 429 always, 503 only with Retry-After (any other 5xx is the provider's
// failure, never hidden by a retry).
func throttled(ex *Exchange) bool {
	switch ex.Status {
	case http.StatusTooManyRequests:
		return true
	case http.StatusServiceUnavailable:
		return ex.ResponseHeader.Get("Retry-After") != ""
	}
	return false
}

// throttleWait is the wait before attempt n+1 after a throttled answer:
// Retry-After when given (as a floor), else an exponential backoff; plus
// up to a quarter of jitter so that concurrent walkers do not return in
// lockstep.
func throttleWait(h http.Header, attempt int, now time.Time) time.Duration {
	var d time.Duration
	if h.Get("Retry-After") != "" {
		d = retryAfter(h.Get("Retry-After"), now)
	} else {
		d = min(defaultBackoff<<min(attempt, 10), maxBackoff)
	}
	return d + time.Duration(rand.Int64N(int64(d/4)+int64(50*time.Millisecond)))
}

// resetError says whether a transport error is a reset or refused
// connection (the provider restarting), the only errors retried.
func resetError(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrUnexpectedEOF) ||
		(errors.Is(err, io.EOF) && !errors.Is(err, context.DeadlineExceeded))
}

// sleep waits d or until ctx ends; false when ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// fitsDeadline says whether waiting d leaves ctx's deadline ahead.
func fitsDeadline(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return !ok || time.Until(dl) > d
}

// pacer spaces request starts at least 1/rps apart (nil: no pace).
type pacer struct {
	mu   sync.Mutex
	gap  time.Duration
	next time.Time
}

func newPacer(rps float64) *pacer {
	if rps <= 0 {
		return nil
	}
	return &pacer{gap: time.Duration(float64(time.Second) / rps)}
}

// wait blocks until this request's turn; false when ctx ended first.
func (p *pacer) wait(ctx context.Context) bool {
	if p == nil {
		return true
	}
	p.mu.Lock()
	now := time.Now()
	at := p.next
	if at.Before(now) {
		at = now
	}
	p.next = at.Add(p.gap)
	p.mu.Unlock()
	return sleep(ctx, at.Sub(now))
}

// rateLearner paces a provider that throttles: after a 429 (or 503 with
// Retry-After) no request starts before the wait it asked for, and from
// then on request starts are spaced to 9/10 of the rate that was refused
// (the starts of the second before it), so that the run goes at the
// provider's limit instead of being refused and waiting again. Nothing
// changes for a provider that never throttles.
type rateLearner struct {
	mu     sync.Mutex
	starts []time.Time // starts of about the last second
	gap    time.Duration
	next   time.Time
}

// maxLearnedGap bounds the learned spacing (at least 4 requests/s): a
// provider that throttles now and then at low traffic does not stall a run.
const maxLearnedGap = 250 * time.Millisecond

// wait blocks until this request may start; false when ctx ended first.
func (l *rateLearner) wait(ctx context.Context) bool {
	l.mu.Lock()
	now := time.Now()
	at := now
	if l.next.After(at) {
		at = l.next
	}
	if l.gap > 0 {
		l.next = at.Add(l.gap)
	}
	cut := 0
	for cut < len(l.starts) && at.Sub(l.starts[cut]) > time.Second {
		cut++
	}
	l.starts = append(l.starts[cut:], at)
	if len(l.starts) > 4096 {
		l.starts = l.starts[len(l.starts)-4096:]
	}
	l.mu.Unlock()
	return sleep(ctx, at.Sub(now))
}

// throttled learns from a throttled answer that asked to wait d.
func (l *rateLearner) throttled(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	n := 0
	for _, t := range l.starts {
		if now.Sub(t) <= time.Second && !t.After(now) {
			n++
		}
	}
	if n > 1 {
		if g := min(time.Second*10/time.Duration(9*(n-1)), maxLearnedGap); g > l.gap {
			l.gap = g
		}
	}
	if hold := now.Add(d); hold.After(l.next) {
		l.next = hold
	}
}

// budget bounds the body bytes being read across all requests. A read
// takes bytes from the budget chunk by chunk; when the budget is spent, it
// waits to become the one reader allowed past it (up to MaxBody), so that
// two large bodies never wait on each other. The bytes held at once are
// therefore at most limit + MaxBody, whatever the number of requests in
// flight, the Content-Length claimed or the gzip ratio.
type budget struct {
	mu    sync.Mutex
	limit int64
	used  int64 // budgeted bytes held
	over  int64 // bytes held by the reader past the budget
	peak  int64
	big   chan struct{}
}

func newBudget(limit int64) *budget {
	return &budget{limit: limit, big: make(chan struct{}, 1)}
}

// lease is one body's claim on the budget.
type lease struct {
	b    *budget
	n    int64 // budgeted bytes
	over int64 // bytes past the budget
	big  bool  // holds the one place past the budget
}

// grow claims n more bytes for the body; false when ctx ended while
// waiting (the read stops).
func (l *lease) grow(ctx context.Context, n int64) bool {
	b := l.b
	if b == nil {
		return true
	}
	if !l.big {
		b.mu.Lock()
		if b.used+n <= b.limit {
			b.used += n
			l.n += n
			b.peak = max(b.peak, b.used+b.over)
			b.mu.Unlock()
			return true
		}
		b.mu.Unlock()
		select {
		case b.big <- struct{}{}:
			l.big = true
		case <-ctx.Done():
			return false
		}
	}
	b.mu.Lock()
	b.over += n
	l.over += n
	b.peak = max(b.peak, b.used+b.over)
	b.mu.Unlock()
	return true
}

// release returns the body's bytes: once read, a body is no longer in
// flight.
func (l *lease) release() {
	b := l.b
	if b == nil {
		return
	}
	b.mu.Lock()
	b.used -= l.n
	b.over -= l.over
	b.mu.Unlock()
	if l.big {
		<-b.big
	}
	*l = lease{b: b}
}

// PeakBodyBytes returns the most body bytes that were being read at once
// across all requests (the quantity the body budget bounds).
func (s *Store) PeakBodyBytes() int64 {
	s.budget.mu.Lock()
	defer s.budget.mu.Unlock()
	return s.budget.peak
}
