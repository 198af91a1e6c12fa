package suites

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/rostercheck/rostercheck/suites/catalogue"
)

// Relationship agreement: a relationship endpoint (and a subtype
// collection) serves exactly the records the base collections relate to
// the parent. The expected set is computed from the integrity index; the
// served set is the ids the relationship walk read. Extra and missing
// records are named by id.

// relExpect computes the expected records of one parent tuple: the base
// collection they come from and their positions in it. err is set when an
// input index is missing (*inputError: a walk broke, or the collection is
// not served).
type relExpect func(ctx context.Context, e *Env, t map[string]string) (base string, want []int, err error)

// inputError says why a collection the expected records come from has no
// index; why is set when the collection is not served (the comparison
// then has nothing to compare with).
type inputError struct{ why string }

func (ie *inputError) Error() string {
	if ie.why == "" {
		return "an input collection was not read completely"
	}
	return ie.why
}

type relCheck struct {
	path   string
	what   string // what the endpoint must list, for the title
	expect relExpect
}

// ixs fetches complete indexes; an *inputError when one is not.
func (e *Env) ixs(ctx context.Context, paths ...string) ([]*collIndex, error) {
	out := make([]*collIndex, len(paths))
	for i, p := range paths {
		ci, w := e.indexOf(ctx, p, false)
		if ci == nil {
			return nil, &inputError{why: notServedWhy(w)}
		}
		out[i] = ci
	}
	return out, nil
}

// refersTo lists the records of base whose field names id (and whose
// subtype is sub, when given).
func refersTo(base, field, sub string) relExpect {
	return func(ctx context.Context, e *Env, t map[string]string) (string, []int, error) {
		ix, err := e.ixs(ctx, base)
		if err != nil {
			return base, nil, err
		}
		ci := ix[0]
		id, known := ci.in.lookup(paramOf(t))
		var want []int
		if !known {
			return base, want, nil
		}
		s := uint8(0)
		if sub != "" {
			s = subOf(sub)
		}
		f := ci.slot(field)
		for i := 0; i < ci.n; i++ {
			if (sub == "" || ci.sub[i] == s) && ci.hasAt(i, f, id) {
				want = append(want, i)
			}
		}
		return base, want, nil
	}
}

// paramOf returns the single (or last-listed innermost) parameter value a
// one-parameter endpoint was filled with.
func paramOf(t map[string]string) string {
	for _, v := range t {
		return v
	}
	return ""
}

// enrolledUsers lists the users (of collection users) of a class's
// enrollments (of collection enrollments) with the role.
func enrolledUsers(enrollments, users, role, classParam string) relExpect {
	return func(ctx context.Context, e *Env, t map[string]string) (string, []int, error) {
		ix, err := e.ixs(ctx, enrollments, users)
		if err != nil {
			return users, nil, err
		}
		en, us := ix[0], ix[1]
		c, known := en.in.lookup(t[classParam])
		if !known {
			return users, nil, nil
		}
		upos := us.positions()
		r := subOf(role)
		seen := map[int]bool{}
		var want []int
		ec, eu := en.slot("class"), en.slot("user")
		for i := 0; i < en.n; i++ {
			if en.sub[i] != r || en.at(i, ec) != c {
				continue
			}
			if p, ok := upos[en.at(i, eu)]; ok && !seen[int(p)] {
				seen[int(p)] = true
				want = append(want, int(p))
			}
		}
		return users, want, nil
	}
}

// classEnrollments lists a class's enrollments.
func classEnrollments(enrollments, classParam string) relExpect {
	return func(ctx context.Context, e *Env, t map[string]string) (string, []int, error) {
		ix, err := e.ixs(ctx, enrollments)
		if err != nil {
			return enrollments, nil, err
		}
		en := ix[0]
		c, known := en.in.lookup(t[classParam])
		var want []int
		ec := en.slot("class")
		for i := 0; known && i < en.n; i++ {
			if en.at(i, ec) == c {
				want = append(want, i)
			}
		}
		return enrollments, want, nil
	}
}

