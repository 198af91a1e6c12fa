package suites

import (
	"bytes"
	"embed"
	"fmt"
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
	Name     string   `yaml:"name"`
	Title    string   `yaml:"title"`
	Spec     string   `yaml:"spec"`
	Source   string   `yaml:"source"`
	Auth     []string `yaml:"auth"`
	Core     []string `yaml:"core"`
	Optional []string `yaml:"optional"`
	Query    Query    `yaml:"query"`
}

// Query holds the consumer's request habits.
type Query struct {
	// LargeLimit is the page size the consumer asks for (SDS 5000, Google 10000).
	LargeLimit int `yaml:"largeLimit"`
}

// authModes is the closed set of auth modes a profile may list: the
// consumer's ways of authenticating, named as --auth names them.
var authModes = map[string]bool{"oauth2": true, "oauth2-password": true, "oauth1": true}

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
	if p.Spec != "oneroster-1.1" {
		return nil, fmt.Errorf("profile %s: spec %q is not supported (oneroster-1.1)", p.Name, p.Spec)
	}
	if err := checkFeatures(p.Core); err != nil {
		return nil, fmt.Errorf("profile %s: core: %v", p.Name, err)
	}
	if err := checkFeatures(p.Optional); err != nil {
		return nil, fmt.Errorf("profile %s: optional: %v", p.Name, err)
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
	if p.Query.LargeLimit == 0 {
		p.Query.LargeLimit = 5000
	}
	if p.Query.LargeLimit < 1 {
		return nil, fmt.Errorf("profile %s: query.largeLimit must be positive", p.Name)
	}
	return &p, nil
}
