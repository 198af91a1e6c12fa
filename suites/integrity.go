package suites

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/rostercheck/rostercheck/internal/client"
	"github.com/rostercheck/rostercheck/suites/catalogue"
)

// Integrity: the district hangs together. Every GUIDRef resolves to a
// record of the right kind that the API serves, hierarchies and agents are
// two-sided, an enrollment's school is its class's school, relationship
// endpoints agree with the collections, and ids are unique. The checks
// read the integrity index the walks build (integrity_index.go) and the
// ids of the relationship walks; they make no request of their own except
// the relationship walks of more parents when a profile asks for every
// parent.
//
// A check judges only collections that were read completely: a walk that
// broke, looped or repeated records fails its own envelope and paging
// checks, and integrity stays silent on it rather than report the
// consequences as dangling references.

// Behaviour features of the integrity checks.
const (
	FeatureRefs          = "integrity.refs"          // every GUIDRef resolves; enrollment.school = class.school
	FeatureSymmetry      = "integrity.symmetry"      // parent/children and agents are two-sided
	FeatureRelationships = "integrity.relationships" // relationship endpoints agree with the collections
	FeatureUnique        = "integrity.unique"        // sourcedId, username, email unique
)

// Rules of the integrity checks.
const (
	ruleDangling        = "ref.dangling"
	ruleWrongTarget     = "ref.wrong-target"
	ruleRefDeleted      = "ref.tobedeleted"
	ruleHref            = "ref.href-unresolvable"
	ruleSchoolMismatch  = "enrollment.school-mismatch"
	ruleHierarchy       = "hierarchy.one-sided"
	ruleCycle           = "hierarchy.cycle"
	ruleAgentsStudent   = "agents.student-side-missing"
	ruleAgentsOther     = "agents.contact-side-missing"
	ruleRelExtra        = "relationship.extra"
	ruleRelMissing      = "relationship.missing"
	ruleIDDuplicate     = "sourcedid.duplicate"
	ruleIDCross         = "sourcedid.cross-collection"
	ruleUsernameDup     = "user.username-duplicate"
	ruleEmailDup        = "user.email-duplicate"
	ruleEmpty           = "collection.empty"
	specGUIDRef         = "OneRoster 1.1 §4.14 GUIDRef: the sourcedId of an object the service serves"
	seedSDSImportErrors = `Microsoft page: Onboarding OneRoster API providers in SDS and Grade Sync: "Review any errors that are detected. You'll need to correct these in your SIS"`
	asmUnique           = "Apple School Manager SIS guidance: unique identifiers for every student, staff member, course, class, roster and location"
)

func init() {
	RegisterFeatures(FeatureRefs, FeatureSymmetry, FeatureRelationships, FeatureUnique)
	RegisterRules(
		Rule{ruleDangling, MUST, "a GUIDRef points at a record the API does not serve", specGUIDRef + "; " + seedSDSImportErrors, "serve every referenced record, or leave the reference out"},
		Rule{ruleWrongTarget, MUST, "a GUIDRef points at a record of the wrong kind (a course's schoolYear that is not a schoolYear)", specGUIDRef, "point each GUIDRef at a record of the kind the field names"},
		Rule{ruleRefDeleted, Ignore, "an active record refers to a tobedeleted record", "OneRoster 1.1 §4.12 status: a tobedeleted record is on its way out; a consumer reading status='active' drops whatever refers to it", "mark the referring records tobedeleted too, or point them elsewhere"},
		Rule{ruleHref, MUST, "a GUIDRef's href does not lead to the referenced record under the base URL", specGUIDRef + " (href: the URL of the referenced object)", "write href as the absolute URL of the object's singleton under the base URL"},
		Rule{ruleSchoolMismatch, MUST, "an enrollment's school is not its class's school", "OneRoster 1.1 §4.6 enrollment: school is the school of the class", "take enrollment.school from the class"},
		Rule{ruleHierarchy, SHOULD, "a parent/children link is one-sided (the parent or the child does not name the other)", "OneRoster 1.1 §4.2, §4.11: parent and children describe one hierarchy", "write parent and children from one table"},
		Rule{ruleCycle, MUST, "a parent chain returns to where it started (an org or academic session is its own ancestor)", "OneRoster 1.1 Information Model §4.2 academicSession and §4.11 org: parent is the session or org one level up, so parents form a tree; a consumer that builds the district hierarchy or the calendar from them cannot", "make every parent chain end at a record without a parent (the district, the school year)"},
		Rule{ruleAgentsStudent, SHOULD, "a contact names a student in agents, but the student does not name the contact", `SDS page: OneRoster API data accessed by School Data Sync: "association to a student are found in the student's user record under 'agents'"`, "list every contact in the student's agents"},
		Rule{ruleAgentsOther, SHOULD, "a student names a contact in agents, but the contact does not name the student", "OneRoster 1.1 §4.13 user.agents: the relation is recorded on both users", "list the student in the contact's agents too"},
		Rule{ruleRelExtra, MUST, "a relationship endpoint serves a record the collections do not relate to the parent", "OneRoster 1.1 §3.1a: relationship endpoints are views of the collections", "derive relationship endpoints from the same references the collections carry"},
		Rule{ruleRelMissing, MUST, "a relationship endpoint leaves out a record the collections relate to the parent", "OneRoster 1.1 §3.1a: relationship endpoints are views of the collections", "derive relationship endpoints from the same references the collections carry"},
		Rule{ruleIDDuplicate, MUST, "two different records of one collection share a sourcedId", "OneRoster 1.1 §4.1 base class: sourcedId identifies the object; " + asmUnique, "give every record of a collection its own sourcedId (e.g. prefix per-school ids with the school)"},
		Rule{ruleIDCross, SHOULD, "a sourcedId is used by records of two collections (a class and a course)", asmUnique, "make sourcedIds unique across users, orgs, courses, classes and enrollments"},
		Rule{ruleUsernameDup, SHOULD, "two active users share a username", "a consumer that creates accounts from usernames (Apple School Manager) needs one account per user", "give every active user its own username"},
		Rule{ruleEmpty, MUST, "a collection every roster needs (orgs, academicSessions, courses, classes, users, enrollments) is empty", "OneRoster 1.1 rostering: a district has orgs, sessions, courses, classes, users and enrollments; " + seedSDSImportErrors, "serve the district's records, or check the credentials' scope"},
		Rule{ruleEmailDup, SHOULD, "two active users share an e-mail address", "Apple School Manager with federated authentication signs users in by e-mail address", "give every active user its own e-mail address"},
	)
	RegisterChecks(integrityChecks)
}

