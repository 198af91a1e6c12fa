package runner

import (
	"net/url"
	"strings"

	"github.com/rostercheck/rostercheck/internal/client"
	"github.com/rostercheck/rostercheck/reports"
	"github.com/rostercheck/rostercheck/suites/catalogue"
)

// latencyOf maps every request of the run to its endpoint template and
// summarises the latencies.
func latencyOf(base string, ts []client.Timing) *reports.Latency {
	bu, err := url.Parse(base)
	if err != nil {
		return nil
	}
	root := strings.TrimRight(bu.Path, "/")
	var templates []string
	for _, ep := range catalogue.Endpoints {
		templates = append(templates, ep.Path)
		if ep.TopLevel() {
			templates = append(templates, ep.SinglePath())
		}
	}
	samples := make([]reports.LatencySample, 0, len(ts))
	for _, t := range ts {
		s := reports.LatencySample{ID: t.ID, Method: t.Method, URL: t.URL, Status: t.Status, Duration: t.Duration}
		if u, err := url.Parse(t.URL); err == nil && u.Host == bu.Host {
			if p, ok := strings.CutPrefix(u.Path, root); ok {
				s.Endpoint = matchTemplate(p, templates)
			}
		}
		samples = append(samples, s)
	}
	return reports.BuildLatency(samples)
}

// matchTemplate returns the catalogue template a path fills ("/users/u1"
// -> "/users/{id}"), or "".
func matchTemplate(path string, templates []string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for _, tpl := range templates {
		ts := strings.Split(strings.Trim(tpl, "/"), "/")
		if len(ts) != len(segs) {
			continue
		}
		ok := true
		for i := range ts {
			if !strings.HasPrefix(ts[i], "{") && !strings.EqualFold(ts[i], segs[i]) {
				ok = false
				break
			}
		}
		if ok {
			return tpl
		}
	}
	return ""
}
