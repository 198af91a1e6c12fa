package suites

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rostercheck/rostercheck/internal/client"
	"github.com/rostercheck/rostercheck/schemas"
	"github.com/rostercheck/rostercheck/suites/catalogue"
)

// Write checks: the Grade Sync and Data Sync write flows (PUT and DELETE of
// lineItems, results and categories). Each check is one spec whose steps
// create, read back, change and delete objects of its own, with fresh
// UUIDs and "rostercheck" in every title, tracked from before the first
// PUT until verified gone (writes_cleanup.go). They run only with
// --allow-writes (Check.Writes).

// Write features: the operations and the behaviour family.
const (
	FeatureWrites      = "writes"
	opPutLineItem      = "PUT /lineItems/{id}"
	opDeleteLineItem   = "DELETE /lineItems/{id}"
	opPutResult        = "PUT /results/{id}"
	opDeleteResult     = "DELETE /results/{id}"
	opPutCategory      = "PUT /categories/{id}"
	opDeleteCategory   = "DELETE /categories/{id}"
	writeTag           = "rostercheck"
	specWrites         = "OneRoster 1.1 §3 Table 3.1c (PUT create-or-replace, DELETE)"
	seedGradeSyncWrite = `Microsoft page: Onboarding OneRoster API providers in SDS and Grade Sync: "Update/Delete specific Line Item /lineItems/{id} PUT, DELETE; Update specific result /results/{id} PUT"`
)

// Rules of the write checks.
const (
	ruleWriteRejected     = "write.rejected"
	ruleWriteCreateStatus = "write.create-status"
	ruleWriteUpdateStatus = "write.update-status"
	ruleWriteNoObject     = "write.response-object"
	ruleWriteNotStored    = "write.not-stored"
	ruleWriteNotListed    = "write.not-listed"
	ruleWriteDLM          = "write.dlm-not-advanced"
	ruleWriteScore        = "write.score-changed"
	ruleWriteExemptNoSc   = "write.exempt-without-score"
	ruleWriteDeleteStatus = "write.delete-status"
	ruleWriteNotDeleted   = "write.not-deleted"
	ruleWriteOrphans      = "write.orphaned-results"
	ruleWriteBadAccepted  = "write.bad-accepted"
	ruleWriteBad5xx       = "write.bad-server-error"
	ruleWriteBadNoImsx    = "write.bad-no-imsx-body"
	ruleWriteBadStored    = "write.bad-stored"
	ruleWriteReadFailed   = "write.read-failed"
)

// WritePins are ids pinned in the configuration for sandboxes where the
// walked data is not enough (a class with students, a category, a
// grading period). Empty fields are discovered.
type WritePins struct {
	Class, Student, Category, GradingPeriod string
}

func init() {
	RegisterFeatures(FeatureWrites, opPutLineItem, opDeleteLineItem, opPutResult, opDeleteResult, opPutCategory, opDeleteCategory)
	RegisterRules(
		Rule{ruleWriteRejected, MUST, "a valid write (the body a consumer sends) is refused", specWrites,
			"accept the wrapped body {\"lineItem\":{…}} with partial GUIDRefs (sourcedId, with or without type, no href) and full dateTimes"},
		Rule{ruleWriteCreateStatus, SHOULD, "a PUT that creates an object does not answer 201", specWrites + `; S5 and Google expect 201 on create (1.1 S4 accepts 200)`,
			"answer 201 Created with the stored object when the PUT creates it"},
		Rule{ruleWriteUpdateStatus, SHOULD, "a PUT that replaces an object does not answer 200", specWrites, "answer 200 with the stored object when the PUT replaces it"},
		Rule{ruleWriteNoObject, SHOULD, "the PUT response does not carry the stored object", specWrites + "; S5 returns the stored object",
			"answer {\"lineItem\":{…}} (the stored object) to a PUT"},
		Rule{ruleWriteNotStored, MUST, "the object read back is not what the PUT stored", specWrites,
			"store every field of the PUT body and serve it back unchanged at GET /{collection}/{id}"},
		Rule{ruleWriteNotListed, MUST, "a stored object is missing from its relationship collection", specWrites,
			"list a stored lineItem in /classes/{id}/lineItems and a result in every results path of its class, lineItem and student"},
		Rule{ruleWriteDLM, MUST, "a replacing PUT does not advance dateLastModified", "OneRoster 1.1 §4 base class: dateLastModified; delta sync (filter=dateLastModified>…)",
			"set dateLastModified to the time of every change: a write the delta cannot see is lost to every consumer that syncs by delta"},
		Rule{ruleWriteScore, MUST, "a score above resultValueMax is not stored unchanged", `OneRoster 1.1 Information Model (Google sends score 300 with resultValueMax 100, "extra credit")`,
			"store the score as sent; resultValueMax is not a cap"},
		Rule{ruleWriteExemptNoSc, Ignore, "a result with scoreStatus exempt and no score is refused", "OneRoster 1.1 makes score required; 1.2 and Google send exempt without one",
			"accept scoreStatus exempt without a score"},
		Rule{ruleWriteDeleteStatus, SHOULD, "a DELETE answers a success other than 204 or 200", specWrites, "answer 204 No Content"},
		Rule{ruleWriteNotDeleted, MUST, "a deleted object can still be read", specWrites, "after DELETE answer 404 at GET /{collection}/{id} and leave it out of every collection"},
		Rule{ruleWriteOrphans, MUST, "the results of a deleted lineItem are still served", `OneRoster 1.1 Table 3.1c (DELETE) ("a DELETEd result disappears from the relationship collections")`,
			"delete (or stop serving) a lineItem's results with it"},
		Rule{ruleWriteBadAccepted, MUST, "a bad write is answered with success", specWrites, "answer 400 or 422 with an imsx statusInfoSet to a body that is not a valid object"},
		Rule{ruleWriteBad5xx, MUST, "a bad write is answered with a server error", specWrites, "validate PUT bodies and answer 400 or 422, never 500"},
		Rule{ruleWriteBadNoImsx, SHOULD, "a refused write has no imsx statusInfoSet body", "OneRoster 1.1 §3.9 (error payload shape not normative in 1.1)",
			"answer {\"statusInfoSet\":[{\"imsx_codeMajor\":\"failure\",\"imsx_severity\":\"error\",\"imsx_codeMinor\":\"invalid data\"}]}"},
		Rule{ruleWriteBadStored, MUST, "a refused (or bad) write was stored anyway", specWrites, "store nothing from a PUT you refuse"},
		Rule{ruleWriteReadFailed, MUST, "reading back a written object failed", specWrites, "serve GET of what PUT stored"},
	)
	RegisterChecks(writeChecks)
}

