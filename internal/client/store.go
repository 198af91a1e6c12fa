// Package client is the harness's exchange store: bounded concurrent HTTP
// with per-request evidence (redacted request, response, timings, error),
// body caps, timeouts, 429 handling, same-host-only redirects and the
// authentication transports (none, Bearer, OAuth 1.0a, OAuth 2).
package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rostercheck/rostercheck/internal/oauth1"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultConcurrency    = 8
	DefaultRequestTimeout = 30 * time.Second
	DefaultMaxBody        = 64 << 20
	DefaultEvidenceBody   = 16 << 10
	// DefaultMaxRetries429 retries throttled answers until the context's
	// deadline (the run's --timeout).
	DefaultMaxRetries429 = 1 << 30

	maxRedirects    = 5
	maxRenewals     = 3 // fresh tokens per request after 401s
	maxRetryAfter   = 2 * time.Minute
	defaultBackoff  = 1 * time.Second
	checkHeader     = "X-Rostercheck-Check"
	defaultAccept   = "application/json"
	defaultBodyType = "application/json"
)

// Config configures a Store. Zero values take the documented defaults.
type Config struct {
	Concurrency    int           // max requests in flight; default 8
	RequestTimeout time.Duration // per attempt, incl. redirects and body read; default 30s
	MaxBody        int64         // cap on the DECODED response body; default 64 MiB
	EvidenceBody   int           // bytes of body kept in evidence; default 16 KiB
	UserAgent      string        // "rostercheck/<version>"; default "rostercheck"
	Auth           Auth          // default NoAuth()
	// Transport is an optional base transport (tests); default a clone of
	// http.DefaultTransport (gzip decoded transparently).
	Transport http.RoundTripper
	// MaxRetries429 is how many times a throttled answer (429, or 503 with
	// Retry-After) is retried; default: until the context's deadline,
	// negative disables retries. Retry-After (seconds or HTTP date) is
	// honoured up to 2 minutes, plus jitter; without it the backoff doubles
	// from 1 s up to 30 s. A wait that would pass the deadline is not
	// started: the throttled answer is the result.
	MaxRetries429 int
	// WaitAlone makes a throttled answer hold back only its own retry:
	// the store does not learn a rate from it, nor space its later
	// requests (for a store whose few requests wait on one another, such
	// as the token checks', where spacing would only add to each wait).
	WaitAlone bool
	// ResetRetries is whether a GET or HEAD whose connection was reset or
	// refused is tried again, once (default 1, negative: never). A reset
	// that repeats sets Exchange.Dropped and stops retries for requests of
	// the same shape. No other failure, and no 5xx, is retried.
	ResetRetries int
	// MaxRPS paces request starts to at most this many per second (0: no pace).
	MaxRPS float64
	// BodyBudget bounds the body bytes being read across all requests at
	// once (default MaxBody/2); one reader at a time may go past it, up to
	// MaxBody, so the bytes held are at most BodyBudget + MaxBody.
	BodyBudget int64
	// Origin, when set (e.g. "https://sis.example.com"), is the only
	// scheme://host[:port] requests may go to: a URL elsewhere (a rel="next"
	// pointing at another host, or at http:// instead of https://) is
	// refused with *OffHostRedirectError before anything is sent.
	Origin string
}

// Request is one request to make.
type Request struct {
	Method, URL string
	Header      http.Header
	Body        []byte
	CheckID     string
	// Auth, when set, replaces the store's Auth for this request (auth
	// checks send no credentials, a garbage token, a signature of their
	// own). Such a request is never retried with renewed credentials.
	Auth Auth
	// Walk marks a page of a shared walk, which other checks wait for: it
	// takes the next free slot before any other waiting request.
	Walk bool
}

// ErrBodyTooLarge is set as Exchange.Err when the decoded response body
// exceeded Config.MaxBody; Exchange.Body then holds the first MaxBody bytes.
var ErrBodyTooLarge = errors.New("response body exceeds the configured maximum")

// OffHostRedirectError is set as Exchange.Err when the server redirected to
// a different scheme, host or port. The redirect is not followed, so no
// credentials are sent there.
type OffHostRedirectError struct{ Location string }

