package suites

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"

	"github.com/rostercheck/rostercheck/internal/client"
)

// Google Classroom's import preview: per school, which classes a teacher
// can link (an active class with a teacher, a school and a term: Classroom
// lists a teacher's active classes and indexes school and terms[0]) and,
// of those, which would fail grade export (no students, no category, or no
// grading period under its first term: the notebook's rows 4 to 6, which
// Classroom needs before it writes a lineItem or a result).

const previewFlowClassroom = "classroom"

// maxPreviewCategoryReads bounds the getCategoriesForClass reads of the
// preview (one per linkable class).
const maxPreviewCategoryReads = 500

// previewPages reads every record of a 1.2 collection, limit=10000 pages.
func (e *Env) previewPages(ctx context.Context, check, path, key string) ([]map[string]any, bool) {
	var out []map[string]any
	for offset := 0; ; offset += 10000 {
		u := e.url(path, nil) + "?limit=10000&offset=" + strconv.Itoa(offset)
		ex := e.Store.Do(ctx, client.Request{Method: http.MethodGet, URL: u, CheckID: check})
		var doc map[string][]map[string]any
		if ex.Status != http.StatusOK || json.Unmarshal(ex.Body, &doc) != nil {
			return out, false
		}
		out = append(out, doc[key]...)
		if len(doc[key]) < 10000 {
			return out, true
		}
	}
}

func (e *Env) classroomPreview(ctx context.Context, p *Profile) *Preview {
	check := "preview:" + p.Name
	out := &Preview{Profile: p.Name, Consumer: p.Preview.Consumer}
	read := func(path, key string) []map[string]any {
		recs, ok := e.previewPages(ctx, check, path, key)
		if !ok {
			out.Incomplete = append(out.Incomplete, path)
		}
		return recs
	}
	schools := map[string]string{}
	for _, s := range read("/rostering/v1p2/schools", "orgs") {
		schools[gstr(s, "sourcedId")] = gstr(s, "name")
	}
	classes := read("/rostering/v1p2/classes", "classes")
	type roster struct{ students, teachers int }
	enrolled := map[string]*roster{}
	for _, en := range read("/rostering/v1p2/enrollments", "enrollments") {
		if gstr(en, "status") == "tobedeleted" {
			continue
		}
		c := refID(en, "class")
		if enrolled[c] == nil {
			enrolled[c] = &roster{}
		}
		switch gstr(en, "role") {
		case "student":
			enrolled[c].students++
		case "teacher":
			enrolled[c].teachers++
		}
	}
	termsWithGP := map[string]bool{}
	for _, s := range read("/rostering/v1p2/academicSessions", "academicSessions") {
		if gstr(s, "type") == "gradingPeriod" && gstr(s, "status") != "tobedeleted" {
			termsWithGP[refID(s, "parent")] = true
		}
	}
	if len(out.Incomplete) > 0 {
		return out
	}
	type reason struct{ school, why string }
	linkable, ready, unread := map[string]int{}, map[string]int{}, map[string]int{}
	dropped := map[reason][]string{}
	reads := 0
	drop := func(school, why, id string) { dropped[reason{school, why}] = append(dropped[reason{school, why}], id) }
	for _, c := range classes {
		id, school, term := gstr(c, "sourcedId"), refID(c, "school"), firstTerm(c)
		name := schools[school]
		if name == "" {
			name = "(no school)"
		}
		r := enrolled[id]
		if r == nil {
			r = &roster{}
		}
		switch {
		case gstr(c, "status") == "tobedeleted":
			drop(name, "can't link:with status tobedeleted", id)
			continue
		case school == "" || term == "":
			drop(name, "can't link:without a school or a term (Classroom indexes both)", id)
			continue
		case r.teachers == 0:
			drop(name, "can't link:without a teacher", id)
			continue
		}
		linkable[name]++
		ok := true
		if r.students == 0 {
			drop(name, "can't export grades for:without students", id)
			ok = false
		}
		if !termsWithGP[term] {
			drop(name, "can't export grades for:whose first term has no grading period", id)
			ok = false
		}
		if reads >= maxPreviewCategoryReads {
			unread[name]++
			continue
		}
		{
			reads++
			u := e.url("/gradebook/v1p2/classes/"+url.PathEscape(id)+"/categories", nil) + "?limit=10000"
			ex := e.Store.Do(ctx, client.Request{Method: http.MethodGet, URL: u, CheckID: check})
			var doc map[string][]any
			if ex.Status == http.StatusOK && json.Unmarshal(ex.Body, &doc) == nil && len(doc["categories"]) == 0 {
				drop(name, "can't export grades for:without a category", id)
				ok = false
			}
		}
		if ok {
			ready[name]++
		}
	}

	var names []string
	for n := range linkable {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		out.Imported = append(out.Imported, PreviewCount{School: n, Type: "classes a teacher can link", Count: linkable[n]},
			PreviewCount{School: n, Type: "ready for grade export", Count: ready[n]})
		if unread[n] > 0 {
			// Past the preview's bound on getCategoriesForClass reads.
			out.Imported = append(out.Imported, PreviewCount{School: n, Type: fmt.Sprintf("unchecked (categories read for the first %d classes only)", maxPreviewCategoryReads), Count: unread[n]})
		}
	}
	var rs []reason
	for r := range dropped {
		rs = append(rs, r)
	}
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].school != rs[j].school {
			return rs[i].school < rs[j].school
		}
		return rs[i].why < rs[j].why
	})
	for _, r := range rs {
		ids := dropped[r]
		verb, why, _ := cutColon(r.why)
		ex := ids
		if len(ex) > maxPreviewExamples {
			ex = ex[:maxPreviewExamples]
		}
		out.Dropped = append(out.Dropped, PreviewDrop{Type: "classes", Count: len(ids),
			Sentence: fmt.Sprintf("%s %s %s in %s %s", p.Preview.Consumer, verb, nClasses(len(ids)), r.school, why),
			Source:   srcGNB, Examples: ex})
	}
	return out
}

func cutColon(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func nClasses(n int) string {
	if n == 1 {
		return "1 class"
	}
	return strconv.Itoa(n) + " classes"
}