// refCheck is one referrer collection of the refs-resolve family.
type refCheck struct {
	path, area, title string
	// op is the operation a consumer reads the records through, when not
	// the collection itself (Grade Sync reads line items per class).
	op string
}

var refChecks = []refCheck{
	{"/enrollments", "rostering", "every enrollment's user, class and school", ""},
	{"/classes", "rostering", "every class's course, school and terms", ""},
	{"/courses", "rostering", "every course's org and schoolYear", ""},
	{"/users", "rostering", "every user's orgs and agents", ""},
	{"/academicSessions", "rostering", "every academic session's parent and children", ""},
	{"/orgs", "rostering", "every org's parent and children", ""},
	{"/demographics", "rostering", "every demographics record's user", ""},
	{"/lineItems", "gradebook", "every line item's class, category and gradingPeriod", "/classes/{class_id}/lineItems"},
	{"/results", "gradebook", "every result's lineItem and student", "/classes/{class_id}/lineItems/{li_id}/results"},
}

// integrityVersion is what differs per spec version in the integrity
// family, as data: the check-ID prefix, where each collection lives (at:
// a 1.1 collection path to the version's), the referrer collections whose
// GUIDRefs are resolved (their fields: integritySpecs), and the source
// each check cites. The checks themselves are the same functions.
type integrityVersion struct {
	prefix string
	at     func(string) string
	refs   []refCheck
	// source, when set, is the check's source for a rule (else the rule's).
	source func(rule string) string
	// gbSource, when set, is the source of the gradebook refs-resolve
	// checks (the gradebook's own data model).
	gbSource string
	title    string // prefix of the check titles
}

var integrity11 = &integrityVersion{at: func(p string) string { return p }, refs: refChecks}