func (e *OffHostRedirectError) Error() string {
	return "redirect to a different host not followed: " + e.Location
}

// Store makes requests with bounded concurrency and records exchanges.
type Store struct {
	cfg    Config
	origin *url.URL // nil: any origin
	hc     *http.Client
	gate   *Gate
	nextID atomic.Uint64
	count  atomic.Int64
	ctr    counters
	budget *budget
	pace   *pacer
	learn  rateLearner
	// renewed counts requests answered 401 that were retried once with a
	// fresh token.
	renewed atomic.Int64

	timings timingLog  // every exchange's latency (Timings)
	dropped shapeSet   // request shapes whose connection reset repeated
	stall   stallGuard // trips when the provider stops answering
	gets    getLog     // GETs sent, to count duplicates
	memo    memo       // responses of identical GETs shared (memo.go)
}

// Renewed returns how many requests got 401 and were retried once with a
// fresh token.
func (s *Store) Renewed() int { return int(s.renewed.Load()) }

// AuthNote returns the configured Auth's note on how it had to send the
// client credentials (see CredentialNoter); "" when nothing to say.
func (s *Store) AuthNote() string {
	if n, ok := s.cfg.Auth.(CredentialNoter); ok {
		return n.CredentialNote()
	}
	return ""
}

// AuthName names the configured Auth ("oauth2-client-credentials", ...).
func (s *Store) AuthName() string { return s.cfg.Auth.Name() }

func (s *Store) authOf(r Request) Auth {
	if r.Auth != nil {
		return r.Auth
	}
	return s.cfg.Auth
}