// userClassesOf lists the classes (of collection classes) of a user's
// enrollments (of collection enrollments).
func userClassesOf(enrollments, classes string) relExpect {
	return func(ctx context.Context, e *Env, t map[string]string) (string, []int, error) {
		ix, err := e.ixs(ctx, enrollments, classes)
		if err != nil {
			return classes, nil, err
		}
		en, cl := ix[0], ix[1]
		u, known := en.in.lookup(paramOf(t))
		if !known {
			return classes, nil, nil
		}
		cpos := cl.positions()
		seen := map[int]bool{}
		var want []int
		eu, ec := en.slot("user"), en.slot("class")
		for i := 0; i < en.n; i++ {
			if en.at(i, eu) != u {
				continue
			}
			if p, ok := cpos[en.at(i, ec)]; ok && !seen[int(p)] {
				seen[int(p)] = true
				want = append(want, int(p))
			}
		}
		return classes, want, nil
	}
}

// resourcesOfParent lists the resources (of collection resources) a
// course or class (of collection parent) names.
func resourcesOfParent(parent, resources string) relExpect {
	return func(ctx context.Context, e *Env, t map[string]string) (string, []int, error) {
		ix, err := e.ixs(ctx, parent, resources)
		if err != nil {
			return resources, nil, err
		}
		pc, rs := ix[0], ix[1]
		id, known := pc.in.lookup(paramOf(t))
		p, ok := pc.positions()[id]
		var want []int
		if !known || !ok {
			return resources, want, nil
		}
		rpos := rs.positions()
		to, fs := pc.refs(int(p))
		for k, x := range to {
			if pc.specs[fs[k]].field != "resources" {
				continue
			}
			if q, ok := rpos[x]; ok {
				want = append(want, int(q))
			}
		}
		return resources, want, nil
	}
}

// resultsOfClass lists the results whose lineItem's class is the class
// (and whose student is the student, when studentParam is set).
func resultsOfClass(studentParam string) relExpect {
	return func(ctx context.Context, e *Env, t map[string]string) (string, []int, error) {
		ix, err := e.ixs(ctx, "/results", "/lineItems")
		if err != nil {
			return "/results", nil, err
		}
		rs, li := ix[0], ix[1]
		c, known := rs.in.lookup(t["class_id"])
		var s uint32
		if studentParam != "" {
			var ok bool
			if s, ok = rs.in.lookup(t[studentParam]); !ok {
				known = false
			}
		}
		var want []int
		if !known {
			return "/results", want, nil
		}
		lpos := li.positions()
		rl, rst, lc := rs.slot("lineItem"), rs.slot("student"), li.slot("class")
		for i := 0; i < rs.n; i++ {
			p, ok := lpos[rs.at(i, rl)]
			if !ok || li.at(int(p), lc) != c {
				continue
			}
			if studentParam != "" && rs.at(i, rst) != s {
				continue
			}
			want = append(want, i)
		}
		return "/results", want, nil
	}
}

func lineItemResults(ctx context.Context, e *Env, t map[string]string) (string, []int, error) {
	ix, err := e.ixs(ctx, "/results", "/lineItems")
	if err != nil {
		return "/results", nil, err
	}
	rs, li := ix[0], ix[1]
	l, known := rs.in.lookup(t["li_id"])
	c, _ := rs.in.lookup(t["class_id"])
	var want []int
	p, ok := li.positions()[l]
	if !known || !ok || li.ref(int(p), "class") != c {
		return "/results", want, nil
	}
	rl := rs.slot("lineItem")
	for i := 0; i < rs.n; i++ {
		if rs.at(i, rl) == l {
			want = append(want, i)
		}
	}
	return "/results", want, nil
}

// subtypeOf lists the records of base with a subtype (for /schools, /students, ...).
func subtypeOf(base, sub string) relExpect {
	return func(ctx context.Context, e *Env, _ map[string]string) (string, []int, error) {
		ix, err := e.ixs(ctx, base)
		if err != nil {
			return base, nil, err
		}
		s := subOf(sub)
		var want []int
		for i := 0; i < ix[0].n; i++ {
			if ix[0].sub[i] == s {
				want = append(want, i)
			}
		}
		return base, want, nil
	}
}