// integrity12 is OneRoster 1.2 rostering (and the resources its records
// name): the same checks over the 1.2 paths and references
// (integritySpecsV1p2), and the 1.2 gradebook's references.
var integrity12 = &integrityVersion{
	prefix: "v1p2.",
	at: func(p string) string {
		switch p {
		case "/resources":
			return v12s + p
		case "/lineItems", "/results", "/categories", "/scoreScales", "/assessmentLineItems", "/assessmentResults":
			return v12g + p
		}
		return v12r + p
	},
	refs: []refCheck{
		{"/enrollments", "rostering", "every enrollment's user, class and school", ""},
		{"/classes", "rostering", "every class's course, school, terms and resources", ""},
		{"/courses", "rostering", "every course's org, schoolYear and resources", ""},
		{"/users", "rostering", "every user's roles[].org, primaryOrg, agents and resources", ""},
		{"/academicSessions", "rostering", "every academic session's parent and children", ""},
		{"/orgs", "rostering", "every org's parent and children", ""},
		{"/demographics", "rostering", "every demographics record's user", ""},
		{"/lineItems", "gradebook", "every line item's class, school, category, gradingPeriod, academicSession and scoreScale", ""},
		{"/results", "gradebook", "every result's lineItem, student, class and scoreScale", ""},
		{"/scoreScales", "gradebook", "every score scale's class and course", ""},
		{"/assessmentLineItems", "gradebook", "every assessment line item's class, parentAssessmentLineItem and scoreScale", ""},
		{"/assessmentResults", "gradebook", "every assessment result's assessmentLineItem, student and scoreScale", ""},
	},
	source: func(rule string) string { return v1p2IntegritySources[rule] },
	gbSource: specV1p2Gradebook + ": every GUIDRef (href, sourcedId, type) names an object of its type that the service serves: " +
		"LineItemDType class, school, category, gradingPeriod, academicSession, scoreScale; ResultDType lineItem, student, class, scoreScale; " +
		"ScoreScaleDType class, course; AssessmentLineItemDType class, parentAssessmentLineItem, scoreScale; AssessmentResultDType assessmentLineItem, student, scoreScale",
	title: "OneRoster 1.2: ",
}

// v1p2IntegritySources are the 1.2 integrity checks' sources, per rule.
var v1p2IntegritySources = map[string]string{
	ruleDangling:       specV1p2Model + ": every GUIDRef (GUIDRefDType: href, sourcedId, type) names an object of its type that the service serves; UserDType.roles[].org and primaryOrg are OrgGUIDRefDType",
	ruleSchoolMismatch: specV1p2Model + ": EnrollmentDType.school is the school of the enrollment's class",
	ruleHierarchy:      specV1p2Model + ": OrgDType and AcademicSessionDType parent and children describe one hierarchy",
	ruleCycle:          specV1p2Model + ": parent is the org or academic session one level up, so parents form a tree",
	ruleAgentsStudent:  specV1p2Model + ": UserDType.agents relates a student and their contacts, recorded on both users",
	ruleIDDuplicate:    specV1p2Model + ": sourcedId is the interoperability identifier of an object",
	ruleIDCross:        specV1p2Model + ": sourcedId identifies one object; " + asmUnique,
	ruleUsernameDup:    specV1p2Model + ": UserDType.username (kept for backwards compatibility) names one account",
	ruleEmailDup:       specV1p2Model + ": UserDType.email; a consumer that signs users in by e-mail address needs one per user",
}

var integrityVersions = []*integrityVersion{integrity11, integrity12}

func integrityChecks() []Check {
	var out []Check
	for _, v := range integrityVersions {
		out = append(out, v.checks()...)
	}
	out = append(out, relationshipChecks()...)
	return out
}

