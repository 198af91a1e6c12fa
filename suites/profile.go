package suites

import (
	"bytes"
	"embed"
	"fmt"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed profiles/*.yaml
var profileFS embed.FS

// Profile is one consumer's (or the spec's) slice of OneRoster, as data.
type Profile struct {
	Name string `yaml:"name"`
	// Alias is a short name --option accepts for the profile (google).
	Alias  string `yaml:"alias"`
	Title  string `yaml:"title"`
	Spec   string `yaml:"spec"`
	Source string `yaml:"source"`
	// Services the consumer needs (rostering, gradebook, resources).
	Services []string `yaml:"services"`
	Auth     []string `yaml:"auth"`
	// Endpoints are operations ("/users", "/students/{id}") the consumer
	// calls; Checks are the behaviour families it relies on ("paging",
	// "filter.delta", ...). Required ones decide the verdict; optional ones
	// are optional to implement, but count in full where the provider
	// serves them.
	Endpoints Tiered `yaml:"endpoints"`
	Checks    Tiered `yaml:"checks"`
	Query     Query  `yaml:"query"`
	// Rules maps rule IDs to MUST, SHOULD or ignore; an unlisted rule keeps
	// its spec level.
	Rules map[string]string `yaml:"rules"`
	// Options are consumer settings a run may switch on (asm: federated),
	// each raising rule levels while on.
	Options map[string]Option `yaml:"options"`
	// Integrity holds the consumer's integrity settings (integrity.go).
	Integrity Integrity `yaml:"integrity"`
	// Preview are the consumer's import rules: what it would import and
	// what it would drop, and why (integrity_preview.go).
	Preview *PreviewConfig `yaml:"preview"`

	// Core and Optional are the union of both Tiered lists.
	Core, Optional []string `yaml:"-"`
}

// Option is a consumer setting: while On, its Rules override the profile's.
// An option that Takes a value (google-classroom's teacher-email) is set
// with PROFILE.OPTION=VALUE and hands the value to the checks (Env.Values).
type Option struct {
	About string            `yaml:"about"`
	On    bool              `yaml:"default"`
	Rules map[string]string `yaml:"rules"`
	// Takes names the kind of value the option takes ("e-mail"); "" for
	// an on/off option.
	Takes string `yaml:"takes"`
	// Value is the value set for the run.
	Value string `yaml:"-"`
}

// SetOptionValue sets the value of an option that takes one.
func (p *Profile) SetOptionValue(name, value string) error {
	o, ok := p.Options[name]
	if !ok {
		return fmt.Errorf("profile %s has no option %q", p.Name, name)
	}
	if o.Takes == "" {
		return fmt.Errorf("option %s.%s is on or off, it takes no value", p.Name, name)
	}
	o.On, o.Value = value != "", value
	p.Options[name] = o
	return nil
}

// Named reports whether the profile goes by name: its own, or its Alias
// (--option google.teacher-email addresses google-classroom).
func (p *Profile) Named(name string) bool {
	return name == p.Name || (p.Alias != "" && name == p.Alias)
}

// SetOption switches a profile option on or off.
func (p *Profile) SetOption(name string, on bool) error {
	o, ok := p.Options[name]
	if !ok {
		return fmt.Errorf("profile %s has no option %q", p.Name, name)
	}
	o.On = on
	p.Options[name] = o
	return nil
}

// Tiered lists required and optional features.
type Tiered struct {
	Required []string `yaml:"required"`
	Optional []string `yaml:"optional"`
}

// Query holds the consumer's request habits.
type Query struct {
	// LargeLimit is the page size the consumer asks for (SDS 5000, Google 10000).
	LargeLimit int `yaml:"largeLimit"`
}

// Services of OneRoster 1.1.
var Services = []string{"rostering", "gradebook", "resources"}

// LevelOf returns the level the profile gives a rule: its own mapping, or
// the rule's spec level.
func (p *Profile) LevelOf(rule string) string {
	for _, name := range slices.Sorted(maps.Keys(p.Options)) {
		if o := p.Options[name]; o.On {
			if l, ok := o.Rules[rule]; ok {
				return l
			}
		}
	}
	if l, ok := p.Rules[rule]; ok {
		return l
	}
	return rules[rule].Level
}

// Judge is the profile's outcome for a check result at a tier: a check
// with violations fails when one of their rules is MUST for the profile,
// is advisory when they are SHOULD (fail under strict), and passes when
// the profile ignores them all. An optional operation the provider does
// not serve at all is not-supported.
func (p *Profile) Judge(res *Result, tier Tier, strict bool) string {
	if res.Outcome != OutcomeFail {
		return res.Outcome
	}
	if tier == TierOptional && res.RuleCounts[RuleNotServed] > 0 {
		return OutcomeNotSupported
	}
	must, should := false, false
	for rule, n := range res.RuleCounts {
		if n == 0 {
			continue
		}
		switch p.LevelOf(rule) {
		case MUST:
			must = true
		case SHOULD:
			should = true
		}
	}
	switch {
	case must || (should && strict):
		return OutcomeFail
	case should:
		return OutcomeAdvisory
	}
	return OutcomePass
}

// authModes is the closed set of auth modes a profile may list: the
// consumer's ways of authenticating, named as --auth names them.
var authModes = map[string]bool{"oauth2": true, "oauth2-password": true, "oauth1": true}

// knownOptions is the closed set of profile options.
var knownOptions = map[string]bool{"federated": true, OptionTeacherEmail: true}

// OptionTeacherEmail is google-classroom's teacher e-mail: the teacher
// Classroom's notebook looks up with filter=email='…'.
const OptionTeacherEmail = "teacher-email"

// Tier tells how a check counts for a profile.
type Tier int

// Tiers: a check is out of a profile, optional in it, or core.
const (
	TierNone Tier = iota
	TierOptional
	TierCore
)

// TierOf says whether every feature of a check is core to the profile
// (core), covered by core+optional with at least one optional (optional),
// or not covered (none).
func (p *Profile) TierOf(features []string) Tier {
	tier := TierCore
	for _, f := range features {
		switch {
		case slices.Contains(p.Core, f):
		case slices.Contains(p.Optional, f):
			tier = TierOptional
		default:
			return TierNone
		}
	}
	return tier
}

// ProfileNames lists the embedded profiles, sorted.
func ProfileNames() []string {
	ents, _ := profileFS.ReadDir("profiles")
	var out []string
	for _, e := range ents {
		out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(out)
	return out
}

// LoadProfile reads and validates an embedded profile by name.
func LoadProfile(name string) (*Profile, error) {
	b, err := profileFS.ReadFile(path.Join("profiles", name+".yaml"))
	if err != nil {
		return nil, fmt.Errorf("unknown profile %q (known: %s)", name, strings.Join(ProfileNames(), ", "))
	}
	return ParseProfile(b)
}

// ParseProfile decodes and validates profile YAML. Unknown keys, features,
// auth modes and overrides are errors.
func ParseProfile(b []byte) (*Profile, error) {
	var p Profile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("profile: %v", err)
	}
	if p.Name == "" {
		return nil, fmt.Errorf("profile: name is missing")
	}
	if !slices.Contains(Specs, p.Spec) {
		return nil, fmt.Errorf("profile %s: spec %q is not supported (%s)", p.Name, p.Spec, strings.Join(Specs, ", "))
	}
	p.Core = append(append([]string(nil), p.Endpoints.Required...), p.Checks.Required...)
	p.Optional = append(append([]string(nil), p.Endpoints.Optional...), p.Checks.Optional...)
	if err := checkFeatures(p.Core); err != nil {
		return nil, fmt.Errorf("profile %s: required: %v", p.Name, err)
	}
	if err := checkFeatures(p.Optional); err != nil {
		return nil, fmt.Errorf("profile %s: optional: %v", p.Name, err)
	}
	for _, s := range p.Services {
		if !slices.Contains(Services, s) {
			return nil, fmt.Errorf("profile %s: unknown service %q (known: %s)", p.Name, s, strings.Join(Services, ", "))
		}
	}
	if len(p.Services) == 0 {
		return nil, fmt.Errorf("profile %s: services is missing", p.Name)
	}
	for id, level := range p.Rules {
		if _, ok := rules[id]; !ok {
			return nil, fmt.Errorf("profile %s: unknown rule %q", p.Name, id)
		}
		if !validLevel(level) {
			return nil, fmt.Errorf("profile %s: rule %s: level %q, want MUST, SHOULD or ignore", p.Name, id, level)
		}
	}
	for name, o := range p.Options {
		if !knownOptions[name] {
			return nil, fmt.Errorf("profile %s: unknown option %q", p.Name, name)
		}
		for id, level := range o.Rules {
			if _, ok := rules[id]; !ok || !validLevel(level) {
				return nil, fmt.Errorf("profile %s: option %s: bad rule %s: %s", p.Name, name, id, level)
			}
		}
	}
	for _, f := range p.Optional {
		if slices.Contains(p.Core, f) {
			return nil, fmt.Errorf("profile %s: feature %q is both core and optional", p.Name, f)
		}
	}
	for _, a := range p.Auth {
		if !authModes[a] {
			return nil, fmt.Errorf("profile %s: unknown auth mode %q", p.Name, a)
		}
	}
	if err := p.checkIntegrity(); err != nil {
		return nil, err
	}
	if p.Query.LargeLimit == 0 {
		p.Query.LargeLimit = 5000
	}
	if p.Query.LargeLimit < 1 {
		return nil, fmt.Errorf("profile %s: query.largeLimit must be positive", p.Name)
	}
	return &p, nil
}

// Integrity is a profile's integrity settings.
type Integrity struct {
	// Parents is "all" when the consumer reads a relationship endpoint for
	// every parent (SDS classic: getStudentsForSchool for each school), so
	// that integrity compares every parent of the profile's relationship
	// operations; "" or "sample" compares the sampled parents.
	Parents string `yaml:"parents"`
}

// AllParents reports whether the profile asks for every parent.
func (p *Profile) AllParents() bool { return p.Integrity.Parents == "all" }

func (p *Profile) checkIntegrity() error {
	switch p.Integrity.Parents {
	case "", "sample", "all":
	default:
		return fmt.Errorf("profile %s: integrity.parents %q, want all or sample", p.Name, p.Integrity.Parents)
	}
	return p.checkPreview()
}
