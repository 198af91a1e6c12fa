package suites

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/rostercheck/rostercheck/suites/catalogue"
)

// Import preview: what a consumer would import from the provider (counts
// per school and per type) and what it would drop, and why. The rules are
// data in the profile file (preview:), evaluated over the integrity index
// after the run; a new consumer brings its own.

// PreviewConfig is a profile's preview: the consumer's name, the
// collections it imports and its drop rules, applied in order (a record is
// dropped by the first rule that matches it).
type PreviewConfig struct {
	Consumer string `yaml:"consumer"`
	// Flow names a consumer's own preview instead of the drop rules
	// (classroom: which classes a teacher can link and which would fail
	// grade export, per school; classroom_preview.go).
	Flow    string        `yaml:"flow"`
	Imports []string      `yaml:"imports"`
	Drops   []PreviewRule `yaml:"drops"`
}

// PreviewRule is one reason a consumer drops records.
type PreviewRule struct {
	// Collection is a base collection ("/users").
	Collection string `yaml:"collection"`
	// Subtypes limits the rule to roles or types ("guardian", "term").
	Subtypes []string `yaml:"subtypes"`
	// When is the condition: always, tobedeleted, no-email, no-username,
	// unresolved:<field> (the GUIDRef's target is not served, is
	// tobedeleted, or was dropped by an earlier rule), or
	// no-enrollment:<role> (classes without an enrollment of that role).
	When string `yaml:"when"`
	// Verb is what the consumer does: skip, reject, drop, cannot-post.
	Verb string `yaml:"verb"`
	// Why ends the sentence: "SDS would skip 12 guardians <why>".
	Why string `yaml:"why"`
	// Source quotes the consumer's document.
	Source string `yaml:"source"`
}

// previewVerbs are what a consumer does to the records a rule matches.
var previewVerbs = map[string]string{"skip": "would skip", "reject": "would reject", "drop": "would drop", "cannot-post": "can't post to"}

func (p *Profile) checkPreview() error {
	pc := p.Preview
	if pc == nil {
		return nil
	}
	if pc.Consumer == "" {
		return fmt.Errorf("profile %s: preview.consumer is missing", p.Name)
	}
	switch pc.Flow {
	case "":
	case previewFlowClassroom:
		if len(pc.Imports)+len(pc.Drops) > 0 {
			return fmt.Errorf("profile %s: preview.flow %s takes no imports or drops", p.Name, pc.Flow)
		}
	default:
		return fmt.Errorf("profile %s: preview.flow %q, want %s", p.Name, pc.Flow, previewFlowClassroom)
	}
	for _, c := range pc.Imports {
		if _, ok := integritySpecs[c]; !ok {
			return fmt.Errorf("profile %s: preview.imports: %q is not a base collection", p.Name, c)
		}
	}
	for i, r := range pc.Drops {
		if _, ok := integritySpecs[r.Collection]; !ok {
			return fmt.Errorf("profile %s: preview.drops[%d]: %q is not a base collection", p.Name, i, r.Collection)
		}
		if _, ok := previewVerbs[r.Verb]; !ok {
			return fmt.Errorf("profile %s: preview.drops[%d]: verb %q, want skip, reject, drop or cannot-post", p.Name, i, r.Verb)
		}
		kind, arg, _ := strings.Cut(r.When, ":")
		switch kind {
		case "always", "tobedeleted", "no-email", "no-username":
		case "unresolved":
			ok := false
			for _, sp := range integritySpecs[r.Collection] {
				ok = ok || sp.field == arg
			}
			if !ok {
				return fmt.Errorf("profile %s: preview.drops[%d]: %s has no GUIDRef field %q", p.Name, i, r.Collection, arg)
			}
		case "no-enrollment":
			if baseName(r.Collection) != "/classes" || arg == "" {
				return fmt.Errorf("profile %s: preview.drops[%d]: no-enrollment:<role> applies to /classes", p.Name, i)
			}
		default:
			return fmt.Errorf("profile %s: preview.drops[%d]: unknown condition %q", p.Name, i, r.When)
		}
	}
	return nil
}

// Preview is what one consumer would import and drop.
type Preview struct {
	Profile  string
	Consumer string
	Imported []PreviewCount
	Dropped  []PreviewDrop
	// Incomplete names the collections that could not be read completely
	// (the preview leaves them out).
	Incomplete []string
}

// PreviewCount is how many records of a type a school would get.
type PreviewCount struct {
	School string // the school's name, or "(district-wide)"
	Type   string // students, teachers, guardians, classes, courses, enrollments, ...
	Count  int
}

// PreviewDrop is one drop rule's outcome.
type PreviewDrop struct {
	Type     string
	Count    int
	Sentence string // "SDS would skip 12 guardians without e-mail"
	Source   string
	Examples []string // up to 5 sourcedIds
}

