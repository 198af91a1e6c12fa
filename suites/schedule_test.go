package suites

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The scheduler runs the read checks at once, each exactly once (a
// negative API probe among them); the 1.2 scope probes together once
// every read finished; and the write flows and the checks that ask for
// tokens (a write that does both among them) only after all of them, one
// at a time (Ginkgo runs their specs in order).
func TestScheduleRunsReadsTogetherAndSerialChecksAfter(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a hang guard, not a timing
	defer cancel()
	const n = 6
	var started, finished atomic.Int32
	all := make(chan struct{})
	var runs sync.Map
	var checks []Check
	for i := range n {
		id := fmt.Sprintf("rostering.x%d.read", i)
		area, features := "rostering", []string(nil)
		if i == 0 {
			// It changes nothing, so it runs with the reads.
			id, area, features = "auth.x.no-credentials", "auth", []string{"/x", FeatureAuthNegative}
		}
		checks = append(checks, Check{ID: id, Area: area, Features: features, Endpoint: "/x", Run: func(ctx context.Context, _ *Env, r *Recorder) {
			v, _ := runs.LoadOrStore(id, new(atomic.Int32))
			v.(*atomic.Int32).Add(1)
			if started.Add(1) == n {
				close(all)
			}
			// Every read waits for all the others to have started: only
			// concurrent reads get past this.
			select {
			case <-all:
			case <-ctx.Done():
				r.Errorf("the reads did not run together")
			}
			finished.Add(1)
		}})
	}
	var sawRunning []int32
	var mu sync.Mutex
	// The scope probes run together: each waits for the other to start.
	var scopesRunning, scopesStarted atomic.Int32
	bothScopes := make(chan struct{})
	scopeRun := func(ctx context.Context, _ *Env, r *Recorder) {
		scopesRunning.Add(1)
		defer scopesRunning.Add(-1)
		mu.Lock()
		sawRunning = append(sawRunning, n-finished.Load())
		mu.Unlock()
		if scopesStarted.Add(1) == 2 {
			close(bothScopes)
		}
		select {
		case <-bothScopes:
		case <-ctx.Done():
			r.Errorf("the scope probes did not run together")
		}
	}
	aloneRun := func(ctx context.Context, _ *Env, r *Recorder) {
		mu.Lock()
		defer mu.Unlock()
		sawRunning = append(sawRunning, n-finished.Load()+scopesRunning.Load())
	}
	// The serial checks come first in spec order, as Ginkgo may run them.
	checks = append([]Check{
		{ID: "auth.x.probe", Area: "auth", Run: aloneRun},
		{ID: "gradebook.x.write", Area: "gradebook", Endpoint: "/x", Writes: true, Run: aloneRun},
		{ID: "v1p2.gradebook.y.scopes", Area: "gradebook", Endpoint: "/y", Features: []string{FeatureAuthScopesV1p2}, Writes: true, Run: aloneRun},
		{ID: "gradebook.y.write", Area: "gradebook", Endpoint: "/y", Writes: true, Run: aloneRun},
		{ID: "v1p2.x.read-scopes", Area: "auth", Features: []string{"/x", FeatureAuthScopesV1p2}, Run: scopeRun},
		{ID: "v1p2.y.read-scopes", Area: "auth", Features: []string{"/y", FeatureAuthScopesV1p2}, Run: scopeRun},
	}, checks...)
	e := &Env{Concurrency: 2, RunCtx: ctx}
	e.Schedule(ctx, checks)
	for _, c := range checks {
		res := e.Execute(ctx, c)
		if res.Outcome != OutcomePass {
			t.Errorf("%s: %s %s", c.ID, res.Outcome, res.Format())
		}
		if got, ok := e.ResultOf(c.ID); !ok || got != res {
			t.Errorf("%s: the stored result is not the one returned", c.ID)
		}
	}
	if !slices.Equal(sawRunning, []int32{0, 0, 0, 0, 0, 0}) {
		t.Errorf("the scope probes and the checks that run alone saw %v reads (and scope probes) still running, want none", sawRunning)
	}
	for _, c := range checks[6:] {
		v, _ := runs.Load(c.ID)
		if v == nil || v.(*atomic.Int32).Load() != 1 {
			t.Errorf("%s ran %v times, want once", c.ID, v)
		}
	}
}

// With one worker the reads run in expected-cost order: integrity, then
// the largest collections' checks, then relationships, then the rest, spec
// order among equals.
func TestScheduleLongestFirst(t *testing.T) {
	ctx := context.Background()
	var order []string
	var mu sync.Mutex
	mk := func(id, area, ep string) Check {
		return Check{ID: id, Area: area, Endpoint: ep, Run: func(context.Context, *Env, *Recorder) {
			mu.Lock()
			defer mu.Unlock()
			order = append(order, id)
		}}
	}
	checks := []Check{
		mk("rostering.orgs.a", "rostering", "/orgs"),
		mk("rostering.schools-classes.a", "rostering", "/schools/{id}/classes"),
		mk("rostering.users.a", "rostering", "/users"),
		mk("rostering.enrollments.a", "rostering", "/enrollments"),
		mk("integrity.x.a", "integrity", ""),
		mk("rostering.orgs.b", "rostering", "/orgs"),
	}
	e := &Env{Workers: 1}
	e.Schedule(ctx, checks)
	for _, c := range checks {
		e.Execute(ctx, c)
	}
	want := []string{"integrity.x.a", "rostering.enrollments.a", "rostering.users.a", "rostering.schools-classes.a", "rostering.orgs.a", "rostering.orgs.b"}
	if !slices.Equal(order, want) {
		t.Errorf("run order %v, want %v", order, want)
	}
}

// A check whose walks are still being read holds no worker: with one
// worker, a check whose data is in runs while the other waits.
func TestScheduleWaitingOnAWalkHoldsNoWorker(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a hang guard, not a timing
	defer cancel()
	ready := make(chan struct{})
	e := &Env{Workers: 1, RunCtx: ctx}
	e.prefetchedWalks.Store("/enrollments", ready)
	var ran atomic.Bool
	waiting := Check{ID: "rostering.enrollments.a", Area: "rostering", Endpoint: "/enrollments", Run: func(context.Context, *Env, *Recorder) { ran.Store(true) }}
	free := Check{ID: "rostering.orgs.a", Area: "rostering", Endpoint: "/orgs", Run: func(context.Context, *Env, *Recorder) {}}
	e.Schedule(ctx, []Check{waiting, free})
	if res := e.Execute(ctx, free); res.Outcome != OutcomePass {
		t.Fatalf("the free check: %s %s", res.Outcome, res.Format())
	}
	if ran.Load() {
		t.Fatal("a check ran before its walk was in")
	}
	close(ready)
	if res := e.Execute(ctx, waiting); res.Outcome != OutcomePass || !ran.Load() {
		t.Fatalf("the waiting check: %s %s", res.Outcome, res.Format())
	}
}

// A scheduled check's result counts only once its spec took it: a check
// whose It never ran (the deadline came first) has no result.
func TestScheduledResultCountsOnceItsSpecTakesIt(t *testing.T) {
	ctx := context.Background()
	c := Check{ID: "rostering.orgs.a", Area: "rostering", Endpoint: "/orgs", Run: func(context.Context, *Env, *Recorder) {}}
	e := &Env{}
	e.Schedule(ctx, []Check{c})
	<-e.futureOf(c.ID).done
	if _, ok := e.ResultOf(c.ID); ok {
		t.Fatal("a result before the spec took it")
	}
	res := e.Execute(ctx, c)
	if got, ok := e.ResultOf(c.ID); !ok || got != res {
		t.Fatal("no stored result after the spec took it")
	}
}

// The token checks run together, and beside the write flows, only once
// auth.token.concurrent has passed (tokens coexist); when it fails, or is
// not selected, they run one at a time and the write flows wait for the
// last of them.
func TestTokenChecksTogetherOnlyOnceTokensCoexist(t *testing.T) {
	for _, tc := range []struct {
		name     string
		gate     string // the gate check's outcome; "" when not selected
		together bool
	}{
		{"coexist", "pass", true},
		{"revoked", "fail", false},
		{"not selected", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a hang guard, not a timing
			defer cancel()
			const tokenChecks = 3
			var running, most, gateDone atomic.Int32
			var barrier sync.WaitGroup
			barrier.Add(tokenChecks + 1) // the token checks and the write flow
			meet := func(ctx context.Context) {
				// Together, every token check and the write flow get past
				// this only when all have started; alone, none waits.
				if !tc.together {
					return
				}
				barrier.Done()
				done := make(chan struct{})
				go func() { barrier.Wait(); close(done) }()
				select {
				case <-done:
				case <-ctx.Done():
				}
			}
			tokenRun := func(ctx context.Context, _ *Env, r *Recorder) {
				if tc.gate != "" && gateDone.Load() == 0 {
					r.Errorf("ran before %s", tokensCoexist)
				}
				n := running.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				meet(ctx)
				running.Add(-1)
			}
			var sawTokens atomic.Int32
			checks := []Check{{ID: "gradebook.x.write", Area: "gradebook", Endpoint: "/x", Writes: true,
				Run: func(ctx context.Context, _ *Env, r *Recorder) {
					sawTokens.Store(running.Load())
					meet(ctx)
				}}}
			for i := range tokenChecks {
				checks = append(checks, Check{ID: fmt.Sprintf("auth.token.x%d", i), Area: "auth", Run: tokenRun})
			}
			if tc.gate != "" {
				checks = append(checks, Check{ID: tokensCoexist, Area: "auth", Rule: ruleRevokesPrevious, Run: func(_ context.Context, _ *Env, r *Recorder) {
					if running.Load() != 0 {
						r.Errorf("another token check ran beside it")
					}
					if tc.gate == "fail" {
						r.Addf(nil, "the first token was revoked")
					}
					gateDone.Store(1)
				}})
			}
			e := &Env{Concurrency: 2, RunCtx: ctx}
			e.Schedule(ctx, checks)
			for _, c := range checks {
				res := e.Execute(ctx, c)
				want := OutcomePass
				if c.ID == tokensCoexist && tc.gate == "fail" {
					want = OutcomeFail
				}
				if res.Outcome != want {
					t.Errorf("%s: %s, want %s: %s", c.ID, res.Outcome, want, res.Format())
				}
			}
			if ctx.Err() != nil {
				t.Fatalf("the checks that should run together did not")
			}
			if tc.together {
				if most.Load() != tokenChecks {
					t.Errorf("at most %d token checks ran at once, want %d", most.Load(), tokenChecks)
				}
				return
			}
			if most.Load() != 1 {
				t.Errorf("%d token checks ran at once, want one at a time", most.Load())
			}
			if sawTokens.Load() != 0 {
				t.Errorf("the write flow ran beside %d token checks", sawTokens.Load())
			}
		})
	}
}
