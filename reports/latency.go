package reports

import (
	"sort"
	"time"
)

// Latency is request latency per endpoint and the slowest requests of a run.
type Latency struct {
	Endpoints []EndpointLatency `json:"endpoints"`
	Slowest   []SlowRequest     `json:"slowest"`
}

// EndpointLatency summarises the requests to one endpoint (path template).
type EndpointLatency struct {
	Endpoint string `json:"endpoint"`
	Requests int    `json:"requests"`
	P50Ms    int64  `json:"p50Ms"`
	P95Ms    int64  `json:"p95Ms"`
	MaxMs    int64  `json:"maxMs"`
}

// SlowRequest is one of the slowest requests.
type SlowRequest struct {
	ID         uint64 `json:"id"`
	Method     string `json:"method"`
	URL        string `json:"url"`
	Status     int    `json:"status,omitempty"`
	DurationMs int64  `json:"durationMs"`
}

// LatencySample is one request's latency for BuildLatency.
type LatencySample struct {
	ID       uint64
	Endpoint string // path template, or "" when none matches
	Method   string
	URL      string
	Status   int
	Duration time.Duration
}

// maxSlowest is how many of the slowest requests a run keeps.
const maxSlowest = 10

// BuildLatency computes per-endpoint p50/p95/max (nearest rank) and the
// slowest requests. Endpoints are sorted by p95, slowest first.
func BuildLatency(samples []LatencySample) *Latency {
	if len(samples) == 0 {
		return nil
	}
	by := map[string][]time.Duration{}
	for _, s := range samples {
		ep := s.Endpoint
		if ep == "" {
			ep = "(other)"
		}
		by[ep] = append(by[ep], s.Duration)
	}
	l := &Latency{}
	for ep, ds := range by {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		l.Endpoints = append(l.Endpoints, EndpointLatency{
			Endpoint: ep, Requests: len(ds),
			P50Ms: rank(ds, 50).Milliseconds(), P95Ms: rank(ds, 95).Milliseconds(), MaxMs: ds[len(ds)-1].Milliseconds(),
		})
	}
	sort.Slice(l.Endpoints, func(i, j int) bool {
		a, b := l.Endpoints[i], l.Endpoints[j]
		if a.P95Ms != b.P95Ms {
			return a.P95Ms > b.P95Ms
		}
		return a.Endpoint < b.Endpoint
	})
	sorted := append([]LatencySample(nil), samples...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].Duration != sorted[j].Duration {
			return sorted[i].Duration > sorted[j].Duration
		}
		return sorted[i].ID < sorted[j].ID
	})
	for _, s := range sorted[:min(maxSlowest, len(sorted))] {
		l.Slowest = append(l.Slowest, SlowRequest{ID: s.ID, Method: s.Method, URL: s.URL, Status: s.Status, DurationMs: s.Duration.Milliseconds()})
	}
	return l
}

// rank is the nearest-rank percentile p of sorted durations.
func rank(sorted []time.Duration, p int) time.Duration {
	i := (p*len(sorted)+99)/100 - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
