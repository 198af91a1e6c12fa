package suites

import (
	"sync"
	"sync/atomic"
)

// Progress is a snapshot of a run's work so far, for the console.
type Progress struct {
	Pages   int64 // collection pages read by the shared walks
	Records int64 // records on those pages
	Checks  int64 // checks finished
	// Endpoint is the endpoint whose walk read a page last, with its
	// pages and records so far.
	Endpoint                       string
	EndpointPages, EndpointRecords int64
	// Endpoints is every walked endpoint's pages and records so far.
	Endpoints []EndpointProgress
}

// EndpointProgress is one endpoint's walk progress.
type EndpointProgress struct {
	Endpoint       string
	Pages, Records int64
}

type progressCounters struct {
	pages, records, checks atomic.Int64
	mu                     sync.Mutex
	per                    map[string]*EndpointProgress
	order                  []string
	last                   string
}

func (p *progressCounters) page(endpoint string, records int) {
	p.pages.Add(1)
	p.records.Add(int64(max(records, 0)))
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.per == nil {
		p.per = map[string]*EndpointProgress{}
	}
	ep := p.per[endpoint]
	if ep == nil {
		ep = &EndpointProgress{Endpoint: endpoint}
		p.per[endpoint] = ep
		p.order = append(p.order, endpoint)
	}
	ep.Pages++
	ep.Records += int64(max(records, 0))
	p.last = endpoint
}

// Progress returns the run's counters so far; safe to call at any time.
func (e *Env) Progress() Progress {
	p := &e.progress
	out := Progress{Pages: p.pages.Load(), Records: p.records.Load(), Checks: p.checks.Load()}
	p.mu.Lock()
	defer p.mu.Unlock()
	if ep := p.per[p.last]; ep != nil {
		out.Endpoint, out.EndpointPages, out.EndpointRecords = ep.Endpoint, ep.Pages, ep.Records
	}
	for _, name := range p.order {
		out.Endpoints = append(out.Endpoints, *p.per[name])
	}
	return out
}
