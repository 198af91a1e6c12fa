package suites

import (
	"fmt"
	"sort"
	"sync"

	"github.com/rostercheck/rostercheck/suites/catalogue"
)

// Behaviour features: what a check exercises besides its operation. A
// profile lists the operations and behaviours it needs as required (decide
// its verdict) or optional.
const (
	FeatureEnvelope   = "envelope"           // 200, application/json, the right wrapper key
	FeatureSchema     = "schema"             // every record schema-valid
	FeatureData       = "data"               // every record meets the profile's data rules
	FeaturePaging     = "paging"             // limit/offset, X-Total-Count, disjoint pages
	FeatureLargeLimit = "paging.large-limit" // limit=5000 served or capped, never an error
	FeatureLinks      = "paging.links"       // RFC 8288 Link first/prev/next/last
	FeaturePastEnd    = "paging.past-end"    // offset past the end: 200 and []
	FeatureSingleton  = "singleton"          // GET /{collection}/{id}
	FeatureUnknownID  = "errors.unknown-id"  // 404 for an unknown id
	// FeatureUnknownParent: a relationship endpoint under an unknown parent.
	FeatureUnknownParent = "errors.unknown-parent"
)

var behaviourFeatures = []string{FeatureEnvelope, FeatureSchema, FeatureData, FeaturePaging, FeatureLargeLimit,
	FeatureLinks, FeaturePastEnd, FeatureSingleton, FeatureUnknownID, FeatureUnknownParent}

var extraFeatures []string

// RegisterFeatures adds feature names (behaviour families or operations
// such as "PUT /lineItems/{id}") that checks registered with RegisterChecks
// declare. Call it from an init function.
func RegisterFeatures(fs ...string) { extraFeatures = append(extraFeatures, fs...) }

var (
	registryOnce sync.Once
	registry     map[string]bool
)

// reg is the frozen set of valid feature names: behaviours, every
// operation of the endpoint catalogue (collection "/users" and singleton
// "/users/{id}") and the registered extras. Profiles naming anything else
// are rejected before a run starts.
func reg() map[string]bool {
	registryOnce.Do(func() {
		registry = map[string]bool{}
		for _, f := range behaviourFeatures {
			registry[f] = true
		}
		for _, ep := range catalogue.All() {
			registry[ep.Path] = true
			if ep.SingleKey != "" {
				registry[ep.SinglePath()] = true
			}
		}
		for _, f := range extraFeatures {
			registry[f] = true
		}
	})
	return registry
}

// ValidFeature reports whether name is a registered feature.
func ValidFeature(name string) bool { return reg()[name] }

// Features returns every registered feature, sorted.
func Features() []string {
	out := make([]string, 0, len(reg()))
	for f := range reg() {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

func checkFeatures(fs []string) error {
	for _, f := range fs {
		if !reg()[f] {
			return fmt.Errorf("unknown feature %q", f)
		}
	}
	return nil
}