func writeCheck(id, endpoint, title, rule, source string, features []string, run func(ctx context.Context, w *writer)) Check {
	return versionWriteCheck(v1p1Writes, "gradebook."+id, endpoint, title, rule, source, features, run)
}

// versionWriteCheck is a gradebook write check of one spec version: MUST,
// behind --allow-writes (FeatureWrites), its writer holding the version's
// write data, and whatever it created cleaned up when it ends.
func versionWriteCheck(v *writeVersion, id, endpoint, title, rule, source string, features []string, run func(ctx context.Context, w *writer)) Check {
	return Check{
		ID: id, Title: title + " [MUST]", Area: "gradebook", Endpoint: endpoint, Level: MUST,
		Features: append(append([]string(nil), features...), FeatureWrites), Rule: rule, Service: "gradebook", Writes: true, Source: source,
		Run: func(ctx context.Context, e *Env, r *Recorder) {
			if e.Tracker == nil {
				r.Errorf("harness: write checks need a cleanup tracker")
				return
			}
			w := &writer{e: e, r: r, check: id, v: v}
			defer e.cleanup(ctx, w.check)
			run(ctx, w)
		},
	}
}

func writeChecks() []Check {
	return []Check{
		writeCheck("lineitems.writes.flow", "/lineItems/{id}",
			"PUT /lineItems/{id} creates (201), shows in GET and /classes/{id}/lineItems, replaces (200, later dateLastModified), and DELETE removes it (204, then 404)",
			ruleWriteNotStored, seedGradeSyncWrite, []string{opPutLineItem, opDeleteLineItem}, flowLineItem),
		writeCheck("lineitems.writes.cascade", "/lineItems/{id}",
			"DELETE /lineItems/{id} takes its results with it: gone from /results/{id} and every results path",
			ruleWriteOrphans, seedGradeSyncWrite, []string{opPutLineItem, opDeleteLineItem, opPutResult}, flowCascade),
		writeCheck("lineitems.writes.bad-writes", "/lineItems/{id}",
			"PUT /lineItems/{id} refuses bad bodies (id mismatch, missing title, unknown class, bad date, unwrapped body) with 4xx and an imsx body, and stores nothing",
			ruleWriteBadAccepted, seedGradeSyncWrite, []string{opPutLineItem}, badLineItems),
		writeCheck("results.writes.flow", "/results/{id}",
			"PUT /results/{id} creates, replaces, keeps a score above resultValueMax and stores exempt; read back at /results/{id} and both class results paths",
			ruleWriteNotStored, seedGradeSyncWrite, []string{opPutLineItem, opPutResult}, flowResult),
		writeCheck("results.writes.delete", "/results/{id}",
			"DELETE /results/{id} answers 204 and the result is gone from /results/{id} and every results path",
			ruleWriteNotDeleted, specWrites, []string{opPutLineItem, opPutResult, opDeleteResult}, flowResultDelete),
		writeCheck("results.writes.bad-writes", "/results/{id}",
			"PUT /results/{id} refuses bad bodies (unknown student, unknown scoreStatus, bad scoreDate, missing lineItem) with 4xx and an imsx body, and stores nothing",
			ruleWriteBadAccepted, seedGradeSyncWrite, []string{opPutLineItem, opPutResult}, badResults),
		writeCheck("categories.writes.flow", "/categories/{id}",
			"PUT /categories/{id} creates (201) and replaces (200, later dateLastModified), a bad body is refused, and DELETE removes it (204, then 404)",
			ruleWriteNotStored, `Data Sync page: OneRoster Rest API Support resources: "GradingCategory GET /categories" (Data Sync, "Grades (only if enabled)")`, []string{opPutCategory, opDeleteCategory}, flowCategory),
	}
}

// writer is one write check's context.
type writer struct {
	e     *Env
	r     *Recorder
	check string
	t     *writeTargets
	// v is the spec version's write data (nil: OneRoster 1.1).
	v *writeVersion
}

// writeVersion is what the write flows need to know of a spec version, as
// data: where its gradebook collections live, the rules its findings are
// classified into, and how a refusal's error body is validated.
type writeVersion struct {
	// root is the gradebook service root relative to the shared root
	// ("/gradebook/v1p2"); "" for 1.1 (collections under the 1.1 base).
	root string
	// rules maps a 1.1 write rule to the version's.
	rules map[string]string
	// errorBody validates a refusal's body.
	errorBody func(doc map[string]any) ([]schemas.Violation, error)
	// echo says whether a PUT answer must carry the stored object (1.2's
	// PUT declares 201 with no body schema: its answer is not judged).
	echo bool
	// Where the targets are found: the students of a class (the
	// relationship row and its class parameter), and the lineItems,
	// categories and grading periods collections.
	classStudents, classParam, lineItems, categories, gradingPeriods string
	// needGradingPeriod: a lineItem requires one (1.1; optional in 1.2).
	needGradingPeriod bool
	// strictDelete: DELETE answers 204 only (1.1 also takes 200).
	strictDelete bool
	// tobedeleted is the rule of a deleted object still served with
	// status tobedeleted ("": the not-deleted rule).
	tobedeleted string
}

