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
	Examples   []GroupExample // a few violations, at most maxGroupExamples, distinct kinds first
	// Kinds is how many distinct kinds (field × message) the kept
	// violations of the group show; Examples covers each before repeating one.
	Kinds int
	// Tier is the group's impact for the run: 1 a blocker (no token, an
	// endpoint not served, a walk that cannot finish), 2 a rule whose
	// records a consumer would drop or reject, 3 the rest.
	Tier int
	// Records is how many distinct records the group's kept violations name.
	Records int
	// Repro is a POSIX sh script that reproduces the group: the token
	// request as the run sent it, then the offending request.
	Repro string

	candidates []GroupExample
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
// first, then by impact (Tier: blockers, then rules that cost records, then
// the rest), then by the records and violations they cover. Checks that passed, were not supported or not
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
				g.candidates = append(g.candidates, GroupExample{c.ID, v})
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
				if v.Rule == rc.Rule || (v.Rule == "" && len(c.Rules) == 1) {
					g.candidates = append(g.candidates, GroupExample{c.ID, v})
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
		g.Examples, g.Kinds = pickExamples(g.candidates, maxGroupExamples)
		g.Records = distinctRecords(g.candidates)
		g.Tier = impactTier(g)
		g.candidates = nil
		out = append(out, *g)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if a, b := severity(out[i].Outcome), severity(out[j].Outcome); a != b {
			return a > b
		}
		if out[i].Tier != out[j].Tier {
			return out[i].Tier < out[j].Tier
		}
		if out[i].Records != out[j].Records {
			return out[i].Records > out[j].Records
		}
		if out[i].Violations != out[j].Violations {
			return out[i].Violations > out[j].Violations
		}
		return len(out[i].Checks) > len(out[j].Checks)
	})
	return out
}

// GroupsWithRepro is GroupFailures with each group's Repro script filled in.
func GroupsWithRepro(run *Run) []FailureGroup {
	gs := GroupFailures(run)
	for i := range gs {
		gs[i].Repro = GroupRepro(run, &gs[i])
	}
	return gs
}

// GroupResult is a failure group as results.json records it.
type GroupResult struct {
	Name       string   `json:"name"` // the rule ID, or the check ID of a group without a rule
	Rule       string   `json:"rule,omitempty"`
	Title      string   `json:"title,omitempty"`
	Outcome    Outcome  `json:"outcome"`
	Tier       int      `json:"tier"` // 1 blocker, 2 costs records, 3 the rest
	FailIn     []string `json:"failIn,omitempty"`
	AdviseIn   []string `json:"adviseIn,omitempty"`
	Violations int      `json:"violations"`
	Records    int      `json:"records,omitempty"`
	Kinds      int      `json:"kinds,omitempty"`
	Fix        string   `json:"fix,omitempty"`
	Checks     []string `json:"checks"`
	// Repro is a POSIX sh script: the token request as the run sent it,
	// then the offending request. The secret comes from
	// $ROSTERCHECK_CLIENT_SECRET.
	Repro string `json:"repro,omitempty"`
}