func (v *integrityVersion) checks() []Check {
	var out []Check
	at := v.at
	mk := func(id, title, area, endpoint, level, rule string, features []string, run func(ctx context.Context, e *Env, r *Recorder)) {
		src := rules[rule].Source
		if v.source != nil {
			src = v.source(rule)
		}
		out = append(out, Check{ID: v.prefix + id, Title: v.title + title + " [" + level + "]", Area: "integrity", Endpoint: endpoint, Level: level,
			Features: features, Rule: rule, Service: area, Source: src, Run: run})
	}
	for _, rc := range v.refs {
		rc := rc
		path := at(rc.path)
		op := path
		if rc.op != "" {
			op = at(rc.op)
		}
		mk("integrity."+catalogue.Slug(rc.path)+".refs-resolve",
			fmt.Sprintf("GET %s: %s resolve to records of the right kind the API serves (href too)", path, rc.title),
			rc.area, path, MUST, ruleDangling, []string{op, FeatureRefs},
			func(ctx context.Context, e *Env, r *Recorder) { checkRefs(ctx, e, r, path) })
		if rc.area == "gradebook" && v.gbSource != "" {
			out[len(out)-1].Source = v.gbSource
		}
	}
	en, cl, us := at("/enrollments"), at("/classes"), at("/users")
	mk("integrity.enrollments.school-matches-class", fmt.Sprintf("GET %s: every enrollment's school is its class's school", en),
		"rostering", en, MUST, ruleSchoolMismatch, []string{en, cl, FeatureRefs},
		func(ctx context.Context, e *Env, r *Recorder) { checkSchoolMatch(ctx, e, r, en, cl) })
	for _, p := range []string{"/orgs", "/academicSessions"} {
		p, path := p, at(p)
		mk("integrity."+catalogue.Slug(p)+".parent-children-symmetric",
			fmt.Sprintf("GET %s: every parent lists its children and every child names its parent", path),
			"rostering", path, SHOULD, ruleHierarchy, []string{path, FeatureSymmetry},
			func(ctx context.Context, e *Env, r *Recorder) { checkHierarchy(ctx, e, r, path) })
	}
	for _, p := range []string{"/orgs", "/academicSessions"} {
		p, path := p, at(p)
		mk("integrity."+catalogue.Slug(p)+".hierarchy-acyclic",
			fmt.Sprintf("GET %s: no parent chain returns to where it started", path),
			"rostering", path, MUST, ruleCycle, []string{path, FeatureRefs},
			func(ctx context.Context, e *Env, r *Recorder) { checkCycles(ctx, e, r, path) })
	}
	mk("integrity.users.agents-symmetric", fmt.Sprintf("GET %s: agents are recorded on both users (the student and the contact)", us),
		"rostering", us, SHOULD, ruleAgentsStudent, []string{us, FeatureSymmetry},
		func(ctx context.Context, e *Env, r *Recorder) { checkAgents(ctx, e, r, us) })
	uniq, cross := mapPaths(at, uniqueCollections), mapPaths(at, crossCollections)
	mk("integrity.collections.sourcedid-unique", fmt.Sprintf("GET %s: no two different records of a collection share a sourcedId", strings.Join(uniq, ", ")),
		"rostering", us, MUST, ruleIDDuplicate, []string{us, FeatureUnique},
		func(ctx context.Context, e *Env, r *Recorder) { checkUnique(ctx, e, r, uniq) })
	mk("integrity.collections.sourcedid-unique-across", fmt.Sprintf("GET %s: no sourcedId names records of two collections", strings.Join(cross, ", ")),
		"rostering", us, MUST, ruleIDCross, []string{us, FeatureUnique},
		func(ctx context.Context, e *Env, r *Recorder) { checkCross(ctx, e, r, cross, en) })
	mk("integrity.users.username-unique", fmt.Sprintf("GET %s: no two active users share a username", us), "rostering", us, MUST, ruleUsernameDup,
		[]string{us, FeatureUnique}, func(ctx context.Context, e *Env, r *Recorder) { checkUserUnique(ctx, e, r, us, false) })
	mk("integrity.users.email-unique", fmt.Sprintf("GET %s: no two active users share an e-mail address", us), "rostering", us, MUST, ruleEmailDup,
		[]string{us, FeatureUnique}, func(ctx context.Context, e *Env, r *Recorder) { checkUserUnique(ctx, e, r, us, true) })
	return out
}

func mapPaths(at func(string) string, ps []string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = at(p)
	}
	return out
}

// uniqueCollections are the collections whose sourcedIds must be unique
// (demographics share their user's id by design; gradebook objects are
// the consumer's own).
// rosterCollections are never empty in a district: a profile that reads
// one fails when it is.
var rosterCollections = map[string]bool{"/orgs": true, "/academicSessions": true, "/courses": true, "/classes": true, "/users": true, "/enrollments": true,
	v12r + "/orgs": true, v12r + "/academicSessions": true, v12r + "/courses": true, v12r + "/classes": true, v12r + "/users": true, v12r + "/enrollments": true}

var uniqueCollections = []string{"/orgs", "/academicSessions", "/courses", "/classes", "/users", "/enrollments"}

var crossCollections = []string{"/users", "/orgs", "/courses", "/classes", "/enrollments"}

// completeWalk reports whether a walk read its collection completely and
// once: no fatal error, loop or runaway, no repeated record, and as many
// records as X-Total-Count said.
func completeWalk(w *Walk, dupsOK bool) bool {
	if w.Fatal != "" || w.Loop != "" || w.Runaway != "" || w.StrayNext != "" || (w.DupN > 0 && !dupsOK) {
		return false
	}
	if t, ok := w.Total(); ok && t != w.N {
		return false
	}
	return true
}

// indexOf walks a base collection and returns its index when the walk was
// complete; nil otherwise (its own checks report why).
func (e *Env) indexOf(ctx context.Context, path string, dupsOK bool) (*collIndex, *Walk) {
	w := e.WalkTop(ctx, path)
	if !completeWalk(w, dupsOK) {
		return nil, w
	}
	ci := e.index(path)
	if ci == nil || ci.n != w.N || ci.badRefs > 0 {
		return nil, w
	}
	return ci, w
}

// pageStarts caches, per walk, the position of each page's first record.
var pageStarts sync.Map // *Walk -> []int

