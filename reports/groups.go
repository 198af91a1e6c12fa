package reports

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// FailureGroup is one root cause: every violation of one rule across the
// checks that found it, or (Rule "") one check that errored or failed
// without a rule.
type FailureGroup struct {
	Rule       string
	Title      string
	Source     string
	Hint       string
	Outcome    Outcome  // fail when some profile fails on it, else advisory or error
	FailIn     []string // profiles the rule fails (MUST there, or SHOULD under --strict)
	AdviseIn   []string // profiles where it is only advisory
	Violations int      // all violations of the rule, in every check
	Checks     []GroupCheck
	Endpoints  []string
	Examples   []GroupExample // a few violations, at most maxGroupExamples
}

// GroupCheck is one check's share of a group.
type GroupCheck struct {
	ID, Endpoint, Title, Source, Message string
	Outcome                              Outcome
	Count                                int
}

// GroupExample is one violation of a group with the check that found it.
type GroupExample struct {
	CheckID string
	Violation
}

const maxGroupExamples = 8

// GroupFailures groups the run's problems by root cause (rule), most severe
// first, then by violations. Checks that passed, were not supported or not
// run add nothing. A rule every profile ignores forms no group.
func GroupFailures(run *Run) []FailureGroup {
	info := map[string]RuleInfo{}
	for _, r := range run.Rules {
		info[r.ID] = r
	}
	strict := ConfigBool(run.Config, "strict")
	groups := map[string]*FailureGroup{}
	var order []string
	for i := range run.Checks {
		c := &run.Checks[i]
		if c.Outcome != Fail && c.Outcome != Advisory && c.Outcome != Error && knownOutcome(c.Outcome) {
			continue
		}
		if c.Outcome == Error || !knownOutcome(c.Outcome) || len(c.Rules) == 0 {
			key := "check:" + c.ID
			g := &FailureGroup{Title: c.Title, Source: c.Source, Outcome: Worst(c.Outcome), Violations: c.totalViolations()}
			for _, po := range c.Profiles {
				if po.Outcome == Fail || po.Outcome == Error {
					g.FailIn = appendOnce(g.FailIn, po.Profile)
				} else if po.Outcome == Advisory {
					g.AdviseIn = appendOnce(g.AdviseIn, po.Profile)
				}
			}
			g.Checks = []GroupCheck{{ID: c.ID, Endpoint: c.Endpoint, Title: c.Title, Source: c.Source, Message: c.Message, Outcome: c.Outcome, Count: c.totalViolations()}}
			if c.Endpoint != "" {
				g.Endpoints = []string{c.Endpoint}
			}
			for _, v := range c.Violations {
				if len(g.Examples) == maxGroupExamples {
					break
				}
				g.Examples = append(g.Examples, GroupExample{c.ID, v})
			}
			groups[key] = g
			order = append(order, key)
			continue
		}
		for _, rc := range c.Rules {
			ri, known := info[rc.Rule]
			var failIn, adviseIn []string
			for _, po := range c.Profiles {
				if po.Outcome != Fail && po.Outcome != Advisory {
					continue
				}
				level := "MUST"
				if known {
					level = ri.Levels[po.Profile]
				}
				switch {
				case po.Outcome == Fail && (level == "MUST" || (level == "SHOULD" && strict)):
					failIn = append(failIn, po.Profile)
				case level == "MUST" || level == "SHOULD":
					adviseIn = append(adviseIn, po.Profile)
				}
			}
			if len(failIn)+len(adviseIn) == 0 {
				continue // every profile ignores this rule
			}
			g := groups[rc.Rule]
			if g == nil {
				g = &FailureGroup{Rule: rc.Rule, Title: ri.Title, Source: ri.Source, Hint: ri.Hint, Outcome: Advisory}
				groups[rc.Rule] = g
				order = append(order, rc.Rule)
			}
			for _, p := range failIn {
				g.FailIn = appendOnce(g.FailIn, p)
			}
			for _, p := range adviseIn {
				g.AdviseIn = appendOnce(g.AdviseIn, p)
			}
			if len(failIn) > 0 {
				g.Outcome = Fail
			}
			g.Violations += rc.Count
			g.Checks = append(g.Checks, GroupCheck{ID: c.ID, Endpoint: c.Endpoint, Title: c.Title, Source: c.Source, Message: c.Message, Outcome: c.Outcome, Count: rc.Count})
			if c.Endpoint != "" {
				g.Endpoints = appendOnce(g.Endpoints, c.Endpoint)
			}
			for _, v := range c.Violations {
				if len(g.Examples) >= maxGroupExamples {
					break
				}
				if v.Rule == rc.Rule || (v.Rule == "" && len(c.Rules) == 1) {
					g.Examples = append(g.Examples, GroupExample{c.ID, v})
				}
			}
		}
	}
	out := make([]FailureGroup, 0, len(order))
	for _, k := range order {
		g := groups[k]
		// A profile failing on the rule is not also "advised".
		var adv []string
		for _, p := range g.AdviseIn {
			if !slices.Contains(g.FailIn, p) {
				adv = append(adv, p)
			}
		}
		g.AdviseIn = adv
		sort.Strings(g.Endpoints)
		sort.SliceStable(g.Checks, func(i, j int) bool { return g.Checks[i].Count > g.Checks[j].Count })
		out = append(out, *g)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if a, b := severity(out[i].Outcome), severity(out[j].Outcome); a != b {
			return a > b
		}
		if out[i].Violations != out[j].Violations {
			return out[i].Violations > out[j].Violations
		}
		return len(out[i].Checks) > len(out[j].Checks)
	})
	return out
}

// Name is the group's label: the rule ID, or the check ID for a group of one check without a rule.
func (g *FailureGroup) Name() string {
	if g.Rule != "" {
		return g.Rule
	}
	if len(g.Checks) > 0 {
		return g.Checks[0].ID
	}
	return "(unknown)"
}

// Summary is one line: "9,123 violations in 22 checks on /users, /classes and 8 more endpoints".
func (g *FailureGroup) Summary() string {
	var b strings.Builder
	if g.Violations > 0 {
		fmt.Fprintf(&b, "%s violation%s in ", thousands(g.Violations), plural(g.Violations))
	}
	fmt.Fprintf(&b, "%d check%s", len(g.Checks), plural(len(g.Checks)))
	if len(g.Endpoints) > 0 {
		b.WriteString(" on ")
		b.WriteString(listSome(g.Endpoints, 3, "endpoint"))
	}
	return b.String()
}

func listSome(items []string, n int, noun string) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more %ss", strings.Join(items[:n], ", "), len(items)-n, noun)
}

func appendOnce(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// thousands writes n with comma separators.
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 || len(s) <= 3 {
		return s
	}
	var b strings.Builder
	pre := len(s) % 3
	if pre > 0 {
		b.WriteString(s[:pre])
	}
	for i := pre; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// Thousands formats n with comma separators (for the console).
func Thousands(n int) string { return thousands(n) }