// maxPreviewExamples is how many ids a drop names.
const maxPreviewExamples = 5

// BuildPreview evaluates a profile's preview over the run's walks. It
// walks the collections the consumer imports that no check walked.
func (e *Env) BuildPreview(ctx context.Context, p *Profile) *Preview {
	pc := p.Preview
	if pc == nil {
		return nil
	}
	if pc.Flow == previewFlowClassroom {
		return e.classroomPreview(ctx, p)
	}
	e.init()
	// The preview's collections live under the profile's version root
	// (1.1: the base URL; 1.2: /rostering/v1p2).
	at := previewRoot(p)
	out := &Preview{Profile: p.Name, Consumer: pc.Consumer}
	need := append([]string(nil), pc.Imports...)
	for _, r := range pc.Drops {
		need = append(need, r.Collection)
		if k, f, _ := strings.Cut(r.When, ":"); k == "unresolved" {
			for _, sp := range integritySpecs[r.Collection] {
				if sp.field == f {
					need = append(need, sp.to)
				}
			}
		} else if k == "no-enrollment" {
			need = append(need, at("/enrollments"))
		}
	}
	for _, c := range []string{"/orgs", "/classes", "/lineItems"} {
		if _, ok := integritySpecs[at(c)]; ok {
			need = append(need, at(c))
		}
	}
	slices.Sort(need)
	need = slices.Compact(need)
	ix := map[string]*collIndex{}
	for _, c := range need {
		ci, _ := e.indexOf(ctx, c, false)
		if ci == nil {
			out.Incomplete = append(out.Incomplete, c)
			continue
		}
		ix[c] = ci
	}
	dropped := map[string][]bool{}
	for c, ci := range ix {
		dropped[c] = make([]bool, ci.n)
	}
	for _, r := range pc.Drops {
		ci := ix[r.Collection]
		if ci == nil {
			continue
		}
		match := e.previewMatcher(r, ci, ix, dropped, at)
		if match == nil {
			continue
		}
		subs := map[uint8]bool{}
		for _, s := range r.Subtypes {
			subs[subOf(s)] = true
		}
		d := PreviewDrop{Type: typeName(r.Collection, r.Subtypes), Source: r.Source}
		for i := 0; i < ci.n; i++ {
			if dropped[r.Collection][i] || (len(subs) > 0 && !subs[ci.sub[i]]) || !match(i) {
				continue
			}
			dropped[r.Collection][i] = true
			d.Count++
			if len(d.Examples) < maxPreviewExamples {
				d.Examples = append(d.Examples, e.short(ci.id(i)))
			}
		}
		noun := d.Type
		if d.Count == 1 {
			noun = singular(noun)
		}
		d.Sentence = fmt.Sprintf("%s %s %d %s %s", pc.Consumer, previewVerbs[r.Verb], d.Count, noun, r.Why)
		out.Dropped = append(out.Dropped, d)
	}
	// Imported: what no rule dropped, per school and type.
	schools := e.schoolNames(ix[at("/orgs")])
	counts := map[[2]string]int{}
	for _, c := range pc.Imports {
		ci := ix[c]
		if ci == nil {
			continue
		}
		for i := 0; i < ci.n; i++ {
			if dropped[c][i] {
				continue
			}
			counts[[2]string{schools(schoolOf(at, c, ci, i, ix)), recordType(c, ci, i)}]++
		}
	}
	for k, n := range counts {
		out.Imported = append(out.Imported, PreviewCount{School: k[0], Type: k[1], Count: n})
	}
	sort.Slice(out.Imported, func(a, b int) bool {
		x, y := out.Imported[a], out.Imported[b]
		if x.School != y.School {
			return x.School < y.School
		}
		return x.Type < y.Type
	})
	return out
}

// previewMatcher returns the condition of a drop rule over record positions.
func (e *Env) previewMatcher(r PreviewRule, ci *collIndex, ix map[string]*collIndex, dropped map[string][]bool, at func(string) string) func(int) bool {
	kind, arg, _ := strings.Cut(r.When, ":")
	switch kind {
	case "always":
		return func(int) bool { return true }
	case "tobedeleted":
		return func(i int) bool { return ci.flags[i]&flagDeleted != 0 }
	case "no-email":
		if ci.email == nil {
			return nil
		}
		return func(i int) bool { return ci.email[i] == 0 }
	case "no-username":
		if ci.uname == nil {
			return nil
		}
		return func(i int) bool { return ci.uname[i] == 0 }
	case "unresolved":
		var to string
		for _, sp := range ci.specs {
			if sp.field == arg {
				to = sp.to
			}
		}
		t := ix[to]
		if t == nil {
			return nil
		}
		pos := t.positions()
		return func(i int) bool {
			tos, fs := ci.refs(i)
			for k, x := range tos {
				if x == 0 || ci.specs[fs[k]].field != arg {
					continue
				}
				p, ok := pos[x]
				if !ok || t.flags[p]&flagDeleted != 0 || dropped[to][p] {
					return true
				}
			}
			return false
		}
	case "no-enrollment":
		enPath := at("/enrollments")
		en := ix[enPath]
		if en == nil {
			return nil
		}
		role := subOf(arg)
		has := make(map[uint32]bool)
		for i := 0; i < en.n; i++ {
			if en.sub[i] == role && en.flags[i]&flagDeleted == 0 && !dropped[enPath][i] {
				has[en.ref(i, "class")] = true
			}
		}
		return func(i int) bool { return !has[ci.own[i]] }
	}
	return nil
}

