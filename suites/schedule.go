package suites

import (
	"context"
	"slices"
	"sort"
	"sync"
)

// Plan, then fetch, then judge. Ginkgo runs the specs one after another,
// so a check that made its requests inside its It would leave the
// provider's latency unused: fewer than two requests in flight on a remote
// provider. Schedule starts every selected read check's Run in the
// background from BeforeSuite, into a future, bounded by a worker count
// (so memory stays bounded) and by the exchange store's concurrency budget
// (requests), longest expected work first (cost.go); the It of a check
// only waits for its result and asserts. A check's judging code is
// unchanged: it declares its requests by making them, and the shared walks
// and probes stay memoised (env.go, prefetch.go).
//
// Some checks change the provider or the run's credentials: the write
// flows (Check.Writes) create and delete records, and the token checks
// issue, tamper with and wait out tokens. None of them overlaps a read:
// they start once every scheduled read check has finished, so that no
// page walk or filter sees a harness-created record appear mid-way and no
// read meets a token an auth check revoked (a provider that signs out a
// client's earlier token when it issues another is auth.token.concurrent's
// finding, not every read's). Outcomes therefore do not depend on the
// order the scheduler happens to run the read checks in.
//
//   - The 1.2 read-scope probes (FeatureAuthScopesV1p2) then run
//     together: they read with tokens of one scope each, issued once per
//     scope and shared by every probe of the run (tokenFor), so running
//     them one after another kept no token from meeting another's issue.
//   - The checks that ask for tokens of their own, or sign their own
//     requests (the auth area), come next. auth.token.concurrent runs
//     first, alone: it proves that the provider keeps a client's earlier
//     token valid when it issues another. When it passes, the other token
//     checks run together, and beside the write flows, since no token
//     issued then can sign out another check's or the run's own. When it
//     fails, or is not selected, they run one at a time, and the write
//     flows wait for the last of them.
//   - The write flows run last, one at a time in spec order (scheduled
//     too: each It waits for its flow's result). They stay one at a time:
//     run together, a flow's lists held the other flows' objects, and
//     what a defect such as a relationship list that drops its first
//     record did to a flow's verdict depended on which flow wrote first.
//   - The negative API probes (FeatureAuthNegative: no credentials, a
//     garbage or expired token, a token in the query string or a cookie)
//     change nothing: they send their own credentials on each request
//     (never the memo's: it shares only GETs with the run's own) and issue
//     no token, so they are scheduled with the reads, filling the gaps
//     between walk pages.

// future is a scheduled check's result.
type future struct {
	done chan struct{}
	res  *Result
}

type scheduler struct {
	mu      sync.Mutex
	futures map[string]*future
	reads   sync.WaitGroup // the scheduled read checks not yet finished
	scopes  sync.WaitGroup // the scope probes not yet finished
	// tokensAside closes once the token checks can no longer disturb a
	// write flow: they have all ended, or tokens were proven to coexist.
	tokensAside chan struct{}
	started     bool
}

// tokensCoexist is the check whose pass lets the token checks run
// together: two tokens issued one after the other both stay valid.
const tokensCoexist = "auth.token.concurrent"

// Phases of a check (see above): the reads, then the scope probes, then
// the token checks, and the write flows.
const (
	phaseRead   = iota // scheduled at once, longest first
	phaseScopes        // after the reads, the scope probes together
	phaseTokens        // after the scope probes: together once tokens coexist, else one at a time
	phaseAlone         // after all, one at a time in spec order
)

func phaseOf(c Check) int {
	switch {
	case c.Writes:
		return phaseAlone
	case slices.Contains(c.Features, FeatureAuthScopesV1p2):
		return phaseScopes
	case c.Area == "auth" && !slices.Contains(c.Features, FeatureAuthNegative):
		return phaseTokens
	}
	return phaseRead
}

// Workers is how many scheduled checks run at once (default 4 ×
// Concurrency): each mostly waits for its requests, which the store
// bounds, so this bounds what checks hold in memory, not the requests.
func (e *Env) workers() int {
	if e.Workers > 0 {
		return e.Workers
	}
	return max(4*e.Concurrency, 16)
}