// v1p1Writes is OneRoster 1.1's write data.
var v1p1Writes = &writeVersion{echo: true, classStudents: "/classes/{class_id}/students", classParam: "class_id",
	lineItems: "/lineItems", categories: "/categories", gradingPeriods: "/gradingPeriods", needGradingPeriod: true}

// rule is the write rule r in the writer's version.
func (w *writer) rule(r string) string {
	if w.v != nil {
		if x, ok := w.v.rules[r]; ok {
			return x
		}
	}
	return r
}

// coll is a collection as the tracker and cleanup name it: its path
// relative to the base ("lineItems", "gradebook/v1p2/lineItems").
func (w *writer) coll(c string) string {
	if w.v == nil || w.v.root == "" || strings.Contains(c, "/") {
		return c
	}
	return strings.TrimPrefix(w.v.root, "/") + "/" + c
}

// path is a gradebook path in the writer's version ("/lineItems/x" ->
// "/gradebook/v1p2/lineItems/x").
func (w *writer) path(p string) string {
	if w.v == nil || w.v.root == "" || rooted(p) {
		return p
	}
	return w.v.root + p
}

// show is the path of an object as messages name it
// ("/gradebook/v1p2/lineItems/x" in 1.2).
func (w *writer) show(coll, id string) string { return w.path("/" + coll + "/" + id) }

// rooted reports whether p already starts with a 1.2 service root
// ("/rostering/v1p2/classes/x").
func rooted(p string) bool {
	seg := strings.SplitN(p, "/", 4)
	return len(seg) >= 3 && seg[2] == "v1p2"
}

// writeTargets are the existing objects a write hangs on (School and
// Term: the class's, which 1.2 lineItems and POSTs name).
type writeTargets struct {
	Class, Student, Category, GradingPeriod string
	School, Term                            string
}

// newID is a fresh UUID (version 4).
func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// ready waits for the page walks of the gradebook endpoints this run
// prefetched (so no walk sees the harness's objects mid-way), then finds
// the class, student, category and grading period a lineItem needs.
func (w *writer) ready(ctx context.Context, needLineItem bool) bool {
	e, v := w.e, w.v
	if v == nil {
		v = v1p1Writes
	}
	rows := catalogue.Endpoints
	if v.root != "" {
		rows = catalogue.V1p2()
	}
	for _, ep := range rows {
		if _, ok := e.prefetchedWalks.Load(ep.Path); ok && ep.Area == "gradebook" {
			_, _ = e.Walks(ctx, ep)
		}
	}
	t := &writeTargets{Class: e.Pins.Class, Student: e.Pins.Student, Category: e.Pins.Category, GradingPeriod: e.Pins.GradingPeriod}
	if !needLineItem {
		w.t = t
		return true
	}
	if t.Class == "" || t.Student == "" {
		ep, _ := catalogue.Lookup(v.classStudents)
		studentsOf := func(class string) *Walk {
			return e.walk(ctx, ep, fillEscaped(ep.Path, map[string]string{v.classParam: class}))
		}
		var found *Walk
		if t.Class != "" {
			found = studentsOf(t.Class)
		} else if found = e.findParentWith(ctx, ep, 1); found == nil {
			// No class from /classes: try the classes of walked lineItems.
			for _, li := range e.WalkTop(ctx, v.lineItems).Samples {
				c, _ := li["class"].(map[string]any)
				if id, _ := c["sourcedId"].(string); id != "" {
					if wk := studentsOf(id); len(wk.Samples) > 0 {
						found = wk
						break
					}
				}
			}
		}
		if found == nil || len(found.Samples) == 0 {
			w.r.NotSupported("no class with students to write grades for (pin one with --write-class and --write-student)")
			return false
		}
		if t.Class == "" {
			seg := strings.Split(found.Path, "/")
			t.Class, _ = url.PathUnescape(seg[strings.Count(v.classStudents[:strings.Index(v.classStudents, "{")], "/")])
		}
		t.Student, _ = found.Samples[0]["sourcedId"].(string)
	}
	// An id from the first walk that has one: the collection itself, else
	// the GUIDRef of a walked lineItem (the provider's own choice).
	first := func(path, ref string) string {
		for _, wk := range []*Walk{e.WalkTop(ctx, path), e.WalkTop(ctx, v.lineItems)} {
			for _, rec := range wk.Samples {
				id, _ := rec["sourcedId"].(string)
				if wk.Path == v.lineItems {
					m, _ := rec[ref].(map[string]any)
					id, _ = m["sourcedId"].(string)
				}
				if id != "" {
					return id
				}
			}
		}
		return ""
	}
	if t.GradingPeriod == "" {
		t.GradingPeriod = first(v.gradingPeriods, "gradingPeriod")
	}
	if t.Category == "" {
		t.Category = first(v.categories, "category")
	}
	switch {
	case t.GradingPeriod == "" && v.needGradingPeriod:
		w.r.NotSupported("no grading period to attach a lineItem to: /gradingPeriods is empty (pin one with --write-grading-period)")
		return false
	case t.Category == "":
		w.r.NotSupported("no category to attach a lineItem to: /categories is empty (pin one with --write-category)")
		return false
	}
	w.t = t
	return true
}

// put sends a PUT of body to /coll/{id}, tracking id (and extra ids the
// body names) before it is sent.
func (w *writer) put(ctx context.Context, coll, id string, body any, extra ...string) *client.Exchange {
	coll = w.coll(coll)
	w.e.Tracker.track(w.check, coll, id)
	for _, x := range extra {
		w.e.Tracker.track(w.check, coll, x)
	}
	b, _ := json.Marshal(body)
	ex := w.r.Evidence(w.e.Store.Do(ctx, client.Request{Method: http.MethodPut, URL: w.e.url("/"+coll+"/"+url.PathEscape(id), nil),
		Header: http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}}, Body: b, CheckID: w.check}))
	if ex.Status == 0 {
		for _, x := range append([]string{id}, extra...) {
			w.e.Tracker.unanswered(w.check, coll, x)
		}
	}
	return ex
}

