package client

import (
	"sync"
	"time"
)

// Timing is one exchange's latency, kept for every request of a run (the
// reports show latency per endpoint and the slowest requests).
type Timing struct {
	ID       uint64
	Method   string
	URL      string // redacted
	Status   int
	Duration time.Duration
}

type timingLog struct {
	mu  sync.Mutex
	all []Timing
}

func (l *timingLog) add(ex *Exchange) {
	l.mu.Lock()
	l.all = append(l.all, Timing{ID: ex.ID, Method: ex.Method, URL: ex.URL, Status: ex.Status, Duration: ex.Duration})
	l.mu.Unlock()
}

// Timings returns the latency of every request made so far, in completion order.
func (s *Store) Timings() []Timing {
	s.timings.mu.Lock()
	defer s.timings.mu.Unlock()
	return append([]Timing(nil), s.timings.all...)
}