// New validates cfg, applies defaults and returns a Store.
func New(cfg Config) (*Store, error) {
	if cfg.Concurrency < 0 {
		return nil, fmt.Errorf("client: negative Concurrency %d", cfg.Concurrency)
	}
	if cfg.RequestTimeout < 0 || cfg.MaxBody < 0 || cfg.EvidenceBody < 0 {
		return nil, errors.New("client: RequestTimeout, MaxBody and EvidenceBody must not be negative")
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.EvidenceBody == 0 {
		cfg.EvidenceBody = DefaultEvidenceBody
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "rostercheck"
	}
	if cfg.Auth == nil {
		cfg.Auth = NoAuth()
	}
	if cfg.ResetRetries == 0 {
		cfg.ResetRetries = DefaultResetRetries
	} else if cfg.ResetRetries < 0 {
		cfg.ResetRetries = 0
	}
	if cfg.BodyBudget <= 0 {
		cfg.BodyBudget = max(cfg.MaxBody/2, 1)
	}
	if cfg.MaxRetries429 == 0 {
		cfg.MaxRetries429 = DefaultMaxRetries429
	} else if cfg.MaxRetries429 < 0 {
		cfg.MaxRetries429 = 0
	}
	var origin *url.URL
	if cfg.Origin != "" {
		o, err := url.Parse(cfg.Origin)
		if err != nil || o.Host == "" || (o.Scheme != "http" && o.Scheme != "https") {
			return nil, fmt.Errorf("client: Origin %q is not an http(s) origin", cfg.Origin)
		}
		origin = o
	}
	rt := cfg.Transport
	if rt == nil {
		if dt, ok := http.DefaultTransport.(*http.Transport); ok {
			t := dt.Clone()
			t.MaxIdleConnsPerHost = cfg.Concurrency
			rt = t
		} else {
			rt = http.DefaultTransport
		}
	}
	return &Store{
		cfg:    cfg,
		origin: origin,
		hc: &http.Client{
			Transport: rt,
			// Redirects are handled by the store: host check and re-auth.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		gate:   NewGate(cfg.Concurrency),
		budget: newBudget(cfg.BodyBudget),
		pace:   newPacer(cfg.MaxRPS),
	}, nil
}

// Count returns the number of exchanges made so far (requests that got a
// concurrency slot, whatever their outcome).
func (s *Store) Count() int { return int(s.count.Load()) }

// Tokens returns the access tokens obtained so far by the configured Auth
// (if it is a TokenReporter).
func (s *Store) Tokens() []string {
	if tr, ok := s.cfg.Auth.(TokenReporter); ok {
		return tr.Tokens()
	}
	return nil
}

// Future is the pending result of Store.Go.
type Future struct {
	done chan struct{}
	ex   *Exchange
	r    Request
	s    *Store
}

// Go starts r asynchronously (prefetch) under the same concurrency bound as
// Do. The request runs with a background context; RequestTimeout bounds it.
func (s *Store) Go(r Request) *Future {
	f := &Future{done: make(chan struct{}), r: r, s: s}
	go func() {
		f.ex = s.Do(context.Background(), r)
		close(f.done)
	}()
	return f
}

// Wait blocks until the exchange completes or ctx is done. In the latter
// case it returns a placeholder exchange (ID 0) with Err = ctx.Err(); the
// request keeps running and a later Wait returns its result.
func (f *Future) Wait(ctx context.Context) *Exchange {
	select {
	case <-f.done:
		return f.ex
	default:
	}
	select {
	case <-f.done:
		return f.ex
	case <-ctx.Done():
		return &Exchange{CheckID: f.r.CheckID, Method: methodOf(f.r), URL: scrub(redactURL(f.r.URL), f.s.Tokens()...), Err: ctx.Err()}
	}
}

func methodOf(r Request) string {
	if r.Method == "" {
		return http.MethodGet
	}
	return strings.ToUpper(r.Method)
}

// Do waits for a concurrency slot, performs r (following same-host
// redirects and retrying 429s) and returns the recorded exchange. It never
// returns nil.
func (s *Store) Do(ctx context.Context, r Request) *Exchange {
	if methodOf(r) == http.MethodGet && r.Auth == nil {
		key := memoKey(headerKey(r.Header), redactURL(r.URL))
		if e, gen, owner, ok := s.memo.claim(key); ok {
			if !owner {
				if ex := s.memo.wait(ctx, e); ex != nil {
					return ex
				}
				return s.do(ctx, r)
			}
			ex := s.do(ctx, r)
			s.memo.fill(key, e, gen, ex)
			return ex
		}
	}
	return s.do(ctx, r)
}

func (s *Store) do(ctx context.Context, r Request) *Exchange {
	ex := &Exchange{
		ID:          s.nextID.Add(1),
		CheckID:     r.CheckID,
		Method:      methodOf(r),
		URL:         redactURL(r.URL),
		RequestBody: append([]byte(nil), r.Body...),
		evidenceMax: s.cfg.EvidenceBody,
		authName:    s.authOf(r).Name(),
	}
	prio := 0
	if r.Walk {
		prio = 1
	}
	if err := s.gate.Acquire(ctx, prio); err != nil {
		ex.Started = time.Now()
		ex.Err = err
		return ex
	}
	defer s.gate.Release()
	s.count.Add(1)

	ex.Started = time.Now()
	defer func() {
		ex.Duration = time.Since(ex.Started)
		s.ctr.busy.Add(int64(ex.Duration))
		s.redactExchange(ex)
		s.timings.add(ex)
	}()

	u, err := url.Parse(r.URL)
	if err != nil {
		ex.Err = fmt.Errorf("invalid request URL: %w", err)
		return ex
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		ex.Err = fmt.Errorf("invalid request URL: unsupported scheme %q", u.Scheme)
		return ex
	}
	if s.origin != nil && !sameOrigin(s.origin, u) {
		ex.Err = &OffHostRedirectError{Location: redactURL(u.String())}
		return ex
	}

	if err := s.stall.err(); err != nil {
		ex.Err = err
		return ex
	}
	defer s.stall.observe(ctx, ex, u, s.cfg.RequestTimeout.String())
	shape := requestShape(methodOf(r), u)
	switch m := methodOf(r); {
	case m == http.MethodGet && r.Auth == nil:
		// A GET with credentials of its own probes those credentials (a
		// token just issued, a signature variant, none at all): declared
		// by its Auth, never a duplicate read of the run's data.
		s.gets.add(headerKey(r.Header), redactURL(r.URL), r.CheckID)
	case m == http.MethodPut || m == http.MethodPatch || m == http.MethodDelete || m == http.MethodPost:
		// A write may change what any GET returns: a GET after it (a
		// read-back) is a new read, not a duplicate of one before it.
		// (A POST is a 1.2 write here: token requests go through a
		// store of their own, which sends no GET to forget.)
		s.gets.forget()
		s.memo.forget()
	}
	throttles, resets, renewals := 0, 0, 0
	for attempt := 0; ; attempt++ {
		ex.Attempts = attempt + 1
		if !s.pace.wait(ctx) || !s.learn.wait(ctx) {
			if ex.Status == 0 && ex.Err == nil {
				ex.Err = ctx.Err()
			}
			return ex
		}
		reset := s.attempt(ctx, ex, r, u)
		rn, renews := s.cfg.Auth.(Renewer)
		switch m := methodOf(r); {
		case renews && ex.Status == http.StatusUnauthorized && r.Auth == nil && renewals < maxRenewals:
			// The token expired or was revoked under the request: a fresh
			// token and a retry (again only if that one was revoked too
			// before it could be used).
			renewals++
			rn.Invalidate(ex.RequestHeader.Get("Authorization"))
			s.renewed.Add(1)
			ex.Renewed = true
		case reset && (m == http.MethodGet || m == http.MethodHead) && (resets > 0 || s.dropped.has(shape)):
			// The reset repeated on this request, or on an earlier one of
			// the same shape: the provider closes the connection without
			// an answer (a finding), not a restart; no more retries for
			// this shape.
			s.dropped.add(shape)
			s.ctr.dropped.Add(1)
			ex.Dropped = true
			return ex
		case reset && resets < s.cfg.ResetRetries && (m == http.MethodGet || m == http.MethodHead) && ctx.Err() == nil:
			// The connection was reset or refused (a restart?): try again
			// once; the evidence keeps the last attempt.
			resets++
			s.ctr.resets.Add(1)
			if !sleep(ctx, resetBackoff<<(resets-1)) {
				return ex
			}
		case throttled(ex) && throttles < s.cfg.MaxRetries429:
			wait := throttleWait(ex.ResponseHeader, throttles, time.Now())
			throttles++
			if !fitsDeadline(ctx, wait) {
				s.ctr.gaveUp.Add(1)
				return ex // keep the throttled exchange as evidence
			}
			s.ctr.throttled.Add(1)
			if !s.cfg.WaitAlone {
				s.learn.throttled(wait)
			}
			start := time.Now()
			ok := sleep(ctx, wait)
			s.ctr.waited.Add(int64(time.Since(start)))
			if !ok {
				return ex
			}
		default:
			return ex
		}
	}
}

// retryAfter interprets a Retry-After value: delta seconds or an HTTP date,
// capped at 10 s; missing or invalid gives the 1 s default backoff.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return defaultBackoff
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return defaultBackoff
		}
		if secs > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			return 0
		}
		if d > maxRetryAfter {
			return maxRetryAfter
		}
		return d
	}
	return defaultBackoff
}

