package suites

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"

	"github.com/rostercheck/rostercheck/suites/catalogue"
)

// OneRoster 1.2 service discovery: a provider may publish its localized
// OpenAPI document under {service base}/discovery/. The files define no
// discovery operation and two file names are published, so the check
// probes both, is not supported when neither is served, and judges a
// served document at SHOULD: valid OpenAPI 3 JSON whose paths list every
// collection read the provider serves.

// FeatureV1p2Discovery is the feature of the discovery checks.
const FeatureV1p2Discovery = "v1p2.discovery"

const (
	ruleV1p2Discovery = "v1p2.discovery.invalid"
	specV1p2Discovery = "OneRoster 1.2 REST binding section 2.5 Service Discovery " +
		"({base}/discovery/onerosterv1p2rostersservice_openapi3_v1p0.json) and the OneRoster 1.2 Conformance & Certification Guide's localized discovery file names " +
		"({base}/discovery/imsorv1p2_rostering_openapi3_v1p0.json, as 1EdTech's oneroster-bootcamp DiscoveryController serves it); " +
		"1EdTech FAQ \"Many service implementations need proprietary features…\" (https://support.imsglobal.org/support/solutions/articles/48001171024): " +
		"amend the OneRoster OpenAPI files \"to reflect the actual service being supplied\". Optional: never a failure when absent"
)

// v1p2DiscoveryNames are the two published file names of a service's
// localized OpenAPI document.
func v1p2DiscoveryNames(service string) []string {
	long := map[string]string{"rostering": "rosters"}[service]
	if long == "" {
		long = service
	}
	return []string{"onerosterv1p2" + long + "service_openapi3_v1p0.json", "imsorv1p2_" + service + "_openapi3_v1p0.json"}
}

func init() {
	RegisterFeatures(FeatureV1p2Discovery)
	RegisterRules(Rule{ruleV1p2Discovery, SHOULD, "a served 1.2 discovery document is not OpenAPI 3 JSON listing the collection reads the provider serves", specV1p2Discovery,
		"serve the 1.2 OpenAPI file of the service, amended to the operations you serve (openapi 3.0.x, paths relative to the service base)"})
	RegisterChecks(v1p2DiscoveryChecks)
}

func v1p2DiscoveryChecks() []Check {
	var out []Check
	for _, svc := range catalogue.V1p2Services {
		svc := svc
		root := catalogue.V1p2Root(svc)
		names := v1p2DiscoveryNames(svc)
		out = append(out, Check{
			ID: "v1p2." + svc + ".discovery.openapi",
			Title: fmt.Sprintf("OneRoster 1.2: GET %s/discovery/%s or …/%s, when served, is OpenAPI 3 JSON listing every collection read the provider serves (relationship reads included); not served is not supported [SHOULD]",
				root, names[0], names[1]),
			Area:     svc,
			Endpoint: root + "/discovery",
			Level:    SHOULD,
			Features: []string{FeatureV1p2Discovery},
			Rule:     ruleV1p2Discovery,
			Service:  svc,
			Source:   specV1p2Discovery,
			Run: func(ctx context.Context, e *Env, r *Recorder) {
				checkV1p2Discovery(ctx, e, r, svc, root, names)
			},
		})
	}
	return out
}

// servedRead reports whether the walks of a collection read answered:
// one walk (of a sampled parent) without a fatal error.
func servedRead(ctx context.Context, e *Env, ep catalogue.Endpoint) bool {
	ws, err := e.Walks(ctx, ep)
	if err != nil {
		return false
	}
	for _, w := range ws {
		if w.Fatal == "" {
			return true
		}
	}
	return false
}

// paramRE matches a path template parameter.
var paramRE = regexp.MustCompile(`\{[^}]*\}`)

func checkV1p2Discovery(ctx context.Context, e *Env, r *Recorder, svc, root string, names []string) {
	var absent []string
	served := 0
	for _, n := range names {
		path := root + "/discovery/" + n
		ex := r.Evidence(e.get(ctx, r.res.CheckID, e.url(path, nil)))
		switch {
		case ex.Err != nil:
			r.AddRule(ruleV1p2Discovery, ex, "GET %s: %s", path, e.describeErr(ex))
			continue
		case ex.Status == http.StatusNotFound || ex.Status == http.StatusGone || ex.Status == http.StatusMethodNotAllowed || ex.Status == http.StatusNotImplemented:
			absent = append(absent, fmt.Sprintf("GET %s: %d", path, ex.Status))
			continue
		case ex.Status != 200:
			r.AddRule(ruleV1p2Discovery, ex, "GET %s answered %d, want 200 with the OpenAPI document (or 404 when none is published)%s", path, ex.Status, e.bodyHint(ex.Body))
			continue
		}
		served++
		if ct := jsonContentType(ex.ResponseHeader.Get("Content-Type")); ct != "" {
			r.AddRule(ruleV1p2Discovery, ex, "GET %s: %s", path, ct)
		}
		doc, err := decodeObject(ex.Body)
		if err != nil {
			r.AddRule(ruleV1p2Discovery, ex, "GET %s: not an OpenAPI JSON document: %s", path, e.decodeProblem(err, ex.Body))
			continue
		}
		if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.") {
			r.Add(Violation{Rule: ruleV1p2Discovery, Pointer: "/openapi", Ex: ex, Message: fmt.Sprintf("GET %s: openapi is %q, want an OpenAPI 3 version (3.0.x, as the 1.2 files)", path, v)})
		}
		paths, ok := doc["paths"].(map[string]any)
		if !ok {
			r.Add(Violation{Rule: ruleV1p2Discovery, Pointer: "/paths", Ex: ex, Message: fmt.Sprintf("GET %s: no paths object", path)})
			continue
		}
		// The operations listed, their parameters' names ignored, relative
		// to the service base (a document listing full paths is read too).
		listed := map[string]bool{}
		for p, item := range paths {
			m, _ := item.(map[string]any)
			if _, ok := m["get"]; !ok {
				continue
			}
			p = strings.TrimPrefix(p, "/ims/oneroster"+root)
			listed[paramRE.ReplaceAllString(p, "{}")] = true
		}
		var missing []string
		for _, ep := range catalogue.V1p2() {
			if ep.Area != svc {
				continue
			}
			rel := paramRE.ReplaceAllString(strings.TrimPrefix(ep.Path, root), "{}")
			if listed[rel] {
				continue
			}
			if !servedRead(ctx, e, ep) {
				continue // not served (or no parent to tell): nothing the document must list
			}
			missing = append(missing, "GET "+rel)
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			r.Add(Violation{Rule: ruleV1p2Discovery, Pointer: "/paths", Ex: ex,
				Message: fmt.Sprintf("GET %s leaves out %d of the collection reads the provider serves (it lists %d GET operations): %s", path, len(missing), len(listed), strings.Join(missing[:min(len(missing), 8)], ", "))})
		}
	}
	if served == 0 && len(absent) == len(names) {
		r.NotSupported("no 1.2 discovery document is published (" + strings.Join(absent, "; ") + "); it is optional")
	}
}
