package runner

import (
	"net/url"
	"strings"

	"github.com/rostercheck/rostercheck/suites"
	"github.com/rostercheck/rostercheck/suites/catalogue"
)

// The OneRoster roots of a target. --base-url may be the 1.1 root
// (…/ims/oneroster/v1p1), a 1.2 service root
// (…/ims/oneroster/rostering/v1p2, gradebook or resources) or the shared
// root (…/ims/oneroster); the other roots are derived from it, the 1.1
// root being <shared>/v1p1 and each 1.2 service root
// <shared>/<service>/v1p2, as the 1.1 specification and the 1.2 OpenAPI
// files place them. Any other URL is taken as a 1.1 root from which no 1.2
// root can be derived.

// splitRoots returns the 1.1 root and the 1.2 service roots (keyed by
// catalogue.Endpoint.Root, "/rostering/v1p2") of a base URL; ok is false
// when the URL has none of the three forms (v1p1 is then base itself).
func splitRoots(base string) (v1p1 string, roots map[string]string, ok bool) {
	base = strings.TrimRight(base, "/")
	u, err := url.Parse(base)
	if err != nil {
		return base, nil, false
	}
	p := strings.TrimRight(u.Path, "/")
	var shared string
	switch {
	case strings.HasSuffix(p, "/v1p1"):
		shared = strings.TrimSuffix(p, "/v1p1")
	case strings.HasSuffix(p, "/v1p2"):
		svc := strings.TrimSuffix(p, "/v1p2")
		i := strings.LastIndexByte(svc, '/')
		if i < 0 || !isService(svc[i+1:]) {
			return base, nil, false
		}
		shared = svc[:i]
	case strings.HasSuffix(p, "/ims/oneroster"):
		shared = p
	default:
		return base, nil, false
	}
	at := func(path string) string {
		v := *u
		v.Path, v.RawPath = shared+path, ""
		return strings.TrimRight(v.String(), "/")
	}
	roots = map[string]string{}
	for _, s := range suites.Services {
		r := "/" + s + "/v1p2"
		roots[r] = at(r)
	}
	return at("/v1p1"), roots, true
}

func isService(s string) bool {
	for _, v := range suites.Services {
		if v == s {
			return true
		}
	}
	return false
}

// specsOf reports whether the selected profiles include 1.1 and 1.2 ones.
func specsOf(ps []*suites.Profile) (v1p1, v1p2 bool) {
	for _, p := range ps {
		if p.Spec == suites.SpecV1p2 {
			v1p2 = true
		} else {
			v1p1 = true
		}
	}
	return v1p1, v1p2
}

// checkBaseURL refuses a --base-url from which a selected profile's spec
// version cannot be reached.
func checkBaseURL(cfg *Config, ps []*suites.Profile) error {
	if cfg.BaseURL == "" {
		return nil
	}
	if _, _, ok := splitRoots(cfg.BaseURL); !ok && cfg.ServiceURLs["rostering"] == "" {
		if _, v12 := specsOf(ps); v12 && strings.HasSuffix(strings.TrimRight(cfg.BaseURL, "/"), "/ims/oneroster/v1p2") {
			// Google's notebook README asks for a URL "ending in
			// /ims/oneroster/v1p2", but its code appends /rostering/v1p2/…
			// to it: only the shared root works there, as here.
			return usageErr("--base-url %s: no OneRoster 1.2 service lives at …/ims/oneroster/v1p2 (Google Classroom's notebook documents that ending, but its code appends /rostering/v1p2 and /gradebook/v1p2 to the URL): give the shared root %s", cfg.BaseURL, strings.TrimSuffix(strings.TrimRight(cfg.BaseURL, "/"), "/v1p2"))
		}
		if _, v12 := specsOf(ps); v12 {
			return usageErr("--base-url %s: a OneRoster 1.2 profile is selected, but no 1.2 service root can be derived from this URL: give the shared root (…/ims/oneroster), the 1.1 root (…/ims/oneroster/v1p1) or a 1.2 service root (…/ims/oneroster/rostering/v1p2), or the rostering root with --service-url rostering=URL", cfg.BaseURL)
		}
	}
	return nil
}

// preflightRoot is the root the preflight request goes to: the 1.1 root,
// or the 1.2 rostering root when only 1.2 profiles are selected.
func preflightRoot(t *target, cfg *Config) string {
	ps, _ := cfg.profiles() // already validated by selectChecks
	v11, v12 := specsOf(ps)
	if !v11 && v12 {
		if r, ok := t.roots[catalogue.V1p2Root("rostering")]; ok {
			return r
		}
	}
	return t.baseURL
}

// builtinRoots are the built-in provider's 1.2 service roots: it serves
// both versions beside each other under /ims/oneroster.
func builtinRoots(base string) map[string]string {
	_, roots, _ := splitRoots(base + "/ims/oneroster")
	return roots
}