// attempt performs one attempt (with its redirect chain) and overwrites the
// response part of ex. reset says the connection was reset or refused.
func (s *Store) attempt(parent context.Context, ex *Exchange, r Request, u *url.URL) (reset bool) {
	ctx, cancel := context.WithTimeout(parent, s.cfg.RequestTimeout)
	defer cancel()

	ex.Status, ex.ResponseHeader, ex.Body, ex.BodyTruncated, ex.Err = 0, nil, nil, false, nil
	ex.Redirects = nil

	method := methodOf(r)
	body := r.Body
	cur := u
	for hop := 0; ; hop++ {
		req, err := http.NewRequestWithContext(ctx, method, cur.String(), nil)
		if err != nil {
			ex.Err = fmt.Errorf("building request: %w", err)
			return
		}
		for k, vs := range r.Header {
			req.Header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
		}
		if req.Header.Get("Accept") == "" {
			req.Header.Set("Accept", defaultAccept)
		}
		req.Header.Set("User-Agent", s.cfg.UserAgent)
		if r.CheckID != "" {
			req.Header.Set(checkHeader, r.CheckID)
		}
		if body != nil {
			b := body
			req.Body = io.NopCloser(bytes.NewReader(b))
			req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
			req.ContentLength = int64(len(b))
			if req.Header.Get("Content-Type") == "" {
				req.Header.Set("Content-Type", defaultBodyType)
			}
		}
		if err := s.authOf(r).Apply(ctx, req); err != nil {
			ex.RequestHeader = req.Header.Clone()
			var ae *AuthError
			if !errors.As(err, &ae) {
				err = &AuthError{Msg: err.Error()}
			}
			ex.Err = err
			return
		}
		ex.RequestHeader = req.Header.Clone()

		resp, err := s.hc.Do(req)
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				ue.URL = redactURL(ue.URL)
			}
			ex.Err = s.transportError(ctx, err)
			return resetError(err) && ctx.Err() == nil
		}
		ex.Status = resp.StatusCode
		ex.ResponseHeader = resp.Header.Clone()

		if isRedirect(resp.StatusCode) && resp.Header.Get("Location") != "" {
			loc, lerr := resp.Location()
			if lerr != nil {
				s.readBody(ctx, ex, resp)
				ex.Err = fmt.Errorf("invalid redirect Location: %w", lerr)
				return
			}
			if !sameOrigin(cur, loc) {
				s.readBody(ctx, ex, resp)
				ex.Err = &OffHostRedirectError{Location: redactURL(loc.String())}
				return
			}
			if hop >= maxRedirects {
				s.readBody(ctx, ex, resp)
				ex.Err = fmt.Errorf("stopped after %d redirects", maxRedirects)
				return
			}
			// Drain a little so the connection can be reused, then follow.
			_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
			resp.Body.Close()
			ex.Redirects = append(ex.Redirects, redactURL(loc.String()))
			switch resp.StatusCode {
			case http.StatusSeeOther:
				if method != http.MethodHead {
					method = http.MethodGet
				}
				body = nil
			case http.StatusMovedPermanently, http.StatusFound:
				if method == http.MethodPost {
					method = http.MethodGet
					body = nil
				}
			}
			cur = loc
			continue
		}
		s.readBody(ctx, ex, resp)
		return ex.Err != nil && resetError(ex.Err) && ctx.Err() == nil
	}
}

