package runner

import (
	"fmt"
	"io"
	"strconv"

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
		fmt.Fprintf(w, "NOTE     %d requests were tried again after a reset or refused connection (a provider restart?)\n", s.ResetRetries)
	}
}