// groupResults lists the run's groups for results.json.
func groupResults(run *Run) []GroupResult {
	var out []GroupResult
	for _, g := range GroupsWithRepro(run) {
		gr := GroupResult{Name: g.Name(), Rule: g.Rule, Title: g.Title, Outcome: g.Outcome, Tier: g.Tier, FailIn: g.FailIn, AdviseIn: g.AdviseIn,
			Violations: g.Violations, Records: g.Records, Kinds: g.Kinds, Fix: g.Hint, Repro: g.Repro, Checks: []string{}}
		for _, c := range g.Checks {
			gr.Checks = append(gr.Checks, c.ID)
		}
		out = append(out, gr)
	}
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

// blockerRules are the rules that stop a consumer before it reads a
// record: it cannot get a token, an endpoint is not served, a walk cannot
// finish or its pages cannot be read.
var blockerRules = map[string]bool{
	"auth.token.refused":  true,
	"endpoint.not-served": true,
	"envelope.invalid":    true,
	"paging.runaway":      true,
	"link.loop":           true,
}

// impactTier ranks a group: 1 blocker, 2 a failing rule whose violations
// name records (a consumer drops or rejects them), 3 the rest.
func impactTier(g *FailureGroup) int {
	switch {
	case blockerRules[g.Rule]:
		return 1
	case g.Outcome == Fail && g.Records > 0:
		return 2
	}
	return 3
}

// distinctRecords counts the record ids the violations name.
func distinctRecords(vs []GroupExample) int {
	seen := map[string]bool{}
	for _, v := range vs {
		if v.RecordID != "" {
			seen[v.RecordID] = true
		}
	}
	return len(seen)
}

// exampleKind is a violation's kind: the field it is about (its pointer
// with array indexes dropped) and its message with the record's own values
// (quoted text and numbers) dropped.
func exampleKind(v GroupExample) string {
	var p []string
	for _, seg := range strings.Split(v.Pointer, "/") {
		if seg != "" && strings.Trim(seg, "0123456789") == "" {
			seg = "#"
		}
		p = append(p, seg)
	}
	return strings.Join(p, "/") + "\x00" + messageShape(v.Message)
}

// messageShape drops quoted strings and digit runs from a message.
func messageShape(m string) string {
	var b strings.Builder
	var quote rune
	lastDigit := false
	for _, r := range m {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
				b.WriteString("…")
			}
			continue
		case r == '"' || r == '\'':
			quote = r
			continue
		case r >= '0' && r <= '9':
			if !lastDigit {
				b.WriteByte('N')
			}
			lastDigit = true
			continue
		}
		lastDigit = false
		b.WriteRune(r)
	}
	return b.String()
}

// pickExamples keeps at most n examples: the first of each distinct kind,
// in order, then more of the kinds already shown. It returns the examples
// and the number of kinds among all candidates.
func pickExamples(cands []GroupExample, n int) ([]GroupExample, int) {
	seen := map[string]bool{}
	var first, rest []GroupExample
	for _, c := range cands {
		k := exampleKind(c)
		if seen[k] {
			rest = append(rest, c)
			continue
		}
		seen[k] = true
		first = append(first, c)
	}
	out := append(first, rest...)
	if len(out) > n {
		out = out[:n]
	}
	return slices.Clip(out), len(seen)
}

// TopCauses returns at most n groups that fail profile, in impact order
// (GroupFailures' order: blockers, then rules that cost records, then the
// rest).
func TopCauses(groups []FailureGroup, profile string, n int) []FailureGroup {
	var out []FailureGroup
	for _, g := range groups {
		if len(out) == n {
			break
		}
		if slices.Contains(g.FailIn, profile) {
			out = append(out, g)
		}
	}
	return out
}

// CauseLine is a group in one line: "auth.token.refused (the token
// endpoint refuses the client)".
func (g *FailureGroup) CauseLine() string {
	if g.Title == "" {
		return g.Name()
	}
	return g.Name() + " (" + oneLine(g.Title) + ")"
}

// TierName says what a tier means, for the reports.
func TierName(tier int) string {
	switch tier {
	case 1:
		return "blocker"
	case 2:
		return "records rejected"
	}
	return "other"
}

// maxTopCauses is how many causes "Fix these first" lists per profile.
const maxTopCauses = 3

// ProfileCauses is one profile's verdict and its top causes.
type ProfileCauses struct {
	Profile, Title, Verdict, Reason string
	Causes                          []FailureGroup
}

// FixFirst is "Fix these first": per profile of the run, its verdict and
// its top causes by impact.
func FixFirst(run *Run, groups []FailureGroup) []ProfileCauses {
	var out []ProfileCauses
	for _, p := range run.Profiles {
		out = append(out, ProfileCauses{Profile: p.Name, Title: p.Title, Verdict: p.Verdict, Reason: p.Reason, Causes: TopCauses(groups, p.Name, maxTopCauses)})
	}
	return out
}