// Schedule starts the read checks among checks in the background, longest
// expected first; Execute then waits for a scheduled check's result. It
// returns at once. Calling it twice does nothing the second time.
func (e *Env) Schedule(ctx context.Context, checks []Check) {
	e.init()
	s := &e.sched
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return
	}
	s.started = true
	s.futures = map[string]*future{}
	s.tokensAside = make(chan struct{})
	if e.Store != nil {
		// Identical GETs share one response (the store's memo) for the
		// whole run: a write forgets it, and the scope probes and token
		// checks send credentials of their own, which it never answers.
		e.Store.ShareGETs(true)
	}
	var reads, scopes, tokens, alone []Check
	for _, c := range checks {
		if s.futures[c.ID] != nil {
			continue
		}
		s.futures[c.ID] = &future{done: make(chan struct{})}
		switch phaseOf(c) {
		case phaseScopes:
			scopes = append(scopes, c)
		case phaseTokens:
			tokens = append(tokens, c)
		case phaseAlone:
			alone = append(alone, c)
		default:
			reads = append(reads, c)
		}
	}
	sort.SliceStable(reads, func(i, j int) bool { return expectedCost(reads[i]) > expectedCost(reads[j]) })
	s.reads.Add(len(reads))
	s.scopes.Add(len(scopes))
	go func() {
		// The scope probes start when the last read has ended.
		s.reads.Wait()
		for _, c := range scopes {
			f := s.futures[c.ID]
			go func() {
				defer s.scopes.Done()
				f.res = e.run(ctx, c)
				close(f.done)
			}()
		}
		s.scopes.Wait()
		e.runTokenChecks(ctx, tokens)
	}()
	go func() {
		// The write flows, one at a time in spec order, once the token
		// checks are aside.
		s.reads.Wait()
		s.scopes.Wait()
		<-s.tokensAside
		for _, c := range alone {
			f := s.futures[c.ID]
			f.res = e.run(ctx, c)
			close(f.done)
		}
	}()
	q := &readyQueue{notify: make(chan struct{}, 1)}
	for i, c := range reads {
		ready := e.readyFor(c)
		if len(ready) == 0 {
			q.push(i, c)
			continue
		}
		// A check whose walks are still being read waits for them
		// without holding a worker, so that the checks whose data is in
		// fill the gaps with their own requests.
		go func() {
			for _, ch := range ready {
				select {
				case <-ch:
				case <-ctx.Done():
				}
			}
			q.push(i, c)
		}()
	}
	slots := make(chan struct{}, e.workers())
	go func() {
		for range reads {
			held := false
			select {
			case slots <- struct{}{}:
				held = true
			case <-ctx.Done():
				// The run stopped: the remaining checks still run, each
				// ending at once as not completed.
			}
			c := q.pop()
			f := s.futures[c.ID]
			go func() {
				defer s.reads.Done()
				defer func() {
					if held {
						<-slots
					}
				}()
				f.res = e.run(ctx, c)
				close(f.done)
			}()
		}
	}()
}

// readyQueue holds the checks ready to run; pop takes the one with the
// longest expected work (then the first in spec order).
type readyQueue struct {
	mu     sync.Mutex
	items  []queued
	notify chan struct{}
}

type queued struct {
	seq, cost int
	c         Check
}

func (q *readyQueue) push(seq int, c Check) {
	q.mu.Lock()
	q.items = append(q.items, queued{seq, expectedCost(c), c})
	q.mu.Unlock()
	select {
	case q.notify <- struct{}{}:
	default:
	}
}

// pop waits for a ready check and takes the best one.
func (q *readyQueue) pop() Check {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			best := 0
			for i, it := range q.items {
				if b := q.items[best]; it.cost > b.cost || (it.cost == b.cost && it.seq < b.seq) {
					best = i
				}
			}
			c := q.items[best].c
			q.items = append(q.items[:best], q.items[best+1:]...)
			q.mu.Unlock()
			return c
		}
		q.mu.Unlock()
		<-q.notify
	}
}

// readyFor returns the channels that close once the walks a check reads
// first are in: its endpoint's, or, for a check across collections
// (integrity), every prefetched endpoint's.
func (e *Env) readyFor(c Check) []chan struct{} {
	var out []chan struct{}
	if v, ok := e.prefetchedWalks.Load(c.Endpoint); ok && c.Area != "integrity" {
		if ch, ok := v.(chan struct{}); ok {
			out = append(out, ch)
		}
		return out
	}
	if c.Area != "integrity" {
		return nil
	}
	e.prefetchedWalks.Range(func(_, v any) bool {
		if ch, ok := v.(chan struct{}); ok {
			out = append(out, ch)
		}
		return true
	})
	return out
}

// futureOf returns the scheduled future of a check, if any.
func (e *Env) futureOf(id string) *future {
	s := &e.sched
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.futures[id]
}

// readsDone waits until every scheduled read check and scope probe has
// finished, and the token checks are aside (tokensAside), or ctx ends:
// what a check that runs alone waits for.
func (e *Env) readsDone(ctx context.Context) {
	s := &e.sched
	s.mu.Lock()
	started := s.started
	s.mu.Unlock()
	if !started {
		return
	}
	done := make(chan struct{})
	go func() {
		s.reads.Wait()
		s.scopes.Wait()
		<-s.tokensAside
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// runTokenChecks runs the token checks: tokensCoexist first and alone,
// then the others together when it passed, else one at a time. It closes
// tokensAside as soon as the write flows may start.
func (e *Env) runTokenChecks(ctx context.Context, tokens []Check) {
	s := &e.sched
	run := func(c Check) *Result {
		f := s.futures[c.ID]
		f.res = e.run(ctx, c)
		close(f.done)
		return f.res
	}
	together := false
	rest := tokens
	if i := slices.IndexFunc(tokens, func(c Check) bool { return c.ID == tokensCoexist }); i >= 0 {
		together = run(tokens[i]).Outcome == OutcomePass
		rest = slices.Delete(slices.Clone(tokens), i, i+1)
	}
	if !together {
		for _, c := range rest {
			run(c)
		}
		close(s.tokensAside)
		return
	}
	close(s.tokensAside)
	var wg sync.WaitGroup
	for _, c := range rest {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run(c)
		}()
	}
	wg.Wait()
}
