// Package catalogue is the table of OneRoster 1.1 read endpoints the
// generic checks run against: one row per collection endpoint with its
// wrapper key, schema entity, singleton route and how to find parent ids.
// Adding an endpoint is adding a row here (plus its provider route and a
// defect); the table-driven checks apply to it at once.
package catalogue

import "strings"

// Parent says where the ids of a relationship endpoint's path parameters
// come from: a discovery walk of a top-level collection, and for a second
// parameter, a GUIDRef field of the same record.
type Parent struct {
	// From is the top-level endpoint whose walk supplies the records, e.g. "/classes".
	From string
	// Params maps each path parameter to the record field holding its id:
	// "" means the record's own sourcedId, otherwise a GUIDRef field name
	// ("school" means record.school.sourcedId).
	Params map[string]string
	// Prefer, when set, names a GUIDRef-list field that should be non-empty
	// on the records chosen (so the relationship has something to return).
	Prefer string
	// Via, when set, is a second top-level endpoint whose records resolve a
	// GUIDRef of the first: Params values of the form "lineItem.class" read
	// record.lineItem.sourcedId, then that lineItem's class.sourcedId.
	Via string
	// Fallback, when set, is where the parent ids come from when From is
	// not served and no alternative of From yields a tuple (the classes of
	// /classes/{id}/lineItems: a class may have none, but the endpoint is
	// exercised).
	Fallback *Parent
}

// Source is another place the ids of a top-level collection can be read
// from when the collection itself is not served: the records of From whose
// Kind field (role, or type) is Kind, or the GUIDRef field Ref of From's
// records. When Under is set, From is a relationship endpoint walked under
// the ids of the top-level collection Under: its records are the ids, and
// Ref names the GUIDRef field the parent id stands for (the class of
// /classes/{class_id}/lineItems).
type Source struct {
	From  string
	Kind  string
	Ref   string
	Under string
}

// Endpoint is one collection read endpoint.
type Endpoint struct {
	Area   string // rostering | gradebook | resources
	Path   string // path template, e.g. "/schools/{school_id}/classes"
	Key    string // collection wrapper key, e.g. "classes"
	Entity string // schema entity, e.g. "class"
	// SingleKey is the wrapper of GET Path/{id}; "" when the endpoint has no singleton route.
	SingleKey string
	// Parent is nil for top-level endpoints.
	Parent *Parent
	// Alt are other sources of this collection's ids, tried in order when
	// its own walk yields none (a provider that serves /students/{id} but
	// not /students, or no /schools): a missing endpoint fails its own
	// checks, never the ones that only need its ids.
	Alt []Source
	// Spec is the OneRoster version the endpoint belongs to: "" for 1.1
	// (whose rows, check IDs and paths are the published ones), "1.2".
	Spec string
	// Root is, for a 1.2 endpoint, its service root relative to the shared
	// OneRoster root /ims/oneroster ("/rostering/v1p2"); Path then starts
	// with it ("/rostering/v1p2/users"), so that 1.1 and 1.2 rows, walks
	// and operations never collide. "" for 1.1, whose paths are relative to
	// the 1.1 root.
	Root string
	// Op and SingleOp are a 1.2 row's operationIds (collection, singleton)
	// and Scopes and SingleScopes the OAuth 2 scopes the files list for
	// them (any one authorises), as the 1.2 catalogue records them.
	Op, SingleOp         string
	Scopes, SingleScopes []string
}

// Slug is the endpoint part of check IDs: the path (below its service
// root) without parameters, segments joined by '-', lower case.
func (e Endpoint) Slug() string { return Slug(strings.TrimPrefix(e.Path, e.Root)) }

// IDPrefix is the first segment of the endpoint's check IDs and features:
// "" for 1.1, "v1p2." for 1.2.
func (e Endpoint) IDPrefix() string { return SpecPrefix(e.Spec) }

// SpecPrefix is the check-ID prefix of a spec version: "" for 1.1 (and
// ""), "v1p2." for "1.2".
func SpecPrefix(spec string) string {
	if spec == "" || spec == "1.1" {
		return ""
	}
	return "v" + strings.ReplaceAll(spec, ".", "p") + "."
}