func isRedirect(code int) bool {
	switch code {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// SameOrigin reports whether two URLs share scheme, host and effective
// port: the store never sends a request elsewhere, and walks never follow
// a link elsewhere.
func SameOrigin(a, b *url.URL) bool { return sameOrigin(a, b) }

// sameOrigin compares scheme, host and effective port.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) &&
		strings.EqualFold(a.Hostname(), b.Hostname()) &&
		effectivePort(a) == effectivePort(b)
}

func effectivePort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
}

// readBody reads at most MaxBody decoded bytes (the transport decodes gzip)
// and closes the body. Reading stops at the cap, so a compression bomb costs
// at most MaxBody bytes of memory.
func (s *Store) readBody(ctx context.Context, ex *Exchange, resp *http.Response) {
	defer resp.Body.Close()
	l := &lease{b: s.budget}
	defer l.release()
	b, n, over, err := readCapped(resp.Body, s.cfg.MaxBody, func(k int64) bool { return l.grow(ctx, k) })
	ex.BodyRead = n
	switch {
	case over:
		ex.BodyTruncated = true
		ex.Err = ErrBodyTooLarge
	case err != nil:
		ex.Err = s.transportError(ctx, fmt.Errorf("reading response body: %w", err))
	}
	if len(b) > 0 {
		ex.Body = b
	}
}

// readCapped reads in chunks that start small (most pages are small) and
// double up to maxChunk.
const (
	firstChunk = 32 << 10
	maxChunk   = 1 << 20
)

// readCapped reads at most max bytes into fixed-size chunks and joins them
// once, so a body costs about twice its size at the peak, never the
// doubling-buffer overhead, and a hostile Content-Length allocates nothing
// up front. Each chunk is claimed with grow first (the run's body budget;
// nil: no budget); a refused claim stops the read with the context's
// error. over reports that the body went on past max: then only the first
// chunk is returned (evidence), not max bytes joined again, and n is the
// count of bytes read.
func readCapped(r io.Reader, max int64, grow func(int64) bool) (body []byte, n int64, over bool, err error) {
	var chunks [][]byte
	var total int64
	step := int64(firstChunk)
	for total <= max {
		size := min(step, max+1-total)
		if grow != nil && !grow(size) {
			err = context.Canceled
			break
		}
		c := make([]byte, size)
		step = min(step*2, maxChunk)
		k, rerr := io.ReadFull(r, c)
		if k > 0 {
			chunks = append(chunks, c[:k])
			total += int64(k)
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			err = rerr
			break
		}
	}
	if total > max {
		return chunks[0][:min(int64(len(chunks[0])), max)], max, true, err
	}
	body = make([]byte, 0, total)
	for _, c := range chunks {
		body = append(body, c...)
	}
	return body, total, false, err
}

