package reports

import (
	"fmt"
	"os"
	"sort"
)

// Diff compares a run with an earlier one (--baseline): per profile, the
// checks that fail now and did not (New), failed and now pass or are only
// advisory or not supported (Fixed), and fail in both (Unchanged).
type Diff struct {
	// Baseline names the earlier run: its start time and target.
	Baseline  string      `json:"baseline"`
	New       []DiffEntry `json:"new"`
	Fixed     []DiffEntry `json:"fixed"`
	Unchanged []DiffEntry `json:"unchanged"`
}

// DiffEntry is one check in one profile, with its violations per rule in
// this run (Rules) and in the baseline (BaselineRules).
type DiffEntry struct {
	Check         string      `json:"check"`
	Profile       string      `json:"profile"`
	Rules         []RuleCount `json:"rules,omitempty"`
	BaselineRules []RuleCount `json:"baselineRules,omitempty"`
}

// ReadBaseline reads an earlier results.json for --baseline.
func ReadBaseline(path string) (*Run, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--baseline: %w", err)
	}
	defer f.Close()
	run, err := ReadJSON(f)
	if err != nil {
		return nil, fmt.Errorf("--baseline %s: %w", path, err)
	}
	return run, nil
}

// Compare computes the diff of run against base. A check fails in a
// profile when that profile judges it fail; a check the run did not judge
// (not run, errored, not selected) is neither fixed nor new.
func Compare(base, run *Run) *Diff {
	type key struct{ check, profile string }
	type state struct {
		outcome Outcome
		rules   []RuleCount
	}
	index := func(r *Run) map[key]state {
		m := map[key]state{}
		for _, c := range r.Checks {
			for _, po := range c.Profiles {
				m[key{c.ID, po.Profile}] = state{po.Outcome, c.Rules}
			}
		}
		return m
	}
	was, now := index(base), index(run)
	d := &Diff{New: []DiffEntry{}, Fixed: []DiffEntry{}, Unchanged: []DiffEntry{}}
	if !base.Started.IsZero() {
		d.Baseline = base.Started.UTC().Format("2006-01-02T15:04:05Z") + " "
	}
	d.Baseline += base.Target.BaseURL
	for k, n := range now {
		w, seen := was[k]
		switch {
		case n.outcome == Fail && (!seen || w.outcome != Fail):
			d.New = append(d.New, DiffEntry{Check: k.check, Profile: k.profile, Rules: n.rules})
		case n.outcome == Fail:
			d.Unchanged = append(d.Unchanged, DiffEntry{Check: k.check, Profile: k.profile, Rules: n.rules, BaselineRules: w.rules})
		}
	}
	for k, w := range was {
		if w.outcome != Fail {
			continue
		}
		if n, ok := now[k]; ok && (n.outcome == Pass || n.outcome == Advisory || n.outcome == NotSupported) {
			d.Fixed = append(d.Fixed, DiffEntry{Check: k.check, Profile: k.profile, BaselineRules: w.rules})
		}
	}
	for _, l := range [][]DiffEntry{d.New, d.Fixed, d.Unchanged} {
		sort.Slice(l, func(i, j int) bool {
			if l[i].Profile != l[j].Profile {
				return l[i].Profile < l[j].Profile
			}
			return l[i].Check < l[j].Check
		})
	}
	return d
}

// RuleCounts formats rule counts as "schema.invalid ×12, datetime.invalid ×1".
func RuleCounts(rs []RuleCount) string {
	s := ""
	for i, r := range rs {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s ×%s", r.Rule, thousands(r.Count))
	}
	return s
}
