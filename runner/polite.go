package runner

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/rostercheck/rostercheck/internal/client"
	"github.com/rostercheck/rostercheck/reports"
)

// rate parses a non-negative number of requests per second.
func rate(p func(*Config) *float64) func(*Config, string) error {
	return func(c *Config, v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 1e6 {
			return fmt.Errorf("want a number of requests per second such as 10 or 0.5 (0: no limit), got %q", v)
		}
		*p(c) = f
		return nil
	}
}

// addThrottling records what the provider's throttling and resets cost
// the run: findings about the provider, never check failures.
func addThrottling(s *reports.Stats, th client.Throttling) {
	s.Throttled = th.Throttled
	s.ThrottleWaitSeconds = th.Waited.Seconds()
	s.ThrottleGaveUp = th.GaveUp
	s.ResetRetries = th.ResetRetries
	s.ConnectionsDropped = th.Dropped
	s.Duplicates = th.Duplicates
	s.SharedGETs = th.Shared
}

// addTokenThrottling adds what throttling cost the token checks' own
// store: the provider throttled those requests too.
func addTokenThrottling(s *reports.Stats, th client.Throttling) {
	s.Throttled += th.Throttled
	s.ThrottleWaitSeconds += th.Waited.Seconds()
	s.ThrottleGaveUp += th.GaveUp
}

// meanInFlight is the average number of requests in flight over the run:
// the sum of the exchanges' durations over the wall time.
func meanInFlight(busy, wall time.Duration) float64 {
	if wall <= 0 {
		return 0
	}
	return math.Round(100*busy.Seconds()/wall.Seconds()) / 100
}

// printThrottling prints the throttling findings, if any.
func printThrottling(w io.Writer, s reports.Stats) {
	if s.Throttled > 0 || s.ThrottleGaveUp > 0 {
		fmt.Fprintf(w, "NOTE     the provider throttled %d requests (429, or 503 with Retry-After): waited %.1f s in all", s.Throttled, s.ThrottleWaitSeconds)
		if s.ThrottleGaveUp > 0 {
			fmt.Fprintf(w, "; %d throttled answers kept because the run's deadline was near", s.ThrottleGaveUp)
		}
		fmt.Fprintln(w)
	}
	if s.ResetRetries > 0 {
		fmt.Fprintf(w, "NOTE     %d requests were tried again once after a reset or refused connection\n", s.ResetRetries)
	}
	if s.ConnectionsDropped > 0 {
		fmt.Fprintf(w, "NOTE     the provider closed the connection without an answer on %d requests (rule transport.connection-dropped)\n", s.ConnectionsDropped)
	}
	if s.Duplicates > 0 {
		fmt.Fprintf(w, "NOTE     %d GETs were sent more than once in this run\n", s.Duplicates)
	}
}
