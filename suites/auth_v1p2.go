package suites

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/rostercheck/rostercheck/internal/client"
	"github.com/rostercheck/rostercheck/suites/catalogue"
	"github.com/rostercheck/rostercheck/suites/catalogue/v1p2"
)

// OneRoster 1.2 scopes, both ways, per operation
// (v1p2.<service>.<endpoint>.read-scopes): every 1.2 read of the
// covered services (catalogue.V1p2: a row's collection and singleton
// operations, each with the scopes the OpenAPI files list for it) is read
// with a token granted exactly one of its scopes (served), and with a
// token granted only a scope it does not list (refused: 401 or 403, never
// data). Where an operation lists two scopes (R and RC), either alone is
// served: the reading scopes-either of the 1.2 catalogue. Where an
// operation lists a full scope whose -core variant exists but is not
// listed (roster.readonly only, on the relationship reads), the -core
// token is refused at SHOULD (the files list the full scope only).
const (
	ruleV1p2ReadScopeNotEnforced = "v1p2.scope.not-enforced"
	ruleV1p2ReadScopeRefused     = "v1p2.scope.listed-refused"
	ruleV1p2ReadScopeCoreBeyond  = "v1p2.scope.core-beyond"
	srcV1p2Scopes                = "1EdTech OneRoster 1.2 OpenAPI files (https://purl.imsglobal.org/spec/or/v1p2/schema/openapi/): the OAuth2CC security requirement of each operation lists its scopes"
	srcV1p2ScopesEither          = srcV1p2Scopes + `; reading scopes-either: where one requirement lists two scopes (roster.readonly and roster-core.readonly) either alone authorises the operation, since the scope descriptions make the -core scope the core subset of the full one ("The core set of read operations"), as the Ed-Fi OneRoster 1.2 service (authorizationHandler.js: full or core) and 1EdTech's OneRoster bootcamp (ResourceServerSecurityConfig.java: hasAnyAuthority) implement it`
)

// FeatureAuthScopesV1p2: the 1.2 scopes are enforced per operation (the
// 1.1 auth.scopes probe asks for a 1.1 scope, so it is a feature apart).
const FeatureAuthScopesV1p2 = "v1p2.auth.scopes"

func init() {
	RegisterFeatures(FeatureAuthScopesV1p2)
	RegisterRules(
		Rule{ruleV1p2ReadScopeNotEnforced, MUST, "a 1.2 operation serves a token that carries none of the scopes it lists", srcV1p2Scopes + " (RFC 6750 §3.1: insufficient_scope, 403)", "answer 403 (insufficient_scope) or 401 to a token without one of the operation's scopes"},
		Rule{ruleV1p2ReadScopeRefused, MUST, "a 1.2 operation refuses a token granted exactly one of the scopes it lists (or the token endpoint does not grant that scope)", srcV1p2ScopesEither, "serve every operation to a token that carries any one of its listed scopes, and grant each 1.2 scope a client may use"},
		Rule{ruleV1p2ReadScopeCoreBeyond, SHOULD, "a 1.2 -core scope token is served an operation that lists only the full scope", srcV1p2Scopes + `: the relationship reads list roster.readonly (resource.readonly) only; roster-core.readonly is "The core set of read operations"`, "serve the relationship reads to roster.readonly (resource.readonly) tokens only"},
	)
	RegisterChecks(v1p2ScopeChecks)
}

func v1p2ScopeChecks() []Check {
	var out []Check
	for _, ep := range catalogue.V1p2() {
		ep := ep
		scopes := ep.Scopes
		title := fmt.Sprintf("OneRoster 1.2: GET %s is served to a token granted any one scope it lists (%s) and refused (401/403) to a token without them", ep.Path, shortScopes(ep.Scopes))
		src := v1p2Source(rules[ruleV1p2ReadScopeRefused].Source, ep, ep.Path, ep.Op, scopes)
		if ep.SingleKey != "" {
			title = fmt.Sprintf("OneRoster 1.2: GET %s and %s are served to a token granted any one scope they list (%s) and refused (401/403) to a token without them", ep.Path, ep.SinglePath(), shortScopes(ep.Scopes))
			src = v1p2Source(rules[ruleV1p2ReadScopeRefused].Source, ep, ep.Path, ep.Op+" and "+ep.SingleOp, scopes)
		}
		out = append(out, Check{
			ID:       ep.CheckPrefix() + "read-scopes",
			Title:    title + " [MUST]",
			Area:     "auth",
			Endpoint: ep.Path,
			Level:    MUST,
			Features: []string{ep.Path, FeatureAuthScopesV1p2},
			Rule:     ruleV1p2ReadScopeNotEnforced,
			Service:  ep.Area,
			Source:   src,
			Run:      func(ctx context.Context, e *Env, r *Recorder) { checkV1p2Scopes(ctx, e, r, ep) },
		})
	}
	return out
}

func shortScopes(ss []string) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s[strings.LastIndexByte(s, '/')+1:]
	}
	return strings.Join(out, " or ")
}

// scopeTokens caches, per run, the token issued for one scope alone (the
// auth checks run one at a time, but the cache is guarded anyway).
type scopeTokens struct {
	mu   sync.Mutex
	toks map[string]tokenAnswer
}

var scopeTokenCache sync.Map // *Env -> *scopeTokens

// tokenFor obtains (once per run) a token granted exactly scope.
func (e *Env) tokenFor(ctx context.Context, r *Recorder, scope string) tokenAnswer {
	v, _ := scopeTokenCache.LoadOrStore(e, &scopeTokens{toks: map[string]tokenAnswer{}})
	st := v.(*scopeTokens)
	st.mu.Lock()
	defer st.mu.Unlock()
	if ans, ok := st.toks[scope]; ok {
		r.Evidence(ans.ex)
		return ans
	}
	ans := e.issueAny(ctx, r, clientCredentials(scope))
	st.toks[scope] = ans
	return ans
}