// where locates record i of a walk: its page's evidence, its JSON pointer
// prefix and, when the page kept no evidence, the request.
func where(w *Walk, key string, i int) (*client.Exchange, string, string) {
	v, ok := pageStarts.Load(w)
	if !ok {
		starts := make([]int, len(w.Pages))
		n := 0
		for k, pg := range w.Pages {
			starts[k] = n
			n += max(pg.Count, 0)
		}
		v, _ = pageStarts.LoadOrStore(w, starts)
	}
	starts := v.([]int)
	// The page holding i is the last one starting at or before i that
	// holds records.
	k := sort.Search(len(starts), func(k int) bool { return starts[k] > i }) - 1
	for ; k >= 0 && w.Pages[k].Count <= 0; k-- {
	}
	if k >= 0 && i < starts[k]+w.Pages[k].Count {
		pg := w.Pages[k]
		req := ""
		if pg.Ex == nil {
			req = " (" + pg.Where(k) + ")"
		}
		return pg.Ex, fmt.Sprintf("/%s/%d", key, i-starts[k]), req
	}
	return nil, "", ""
}

// keeps reports whether the recorder still keeps violations (beyond the
// cap they are only counted, so a check need not locate them).
func (r *Recorder) keeps() bool { return len(r.res.Violations) < r.env.MaxViolations }

// firstEx is a walk's first page evidence, for findings about a whole collection.
func firstEx(w *Walk) *client.Exchange {
	if len(w.Pages) > 0 {
		return w.Pages[0].Ex
	}
	return nil
}

func keyOf(path string) string {
	ep, _ := catalogue.Lookup(path)
	return ep.Key
}

// notServedWhy is the one-line reason an integrity check has nothing to
// judge when a walk it reads is of an operation the provider does not
// serve (404, 405 or 501); "" when the walk was served (a broken walk
// fails the endpoint's own checks, and integrity stays silent on it).
func notServedWhy(w *Walk) string {
	if w == nil || w.Fatal == "" || walkRule(w) != RuleNotServed {
		return ""
	}
	return fmt.Sprintf("GET %s is not served (%d); see the envelope check", w.Path, w.FatalEx.Status)
}

// indexOrSay is indexOf for a check that reads one collection: when the
// collection is not served, the check is not-supported with the reason
// rather than a vacuous pass.
func (e *Env) indexOrSay(ctx context.Context, r *Recorder, path string) (*collIndex, *Walk) {
	ci, w := e.indexOf(ctx, path, false)
	if ci == nil {
		if why := notServedWhy(w); why != "" {
			r.NotSupported(why)
		}
	}
	return ci, w
}

func checkRefs(ctx context.Context, e *Env, r *Recorder, path string) {
	ci, w := e.indexOrSay(ctx, r, path)
	if ci == nil {
		return
	}
	if ci.n == 0 {
		if rosterCollections[path] {
			r.AddRule(ruleEmpty, r.Evidence(firstEx(w)), "GET %s returned no records: a consumer would import nothing", path)
			return
		}
		r.NotSupported("GET " + path + " returned no records")
		return
	}
	targets := map[string]*collIndex{}
	pos := map[string]map[uint32]int32{}
	// unserved are the targets the provider does not serve (a service it
	// does not offer, such as /resources of a rostering-only provider):
	// their fields are left out, the others are still resolved.
	unserved := map[string]string{}
	for _, sp := range ci.specs {
		if _, ok := targets[sp.to]; ok || unserved[sp.to] != "" {
			continue
		}
		t, tw := e.indexOf(ctx, sp.to, false)
		if t == nil {
			if why := notServedWhy(tw); why != "" {
				unserved[sp.to] = why
				continue
			}
			return // the target's walk broke: its own checks say so
		}
		targets[sp.to], pos[sp.to] = t, t.positions()
	}
	if len(targets) == 0 && len(unserved) > 0 {
		for _, sp := range ci.specs {
			r.NotSupported(fmt.Sprintf("the references of GET %s cannot be resolved: %s", path, unserved[sp.to]))
			return
		}
	}
	key := keyOf(path)
	// Pass 0 records what no consumer can resolve, pass 1 references to
	// tobedeleted records: these come after, and only a few are listed,
	// so that they never crowd a dangling reference out of the report.
	kept := 0
	for pass := 0; pass < 2; pass++ {
		if pass == 1 {
			for _, v := range ci.hrefs {
				r.Add(v)
			}
			r.Uncounted(ruleHref, ci.hrefN-len(ci.hrefs))
			followHrefs(ctx, e, r, ci, unserved)
		}
		for i := 0; i < ci.n; i++ {
			to, fs := ci.refs(i)
			var nth [16]int
			for k, t := range to {
				if t == 0 {
					continue // absent, or an empty sourcedId: the schema's finding
				}
				f := fs[k]
				sp := ci.specs[f]
				n := nth[f%16]
				nth[f%16]++
				tix := targets[sp.to]
				if tix == nil {
					continue // the target is not served
				}
				p, ok := pos[sp.to][t]
				var rule, msg string
				switch {
				case !ok:
					rule, msg = ruleDangling, fmt.Sprintf("%s %s is not served by GET %s", sp.field, e.short(ci.in.name(t)), sp.to)
				case sp.sub != "" && subName(tix.sub[p]) != sp.sub:
					rule, msg = ruleWrongTarget, fmt.Sprintf("%s %s is a %s, want a %s", sp.field, e.short(ci.in.name(t)), e.short(subName(tix.sub[p])), sp.sub)
				case tix.flags[p]&flagDeleted != 0 && ci.flags[i]&flagDeleted == 0:
					rule, msg = ruleRefDeleted, fmt.Sprintf("%s %s is tobedeleted", sp.field, e.short(ci.in.name(t)))
				default:
					continue
				}
				if (rule == ruleRefDeleted) != (pass == 1) {
					continue
				}
				if !r.keeps() || (pass == 1 && kept >= maxDeletedKept) {
					r.Uncounted(rule, 1)
					continue
				}
				if pass == 1 {
					kept++
				}
				ex, ptr, req := where(w, key, i)
				if sp.field != "sourcedId" {
					ptr += refPointer(sp.field, n, isListField(sp.field))
				} else {
					ptr += "/sourcedId"
				}
				r.Add(Violation{Rule: rule, Pointer: ptr, RecordID: ci.id(i), Message: msg + req, Ex: ex})
			}
		}
	}
}