func (w *writer) del(ctx context.Context, coll, id string) *client.Exchange {
	coll = w.coll(coll)
	return w.r.Evidence(w.e.Store.Do(ctx, client.Request{Method: http.MethodDelete, URL: w.e.url("/"+coll+"/"+url.PathEscape(id), nil), CheckID: w.check}))
}

func (w *writer) get(ctx context.Context, path string, q url.Values) *client.Exchange {
	return w.r.Evidence(w.e.get(ctx, w.check, w.e.url(w.path(path), q)))
}

// lineItemBody is a lineItem as Grade Sync and Google send it: wrapped,
// partial GUIDRefs (sourcedId, or sourcedId and type; never href), full
// dateTimes.
func (w *writer) lineItemBody(id, title string, now time.Time) map[string]any {
	return map[string]any{"lineItem": map[string]any{
		"sourcedId": id, "status": "active", "dateLastModified": stamp(now),
		"title": title, "description": writeTag + " write check " + w.check,
		"assignDate": stamp(now), "dueDate": stamp(now.Add(7 * 24 * time.Hour)),
		"class":          map[string]any{"sourcedId": w.t.Class, "type": "class"},
		"category":       map[string]any{"sourcedId": w.t.Category},
		"gradingPeriod":  map[string]any{"sourcedId": w.t.GradingPeriod, "type": "academicSession"},
		"resultValueMin": 0, "resultValueMax": 100,
	}}
}

func (w *writer) resultBody(id, lineItem string, score any, status string, now time.Time) map[string]any {
	rec := map[string]any{
		"sourcedId": id, "status": "active", "dateLastModified": stamp(now),
		"lineItem":    map[string]any{"sourcedId": lineItem, "type": "lineItem"},
		"student":     map[string]any{"sourcedId": w.t.Student},
		"scoreStatus": status, "scoreDate": stamp(now), "comment": writeTag + " write check " + w.check,
	}
	if score != nil {
		rec["score"] = score
	}
	return map[string]any{"result": rec}
}

func (w *writer) title(what string) string {
	return fmt.Sprintf("%s %s %s", writeTag, what, time.Now().UTC().Format("2006-01-02T15:04:05Z"))
}

// created judges the PUT that should create an object: any 2xx stores it
// (201 is the spec's, 200 a SHOULD finding when judge is set).
func (w *writer) created(ex *client.Exchange, what string, judge bool) bool {
	switch {
	case ex.Err != nil:
		w.r.AddRule(w.rule(ruleWriteRejected), ex, "PUT %s: %s", what, w.e.describeErr(ex))
		return false
	case ex.Status/100 != 2:
		w.r.AddRule(w.rule(ruleWriteRejected), ex, "PUT of a new %s answered %d, want 201%s", what, ex.Status, w.e.bodyHint(ex.Body))
		return false
	case judge && ex.Status != http.StatusCreated:
		w.r.AddRule(w.rule(ruleWriteCreateStatus), ex, "PUT of a new %s answered %d, want 201 Created", what, ex.Status)
	}
	return true
}

func (w *writer) replaced(ex *client.Exchange, what string) bool {
	switch {
	case ex.Err != nil:
		w.r.AddRule(w.rule(ruleWriteRejected), ex, "PUT %s: %s", what, w.e.describeErr(ex))
		return false
	case ex.Status/100 != 2:
		w.r.AddRule(w.rule(ruleWriteRejected), ex, "PUT replacing a %s answered %d, want 200%s", what, ex.Status, w.e.bodyHint(ex.Body))
		return false
	case ex.Status != http.StatusOK:
		w.r.AddRule(w.rule(ruleWriteUpdateStatus), ex, "PUT replacing a %s answered %d, want 200", what, ex.Status)
	}
	return true
}

// echoed checks that a PUT answer carries the stored object.
func (w *writer) echoed(ex *client.Exchange, key string, sent map[string]any) {
	if w.v != nil && !w.v.echo {
		return
	}
	doc, err := decodeObject(ex.Body)
	got, _ := doc[key].(map[string]any)
	if err != nil || got == nil {
		w.r.AddRule(w.rule(ruleWriteNoObject), ex, "the PUT answer has no %q object%s", key, w.e.bodyHint(ex.Body))
		return
	}
	w.compare(ex, key, sent, got, ruleWriteNoObject)
}

// readBack GETs /coll/{id} and compares it with what was sent; returns
// the object read.
func (w *writer) readBack(ctx context.Context, coll, key, id string, sent map[string]any) map[string]any {
	ex := w.get(ctx, "/"+coll+"/"+url.PathEscape(id), nil)
	doc, problem := w.e.readObject(ex)
	if doc == nil {
		w.r.Add(Violation{Rule: w.rule(ruleWriteNotStored), RecordID: id, Message: fmt.Sprintf("GET %s after PUT: %s", w.show(coll, id), problem), Ex: ex})
		return nil
	}
	got, _ := doc[key].(map[string]any)
	if got == nil {
		w.r.Add(Violation{Rule: w.rule(ruleWriteNotStored), RecordID: id, Message: fmt.Sprintf("GET %s has no %q object (keys: %s)", w.show(coll, id), key, keysOf(doc)), Ex: ex})
		return nil
	}
	w.compare(ex, key, sent, got, ruleWriteNotStored)
	return got
}