var relChecks = []relCheck{
	{"/schools", "every org of type school", subtypeOf("/orgs", "school")},
	{"/students", "every user with role student", subtypeOf("/users", "student")},
	{"/teachers", "every user with role teacher", subtypeOf("/users", "teacher")},
	{"/terms", "every academic session of type term", subtypeOf("/academicSessions", "term")},
	{"/gradingPeriods", "every academic session of type gradingPeriod", subtypeOf("/academicSessions", "gradingPeriod")},
	{"/schools/{school_id}/students", "the students whose orgs include the school", refersTo("/users", "orgs", "student")},
	{"/schools/{school_id}/teachers", "the teachers whose orgs include the school", refersTo("/users", "orgs", "teacher")},
	{"/schools/{school_id}/classes", "the classes whose school is the school", refersTo("/classes", "school", "")},
	{"/schools/{school_id}/courses", "the courses whose org is the school", refersTo("/courses", "org", "")},
	{"/schools/{school_id}/enrollments", "the enrollments whose school is the school", refersTo("/enrollments", "school", "")},
	{"/schools/{school_id}/classes/{class_id}/enrollments", "the class's enrollments", classEnrollments("/enrollments", "class_id")},
	{"/schools/{school_id}/classes/{class_id}/students", "the users of the class's student enrollments", enrolledUsers("/enrollments", "/users", "student", "class_id")},
	{"/schools/{school_id}/classes/{class_id}/teachers", "the users of the class's teacher enrollments", enrolledUsers("/enrollments", "/users", "teacher", "class_id")},
	{"/classes/{class_id}/students", "the users of the class's student enrollments", enrolledUsers("/enrollments", "/users", "student", "class_id")},
	{"/classes/{class_id}/teachers", "the users of the class's teacher enrollments", enrolledUsers("/enrollments", "/users", "teacher", "class_id")},
	{"/terms/{term_id}/classes", "the classes whose terms include the term", refersTo("/classes", "terms", "")},
	{"/terms/{term_id}/gradingPeriods", "the grading periods whose parent is the term", refersTo("/academicSessions", "parent", "gradingPeriod")},
	{"/courses/{course_id}/classes", "the classes whose course is the course", refersTo("/classes", "course", "")},
	{"/students/{student_id}/classes", "the classes of the student's enrollments", userClassesOf("/enrollments", "/classes")},
	{"/teachers/{teacher_id}/classes", "the classes of the teacher's enrollments", userClassesOf("/enrollments", "/classes")},
	{"/users/{user_id}/classes", "the classes of the user's enrollments", userClassesOf("/enrollments", "/classes")},
	{"/courses/{course_id}/resources", "the resources the course names", resourcesOfParent("/courses", "/resources")},
	{"/classes/{class_id}/resources", "the resources the class names", resourcesOfParent("/classes", "/resources")},
	{"/classes/{class_id}/lineItems", "the line items whose class is the class", refersTo("/lineItems", "class", "")},
	{"/classes/{class_id}/results", "the results of the class's line items", resultsOfClass("")},
	{"/classes/{class_id}/lineItems/{li_id}/results", "the results of the line item", lineItemResults},
	{"/classes/{class_id}/students/{student_id}/results", "the student's results of the class's line items", resultsOfClass("student_id")},
}