// followHrefs follows the first href of each GUIDRef field, as a consumer
// that navigates by href would, when it looks right (hrefProblem): it must
// answer 200 with the referenced object. The hrefs into collections the
// provider does not serve (unserved) are not followed.
func followHrefs(ctx context.Context, e *Env, r *Recorder, ci *collIndex, unserved map[string]string) {
	for _, h := range ci.hrefSamples {
		if unserved[h.to] != "" {
			continue
		}
		base, err := url.Parse(strings.TrimRight(e.hrefRoot(h.to), "/") + "/")
		if err != nil {
			continue
		}
		if e.hrefProblem(h.href, h.to, h.id) != "" {
			continue // already reported
		}
		u, err := url.Parse(h.href)
		if err != nil {
			continue
		}
		ex := r.Evidence(e.get(ctx, r.res.CheckID, base.ResolveReference(u).String()))
		doc, problem := e.readObject(ex)
		got := ""
		for _, v := range doc {
			if m, ok := v.(map[string]any); ok {
				got, _ = m["sourcedId"].(string)
			}
		}
		switch {
		case doc == nil:
			r.Add(Violation{Rule: ruleHref, Pointer: h.ptr, RecordID: h.recordID, Ex: ex,
				Message: fmt.Sprintf("following href %s: %s", quoteShort(h.href), problem)})
		case got != h.id:
			r.Add(Violation{Rule: ruleHref, Pointer: h.ptr, RecordID: h.recordID, Ex: ex,
				Message: fmt.Sprintf("following href %s answered object %s, want %s", quoteShort(h.href), e.short(got), e.short(h.id))})
		}
	}
}

// maxDeletedKept bounds the references to tobedeleted records a check
// lists (all are counted).
const maxDeletedKept = 20

func isListField(f string) bool {
	switch f {
	case "terms", "resources", "orgs", "agents", "children", "roles/org":
		return true
	}
	return false
}

func checkSchoolMatch(ctx context.Context, e *Env, r *Recorder, enPath, clPath string) {
	en, w := e.indexOf(ctx, enPath, false)
	cl, _ := e.indexOf(ctx, clPath, false)
	if en == nil || cl == nil {
		return
	}
	if en.n == 0 {
		r.NotSupported("GET " + enPath + " returned no records")
		return
	}
	cpos := cl.positions()
	ec, es, cls := en.slot("class"), en.slot("school"), cl.slot("school")
	for i := 0; i < en.n; i++ {
		c, s := en.at(i, ec), en.at(i, es)
		p, ok := cpos[c]
		if !ok || s == 0 {
			continue // dangling: the refs check's finding
		}
		if cs := cl.at(int(p), cls); cs != 0 && cs != s {
			ex, ptr, req := where(w, keyOf(enPath), i)
			r.Add(Violation{Pointer: ptr + "/school", RecordID: en.id(i), Ex: ex,
				Message: fmt.Sprintf("school %s, but class %s is at school %s%s", e.short(en.in.name(s)), e.short(en.in.name(c)), e.short(en.in.name(cs)), req)})
		}
	}
}

