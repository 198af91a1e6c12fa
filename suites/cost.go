package suites

import (
	"context"
	"strings"
	"sync"
	"time"
)

// A check's reported duration is what its verdict cost: its own wall time,
// or, when larger, the time of the shared page walks it read (a memoised
// walk is fetched once, so without this every check but the first that
// reads it would report 0 s, and the JUnit times would mean nothing).

type costKey struct{}

type checkCost struct {
	mu    sync.Mutex
	walks map[string]bool
	total time.Duration
}

func withCost(ctx context.Context) (context.Context, *checkCost) {
	c := &checkCost{walks: map[string]bool{}}
	return context.WithValue(ctx, costKey{}, c), c
}

// chargeWalk adds a walk's time to the check running under ctx, once per walk.
func chargeWalk(ctx context.Context, path string, d time.Duration) {
	c, _ := ctx.Value(costKey{}).(*checkCost)
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.walks[path] {
		c.walks[path] = true
		c.total += d
	}
}

func (c *checkCost) get() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}

// walkWeight is the expected relative size of a top-level collection in a
// district (enrollments outnumber users, users outnumber classes, ...):
// the scheduler starts the checks that wait on the largest walks first.
var walkWeight = map[string]int{
	"/enrollments": 100, "/results": 80, "/users": 50, "/students": 45, "/demographics": 45,
	"/classes": 20, "/lineItems": 20, "/teachers": 8, "/courses": 6,
}

// expectedCost ranks a check by the work it is expected to wait for:
// integrity checks read every collection; a top-level endpoint's checks
// wait for its full walk; relationship endpoints walk a few parents.
func expectedCost(c Check) int {
	if c.Area == "integrity" {
		return 1000
	}
	if w, ok := walkWeight[c.Endpoint]; ok {
		return w
	}
	if strings.Count(c.Endpoint, "{") > 0 {
		return 2
	}
	return 1
}