// relChecksV1p2 are the same comparisons over the OneRoster 1.2 rostering
// and resources reads (their paths under /ims/oneroster, their path
// parameters as the 1.2 files name them). A 1.2 user relates to an org
// through roles[].org, and its subtype is its first role's.
var relChecksV1p2 = []relCheck{
	{v12r + "/schools", "every org of type school", subtypeOf(v12r+"/orgs", "school")},
	{v12r + "/students", "every user whose role is student", subtypeOf(v12r+"/users", "student")},
	{v12r + "/teachers", "every user whose role is teacher", subtypeOf(v12r+"/users", "teacher")},
	{v12r + "/terms", "every academic session of type term", subtypeOf(v12r+"/academicSessions", "term")},
	{v12r + "/gradingPeriods", "every academic session of type gradingPeriod", subtypeOf(v12r+"/academicSessions", "gradingPeriod")},
	{v12r + "/schools/{schoolSourcedId}/students", "the students whose roles[].org include the school", refersTo(v12r+"/users", "roles/org", "student")},
	{v12r + "/schools/{schoolSourcedId}/teachers", "the teachers whose roles[].org include the school", refersTo(v12r+"/users", "roles/org", "teacher")},
	{v12r + "/schools/{schoolSourcedId}/classes", "the classes whose school is the school", refersTo(v12r+"/classes", "school", "")},
	{v12r + "/schools/{schoolSourcedId}/courses", "the courses whose org is the school", refersTo(v12r+"/courses", "org", "")},
	{v12r + "/schools/{schoolSourcedId}/enrollments", "the enrollments whose school is the school", refersTo(v12r+"/enrollments", "school", "")},
	{v12r + "/schools/{schoolSourcedId}/classes/{classSourcedId}/enrollments", "the class's enrollments", classEnrollments(v12r+"/enrollments", "classSourcedId")},
	{v12r + "/schools/{schoolSourcedId}/classes/{classSourcedId}/students", "the users of the class's student enrollments", enrolledUsers(v12r+"/enrollments", v12r+"/users", "student", "classSourcedId")},
	{v12r + "/schools/{schoolSourcedId}/classes/{classSourcedId}/teachers", "the users of the class's teacher enrollments", enrolledUsers(v12r+"/enrollments", v12r+"/users", "teacher", "classSourcedId")},
	{v12r + "/classes/{classSourcedId}/students", "the users of the class's student enrollments", enrolledUsers(v12r+"/enrollments", v12r+"/users", "student", "classSourcedId")},
	{v12r + "/classes/{classSourcedId}/teachers", "the users of the class's teacher enrollments", enrolledUsers(v12r+"/enrollments", v12r+"/users", "teacher", "classSourcedId")},
	{v12r + "/terms/{termSourcedId}/classes", "the classes whose terms include the term", refersTo(v12r+"/classes", "terms", "")},
	{v12r + "/terms/{termSourcedId}/gradingPeriods", "the grading periods whose parent is the term", refersTo(v12r+"/academicSessions", "parent", "gradingPeriod")},
	{v12r + "/courses/{courseSourcedId}/classes", "the classes whose course is the course", refersTo(v12r+"/classes", "course", "")},
	{v12r + "/students/{studentSourcedId}/classes", "the classes of the student's enrollments", userClassesOf(v12r+"/enrollments", v12r+"/classes")},
	{v12r + "/teachers/{teacherSourcedId}/classes", "the classes of the teacher's enrollments", userClassesOf(v12r+"/enrollments", v12r+"/classes")},
	{v12r + "/users/{userSourcedId}/classes", "the classes of the user's enrollments", userClassesOf(v12r+"/enrollments", v12r+"/classes")},
	{v12s + "/courses/{courseSourcedId}/resources", "the resources the course names", resourcesOfParent(v12r+"/courses", v12s+"/resources")},
	{v12s + "/classes/{classSourcedId}/resources", "the resources the class names", resourcesOfParent(v12r+"/classes", v12s+"/resources")},
}

func relationshipChecks() []Check {
	var out []Check
	for _, rc := range append(append([]relCheck(nil), relChecks...), relChecksV1p2...) {
		rc := rc
		ep, ok := catalogue.Lookup(rc.path)
		if !ok {
			panic("integrity: no catalogue row for " + rc.path)
		}
		scope := "for the sampled parents, or every parent when a profile asks"
		if ep.TopLevel() {
			scope = "in full"
		}
		title, src := "", rules[ruleRelMissing].Source
		if ep.Spec != "" {
			title = "OneRoster 1.2: "
			src = v1p2Source(specV1p2Model+": relationship reads are views of the collections (the records whose GUIDRefs name the parent)", ep, ep.Path, ep.Op, ep.Scopes)
		}
		out = append(out, Check{
			ID:       ep.IDPrefix() + "integrity." + ep.Slug() + ".agrees",
			Title:    fmt.Sprintf("%sGET %s lists exactly %s (%s) [MUST]", title, rc.path, rc.what, scope),
			Area:     "integrity",
			Endpoint: rc.path,
			Level:    MUST,
			Features: []string{rc.path, FeatureRelationships},
			Rule:     ruleRelMissing,
			Service:  ep.Area,
			Source:   src,
			Run:      func(ctx context.Context, e *Env, r *Recorder) { checkAgrees(ctx, e, r, ep, rc) },
		})
	}
	return out
}