// hasRef reports whether record i of ci names target t in field.
func (ci *collIndex) hasRef(i int, field string, t uint32) bool {
	return ci.hasAt(i, ci.slot(field), t)
}

func checkHierarchy(ctx context.Context, e *Env, r *Recorder, path string) {
	ci, w := e.indexOrSay(ctx, r, path)
	if ci == nil {
		return
	}
	pos := ci.positions()
	key := keyOf(path)
	linked := false
	for i := 0; i < ci.n; i++ {
		me := ci.own[i]
		to, fs := ci.refs(i)
		for k, t := range to {
			field := ci.specs[fs[k]].field
			p, ok := pos[t]
			if !ok || (field != "parent" && field != "children") {
				continue
			}
			linked = true
			if ci.flags[p]&flagDeleted != 0 {
				continue // a tombstone may carry only its id, status and date
			}
			ex, ptr, req := where(w, key, i)
			if field == "parent" && !ci.hasRef(int(p), "children", me) {
				r.Add(Violation{Pointer: ptr + "/parent", RecordID: ci.id(i), Ex: ex,
					Message: fmt.Sprintf("names parent %s, but the parent's children do not list it (the parent's side is missing)%s", e.short(ci.id(int(p))), req)})
			}
			if field == "children" && !ci.hasRef(int(p), "parent", me) {
				r.Add(Violation{Pointer: ptr + "/children", RecordID: ci.id(i), Ex: ex,
					Message: fmt.Sprintf("lists child %s, but the child's parent is not this record (the child's side is missing)%s", e.short(ci.id(int(p))), req)})
			}
		}
	}
	if !linked {
		r.NotSupported("no record of GET " + path + " has a parent or children")
	}
}

// checkCycles follows every record's parent chain and reports each
// record of a chain that comes back to it: a cycle is found once, from its
// first record in walk order, and every record on it is named.
func checkCycles(ctx context.Context, e *Env, r *Recorder, path string) {
	ci, w := e.indexOrSay(ctx, r, path)
	if ci == nil {
		return
	}
	pos := ci.positions()
	ps := ci.slot("parent")
	parentOf := func(i int) int {
		if p, ok := pos[ci.at(i, ps)]; ok && ci.flags[p]&flagDeleted == 0 {
			return int(p)
		}
		return -1 // no parent, dangling (the refs check's finding) or a tombstone
	}
	const (
		unseen = iota
		onPath
		done
	)
	state := make([]uint8, ci.n)
	linked := false
	key := keyOf(path)
	for i := 0; i < ci.n; i++ {
		var chain []int
		cur := i
		for cur >= 0 && state[cur] == unseen {
			state[cur] = onPath
			chain = append(chain, cur)
			cur = parentOf(cur)
		}
		linked = linked || len(chain) > 1
		if cur >= 0 && state[cur] == onPath {
			start := slices.Index(chain, cur)
			cycle := chain[start:]
			for j, k := range cycle {
				// The chain as seen from this record: k, its parent, ..., k.
				names := make([]string, 0, len(cycle)+1)
				for m := range len(cycle) + 1 {
					names = append(names, e.short(ci.id(cycle[(j+m)%len(cycle)])))
				}
				ex, ptr, req := where(w, key, k)
				r.Add(Violation{Pointer: ptr + "/parent", RecordID: ci.id(k), Ex: ex,
					Message: fmt.Sprintf("its parent chain comes back to it: %s%s", strings.Join(names, " → "), req)})
			}
		}
		for _, k := range chain {
			state[k] = done
		}
	}
	if !linked {
		r.NotSupported("no record of GET " + path + " has a parent")
	}
}

func checkAgents(ctx context.Context, e *Env, r *Recorder, users string) {
	ci, w := e.indexOrSay(ctx, r, users)
	if ci == nil {
		return
	}
	pos := ci.positions()
	student := subOf("student")
	linked := false
	for i := 0; i < ci.n; i++ {
		to, fs := ci.refs(i)
		for k, t := range to {
			if ci.specs[fs[k]].field != "agents" {
				continue
			}
			p, ok := pos[t]
			if !ok {
				continue // dangling: the refs check's finding
			}
			linked = true
			if ci.flags[p]&flagDeleted != 0 {
				continue // a tombstone may carry only its id, status and date
			}
			if ci.hasRef(int(p), "agents", ci.own[i]) {
				continue
			}
			rule, side := ruleAgentsOther, "the contact's side is missing"
			if ci.sub[p] == student {
				rule, side = ruleAgentsStudent, "the student's side is missing: SDS reads contacts from the student's agents only"
			}
			ex, ptr, req := where(w, keyOf(users), i)
			r.Add(Violation{Rule: rule, Pointer: ptr + "/agents", RecordID: ci.id(i), Ex: ex,
				Message: fmt.Sprintf("names %s %s in agents, who does not name it back (%s)%s", e.short(subName(ci.sub[p])), e.short(ci.id(int(p))), side, req)})
		}
	}
	if !linked {
		r.NotSupported("no user has agents")
	}
}

