package suites

import (
	"context"
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