// compare reports every field of sent that got does not hold unchanged.
// Dates compare as instants (a date-only answer matches the sent
// dateTime's day); GUIDRefs by sourcedId; numbers by value.
func (w *writer) compare(ex *client.Exchange, key string, sent, got map[string]any, rule string) {
	id, _ := sent["sourcedId"].(string)
	for k, want := range sent {
		if k == "dateLastModified" || k == "status" {
			continue // the provider's to set
		}
		g, ok := got[k]
		ptr := "/" + key + "/" + k
		if !ok {
			w.r.Add(Violation{Rule: w.rule(rule), RecordID: id, Pointer: ptr, Message: fmt.Sprintf("missing; sent %s", w.e.short(want)), Ex: ex})
			continue
		}
		if !sameValue(k, want, g) {
			w.r.Add(Violation{Rule: w.rule(rule), RecordID: id, Pointer: ptr, Message: fmt.Sprintf("%s, but %s was sent", w.e.short(g), w.e.short(want)), Ex: ex})
		}
	}
}

func sameValue(field string, want, got any) bool {
	switch wv := want.(type) {
	case map[string]any: // GUIDRef
		gm, _ := got.(map[string]any)
		return gm != nil && gm["sourcedId"] == wv["sourcedId"]
	case int, float64:
		return numberOf(got) == numberOf(wv)
	case string:
		gs, _ := got.(string)
		if strings.HasSuffix(field, "Date") {
			return sameInstant(wv, gs)
		}
		return gs == wv
	}
	return fmt.Sprint(want) == fmt.Sprint(got)
}

func numberOf(v any) float64 {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		if err == nil {
			return f
		}
	case float64:
		return n
	case int:
		return float64(n)
	}
	return -1e308
}

func sameInstant(sent, got string) bool {
	ts, err := time.Parse(time.RFC3339Nano, sent)
	if err != nil {
		return sent == got
	}
	if tg, err := time.Parse(time.RFC3339Nano, got); err == nil {
		return tg.Equal(ts)
	}
	return got == ts.UTC().Format("2006-01-02")
}

