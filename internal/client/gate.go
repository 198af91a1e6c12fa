package client

import (
	"context"
	"sync"
)

// Gate bounds how many holders run at once and, when a slot frees, hands
// it to the waiter of the highest priority, the earliest among equals.
//
// The store's gate bounds the requests in flight (Config.Concurrency) and
// serves a page of a walk (Request.Walk) before the other requests
// waiting; the walks' page gate (suites) serves the page of the walk with
// the most pages left first. A walk is what many checks wait for (issue
// 16: long walks first, small probes in the gaps): with plain semaphores
// the walk of the largest collection competed with hundreds of filter
// probes and with every smaller walk, finished last, and the checks that
// need its data (the delta cut-offs are taken from it) ran after
// everything else, at one or two requests in flight.
type Gate struct {
	mu      sync.Mutex
	free    int
	seq     uint64
	waiters []gateWaiter
}

type gateWaiter struct {
	prio int
	seq  uint64
	ch   chan struct{}
}

// NewGate returns a gate of n slots.
func NewGate(n int) *Gate { return &Gate{free: n} }

// Acquire waits for a slot; an error (ctx's) means none was taken.
func (g *Gate) Acquire(ctx context.Context, prio int) error {
	g.mu.Lock()
	if g.free > 0 && len(g.waiters) == 0 {
		g.free--
		g.mu.Unlock()
		return nil
	}
	g.seq++
	w := gateWaiter{prio, g.seq, make(chan struct{})}
	g.waiters = append(g.waiters, w)
	g.mu.Unlock()
	select {
	case <-w.ch:
		return nil
	case <-ctx.Done():
		g.mu.Lock()
		for i, o := range g.waiters {
			if o.ch == w.ch {
				g.waiters = append(g.waiters[:i], g.waiters[i+1:]...)
				g.mu.Unlock()
				return ctx.Err()
			}
		}
		g.mu.Unlock()
		// Granted as ctx ended: pass the slot on.
		g.Release()
		return ctx.Err()
	}
}

// Release frees a slot, handing it to the best waiter if any.
func (g *Gate) Release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.waiters) == 0 {
		g.free++
		return
	}
	best := 0
	for i, w := range g.waiters {
		if b := g.waiters[best]; w.prio > b.prio || w.prio == b.prio && w.seq < b.seq {
			best = i
		}
	}
	ch := g.waiters[best].ch
	g.waiters = append(g.waiters[:best], g.waiters[best+1:]...)
	close(ch)
}