// Feature is the endpoint's feature name, e.g. "rostering.users" or
// "v1p2.rostering.users".
func (e Endpoint) Feature() string { return e.IDPrefix() + e.Area + "." + e.Slug() }

// CheckPrefix is the part of the endpoint's check IDs before the
// behaviour, with its trailing dot: "rostering.users.",
// "v1p2.rostering.users.".
func (e Endpoint) CheckPrefix() string { return e.Feature() + "." }

// VariantKey is the endpoint-named wrapper key some providers write and
// some consumers accept (schools for /schools, students for /students): the
// last path segment, when it differs from Key.
func (e Endpoint) VariantKey() string {
	i := strings.LastIndexByte(e.Path, '/')
	if k := e.Path[i+1:]; k != e.Key {
		return k
	}
	return ""
}

// SinglePath is the operation of the endpoint's singleton, "/users/{id}".
func (e Endpoint) SinglePath() string { return e.Path + "/{id}" }

// TopLevel reports whether the endpoint has no path parameters.
func (e Endpoint) TopLevel() bool { return e.Parent == nil }

// Slug turns a path template into its check-ID form.
func Slug(path string) string {
	var parts []string
	for _, seg := range strings.Split(path, "/") {
		if seg == "" || strings.HasPrefix(seg, "{") {
			continue
		}
		parts = append(parts, strings.ToLower(seg))
	}
	return strings.Join(parts, "-")
}

func top(area, path, key, entity, single string) Endpoint {
	return Endpoint{Area: area, Path: path, Key: key, Entity: entity, SingleKey: single}
}

func alt(e Endpoint, srcs ...Source) Endpoint {
	e.Alt = srcs
	return e
}

func rel(area, path, key, entity string, p Parent) Endpoint {
	return Endpoint{Area: area, Path: path, Key: key, Entity: entity, Parent: &p}
}

func own(param string) map[string]string { return map[string]string{param: ""} }

