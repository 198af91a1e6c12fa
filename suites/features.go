package suites

import (
	"fmt"
	"sort"

	"github.com/rostercheck/rostercheck/suites/catalogue"
)

// Behaviour features: what a check exercises besides its endpoint. A profile
// lists the features it needs as core (decide its verdict) or optional.
const (
	FeatureEnvelope   = "envelope"           // 200, application/json, the right wrapper key
	FeatureSchema     = "schema"             // every record schema-valid
	FeaturePaging     = "paging"             // limit/offset, X-Total-Count, disjoint pages
	FeatureLargeLimit = "paging.large-limit" // limit=5000 served or capped, never an error
	FeatureLinks      = "paging.links"       // RFC 8288 Link first/prev/next/last
	FeaturePastEnd    = "paging.past-end"    // offset past the end: 200 and []
	FeatureSingleton  = "singleton"          // GET /{collection}/{id}
	FeatureUnknownID  = "errors.unknown-id"  // 404 with an imsx body
)

var behaviourFeatures = []string{FeatureEnvelope, FeatureSchema, FeaturePaging, FeatureLargeLimit,
	FeatureLinks, FeaturePastEnd, FeatureSingleton, FeatureUnknownID}

// registry is the frozen set of valid feature names, built once from the
// endpoint catalogue and the behaviour list. Profiles naming anything else
// are rejected before a run starts.
var registry = func() map[string]bool {
	m := map[string]bool{}
	for _, f := range behaviourFeatures {
		m[f] = true
	}
	for _, f := range catalogue.Features() {
		m[f] = true
	}
	return m
}()

// ValidFeature reports whether name is a registered feature.
func ValidFeature(name string) bool { return registry[name] }

// Features returns every registered feature, sorted.
func Features() []string {
	out := make([]string, 0, len(registry))
	for f := range registry {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

func checkFeatures(fs []string) error {
	for _, f := range fs {
		if !registry[f] {
			return fmt.Errorf("unknown feature %q", f)
		}
	}
	return nil
}