// transportError makes a deadline hit recognisable (errors.Is
// context.DeadlineExceeded) whatever the transport wrapped it in.
func (s *Store) transportError(ctx context.Context, err error) error {
	if ctx.Err() == context.DeadlineExceeded && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("request timeout (%s): %w (%v)", s.cfg.RequestTimeout, context.DeadlineExceeded, err)
	}
	if ctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("request timeout (%s): %w", s.cfg.RequestTimeout, err)
	}
	return err
}

// ---------------------------------------------------------------------------
// redaction

// redactURL removes every oauth_* query parameter (by decoded name), keeping
// the other parameters byte for byte. An unparsable URL is returned as is.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.RawQuery == "" {
		return raw
	}
	u.RawQuery = oauth1.StripOAuthParams(u.RawQuery)
	return u.String()
}

var sensitiveHeaders = []string{"Authorization", "Proxy-Authorization"}

// redactExchange applies evidence redaction to a finished exchange:
// credentials headers become "<scheme> <redacted>", cookie values are dropped (their names kept),
// oauth_* query parameters are removed and known tokens are scrubbed.
func (s *Store) redactExchange(ex *Exchange) {
	tokens := s.Tokens()
	if h := ex.RequestHeader; h != nil {
		for _, k := range sensitiveHeaders {
			if vs, ok := h[k]; ok {
				for i, v := range vs {
					vs[i] = redactCredential(v)
				}
			}
		}
		if vs, ok := h["Cookie"]; ok {
			// Names kept (a repro must send the same cookies), values redacted.
			for i, v := range vs {
				var cs []string
				for _, c := range strings.Split(v, ";") {
					name, _, _ := strings.Cut(strings.TrimSpace(c), "=")
					cs = append(cs, name+"=<redacted>")
				}
				vs[i] = strings.Join(cs, "; ")
			}
		}
		for k, vs := range h {
			for i, v := range vs {
				vs[i] = scrub(v, tokens...)
			}
			h[k] = vs
		}
	}
	ex.URL = scrub(ex.URL, tokens...)
	ex.RequestBody = redactForm(ex.RequestHeader, ex.RequestBody)
	for i := range ex.Redirects {
		ex.Redirects[i] = scrub(ex.Redirects[i], tokens...)
	}
	if ex.Err != nil && len(tokens) > 0 {
		if msg := ex.Err.Error(); scrub(msg, tokens...) != msg {
			ex.Err = &redactedError{msg: scrub(msg, tokens...), err: ex.Err}
		}
	}
}

// redactedError carries a scrubbed message but still unwraps to the
// original error for errors.Is/As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func redactCredential(v string) string {
	scheme, _, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok || scheme == "" {
		return "<redacted>"
	}
	return scheme + " <redacted>"
}

// formSecrets are the token request parameters whose values are secrets.
var formSecrets = map[string]bool{"client_secret": true, "password": true, "refresh_token": true, "client_assertion": true, "assertion": true}

// redactForm replaces the secret values of a form-encoded request body
// (a token request) by "<redacted>", keeping the other parameters.
func redactForm(h http.Header, body []byte) []byte {
	if len(body) == 0 || !strings.HasPrefix(strings.ToLower(h.Get("Content-Type")), "application/x-www-form-urlencoded") {
		return body
	}
	parts := strings.Split(string(body), "&")
	changed := false
	for i, p := range parts {
		k, _, ok := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if ok && err == nil && formSecrets[name] {
			parts[i] = k + "=<redacted>"
			changed = true
		}
	}
	if !changed {
		return body
	}
	return []byte(strings.Join(parts, "&"))
}