// schoolNames returns a function naming a school by interned id (its
// sourcedId when the org walk kept no name).
func (e *Env) schoolNames(orgs *collIndex) func(uint32) string {
	return func(id uint32) string {
		if id == 0 {
			return "(district-wide)"
		}
		if orgs != nil {
			if n, ok := orgs.names[id]; ok {
				return e.short(n)
			}
		}
		return e.short(e.integ().in.name(id))
	}
}

// schoolOf is the school a record belongs to: its school or org GUIDRef,
// a user's first school org, a result's or line item's class's school.
func schoolOf(at func(string) string, c string, ci *collIndex, i int, ix map[string]*collIndex) uint32 {
	switch baseName(c) {
	case "/classes", "/enrollments":
		return ci.ref(i, "school")
	case "/courses":
		return ci.ref(i, "org")
	case "/users":
		orgs := ix[at("/orgs")]
		if orgs == nil {
			return 0
		}
		pos := orgs.positions()
		school := subOf("school")
		to, fs := ci.refs(i)
		for k, x := range to {
			// 1.1 orgs, 1.2 roles[].org
			if f := ci.specs[fs[k]].field; f == "orgs" || f == "roles/org" {
				if p, ok := pos[x]; ok && orgs.sub[p] == school {
					return x
				}
			}
		}
	case "/lineItems":
		if cl := ix[at("/classes")]; cl != nil {
			if p, ok := cl.positions()[ci.ref(i, "class")]; ok {
				return cl.ref(int(p), "school")
			}
		}
	case "/results":
		if li := ix[at("/lineItems")]; li != nil {
			if p, ok := li.positions()[ci.ref(i, "lineItem")]; ok {
				return schoolOf(at, at("/lineItems"), li, int(p), ix)
			}
		}
	case "/orgs":
		if ci.sub[i] == subOf("school") {
			return ci.own[i]
		}
	}
	return 0
}

// recordType names a record's type for the preview: a user's role, an
// org's or session's type, or the collection.
func recordType(c string, ci *collIndex, i int) string {
	switch c = baseName(c); c {
	case "/users", "/orgs", "/academicSessions":
		if s := subName(ci.sub[i]); s != "" {
			return plural(s)
		}
	case "/enrollments":
		if s := subName(ci.sub[i]); s != "" {
			return s + " enrollments"
		}
	}
	return c[1:]
}

func typeName(c string, subs []string) string {
	c = baseName(c)
	if len(subs) == 0 {
		return c[1:]
	}
	ps := make([]string, len(subs))
	for i, s := range subs {
		ps[i] = plural(s)
	}
	if c == "/enrollments" {
		return strings.Join(subs, "/") + " enrollments"
	}
	return strings.Join(ps, "/")
}

func plural(s string) string {
	switch {
	case strings.HasSuffix(s, "s"):
		return s
	case strings.HasSuffix(s, "y") && !strings.HasSuffix(s, "ay"):
		return s[:len(s)-1] + "ies"
	}
	return s + "s"
}

func singular(s string) string {
	switch {
	case strings.HasSuffix(s, "ies"):
		return s[:len(s)-3] + "y"
	case strings.HasSuffix(s, "sses"):
		return s[:len(s)-2]
	case strings.HasSuffix(s, "s"):
		return s[:len(s)-1]
	}
	return s
}

// baseName is a collection's path below its version root:
// "/rostering/v1p2/users" -> "/users"; a 1.1 path is its own.
func baseName(c string) string { return strings.TrimPrefix(c, catalogue.RootOf(c)) }

// previewRoot maps a 1.1 collection path to the profile's version: the
// path itself for 1.1, under /rostering/v1p2 for 1.2 (the gradebook and
// resources collections a 1.2 preview names are written in full).
func previewRoot(p *Profile) func(string) string {
	if p.Spec == SpecV1p2 {
		return func(c string) string { return v12r + c }
	}
	return func(c string) string { return c }
}