// Endpoints is every OneRoster 1.1 collection GET (tables 3.1a/b/c).
var Endpoints = []Endpoint{
	top("rostering", "/academicSessions", "academicSessions", "academicSession", "academicSession"),
	top("rostering", "/classes", "classes", "class", "class"),
	top("rostering", "/courses", "courses", "course", "course"),
	alt(top("rostering", "/gradingPeriods", "academicSessions", "academicSession", "academicSession"),
		Source{From: "/academicSessions", Kind: "gradingPeriod"}),
	top("rostering", "/demographics", "demographics", "demographics", "demographics"),
	top("rostering", "/enrollments", "enrollments", "enrollment", "enrollment"),
	top("rostering", "/orgs", "orgs", "org", "org"),
	alt(top("rostering", "/schools", "orgs", "org", "org"),
		Source{From: "/orgs", Kind: "school"}, Source{From: "/classes", Ref: "school"}, Source{From: "/enrollments", Ref: "school"}),
	alt(top("rostering", "/students", "users", "user", "user"),
		Source{From: "/users", Kind: "student"}),
	alt(top("rostering", "/teachers", "users", "user", "user"),
		Source{From: "/users", Kind: "teacher"}),
	alt(top("rostering", "/terms", "academicSessions", "academicSession", "academicSession"),
		Source{From: "/academicSessions", Kind: "term"}),
	top("rostering", "/users", "users", "user", "user"),

	rel("rostering", "/schools/{school_id}/courses", "courses", "course",
		Parent{From: "/schools", Params: own("school_id")}),
	rel("rostering", "/schools/{school_id}/classes/{class_id}/enrollments", "enrollments", "enrollment",
		Parent{From: "/classes", Params: map[string]string{"school_id": "school", "class_id": ""}}),
	rel("rostering", "/schools/{school_id}/classes/{class_id}/students", "users", "user",
		Parent{From: "/classes", Params: map[string]string{"school_id": "school", "class_id": ""}}),
	rel("rostering", "/schools/{school_id}/classes/{class_id}/teachers", "users", "user",
		Parent{From: "/classes", Params: map[string]string{"school_id": "school", "class_id": ""}}),
	rel("rostering", "/schools/{school_id}/enrollments", "enrollments", "enrollment",
		Parent{From: "/schools", Params: own("school_id")}),
	rel("rostering", "/schools/{school_id}/students", "users", "user",
		Parent{From: "/schools", Params: own("school_id")}),
	rel("rostering", "/schools/{school_id}/teachers", "users", "user",
		Parent{From: "/schools", Params: own("school_id")}),
	rel("rostering", "/schools/{school_id}/terms", "academicSessions", "academicSession",
		Parent{From: "/schools", Params: own("school_id")}),
	rel("rostering", "/terms/{term_id}/classes", "classes", "class",
		Parent{From: "/terms", Params: own("term_id")}),
	rel("rostering", "/terms/{term_id}/gradingPeriods", "academicSessions", "academicSession",
		Parent{From: "/terms", Params: own("term_id"), Prefer: "children"}),
	rel("rostering", "/courses/{course_id}/classes", "classes", "class",
		Parent{From: "/courses", Params: own("course_id")}),
	rel("rostering", "/students/{student_id}/classes", "classes", "class",
		Parent{From: "/students", Params: own("student_id")}),
	rel("rostering", "/teachers/{teacher_id}/classes", "classes", "class",
		Parent{From: "/teachers", Params: own("teacher_id")}),
	rel("rostering", "/schools/{school_id}/classes", "classes", "class",
		Parent{From: "/schools", Params: own("school_id")}),
	rel("rostering", "/users/{user_id}/classes", "classes", "class",
		Parent{From: "/students", Params: own("user_id")}),
	rel("rostering", "/classes/{class_id}/students", "users", "user",
		Parent{From: "/classes", Params: own("class_id")}),
	rel("rostering", "/classes/{class_id}/teachers", "users", "user",
		Parent{From: "/classes", Params: own("class_id")}),

	top("resources", "/resources", "resources", "resource", "resource"),
	rel("resources", "/courses/{course_id}/resources", "resources", "resource",
		Parent{From: "/courses", Params: own("course_id"), Prefer: "resources"}),
	rel("resources", "/classes/{class_id}/resources", "resources", "resource",
		Parent{From: "/classes", Params: own("class_id"), Prefer: "resources"}),

	top("gradebook", "/categories", "categories", "category", "category"),
	// A provider may serve line items per class only: their ids (and
	// classes) then come from /classes/{id}/lineItems, or the results'.
	alt(top("gradebook", "/lineItems", "lineItems", "lineItem", "lineItem"),
		Source{From: "/classes/{class_id}/lineItems", Under: "/classes", Ref: "class"}, Source{From: "/results", Ref: "lineItem"}),
	top("gradebook", "/results", "results", "result", "result"),
	rel("gradebook", "/classes/{class_id}/results", "results", "result",
		Parent{From: "/lineItems", Params: map[string]string{"class_id": "class"}, Fallback: &Parent{From: "/classes", Params: own("class_id")}}),
	rel("gradebook", "/classes/{class_id}/lineItems", "lineItems", "lineItem",
		Parent{From: "/lineItems", Params: map[string]string{"class_id": "class"}, Fallback: &Parent{From: "/classes", Params: own("class_id")}}),
	rel("gradebook", "/classes/{class_id}/lineItems/{li_id}/results", "results", "result",
		Parent{From: "/lineItems", Params: map[string]string{"class_id": "class", "li_id": ""}}),
	rel("gradebook", "/classes/{class_id}/students/{student_id}/results", "results", "result",
		Parent{From: "/results", Via: "/lineItems", Params: map[string]string{"class_id": "lineItem.class", "student_id": "student"}}),
}

// Lookup finds an endpoint (1.1 or 1.2) by path template.
func Lookup(path string) (Endpoint, bool) {
	for _, e := range Endpoints {
		if e.Path == path {
			return e, true
		}
	}
	for _, e := range V1p2() {
		if e.Path == path {
			return e, true
		}
	}
	return Endpoint{}, false
}

// Params returns the path parameter names of a template in order.
func Params(path string) []string {
	var out []string
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			out = append(out, seg[1:len(seg)-1])
		}
	}
	return out
}

// Fill substitutes path parameters (values are path-escaped by the caller).
func Fill(path string, vals map[string]string) string {
	for k, v := range vals {
		path = strings.ReplaceAll(path, "{"+k+"}", v)
	}
	return path
}
