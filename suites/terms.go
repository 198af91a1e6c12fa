package suites

import (
	"context"

	"time"

	"github.com/rostercheck/rostercheck/suites/catalogue"
)

// A consumer that imports classes needs a term that is running or about to
// run: Apple School Manager imports the classes of terms whose dates
// include today or the next 30 days.
const (
	FeatureTermCurrent = "terms.current"
	ruleNoCurrentTerm  = "term.none-current"
	termLookahead      = 30 * 24 * time.Hour
)

func init() {
	RegisterFeatures(FeatureTermCurrent)
	RegisterRules(Rule{ruleNoCurrentTerm, Ignore, "no term's dates include today or the next 30 days",
		"Apple School Manager SIS import: classes come from terms whose dates include today or the next 30 days",
		"publish the current (or next) term with its startDate and endDate"})
	RegisterChecks(func() []Check {
		ep, _ := catalogue.Lookup("/academicSessions")
		return []Check{{
			ID:       "rostering.academicsessions.term-current",
			Title:    "GET /academicSessions holds a term whose dates include today or the next 30 days [MUST]",
			Area:     "rostering",
			Endpoint: ep.Path,
			Level:    MUST,
			Features: []string{ep.Path, FeatureTermCurrent},
			Rule:     ruleNoCurrentTerm,
			Service:  "rostering",
			Source:   rules[ruleNoCurrentTerm].Source,
			Run: func(ctx context.Context, e *Env, r *Recorder) {
				checkTermCurrent(ctx, e, ep, r)
			},
		}}
	})
}

func checkTermCurrent(ctx context.Context, e *Env, ep catalogue.Endpoint, r *Recorder) {
	ws := walksOrFail(ctx, e, ep, r, true)
	if len(ws) == 0 {
		return
	}
	w := ws[0]
	today := e.Today
	if today.IsZero() {
		today = time.Now()
	}
	day := today.UTC().Truncate(24 * time.Hour)
	if len(w.Terms) == 0 {
		r.Addf(w.Pages[0].Ex, "GET %s holds no academicSession of type term", w.Path)
		return
	}
	var first, last string
	for _, t := range w.Terms {
		s, err1 := time.Parse(time.DateOnly, t.Start)
		end, err2 := time.Parse(time.DateOnly, t.End)
		if err1 != nil || err2 != nil {
			continue // the schema check reports bad dates
		}
		if !s.After(day.Add(termLookahead)) && !end.Before(day) {
			return
		}
		if first == "" || t.Start < first {
			first = t.Start
		}
		if t.End > last {
			last = t.End
		}
	}
	r.Addf(w.Pages[0].Ex, "none of the %d terms includes %s or the 30 days after it (terms run from %s to %s)", len(w.Terms), day.Format(time.DateOnly), first, last)
}
