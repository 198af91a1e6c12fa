package client

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// A freed slot goes to the waiter of the highest priority, the earliest
// among equals; a waiter whose context ends takes no slot.
func TestGateServesHighestPriorityFirst(t *testing.T) {
	g := NewGate(1)
	if err := g.Acquire(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	queued := func(n int) {
		for {
			g.mu.Lock()
			m := len(g.waiters)
			g.mu.Unlock()
			if m == n {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	for i, w := range []struct {
		name string
		prio int
	}{{"probe1", 0}, {"probe2", 0}, {"page-short", 1}, {"page-long", 5}, {"page-short2", 1}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := g.Acquire(context.Background(), w.prio); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			order = append(order, w.name)
			mu.Unlock()
			g.Release()
		}()
		queued(i + 1) // each queued before the next comes
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancelled := make(chan error)
	go func() { cancelled <- g.Acquire(ctx, 9) }()
	queued(6)
	cancel()
	if err := <-cancelled; err == nil {
		t.Fatal("a cancelled waiter got a slot")
	}
	g.Release()
	wg.Wait()
	if want := []string{"page-long", "page-short", "page-short2", "probe1", "probe2"}; !slices.Equal(order, want) {
		t.Fatalf("order %v, want %v", order, want)
	}
	if g.free != 1 || len(g.waiters) != 0 {
		t.Fatalf("after all: %d free, %d waiting; want 1 free, none waiting", g.free, len(g.waiters))
	}
}