// sameRecord reports whether records i and j of an index carry the same
// references, status and subtype (a record repeated by paging, not two
// records sharing an id).
func (ci *collIndex) sameRecord(i, j int) bool {
	if ci.flags[i] != ci.flags[j] || ci.sub[i] != ci.sub[j] {
		return false
	}
	a, fa := ci.refs(i)
	b, fb := ci.refs(j)
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if a[k] != b[k] || fa[k] != fb[k] {
			return false
		}
	}
	return true
}

func checkUnique(ctx context.Context, e *Env, r *Recorder, colls []string) {
	for _, p := range colls {
		uniqueIn(ctx, e, r, p)
	}
}

func uniqueIn(ctx context.Context, e *Env, r *Recorder, path string) {
	ci, w := e.indexOf(ctx, path, true)
	if ci == nil {
		return
	}
	// Positions by id hash; equal ids are neighbours.
	key := keyOf(path)
	repeats(ci.n, func(i int) bool { return ci.flags[i]&flagNoID == 0 }, ci.idHash,
		func(i, j int) bool { return ci.id(i) == ci.id(j) },
		func(i, j int) {
			if ci.sameRecord(i, j) {
				return
			}
			ex, ptr, req := where(w, key, j)
			r.Add(Violation{Pointer: ptr + "/sourcedId", RecordID: ci.id(j), Ex: ex,
				Message: fmt.Sprintf("the record at position %d of the walk has the sourcedId of the one at position %d, a different record%s", j, i, req)})
		})
}

func checkCross(ctx context.Context, e *Env, r *Recorder, colls []string, enPath string) {
	first := map[uint32]string{}
	var en *collIndex
	var enw *Walk
	for _, p := range colls {
		ci, w := e.indexOf(ctx, p, false)
		if ci == nil {
			return
		}
		if p == enPath {
			en, enw = ci, w
			continue
		}
		key := keyOf(p)
		for i := 0; i < ci.n; i++ {
			id := ci.own[i]
			if id == 0 {
				continue
			}
			prev, seen := first[id]
			if !seen {
				first[id] = p
				continue
			}
			if prev != p {
				ex, ptr, req := where(w, key, i)
				r.Add(Violation{Pointer: ptr + "/sourcedId", RecordID: ci.id(i), Ex: ex,
					Message: fmt.Sprintf("sourcedId also names a record of GET %s%s", prev, req)})
			}
		}
	}
	if en == nil {
		return
	}
	// Enrollment ids are compared by hash, then by id.
	byHash := make(map[uint64]uint32, len(first))
	for id := range first {
		byHash[keyHash(en.in.name(id))] = id
	}
	for i := 0; i < en.n; i++ {
		n, ok := byHash[en.idHash(i)]
		if !ok || en.in.name(n) != en.id(i) {
			continue
		}
		ex, ptr, req := where(enw, keyOf(enPath), i)
		r.Add(Violation{Pointer: ptr + "/sourcedId", RecordID: en.id(i), Ex: ex,
			Message: fmt.Sprintf("sourcedId also names a record of GET %s%s", first[n], req)})
	}
}

func checkUserUnique(ctx context.Context, e *Env, r *Recorder, users string, email bool) {
	ci, w := e.indexOrSay(ctx, r, users)
	if ci == nil {
		return
	}
	hs, field := ci.uname, "username"
	if email {
		hs, field = ci.email, "email"
	}
	first := make(map[uint64]int32, len(hs))
	any := false
	for i, h := range hs {
		if h == 0 || ci.flags[i]&flagDeleted != 0 {
			continue
		}
		any = true
		p, seen := first[h]
		if !seen {
			first[h] = int32(i)
			continue
		}
		ex, ptr, req := where(w, keyOf(users), i)
		r.Add(Violation{Pointer: ptr + "/" + field, RecordID: ci.id(i), Ex: ex,
			Message: fmt.Sprintf("%s is the same as active user %s's%s", field, e.short(ci.id(int(p))), req)})
	}
	if !any {
		r.NotSupported("no active user has a " + field)
	}
}

// idSet is a set of ids with their order kept for messages.
func idSet(ids []string) map[string]bool {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

func joinIDs(ids []string, n int) string {
	if len(ids) > n {
		return strings.Join(ids[:n], ", ") + fmt.Sprintf(" and %d more", len(ids)-n)
	}
	return strings.Join(ids, ", ")
}