// outsideScopes are the probes a 1.2 operation must refuse: a scope of the
// covered services it does not list (of its own service first, never the
// -core variant of a scope it lists), and, at SHOULD, the -core variant
// of a full scope it lists alone.
func outsideScopes(c *v1p2.Catalogue, service string, listed []string) (outside, coreVariant string) {
	core := map[string]bool{}
	for _, s := range listed {
		if i := strings.LastIndex(s, ".readonly"); i > 0 {
			core[s[:i]+"-core.readonly"] = true
		}
	}
	services := []string{service}
	for _, s := range catalogue.V1p2Services {
		if s != service {
			services = append(services, s)
		}
	}
	for _, name := range services {
		svc, ok := c.Service(name)
		if !ok {
			continue
		}
		for _, sc := range svc.Scopes {
			switch {
			case slices.Contains(listed, sc.URI):
			case core[sc.URI]:
				if coreVariant == "" {
					coreVariant = sc.URI
				}
			case outside == "":
				outside = sc.URI
			}
		}
	}
	return outside, coreVariant
}

// scopeOp is one operation a scope check reads: its path (filled), the
// scopes it lists and how a consumer names it.
type scopeOp struct {
	path, name string
	scopes     []string
	q          url.Values
}

func checkV1p2Scopes(ctx context.Context, e *Env, r *Recorder, ep catalogue.Endpoint) {
	if !needMode(e, r, "oauth2", "OAuth 2 client credentials") {
		return
	}
	c, err := v1p2.Load()
	if err != nil {
		r.Errorf("harness: the 1.2 catalogue: %v", err)
		return
	}
	// The operations: the collection under a sampled parent, and one of
	// its records' singleton.
	ws, err := e.Walks(ctx, ep)
	if err != nil || len(ws) == 0 {
		if de, ok := err.(*DiscoveryError); ok && de.NotServed {
			r.NotSupported(de.Msg)
			return
		}
		r.NotSupported(fmt.Sprintf("no %s to read: %v", ep.Path, err))
		return
	}
	w := ws[0]
	if why := notServedWhy(w); why != "" {
		r.NotSupported(why)
		return
	}
	ops := []scopeOp{{path: w.Path, name: "GET " + ep.Path, scopes: ep.Scopes, q: one()}}
	if ep.SingleKey != "" {
		if id := sampleID(w); id != "" {
			ops = append(ops, scopeOp{path: ep.Path + "/" + url.PathEscape(id), name: "GET " + ep.SinglePath(), scopes: ep.SingleScopes})
		}
	}
	// refused counts the refusal probes sent: a check that could send none
	// (the client is granted no scope outside the operation's) proves only
	// half of what it says, and says so.
	refused, ungranted := 0, ""
	for _, op := range ops {
		for _, sc := range op.scopes {
			ans := e.tokenFor(ctx, r, sc)
			if transportFailed(e, r, ans) {
				return
			}
			if !ans.ok() {
				r.AddRule(ruleV1p2ReadScopeRefused, ans.ex, "asked for %s alone, which %s lists: the token endpoint answered %s%s", sc, op.name, ans.short(), errDescription(ans))
				continue
			}
			ex := e.apiProbe(ctx, r, op.path, op.q, client.Bearer(ans.token), nil)
			if broken(e, r, ex) {
				return
			}
			if !served(ex) {
				r.AddRule(ruleV1p2ReadScopeRefused, ex, "a token granted %s alone was refused %s with %d%s, though the operation lists %s", shortScopes([]string{sc}), op.name, ex.Status, e.bodyHint(ex.Body), shortScopes(op.scopes))
			}
		}
		outside, coreVariant := outsideScopes(c, ep.Area, op.scopes)
		for _, p := range []struct{ scope, rule string }{{outside, ruleV1p2ReadScopeNotEnforced}, {coreVariant, ruleV1p2ReadScopeCoreBeyond}} {
			if p.scope == "" {
				continue
			}
			ans := e.tokenFor(ctx, r, p.scope)
			if transportFailed(e, r, ans) {
				return
			}
			if !ans.ok() {
				ungranted = p.scope // a scope the client is not granted proves nothing here
				continue
			}
			ex := e.apiProbe(ctx, r, op.path, op.q, client.Bearer(ans.token), nil)
			if broken(e, r, ex) {
				return
			}
			refused++
			switch {
			case served(ex):
				r.AddRule(p.rule, ex, "a token granted %s alone was served %s (%d), which lists %s only", shortScopes([]string{p.scope}), op.name, ex.Status, shortScopes(op.scopes))
			case ex.Status != http.StatusUnauthorized && ex.Status != http.StatusForbidden:
				r.AddRule(p.rule, ex, "a token granted %s alone: %s answered %d, want 403 (insufficient_scope) or 401", shortScopes([]string{p.scope}), op.name, ex.Status)
			}
		}
	}
	if refused == 0 {
		r.NotSupported(fmt.Sprintf("the token endpoint grants no scope outside the ones %s lists (asked for %s alone), so its refusal could not be tested", ep.Path, ungranted))
	}
}

// sampleID is the sourcedId of a record the walk read.
func sampleID(w *Walk) string {
	for _, s := range w.Samples {
		if id, _ := s["sourcedId"].(string); id != "" {
			return id
		}
	}
	if len(w.IDs) > 0 {
		return w.IDs[0]
	}
	return ""
}
