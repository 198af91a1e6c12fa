package suites

import (
	"fmt"
	"sort"
)

// Rule levels. A profile maps each rule ID to one of them; a rule it does
// not list keeps its spec level.
const (
	Ignore = "ignore"
)

// Rule is one entry of the closed vocabulary of findings. Every violation
// a check records carries a rule ID, so that one walk can be judged by
// every selected profile (a consumer's disagreement with the spec is a
// level in its profile file, never an if in a check) and reports can group
// failures by cause.
type Rule struct {
	ID    string // dotted, lower case: "datetime.no-millis"
	Level string // spec level: MUST, SHOULD or ignore (the spec allows it; some consumer does not)
	Title string // one line: what is wrong
	// Source is the spec section or seed sentence the rule enforces.
	Source string
	// Hint is one line on how to fix it.
	Hint string
}

var rules = map[string]Rule{}

// RegisterRules adds rules to the vocabulary; each file of checks registers
// its own in an init function. A duplicate or malformed rule panics.
func RegisterRules(rs ...Rule) {
	for _, r := range rs {
		if _, dup := rules[r.ID]; dup {
			panic("suites: duplicate rule " + r.ID)
		}
		if r.ID == "" || r.Title == "" || !validLevel(r.Level) {
			panic(fmt.Sprintf("suites: malformed rule %+v", r))
		}
		rules[r.ID] = r
	}
}

func validLevel(l string) bool { return l == MUST || l == SHOULD || l == Ignore }

// LookupRule returns a registered rule.
func LookupRule(id string) (Rule, bool) {
	r, ok := rules[id]
	return r, ok
}

// Rules returns every registered rule, sorted by ID.
func Rules() []Rule {
	out := make([]Rule, 0, len(rules))
	for _, r := range rules {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// families are check families registered by the files that define them
// (auth, query semantics, integrity, writes, ...), beside the generic
// behaviours of generic.go.
var families []func() []Check

// RegisterChecks adds a family of checks to the catalogue.
func RegisterChecks(f func() []Check) { families = append(families, f) }
