package suites

import (
	"context"
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
// flows (Check.Writes) create and delete records, and the authentication
// checks issue, tamper with and wait out tokens. They are serial: each
// runs in its own It, one after another as before, and only once every
// scheduled read check has finished, so that no page walk sees a
// harness-created record appear mid-walk and no read meets a token an
// auth check revoked. Outcomes therefore do not depend on the order the
// scheduler happens to run the read checks in: reads never overlap a
// write or an auth probe.

// future is a scheduled check's result.
type future struct {
	done chan struct{}
	res  *Result
}

type scheduler struct {
	mu      sync.Mutex
	futures map[string]*future
	reads   sync.WaitGroup // the scheduled read checks not yet finished
	started bool
}

// serial reports whether a check must run alone, after the reads.
func serial(c Check) bool { return c.Writes || c.Area == "auth" }

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
	var reads []Check
	for _, c := range checks {
		if serial(c) || s.futures[c.ID] != nil {
			continue
		}
		s.futures[c.ID] = &future{done: make(chan struct{})}
		reads = append(reads, c)
	}
	sort.SliceStable(reads, func(i, j int) bool { return expectedCost(reads[i]) > expectedCost(reads[j]) })
	s.reads.Add(len(reads))
	slots := make(chan struct{}, e.workers())
	go func() {
		for _, c := range reads {
			f := s.futures[c.ID]
			held := false
			select {
			case slots <- struct{}{}:
				held = true
			case <-ctx.Done():
				// The run stopped: the remaining checks still run, each
				// ending at once as not completed.
			}
			go func() {
				defer func() {
					if held {
						<-slots
					}
				}()
				defer s.reads.Done()
				f.res = e.execute(ctx, c)
				close(f.done)
			}()
		}
	}()
}

// futureOf returns the scheduled future of a check, if any.
func (e *Env) futureOf(id string) *future {
	s := &e.sched
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.futures[id]
}

// readsDone waits until every scheduled read check has finished, or ctx ends.
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
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
}
