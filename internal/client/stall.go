package client

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
)

// ErrProviderStalled is the error (errors.Is) of every request the store
// refuses to send once the provider has stopped answering: it trickled or
// hung on request after request. Store.Stalled says why.
var ErrProviderStalled = errors.New("the provider stopped answering")

// Stall detection: stallRequests requests in a row, on at least
// stallPaths different paths, ended without a complete answer (the request
// timeout, or a dropped connection). One endpoint that never finishes (a
// slow body on /categories) is a finding of its checks; a provider that
// trickles everywhere is not worth another request.
const (
	stallRequests = 6
	stallPaths    = 3
)

type stallGuard struct {
	mu      sync.Mutex
	run     int
	paths   map[string]bool
	tripped error
	onTrip  func(error)
}

// observe records how an exchange ended; parent is the request's context.
func (g *stallGuard) observe(parent context.Context, ex *Exchange, u *url.URL, timeout string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.tripped != nil {
		return
	}
	switch {
	case parent.Err() != nil || errors.Is(ex.Err, ErrProviderStalled):
		return // the run's own stop, not the provider
	case errors.Is(ex.Err, context.DeadlineExceeded) || ex.Dropped:
		g.run++
		if g.paths == nil {
			g.paths = map[string]bool{}
		}
		g.paths[u.EscapedPath()] = true
	case ex.Status != 0 && ex.Err == nil:
		g.run, g.paths = 0, nil
		return
	default:
		return
	}
	if g.run >= stallRequests && len(g.paths) >= stallPaths {
		g.tripped = fmt.Errorf("%w: %d requests in a row, on %d different paths, got no complete answer within the request timeout (%s) or were dropped; no further requests were sent",
			ErrProviderStalled, g.run, len(g.paths), timeout)
		if g.onTrip != nil {
			go g.onTrip(g.tripped)
		}
	}
}

func (g *stallGuard) err() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.tripped
}

// OnStall sets the function called (once, on its own goroutine) when the
// store concludes that the provider stopped answering.
func (s *Store) OnStall(f func(error)) {
	s.stall.mu.Lock()
	defer s.stall.mu.Unlock()
	s.stall.onTrip = f
}

// Stalled returns why the store stopped sending requests (errors.Is
// ErrProviderStalled), or nil.
func (s *Store) Stalled() error { return s.stall.err() }