// maxAllParents bounds the parents compared when a profile asks for every
// parent (the discovery walk keeps at most maxItems records).
const maxAllParents = maxItems

func checkAgrees(ctx context.Context, e *Env, r *Recorder, ep catalogue.Endpoint, rc relCheck) {
	// Nothing compared is not a pass: when the endpoint, or a collection
	// the expected records come from, is not served, the check says so.
	compared, why := 0, ""
	// compare judges one walk against the collections; false stops the
	// check (an input collection could not be read).
	compare := func(t map[string]string, w *Walk) bool {
		if ns := notServedWhy(w); ns != "" {
			why = ns
			return true
		}
		if !completeWalk(w, false) {
			return true // the endpoint's own checks report the broken walk
		}
		base, want, err := rc.expect(ctx, e, t)
		if err != nil {
			if ie := (*inputError)(nil); errors.As(err, &ie) && ie.why != "" {
				why = fmt.Sprintf("nothing to compare GET %s with: %s", ep.Path, ie.why)
			}
			return false
		}
		compared++
		ci := e.index(base)
		got := idSet(w.IDs)
		wantIDs := make(map[string]bool, len(want))
		var missing []string
		for _, p := range want {
			id := ci.id(p)
			wantIDs[id] = true
			if !got[id] {
				missing = append(missing, id)
			}
		}
		// A tombstone served by a relationship endpoint may carry only its
		// id, status and date in the collection: nothing relates it there,
		// and nothing says it does not belong.
		deleted := map[string]bool{}
		for i := 0; i < ci.n; i++ {
			if ci.flags[i]&flagDeleted != 0 {
				deleted[ci.id(i)] = true
			}
		}
		var extra []string
		for _, id := range w.IDs {
			if !wantIDs[id] && !deleted[id] {
				extra = append(extra, id)
			}
		}
		if len(missing)+len(extra) == 0 {
			return true
		}
		sort.Strings(missing)
		ex := r.Evidence(firstEx(w))
		for _, id := range missing {
			r.Add(Violation{Rule: ruleRelMissing, RecordID: id, Ex: ex,
				Message: fmt.Sprintf("GET %s leaves out %s, which GET %s relates to it", w.Path, e.short(id), base)})
		}
		for _, id := range extra {
			r.Add(Violation{Rule: ruleRelExtra, RecordID: id, Ex: ex,
				Message: fmt.Sprintf("GET %s serves %s, which GET %s does not relate to it", w.Path, e.short(id), base)})
		}
		return true
	}
	defer func() {
		if compared == 0 && why != "" {
			r.NotSupported(why)
		}
	}()
	if ep.TopLevel() {
		compare(nil, e.WalkTop(ctx, ep.Path))
		return
	}
	n := e.Parents
	if e.AllParents[ep.Path] {
		n = maxAllParents
	}
	tuples, err := e.parentTuples(ctx, ep, n)
	if err != nil {
		var de *DiscoveryError
		if errors.As(err, &de) && (de.Empty || de.NotServed) {
			r.NotSupported(err.Error())
		}
		return // a broken discovery fails the endpoint's own checks
	}
	for k, t := range tuples {
		path := fillEscaped(ep.Path, t)
		var w *Walk
		if k < e.Parents {
			w = e.walk(ctx, ep, path) // the sampled walks, shared with the generic checks
		} else {
			w = e.runWalk(e.runCtx(ctx), ep, path, false) // every further parent: compared, then dropped
		}
		if !compare(t, w) || ctx.Err() != nil {
			return
		}
	}
}