func dlmOf(m map[string]any) (time.Time, bool) {
	s, _ := m["dateLastModified"].(string)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// listed pages through a collection path looking for id: found, and ok
// unless the read failed (404 counts as an empty collection).
func (w *writer) listed(ctx context.Context, path, key, id string) (found, ok bool, ex *client.Exchange) {
	return w.scan(ctx, path, key, func(m map[string]any) bool { return m["sourcedId"] == id })
}

// scan pages through a collection path until match accepts a record:
// found, and ok unless the read failed (404 counts as an empty
// collection).
func (w *writer) scan(ctx context.Context, path, key string, match func(map[string]any) bool) (found, ok bool, ex *client.Exchange) {
	const pageSize, maxPages = 100, 100
	seen := map[string]bool{}
	for page := 0; page < maxPages; page++ {
		ex = w.get(ctx, path, url.Values{"limit": {strconv.Itoa(pageSize)}, "offset": {strconv.Itoa(page * pageSize)}})
		if ex.Err == nil && ex.Status == http.StatusNotFound {
			return false, true, ex
		}
		doc, problem := w.e.readObject(ex)
		recs, _ := doc[key].([]any)
		if doc == nil || (recs == nil && doc[key] == nil) {
			if problem == "" {
				problem = fmt.Sprintf("no %q array (keys: %s)", key, keysOf(doc))
			}
			w.r.AddRule(w.rule(ruleWriteReadFailed), ex, "GET %s: %s", path, problem)
			return false, false, ex
		}
		fresh := 0
		for _, rec := range recs {
			m, _ := rec.(map[string]any)
			if match(m) {
				return true, true, ex
			}
			sid, _ := m["sourcedId"].(string)
			if !seen[sid] {
				seen[sid] = true
				fresh++
			}
		}
		if len(recs) < pageSize || fresh == 0 { // the end, or a server that ignores offset
			return false, true, ex
		}
	}
	return false, true, ex
}

// mustList / mustNotList record the listing rules.
func (w *writer) mustList(ctx context.Context, path, key, id string) {
	if found, ok, ex := w.listed(ctx, path, key, id); ok && !found {
		w.r.Add(Violation{Rule: w.rule(ruleWriteNotListed), RecordID: id, Message: fmt.Sprintf("stored, but not in GET %s", path), Ex: ex})
	}
}

func (w *writer) mustNotList(ctx context.Context, path, key, id, rule string) {
	var rec map[string]any
	found, ok, ex := w.scan(ctx, path, key, func(m map[string]any) bool {
		if m["sourcedId"] == id {
			rec = m
			return true
		}
		return false
	})
	if !ok || !found {
		return
	}
	note := ""
	if tb := w.tobedeletedRule(); tb != "" && rec["status"] == "tobedeleted" {
		rule, note = tb, " with status tobedeleted"
	}
	w.r.Add(Violation{Rule: w.rule(rule), RecordID: id, Message: fmt.Sprintf("deleted, but still in GET %s%s", path, note), Ex: ex})
}

// tobedeletedRule is the version's rule for a deleted object still served
// with status tobedeleted ("": no rule of its own).
func (w *writer) tobedeletedRule() string {
	if w.v == nil {
		return ""
	}
	return w.v.tobedeleted
}

// deleted sends DELETE and checks the status, then that GET answers 404;
// the tracker forgets an object verified gone.
func (w *writer) deleted(ctx context.Context, coll, id string) bool {
	ex := w.del(ctx, coll, id)
	strict := w.v != nil && w.v.strictDelete
	switch {
	case ex.Err != nil:
		w.r.AddRule(w.rule(ruleWriteNotDeleted), ex, "DELETE %s: %s", w.show(coll, id), w.e.describeErr(ex))
		return false
	case ex.Status/100 != 2:
		w.r.Add(Violation{Rule: w.rule(ruleWriteNotDeleted), RecordID: id, Message: fmt.Sprintf("DELETE answered %d, want 204%s", ex.Status, w.e.bodyHint(ex.Body)), Ex: ex})
		return false
	case strict && ex.Status != http.StatusNoContent:
		w.r.Add(Violation{Rule: w.rule(ruleWriteDeleteStatus), RecordID: id, Message: fmt.Sprintf("DELETE answered %d, want 204", ex.Status), Ex: ex})
	case ex.Status != http.StatusNoContent && ex.Status != http.StatusOK:
		w.r.Add(Violation{Rule: w.rule(ruleWriteDeleteStatus), RecordID: id, Message: fmt.Sprintf("DELETE answered %d, want 204 (or 200)", ex.Status), Ex: ex})
	}
	return w.absent(ctx, coll, id, ruleWriteNotDeleted, "deleted")
}

// absent checks that GET /coll/{id} answers 404. Where the version has a
// rule for it, an object still served with status tobedeleted is recorded
// under that rule and counts as absent for what follows (its lists are
// checked too).
func (w *writer) absent(ctx context.Context, coll, id, rule, what string) bool {
	ex := w.get(ctx, "/"+coll+"/"+url.PathEscape(id), nil)
	switch {
	case ex.Err != nil:
		w.r.AddRule(w.rule(ruleWriteReadFailed), ex, "GET %s: %s", w.show(coll, id), w.e.describeErr(ex))
		return false
	case ex.Status == http.StatusNotFound || ex.Status == http.StatusGone || (ex.Status/100 == 2 && !Serves(ex.Body, id)):
		// A 2xx that holds no object with the id (a wrong answer to an
		// unknown id, which the errors.unknown-id checks report) serves nothing.
		w.e.Tracker.gone(w.coll(coll), id)
		return true
	case ex.Status/100 == 2 && w.tobedeletedRule() != "" && rule == ruleWriteNotDeleted && servesTobedeleted(ex.Body, id):
		w.r.Add(Violation{Rule: w.tobedeletedRule(), RecordID: id, Message: fmt.Sprintf("%s, but GET %s still answers %d with the object, status tobedeleted", what, w.show(coll, id), ex.Status), Ex: ex})
		return true
	case ex.Status/100 == 2:
		w.r.Add(Violation{Rule: w.rule(rule), RecordID: id, Message: fmt.Sprintf("%s, but GET %s still answers %d", what, w.show(coll, id), ex.Status), Ex: ex})
	default:
		w.r.Add(Violation{Rule: w.rule(ruleWriteReadFailed), RecordID: id, Message: fmt.Sprintf("GET %s answered %d, want 404", w.show(coll, id), ex.Status), Ex: ex})
	}
	return false
}

// servesTobedeleted reports whether a single-object body serves id with
// status tobedeleted.
func servesTobedeleted(body []byte, id string) bool {
	doc, err := decodeObject(body)
	if err != nil {
		return false
	}
	for _, v := range doc {
		if m, ok := v.(map[string]any); ok && m["sourcedId"] == id {
			return m["status"] == "tobedeleted"
		}
	}
	return false
}

// newLineItem creates a lineItem for a check that needs one to hang
// results on; false (recorded) when the provider refuses it.
func (w *writer) newLineItem(ctx context.Context) (string, bool) {
	id := newID()
	ex := w.put(ctx, "lineItems", id, w.lineItemBody(id, w.title("lineItem"), time.Now()))
	return id, w.created(ex, "lineItem", false)
}

func flowLineItem(ctx context.Context, w *writer) {
	if !w.ready(ctx, true) {
		return
	}
	id, now := newID(), time.Now()
	body := w.lineItemBody(id, w.title("lineItem"), now)
	sent := body["lineItem"].(map[string]any)
	ex := w.put(ctx, "lineItems", id, body)
	if !w.created(ex, "lineItem", true) {
		return
	}
	w.echoed(ex, "lineItem", sent)
	first := w.readBack(ctx, "lineItems", "lineItem", id, sent)
	classPath := "/classes/" + url.PathEscape(w.t.Class) + "/lineItems"
	w.mustList(ctx, classPath, "lineItems", id)

	// Replace: a new title and due date; the change is served with a later dateLastModified.
	pause(first)
	body = w.lineItemBody(id, w.title("lineItem (changed)"), now)
	sent = body["lineItem"].(map[string]any)
	sent["dueDate"] = stamp(now.Add(14 * 24 * time.Hour))
	sent["resultValueMax"] = 50
	ex = w.put(ctx, "lineItems", id, body)
	if w.replaced(ex, "lineItem") {
		w.echoed(ex, "lineItem", sent)
		second := w.readBack(ctx, "lineItems", "lineItem", id, sent)
		w.later(first, second, id)
	}

	if w.deleted(ctx, "lineItems", id) {
		w.mustNotList(ctx, classPath, "lineItems", id, ruleWriteNotDeleted)
	}
}

// pause waits before a replacing write long enough for its
// dateLastModified to differ from the stored one: a few milliseconds, or
// to the next second when the provider stores whole seconds.
func pause(stored map[string]any) {
	t, ok := dlmOf(stored)
	if !ok || t.Nanosecond() != 0 {
		time.Sleep(5 * time.Millisecond)
		return
	}
	time.Sleep(min(time.Until(t.Add(time.Second+10*time.Millisecond)), 1100*time.Millisecond))
}

// later checks that a replacing write advanced dateLastModified.
func (w *writer) later(before, after map[string]any, id string) {
	if before == nil || after == nil {
		return
	}
	t1, ok1 := dlmOf(before)
	t2, ok2 := dlmOf(after)
	if ok1 && ok2 && !t2.After(t1) {
		w.r.Add(Violation{Rule: ruleWriteDLM, RecordID: id, Pointer: "/dateLastModified",
			Message: fmt.Sprintf("%v after the change, %v before it: a delta sync (dateLastModified>…) misses the change", after["dateLastModified"], before["dateLastModified"])})
	}
}

// resultPaths are the three places a result is read from.
func (w *writer) resultPaths(lineItem string) []string {
	c := url.PathEscape(w.t.Class)
	return []string{
		"/classes/" + c + "/lineItems/" + url.PathEscape(lineItem) + "/results",
		"/classes/" + c + "/students/" + url.PathEscape(w.t.Student) + "/results",
	}
}

func flowCascade(ctx context.Context, w *writer) {
	if !w.ready(ctx, true) {
		return
	}
	li, ok := w.newLineItem(ctx)
	if !ok {
		return
	}
	rid := newID()
	if !w.created(w.put(ctx, "results", rid, w.resultBody(rid, li, 80, "fully graded", time.Now())), "result", false) {
		return
	}
	if ex := w.get(ctx, "/results/"+url.PathEscape(rid), nil); ex.Err != nil || ex.Status != http.StatusOK {
		w.r.AddRule(ruleWriteNotStored, ex, "the result stored under the lineItem cannot be read back (status %d)", ex.Status)
		return
	}
	if !w.deleted(ctx, "lineItems", li) {
		// The lineItem is still there: so, wrongly, are its results.
		w.r.AddRule(ruleWriteOrphans, nil, "lineItem %s was not deleted, and its result %s is still served", li, rid)
		return
	}
	w.absent(ctx, "results", rid, ruleWriteOrphans, "its lineItem was deleted")
	for _, p := range w.resultPaths(li) {
		w.mustNotList(ctx, p, "results", rid, ruleWriteOrphans)
	}
}

func flowResult(ctx context.Context, w *writer) {
	if !w.ready(ctx, true) {
		return
	}
	li, ok := w.newLineItem(ctx)
	if !ok {
		return
	}
	id, now := newID(), time.Now()
	body := w.resultBody(id, li, 87.5, "fully graded", now)
	sent := body["result"].(map[string]any)
	ex := w.put(ctx, "results", id, body)
	if !w.created(ex, "result", true) {
		return
	}
	w.echoed(ex, "result", sent)
	prev := w.readBack(ctx, "results", "result", id, sent)
	for _, p := range w.resultPaths(li) {
		w.mustList(ctx, p, "results", id)
	}

	steps := []struct {
		what   string
		score  any
		status string
		rule   string
	}{
		{"a new score", 91, "fully graded", ruleWriteNotStored},
		{"a score above resultValueMax (extra credit)", 300, "fully graded", ruleWriteScore},
		{"scoreStatus exempt without a score", nil, "exempt", ruleWriteNotStored},
	}
	for _, s := range steps {
		pause(prev)
		body = w.resultBody(id, li, s.score, s.status, now)
		sent = body["result"].(map[string]any)
		ex = w.put(ctx, "results", id, body)
		if s.score == nil && ex.Err == nil && ex.Status/100 == 4 {
			// 1.1 requires a score; some consumers send exempt without one.
			w.r.AddRule(ruleWriteExemptNoSc, ex, "PUT of an exempt result without a score answered %d", ex.Status)
			sent["score"] = 0
			ex = w.put(ctx, "results", id, body)
		}
		if !w.replaced(ex, "result with "+s.what) {
			continue
		}
		n := w.r.res.ViolationsTotal
		w.echoed(ex, "result", sent)
		got := w.readBack(ctx, "results", "result", id, sent)
		if s.rule != ruleWriteNotStored && w.r.res.ViolationsTotal > n {
			w.r.AddRule(s.rule, ex, "the result stored with %s was not served back as sent", s.what)
		}
		w.later(prev, got, id)
		if got != nil {
			prev = got
		}
	}
}

func flowResultDelete(ctx context.Context, w *writer) {
	if !w.ready(ctx, true) {
		return
	}
	li, ok := w.newLineItem(ctx)
	if !ok {
		return
	}
	id := newID()
	if !w.created(w.put(ctx, "results", id, w.resultBody(id, li, 75, "fully graded", time.Now())), "result", false) {
		return
	}
	if w.deleted(ctx, "results", id) {
		for _, p := range w.resultPaths(li) {
			w.mustNotList(ctx, p, "results", id, ruleWriteNotDeleted)
		}
	}
}

func flowCategory(ctx context.Context, w *writer) {
	if !w.ready(ctx, false) {
		return
	}
	id, now := newID(), time.Now()
	body := func(title string) map[string]any {
		return map[string]any{"category": map[string]any{"sourcedId": id, "status": "active", "dateLastModified": stamp(now), "title": title}}
	}
	b := body(w.title("category"))
	sent := b["category"].(map[string]any)
	ex := w.put(ctx, "categories", id, b)
	if !w.created(ex, "category", true) {
		return
	}
	w.echoed(ex, "category", sent)
	first := w.readBack(ctx, "categories", "category", id, sent)
	w.mustList(ctx, "/categories", "categories", id)
	pause(first)
	b = body(w.title("category (changed)"))
	sent = b["category"].(map[string]any)
	ex = w.put(ctx, "categories", id, b)
	if w.replaced(ex, "category") {
		w.echoed(ex, "category", sent)
		w.later(first, w.readBack(ctx, "categories", "category", id, sent), id)
	}
	// A bad replacement (no title) is refused and changes nothing.
	bad := body("")
	delete(bad["category"].(map[string]any), "title")
	if w.refused(w.put(ctx, "categories", id, bad), "a category without a title") {
		w.readBack(ctx, "categories", "category", id, sent)
	}
	w.deleted(ctx, "categories", id)
}

// refused checks a bad write's answer: 4xx with an imsx statusInfoSet.
func (w *writer) refused(ex *client.Exchange, what string) bool {
	switch {
	case ex.Err != nil:
		w.r.AddRule(w.rule(ruleWriteReadFailed), ex, "PUT of %s: %s", what, w.e.describeErr(ex))
		return false
	case ex.Status >= 500:
		w.r.AddRule(w.rule(ruleWriteBad5xx), ex, "PUT of %s answered %d, want 400 or 422%s", what, ex.Status, w.e.bodyHint(ex.Body))
		return true
	case ex.Status/100 != 4:
		w.r.AddRule(w.rule(ruleWriteBadAccepted), ex, "PUT of %s answered %d, want 400 or 422", what, ex.Status)
		return true
	}
	doc, err := decodeObject(ex.Body)
	if err != nil {
		w.r.AddRule(w.rule(ruleWriteBadNoImsx), ex, "the %d answer to %s is not an imsx statusInfoSet: %s", ex.Status, what, w.e.decodeProblem(err, ex.Body))
		return true
	}
	validate := schemas.ValidateStatusInfoSet
	if w.v != nil && w.v.errorBody != nil {
		validate = func(d any) ([]schemas.Violation, error) { m, _ := d.(map[string]any); return w.v.errorBody(m) }
	}
	vs, err := validate(doc)
	if err != nil {
		w.r.Errorf("harness: schema: %v", err)
		return true
	}
	for _, v := range vs {
		w.r.Add(Violation{Rule: w.rule(ruleWriteBadNoImsx), Pointer: v.Pointer, Message: fmt.Sprintf("the %d answer to %s: imsx payload: %s", ex.Status, what, v.Message), Ex: ex})
	}
	return true
}

// badWrite sends one bad PUT and checks it is refused and stores nothing
// under any id it names.
func (w *writer) badWrite(ctx context.Context, coll, what, id string, body any, ids ...string) {
	if !w.refused(w.put(ctx, coll, id, body, ids...), what) {
		return
	}
	for _, x := range append([]string{id}, ids...) {
		w.absent(ctx, coll, x, ruleWriteBadStored, "PUT of "+what+" was refused")
	}
}

// control sends the valid PUT a bad-writes check compares with: when the
// provider refuses it too, refusing the bad bodies proves nothing, and the
// check is not-supported with the reason (the flow check reports the
// refusal itself).
func (w *writer) control(ctx context.Context, coll, id string, body any) bool {
	ex := w.put(ctx, coll, id, body)
	if ex.Err == nil && ex.Status/100 == 2 {
		return true
	}
	got := "answered " + strconv.Itoa(ex.Status)
	if ex.Err != nil {
		got = "failed: " + w.e.describeErr(ex)
	}
	w.r.NotSupported(fmt.Sprintf("a valid PUT /%s/{id} %s (see the write flow checks): a refused bad body proves nothing when the valid one is refused too", coll, got))
	return false
}

func badLineItems(ctx context.Context, w *writer) {
	if !w.ready(ctx, true) {
		return
	}
	now := time.Now()
	if ok := newID(); !w.control(ctx, "lineItems", ok, w.lineItemBody(ok, w.title("lineItem"), now)) {
		return
	}
	variant := func(id string, f func(m map[string]any)) map[string]any {
		b := w.lineItemBody(id, w.title("bad lineItem"), now)
		f(b["lineItem"].(map[string]any))
		return b
	}
	a, other := newID(), newID()
	w.badWrite(ctx, "lineItems", "a lineItem whose body sourcedId differs from the path id", a,
		variant(a, func(m map[string]any) { m["sourcedId"] = other }), other)
	id := newID()
	w.badWrite(ctx, "lineItems", "a lineItem without a title", id, variant(id, func(m map[string]any) { delete(m, "title") }))
	id = newID()
	w.badWrite(ctx, "lineItems", "a lineItem of an unknown class", id,
		variant(id, func(m map[string]any) {
			m["class"] = map[string]any{"sourcedId": "rostercheck-unknown-" + randomHex(8), "type": "class"}
		}))
	id = newID()
	w.badWrite(ctx, "lineItems", "a lineItem whose dueDate is not a date", id, variant(id, func(m map[string]any) { m["dueDate"] = "2026-13-45" }))
	id = newID()
	flat := w.lineItemBody(id, w.title("bad lineItem"), now)["lineItem"]
	w.badWrite(ctx, "lineItems", "an unwrapped lineItem (no \"lineItem\" key)", id, flat)
}

func badResults(ctx context.Context, w *writer) {
	if !w.ready(ctx, true) {
		return
	}
	now := time.Now()
	li := newID()
	if !w.control(ctx, "lineItems", li, w.lineItemBody(li, w.title("lineItem"), now)) {
		return
	}
	if ok := newID(); !w.control(ctx, "results", ok, w.resultBody(ok, li, 70, "fully graded", now)) {
		return
	}
	variant := func(id string, f func(m map[string]any)) map[string]any {
		b := w.resultBody(id, li, 70, "fully graded", now)
		f(b["result"].(map[string]any))
		return b
	}
	id := newID()
	w.badWrite(ctx, "results", "a result of an unknown student", id,
		variant(id, func(m map[string]any) {
			m["student"] = map[string]any{"sourcedId": "rostercheck-unknown-" + randomHex(8)}
		}))
	id = newID()
	w.badWrite(ctx, "results", "a result whose scoreStatus is not in the vocabulary", id, variant(id, func(m map[string]any) { m["scoreStatus"] = "graded" }))
	id = newID()
	w.badWrite(ctx, "results", "a result whose scoreDate is not a date", id, variant(id, func(m map[string]any) { m["scoreDate"] = "31/12/2026" }))
	id = newID()
	w.badWrite(ctx, "results", "a result without a lineItem", id, variant(id, func(m map[string]any) { delete(m, "lineItem") }))
}

// maxWriteParents bounds the search for a class with students to write to.
const maxWriteParents = 100

// findParentWith walks further parents of a relationship endpoint, one at
// a time, and returns the first walk with at least n distinct records
// (the write checks need a class that has students).
func (e *Env) findParentWith(ctx context.Context, ep catalogue.Endpoint, n int) *Walk {
	tuples, err := e.parentTuples(ctx, ep, maxWriteParents)
	if err != nil {
		return nil
	}
	for _, t := range tuples {
		if w := e.walk(ctx, ep, fillEscaped(ep.Path, t)); w.Fatal == "" && w.Distinct() >= n {
			return w
		}
	}
	return nil
}
