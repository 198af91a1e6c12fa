package suites

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rostercheck/rostercheck/internal/client"
	"github.com/rostercheck/rostercheck/schemas"
	"github.com/rostercheck/rostercheck/suites/catalogue/v1p2"
)

// OneRoster 1.2 gradebook writes: the 1.1 write machinery (writes.go)
// over the 1.2 gradebook service, its version given as data (v1p2Writes).
// Each step a consumer judges on its own is a check of its own, so that a
// profile can set its level rule by rule: lineItem and result create, edit
// and delete; a score above resultValueMax; exempt; the four POSTs that
// answer sourcedIdPairs; bad bodies. Categories, scoreScales,
// assessmentLineItems and assessmentResults are one flow each (create,
// edit, delete). Everything written carries a fresh UUID and "rostercheck"
// in its title or comment, is tracked before it is sent, and is deleted by
// the check that wrote it (writes_cleanup.go).

const (
	gb12Root          = "/gradebook/v1p2"
	specV1p2Gradebook = "1EdTech OneRoster 1.2 Gradebook OpenAPI (https://purl.imsglobal.org/spec/or/v1p2/schema/openapi/onerosterv1p2gradebookservice_openapi3_v1p0.json)"
)

// The 1.2 write rules (the 1.1 rules under the 1.2 source and levels, and
// the 1.2 flows' own).
const (
	ruleV1p2WriteRejected     = "v1p2.write.rejected"
	ruleV1p2WriteCreateStatus = "v1p2.write.create-status"
	ruleV1p2WriteUpdateStatus = "v1p2.write.update-status"
	ruleV1p2WriteNotStored    = "v1p2.write.not-stored"
	ruleV1p2WriteNotListed    = "v1p2.write.not-listed"
	ruleV1p2WriteDLM          = "v1p2.write.dlm-not-advanced"
	ruleV1p2WriteScore        = "v1p2.write.score-changed"
	ruleV1p2WriteExempt       = "v1p2.write.exempt-not-stored"
	ruleV1p2WriteDeleteStatus = "v1p2.write.delete-status"
	ruleV1p2WriteNotDeleted   = "v1p2.write.not-deleted"
	ruleV1p2WriteTobedeleted  = "v1p2.write.tobedeleted-listed"
	ruleV1p2WriteBadAccepted  = "v1p2.write.bad-accepted"
	ruleV1p2WriteBad5xx       = "v1p2.write.bad-server-error"
	ruleV1p2WriteBadNoImsx    = "v1p2.write.bad-no-status-info"
	ruleV1p2WriteBadStored    = "v1p2.write.bad-stored"
	ruleV1p2WriteReadFailed   = "v1p2.write.read-failed"
	ruleV1p2WritePairs        = "v1p2.write.sourcedidpairs"
	ruleV1p2ScopeNotEnforced  = "v1p2.write.scope-not-enforced"
	ruleV1p2ScopeRefused      = "v1p2.write.scope-refused"
	scopeV1p2Prefix           = "https://purl.imsglobal.org/spec/or/v1p2/scope/"
)

// v1p2Writes is OneRoster 1.2's write data.
var v1p2Writes = &writeVersion{
	root: gb12Root,
	rules: map[string]string{
		ruleWriteRejected: ruleV1p2WriteRejected, ruleWriteCreateStatus: ruleV1p2WriteCreateStatus,
		ruleWriteUpdateStatus: ruleV1p2WriteUpdateStatus,
		ruleWriteNotStored:    ruleV1p2WriteNotStored, ruleWriteNotListed: ruleV1p2WriteNotListed, ruleWriteDLM: ruleV1p2WriteDLM,
		ruleWriteScore: ruleV1p2WriteScore, ruleWriteDeleteStatus: ruleV1p2WriteDeleteStatus,
		ruleWriteNotDeleted: ruleV1p2WriteNotDeleted, ruleWriteBadAccepted: ruleV1p2WriteBadAccepted,
		ruleWriteBad5xx: ruleV1p2WriteBad5xx, ruleWriteBadNoImsx: ruleV1p2WriteBadNoImsx,
		ruleWriteBadStored: ruleV1p2WriteBadStored, ruleWriteReadFailed: ruleV1p2WriteReadFailed,
	},
	errorBody: func(doc map[string]any) ([]schemas.Violation, error) {
		return schemas.ValidateStatusInfoV1p2("gradebook", doc)
	},
	classStudents: "/rostering/v1p2/classes/{classSourcedId}/students", classParam: "classSourcedId",
	lineItems: gb12Root + "/lineItems", categories: gb12Root + "/categories", gradingPeriods: "/rostering/v1p2/gradingPeriods",
	strictDelete: true, tobedeleted: ruleV1p2WriteTobedeleted,
}

func init() {
	src := specV1p2Gradebook
	RegisterRules(
		Rule{ruleV1p2WriteRejected, MUST, "a valid 1.2 gradebook write is refused", src + ": PUT creates with the client's sourcedId; POST creates with the server's",
			"accept the Single<Entity>DType body ({\"lineItem\":{…}}) with GUIDRefs of sourcedId and type"},
		Rule{ruleV1p2WriteCreateStatus, MUST, "a 1.2 PUT or POST that creates does not answer 201", src + ": every PUT and POST declares 201 as its only success",
			"answer 201 to a PUT that creates an object and to every POST"},
		Rule{ruleV1p2WriteUpdateStatus, SHOULD, "a 1.2 PUT that replaces an object does not answer 200", src + " (declares 201 for PUT and says nothing of a replace; 200 is HTTP's answer to a replace, RFC 9110 §9.3.4)",
			"answer 200 when the PUT replaces an existing object"},
		Rule{ruleV1p2WriteNotStored, MUST, "the 1.2 object read back is not what the write stored", src + ": GET …/{sourcedId} serves the stored object",
			"store every property of the body and serve it back unchanged"},
		Rule{ruleV1p2WriteNotListed, MUST, "a stored 1.2 object is missing from its collections", src + ": the class and school collections list the class's objects",
			"list a stored lineItem in /classes/{id}/lineItems and a result in every results path of its class"},
		Rule{ruleV1p2WriteDLM, MUST, "a replacing 1.2 PUT does not advance dateLastModified", specV1p2Model + ": dateLastModified, the delta filter (dateLastModified>…)",
			"stamp dateLastModified on every change"},
		Rule{ruleV1p2WriteScore, MUST, "a 1.2 score above resultValueMax is not stored unchanged", src + ": ResultDType.score is a float with no bound; resultValueMax describes the lineItem (extra credit scores above it)",
			"store the score as sent; resultValueMax is not a cap"},
		Rule{ruleV1p2WriteExempt, MUST, "a 1.2 result with scoreStatus exempt and no score is refused or not stored as sent", src + ": ResultDType.score is optional; scoreStatus exempt is in ScoreStatusEnum",
			"accept and store scoreStatus exempt without a score"},
		Rule{ruleV1p2WriteDeleteStatus, MUST, "a 1.2 DELETE answers a success other than 204", src + ": every DELETE declares 204 as its only success", "answer 204 No Content"},
		Rule{ruleV1p2WriteNotDeleted, MUST, "a deleted 1.2 object is still served", src + ": DELETE removes the object", "after DELETE answer 404 at GET …/{sourcedId} and leave the object out of every collection"},
		Rule{ruleV1p2WriteTobedeleted, SHOULD, "a deleted 1.2 object is still served, with status tobedeleted", specV1p2Model + ": status tobedeleted marks an object that is to be deleted (for delta consumers); a DELETEd object is gone",
			"remove a DELETEd object; if deletions must reach delta consumers, keep them out of the class lists and GET …/{sourcedId}"},
		Rule{ruleV1p2WriteBadAccepted, MUST, "a bad 1.2 write is answered with success", src + ": validation failures are 422 (400 for a malformed request)", "answer 400 or 422 to a body that is not a valid object"},
		Rule{ruleV1p2WriteBad5xx, MUST, "a bad 1.2 write is answered with a server error", src, "validate bodies and answer 400 or 422, never 500"},
		Rule{ruleV1p2WriteBadNoImsx, SHOULD, "a refused 1.2 write has no imsx_StatusInfo body", src + ": the 422 response is imsx_StatusInfoDType",
			"answer {\"imsx_codeMajor\":\"failure\",\"imsx_severity\":\"error\",\"imsx_CodeMinor\":{\"imsx_codeMinorField\":[{\"imsx_codeMinorFieldName\":\"sourcedId\",\"imsx_codeMinorFieldValue\":\"invaliddata\"}]}}"},
		Rule{ruleV1p2WriteBadStored, MUST, "a refused (or bad) 1.2 write was stored anyway", src, "store nothing from a write you refuse"},
		Rule{ruleV1p2WriteReadFailed, MUST, "reading a 1.2 object after a write failed", src, "serve GET of what the write stored"},
		Rule{ruleV1p2WritePairs, MUST, "a 1.2 POST does not answer sourcedIdPairs mapping each supplied sourcedId to the allocated one", src + ": the POSTs answer GUIDPairSetDType (sourcedIdPairs[]: suppliedSourcedId, allocatedSourcedId)",
			"answer 201 {\"sourcedIdPairs\":[{\"suppliedSourcedId\":\"<the client's>\",\"allocatedSourcedId\":\"<yours>\"}]} with one pair per object"},
	)
	RegisterRules(
		Rule{ruleV1p2ScopeNotEnforced, MUST, "a 1.2 gradebook write is served to a token without the scope its operation declares",
			src + ": the OAuth2CC security of each write lists its scope: putLineItem (and every gradebook PUT) gradebook.createput, deleteLineItem gradebook.delete, the POSTs gradebook.createpost, putAssessmentLineItem and putAssessmentResult assessment.createput, their DELETEs assessment.delete",
			"answer 403 (insufficient_scope) to a write whose token lacks the operation's scope (a gradebook scope is not an assessment one; createput is not createpost), and store nothing"},
		Rule{ruleV1p2ScopeRefused, MUST, "a 1.2 gradebook write is refused to a token granted the scope its operation declares",
			src + ": the OAuth2CC security of each write lists its scope: putLineItem (and every gradebook PUT) gradebook.createput, deleteLineItem gradebook.delete, the POSTs gradebook.createpost, putAssessmentLineItem and putAssessmentResult assessment.createput, their DELETEs assessment.delete",
			"serve each write to a token with the scope its operation lists (PUT gradebook.createput, POST gradebook.createpost, DELETE gradebook.delete; the assessment writes assessment.createput and assessment.delete)"},
	)
	RegisterChecks(v1p2WriteChecks)
}

// gb12Op is a 1.2 gradebook operation as a profile names it: "PUT
// /gradebook/v1p2/lineItems/{id}" (the path under the shared root, the
// object's own id written {id} as for the reads).
func gb12Op(method, path string) string { return method + " " + gb12Root + path }

// gb12Ops are the write operations the 1.2 write checks exercise.
var gb12Ops = func() []string {
	var out []string
	for _, c := range []string{"categories", "lineItems", "results", "scoreScales", "assessmentLineItems", "assessmentResults"} {
		out = append(out, gb12Op("PUT", "/"+c+"/{id}"), gb12Op("DELETE", "/"+c+"/{id}"))
	}
	return append(out, gb12Op("POST", "/classes/{classSourcedId}/lineItems"), gb12Op("POST", "/schools/{schoolSourcedId}/lineItems"),
		gb12Op("POST", "/lineItems/{lineItemSourcedId}/results"),
		gb12Op("POST", "/classes/{classSourcedId}/academicSessions/{academicSessionSourcedId}/results"))
}()

func init() { RegisterFeatures(gb12Ops...) }

// gb12Source cites the operations a check sends, by their operationId
// and scopes in the 1.2 gradebook file.
func gb12Source(ops []string) string {
	c, err := v1p2.Load()
	var parts []string
	for _, op := range ops {
		method, path, _ := strings.Cut(op, " ")
		rel := strings.TrimPrefix(path, gb12Root)
		rel = strings.ReplaceAll(rel, "{id}", "{sourcedId}")
		desc := op
		if err == nil {
			if o, ok := c.Operation("gradebook", method, rel); ok {
				short := make([]string, len(o.Scopes))
				for i, s := range o.Scopes {
					short[i] = s[strings.LastIndexByte(s, '/')+1:]
				}
				desc = fmt.Sprintf("%s (%s /ims/oneroster%s%s; scope %s)", o.OperationID, method, gb12Root, rel, strings.Join(short, " or "))
			}
		}
		parts = append(parts, desc)
	}
	return "OneRoster 1.2 gradebook OpenAPI operations " + strings.Join(parts, ", ") + "; " + specV1p2Gradebook
}

func v1p2WriteCheck(id, endpoint, title, rule string, ops []string, run func(ctx context.Context, w *writer)) Check {
	return versionWriteCheck(v1p2Writes, "v1p2.gradebook."+id, gb12Root+endpoint, "OneRoster 1.2: "+title, rule, gb12Source(ops), ops, run)
}

func v1p2WriteChecks() []Check {
	putLI, delLI := gb12Op("PUT", "/lineItems/{id}"), gb12Op("DELETE", "/lineItems/{id}")
	putR, delR := gb12Op("PUT", "/results/{id}"), gb12Op("DELETE", "/results/{id}")
	flow := func(coll, single, title string) Check {
		return v1p2WriteCheck(strings.ToLower(coll)+".writes.flow", "/"+coll+"/{id}",
			"PUT /"+coll+"/{id} creates a "+single+" (201), read back; PUT replaces it (200, read back, later dateLastModified); DELETE removes it (204, then 404 and gone from its list)"+title,
			ruleV1p2WriteNotStored, []string{gb12Op("PUT", "/"+coll+"/{id}"), gb12Op("DELETE", "/"+coll+"/{id}")},
			func(ctx context.Context, w *writer) { flow12(ctx, w, coll, single) })
	}
	return []Check{
		v1p2WriteCheck("lineitems.put.create", "/lineItems/{id}",
			"PUT /lineItems/{id} of a new lineItem answers 201, and GET /lineItems/{id} and /classes/{id}/lineItems serve it as sent",
			ruleV1p2WriteNotStored, []string{putLI, delLI}, flowLineItemCreate12),
		v1p2WriteCheck("lineitems.put.edit", "/lineItems/{id}",
			"PUT /lineItems/{id} of an existing lineItem answers 200 and GET /lineItems/{id} serves the change with a later dateLastModified",
			ruleV1p2WriteNotStored, []string{putLI, delLI}, flowLineItemEdit12),
		v1p2WriteCheck("lineitems.delete", "/lineItems/{id}",
			"DELETE /lineItems/{id} answers 204; then GET /lineItems/{id} answers 404 and /classes/{id}/lineItems leaves it out (no tobedeleted record)",
			ruleV1p2WriteNotDeleted, []string{putLI, delLI}, flowLineItemDelete12),
		v1p2WriteCheck("results.put.create", "/results/{id}",
			"PUT /results/{id} of a new result answers 201, and GET /results/{id} and every results path of its class serve it as sent",
			ruleV1p2WriteNotStored, []string{putLI, delLI, putR, delR}, flowResultCreate12),
		v1p2WriteCheck("results.put.edit", "/results/{id}",
			"PUT /results/{id} of an existing result answers 200 and GET /results/{id} serves the new score with a later dateLastModified",
			ruleV1p2WriteNotStored, []string{putLI, delLI, putR, delR}, flowResultEdit12),
		v1p2WriteCheck("results.put.score-over-max", "/results/{id}",
			"PUT /results/{id} with score 300 for a lineItem of resultValueMax 100 (extra credit) stores the score unchanged",
			ruleV1p2WriteScore, []string{putLI, delLI, putR, delR}, flowResultOverMax12),
		v1p2WriteCheck("results.put.exempt", "/results/{id}",
			"PUT /results/{id} with scoreStatus exempt and no score is stored and served back exempt",
			ruleV1p2WriteExempt, []string{putLI, delLI, putR, delR}, flowResultExempt12),
		v1p2WriteCheck("results.delete", "/results/{id}",
			"DELETE /results/{id} answers 204; then GET /results/{id} answers 404 and every results path of its class leaves it out (no tobedeleted record)",
			ruleV1p2WriteNotDeleted, []string{putLI, delLI, putR, delR}, flowResultDelete12),
		flow("categories", "category", ""),
		flow("scoreScales", "scoreScale", " (listed in /classes/{id}/scoreScales)"),
		flow("assessmentLineItems", "assessmentLineItem", ""),
		flow("assessmentResults", "assessmentResult", " (for an assessmentLineItem of its own)"),
		v1p2WriteCheck("classes-lineitems.post", "/classes/{classSourcedId}/lineItems",
			"POST /classes/{id}/lineItems answers 201 with sourcedIdPairs, one per lineItem sent, each allocated id served as sent and listed in the class",
			ruleV1p2WritePairs, []string{gb12Op("POST", "/classes/{classSourcedId}/lineItems"), delLI}, postClassLineItems12),
		v1p2WriteCheck("schools-lineitems.post", "/schools/{schoolSourcedId}/lineItems",
			"POST /schools/{id}/lineItems answers 201 with sourcedIdPairs, one per lineItem sent, each allocated id served as sent and listed in its class",
			ruleV1p2WritePairs, []string{gb12Op("POST", "/schools/{schoolSourcedId}/lineItems"), delLI}, postSchoolLineItems12),
		v1p2WriteCheck("lineitems-results.post", "/lineItems/{lineItemSourcedId}/results",
			"POST /lineItems/{id}/results answers 201 with sourcedIdPairs, one per result sent, each allocated id served as sent and listed under the lineItem",
			ruleV1p2WritePairs, []string{putLI, delLI, gb12Op("POST", "/lineItems/{lineItemSourcedId}/results"), delR}, postLineItemResults12),
		v1p2WriteCheck("classes-academicsessions-results.post", "/classes/{classSourcedId}/academicSessions/{academicSessionSourcedId}/results",
			"POST /classes/{id}/academicSessions/{id}/results answers 201 with sourcedIdPairs, one per result sent, each allocated id served as sent and listed in the class",
			ruleV1p2WritePairs, []string{putLI, delLI, gb12Op("POST", "/classes/{classSourcedId}/academicSessions/{academicSessionSourcedId}/results"), delR}, postSessionResults12),
		v1p2WriteCheck("lineitems.scopes", "/lineItems/{id}",
			"PUT /lineItems/{id} is refused (401/403, nothing stored) to a gradebook.readonly token and served to a gradebook.createput one; DELETE is refused to the createput token and served to a gradebook.delete one",
			ruleV1p2ScopeNotEnforced, []string{putLI, delLI}, writeScopes12),
		v1p2WriteCheck("lineitems.bad-writes", "/lineItems/{id}",
			"PUT /lineItems/{id} refuses bad bodies (id mismatch, no title, unknown class, bad dueDate, unwrapped) with 400 or 422 and an imsx_StatusInfo body, and stores nothing",
			ruleV1p2WriteBadAccepted, []string{putLI, delLI}, badLineItems12),
		v1p2WriteCheck("results.bad-writes", "/results/{id}",
			"PUT /results/{id} refuses bad bodies (unknown student, unknown scoreStatus, bad scoreDate, no lineItem, a score that is a string) with 400 or 422 and an imsx_StatusInfo body, and stores nothing",
			ruleV1p2WriteBadAccepted, []string{putLI, delLI, putR, delR}, badResults12),
	}
}

// ready12 finds the targets (ready) and the class's school and first
// term, which the 1.2 lineItem and the POSTs name.
func (w *writer) ready12(ctx context.Context) bool {
	if !w.ready(ctx, true) {
		return false
	}
	ex := w.get(ctx, "/rostering/v1p2/classes/"+url.PathEscape(w.t.Class), nil)
	doc, problem := w.e.readObject(ex)
	class, _ := doc["class"].(map[string]any)
	if class == nil {
		w.r.NotSupported(fmt.Sprintf("the class to write grades for (%s) cannot be read: %s", w.t.Class, problem))
		return false
	}
	s, _ := class["school"].(map[string]any)
	w.t.School, _ = s["sourcedId"].(string)
	if terms, _ := class["terms"].([]any); len(terms) > 0 {
		t, _ := terms[0].(map[string]any)
		w.t.Term, _ = t["sourcedId"].(string)
	}
	return true
}

func ref12(id, typ string) map[string]any { return map[string]any{"sourcedId": id, "type": typ} }

// lineItem12 is a 1.2 lineItem (LineItemDType): every required property,
// GUIDRefs of sourcedId and type.
func (w *writer) lineItem12(id, title string, now time.Time) map[string]any {
	m := map[string]any{
		"sourcedId": id, "status": "active", "dateLastModified": stamp(now),
		"title": title, "description": writeTag + " write check " + w.check,
		"assignDate": stamp(now), "dueDate": stamp(now.Add(7 * 24 * time.Hour)),
		"class": ref12(w.t.Class, "class"), "school": ref12(w.t.School, "org"), "category": ref12(w.t.Category, "category"),
		"resultValueMin": 0, "resultValueMax": 100,
	}
	if w.t.GradingPeriod != "" {
		m["gradingPeriod"] = ref12(w.t.GradingPeriod, "academicSession")
	}
	return m
}

// result12 is a 1.2 result (ResultDType); scoreDate is a date.
func (w *writer) result12(id, lineItem string, score any, status string, now time.Time) map[string]any {
	m := map[string]any{
		"sourcedId": id, "status": "active", "dateLastModified": stamp(now),
		"lineItem": ref12(lineItem, "lineItem"), "student": ref12(w.t.Student, "user"),
		"scoreStatus": status, "scoreDate": now.UTC().Format("2006-01-02"), "comment": writeTag + " write check " + w.check + " " + newID(),
	}
	if score != nil {
		m["score"] = score
	}
	return m
}

func wrap(key string, rec map[string]any) map[string]any { return map[string]any{key: rec} }

// newLineItem12 creates a lineItem a result hangs on (its status not judged).
func (w *writer) newLineItem12(ctx context.Context) (string, bool) {
	id := newID()
	return id, w.created(w.put(ctx, "lineItems", id, wrap("lineItem", w.lineItem12(id, w.title("lineItem"), time.Now()))), "lineItem", false)
}

func (w *writer) classLineItems() string {
	return "/classes/" + url.PathEscape(w.t.Class) + "/lineItems"
}

// resultPaths12 are the class's results paths that list a result of
// lineItem for the target student.
func (w *writer) resultPaths12(lineItem string) []string {
	c := "/classes/" + url.PathEscape(w.t.Class)
	return []string{c + "/lineItems/" + url.PathEscape(lineItem) + "/results", c + "/results",
		c + "/students/" + url.PathEscape(w.t.Student) + "/results"}
}

func flowLineItemCreate12(ctx context.Context, w *writer) {
	if !w.ready12(ctx) {
		return
	}
	id := newID()
	sent := w.lineItem12(id, w.title("lineItem"), time.Now())
	if !w.created(w.put(ctx, "lineItems", id, wrap("lineItem", sent)), "lineItem", true) {
		return
	}
	w.readBack(ctx, "lineItems", "lineItem", id, sent)
	w.mustList(ctx, w.classLineItems(), "lineItems", id)
}

func flowLineItemEdit12(ctx context.Context, w *writer) {
	if !w.ready12(ctx) {
		return
	}
	id, now := newID(), time.Now()
	sent := w.lineItem12(id, w.title("lineItem"), now)
	if !w.created(w.put(ctx, "lineItems", id, wrap("lineItem", sent)), "lineItem", false) {
		return
	}
	first := w.readBack(ctx, "lineItems", "lineItem", id, sent)
	pause(first)
	sent = w.lineItem12(id, w.title("lineItem (changed)"), now)
	sent["dueDate"], sent["resultValueMax"] = stamp(now.Add(14*24*time.Hour)), 50
	if w.replaced(w.put(ctx, "lineItems", id, wrap("lineItem", sent)), "lineItem") {
		w.later(first, w.readBack(ctx, "lineItems", "lineItem", id, sent), id)
	}
}

func flowLineItemDelete12(ctx context.Context, w *writer) {
	if !w.ready12(ctx) {
		return
	}
	id, ok := w.newLineItem12(ctx)
	if ok && w.deleted(ctx, "lineItems", id) {
		w.mustNotList(ctx, w.classLineItems(), "lineItems", id, ruleWriteNotDeleted)
	}
}

// newResult12 creates a result of a lineItem of its own; sent is what was
// stored (nil when refused, recorded under rule).
func (w *writer) newResult12(ctx context.Context, score any, status string, judge bool, rule string) (id, li string, sent map[string]any) {
	li, ok := w.newLineItem12(ctx)
	if !ok {
		return "", "", nil
	}
	id = newID()
	sent = w.result12(id, li, score, status, time.Now())
	ex := w.put(ctx, "results", id, wrap("result", sent))
	if rule != "" && ex.Err == nil && ex.Status/100 == 4 {
		w.r.AddRule(rule, ex, "PUT of a result with scoreStatus %q and score %v answered %d%s", status, score, ex.Status, w.e.bodyHint(ex.Body))
		return "", "", nil
	}
	if !w.created(ex, "result", judge) {
		return "", "", nil
	}
	return id, li, sent
}

func flowResultCreate12(ctx context.Context, w *writer) {
	if !w.ready12(ctx) {
		return
	}
	id, li, sent := w.newResult12(ctx, 87.5, "fully graded", true, "")
	if sent == nil {
		return
	}
	w.readBack(ctx, "results", "result", id, sent)
	for _, p := range w.resultPaths12(li) {
		w.mustList(ctx, p, "results", id)
	}
}

func flowResultEdit12(ctx context.Context, w *writer) {
	if !w.ready12(ctx) {
		return
	}
	id, li, sent := w.newResult12(ctx, 80, "fully graded", false, "")
	if sent == nil {
		return
	}
	first := w.readBack(ctx, "results", "result", id, sent)
	pause(first)
	sent = w.result12(id, li, 91, "fully graded", time.Now())
	if w.replaced(w.put(ctx, "results", id, wrap("result", sent)), "result") {
		w.later(first, w.readBack(ctx, "results", "result", id, sent), id)
	}
}

func flowResultOverMax12(ctx context.Context, w *writer) {
	if !w.ready12(ctx) {
		return
	}
	id, _, sent := w.newResult12(ctx, 300, "fully graded", false, ruleV1p2WriteScore)
	if sent != nil {
		w.readBackAs(ctx, "results", "result", id, sent, ruleV1p2WriteScore)
	}
}

func flowResultExempt12(ctx context.Context, w *writer) {
	if !w.ready12(ctx) {
		return
	}
	id, _, sent := w.newResult12(ctx, nil, "exempt", false, ruleV1p2WriteExempt)
	if sent != nil {
		w.readBackAs(ctx, "results", "result", id, sent, ruleV1p2WriteExempt)
	}
}

func flowResultDelete12(ctx context.Context, w *writer) {
	if !w.ready12(ctx) {
		return
	}
	id, li, sent := w.newResult12(ctx, 75, "fully graded", false, "")
	if sent == nil || !w.deleted(ctx, "results", id) {
		return
	}
	for _, p := range w.resultPaths12(li) {
		w.mustNotList(ctx, p, "results", id, ruleWriteNotDeleted)
	}
}

// readBackAs is readBack with the differences recorded under rule.
func (w *writer) readBackAs(ctx context.Context, coll, key, id string, sent map[string]any, rule string) map[string]any {
	ex := w.get(ctx, "/"+coll+"/"+url.PathEscape(id), nil)
	doc, problem := w.e.readObject(ex)
	got, _ := doc[key].(map[string]any)
	if got == nil {
		w.r.Add(Violation{Rule: w.rule(ruleWriteNotStored), RecordID: id, Message: fmt.Sprintf("GET %s after PUT: %s", w.show(coll, id), problem), Ex: ex})
		return nil
	}
	w.compare(ex, key, sent, got, rule)
	return got
}

// find pages through a collection path for the first record match
// accepts; ok unless the read failed (404 counts as an empty collection).
func (w *writer) find(ctx context.Context, path, key string, match func(map[string]any) bool) (rec map[string]any, ok bool, ex *client.Exchange) {
	var found map[string]any
	_, ok, ex = w.scan(ctx, path, key, func(m map[string]any) bool {
		if match(m) {
			found = m
			return true
		}
		return false
	})
	return found, ok, ex
}

// flow12 is the create, edit and delete flow of one of the other 1.2
// gradebook objects.
func flow12(ctx context.Context, w *writer, coll, single string) {
	if !w.ready12(ctx) {
		return
	}
	var parent string // an assessmentResult's own assessmentLineItem
	if coll == "assessmentResults" {
		parent = newID()
		if !w.created(w.put(ctx, "assessmentLineItems", parent, wrap("assessmentLineItem", w.other12("assessmentLineItems", parent, "", w.title("assessmentLineItem")))), "assessmentLineItem", false) {
			return
		}
	}
	id := newID()
	sent := w.other12(coll, id, parent, w.title(single))
	if !w.created(w.put(ctx, coll, id, wrap(single, sent)), single, true) {
		return
	}
	first := w.readBack(ctx, coll, single, id, sent)
	list := "/" + coll
	if coll == "scoreScales" {
		list = "/classes/" + url.PathEscape(w.t.Class) + "/scoreScales"
	}
	w.mustList(ctx, list, coll, id)
	pause(first)
	sent = w.other12(coll, id, parent, w.title(single+" (changed)"))
	switch coll {
	case "categories":
		sent["weight"] = 0.5
	case "scoreScales":
		sent["scoreScaleValue"] = []any{map[string]any{"itemValueLHS": "Pass", "itemValueRHS": "60"}, map[string]any{"itemValueLHS": "Fail", "itemValueRHS": "0"}}
	case "assessmentResults":
		sent["score"] = 64
	default:
		sent["resultValueMax"] = 40
	}
	if w.replaced(w.put(ctx, coll, id, wrap(single, sent)), single) {
		w.later(first, w.readBack(ctx, coll, single, id, sent), id)
	}
	if w.deleted(ctx, coll, id) {
		w.mustNotList(ctx, list, coll, id, ruleWriteNotDeleted)
	}
}

// other12 is a body of a category, scoreScale, assessmentLineItem or
// assessmentResult (every required property of its 1.2 DType).
func (w *writer) other12(coll, id, parent, title string) map[string]any {
	now := time.Now()
	m := map[string]any{"sourcedId": id, "status": "active", "dateLastModified": stamp(now)}
	switch coll {
	case "categories":
		m["title"], m["weight"] = title, 0.25
	case "scoreScales":
		m["title"], m["type"], m["class"] = title, "rostercheck", ref12(w.t.Class, "class")
		m["scoreScaleValue"] = []any{map[string]any{"itemValueLHS": "Pass", "itemValueRHS": "50"}, map[string]any{"itemValueLHS": "Fail", "itemValueRHS": "0"}}
	case "assessmentLineItems":
		m["title"], m["description"] = title, writeTag+" write check "+w.check
		m["class"], m["resultValueMin"], m["resultValueMax"] = ref12(w.t.Class, "class"), 0, 100
	case "assessmentResults":
		m["assessmentLineItem"], m["student"] = ref12(parent, "assessmentLineItem"), ref12(w.t.Student, "user")
		m["score"], m["scoreStatus"], m["scoreDate"] = 72, "fully graded", now.UTC().Format("2006-01-02")
		m["comment"] = title
	}
	return m
}

// post sends a 1.2 POST of a set and judges its sourcedIdPairs: 201, one
// pair per supplied id, each allocated id new and tracked at once. When
// the pairs are missing, the objects are looked up by their unique marker
// (title or comment) in list and tracked, so that they are still deleted.
// It returns supplied id -> allocated id.
func (w *writer) post(ctx context.Context, path, key, coll string, items []map[string]any, list, marker string) map[string]string {
	b, _ := json.Marshal(map[string]any{key: items})
	ex := w.r.Evidence(w.e.Store.Do(ctx, client.Request{Method: http.MethodPost, URL: w.e.url(w.path(path), nil),
		Header: http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}}, Body: b, CheckID: w.check}))
	full := w.coll(coll)
	lookup := func() {
		for _, it := range items {
			want := it[marker]
			rec, _, _ := w.find(ctx, list, coll, func(m map[string]any) bool { return m[marker] == want })
			if id, _ := rec["sourcedId"].(string); id != "" {
				w.e.Tracker.track(w.check, full, id)
			}
		}
	}
	switch {
	case ex.Err != nil:
		w.r.AddRule(ruleV1p2WriteRejected, ex, "POST %s: %s", path, w.e.describeErr(ex))
		lookup()
		return nil
	case ex.Status/100 != 2:
		w.r.AddRule(ruleV1p2WriteRejected, ex, "POST %s answered %d, want 201%s", path, ex.Status, w.e.bodyHint(ex.Body))
		lookup()
		return nil
	case ex.Status != http.StatusCreated:
		w.r.AddRule(ruleV1p2WriteCreateStatus, ex, "POST %s answered %d, want 201 Created", path, ex.Status)
	}
	var ans struct {
		Pairs []struct {
			Supplied  string `json:"suppliedSourcedId"`
			Allocated string `json:"allocatedSourcedId"`
		} `json:"sourcedIdPairs"`
	}
	pairs := map[string]string{}
	if err := json.Unmarshal(ex.Body, &ans); err != nil || ans.Pairs == nil {
		w.r.Add(Violation{Rule: ruleV1p2WritePairs, Pointer: "/sourcedIdPairs", Message: fmt.Sprintf("the %d answer to POST %s has no sourcedIdPairs array%s", ex.Status, path, w.e.bodyHint(ex.Body)), Ex: ex})
		lookup()
		return nil
	}
	for i, p := range ans.Pairs {
		if p.Allocated != "" {
			w.e.Tracker.track(w.check, full, p.Allocated)
		}
		switch {
		case p.Supplied == "" || p.Allocated == "":
			w.r.Add(Violation{Rule: ruleV1p2WritePairs, Pointer: fmt.Sprintf("/sourcedIdPairs/%d", i), Message: "a pair lacks suppliedSourcedId or allocatedSourcedId", Ex: ex})
		case pairs[p.Supplied] != "":
			w.r.Add(Violation{Rule: ruleV1p2WritePairs, Pointer: fmt.Sprintf("/sourcedIdPairs/%d", i), Message: fmt.Sprintf("suppliedSourcedId %s is paired twice", p.Supplied), Ex: ex})
		default:
			pairs[p.Supplied] = p.Allocated
		}
	}
	for _, it := range items {
		if sup, _ := it["sourcedId"].(string); pairs[sup] == "" {
			w.r.Add(Violation{Rule: ruleV1p2WritePairs, Pointer: "/sourcedIdPairs", RecordID: sup, Message: fmt.Sprintf("no pair for the supplied sourcedId %s", sup), Ex: ex})
		}
	}
	if len(pairs) < len(items) {
		lookup()
	}
	return pairs
}

// posted reads back each object a POST created under its allocated id and
// looks for it in list.
func (w *writer) posted(ctx context.Context, coll, single string, items []map[string]any, pairs map[string]string, list string) {
	for _, it := range items {
		sup, _ := it["sourcedId"].(string)
		alloc := pairs[sup]
		if alloc == "" {
			continue
		}
		sent := map[string]any{}
		for k, v := range it {
			if k != "sourcedId" {
				sent[k] = v
			}
		}
		w.readBack(ctx, coll, single, alloc, sent)
		w.mustList(ctx, list, coll, alloc)
	}
}

func (w *writer) postLineItems12(ctx context.Context, school bool) {
	if !w.ready12(ctx) {
		return
	}
	path := w.classLineItems()
	if school {
		path = "/schools/" + url.PathEscape(w.t.School) + "/lineItems"
	}
	now := time.Now()
	var items []map[string]any
	for i := 0; i < 2; i++ {
		items = append(items, w.lineItem12(newID(), w.title(fmt.Sprintf("posted lineItem %d %s", i+1, newID())), now))
	}
	pairs := w.post(ctx, path, "lineItems", "lineItems", items, w.classLineItems(), "title")
	w.posted(ctx, "lineItems", "lineItem", items, pairs, w.classLineItems())
}

func postClassLineItems12(ctx context.Context, w *writer) {
	w.postLineItems12(ctx, false)
}

func postSchoolLineItems12(ctx context.Context, w *writer) {
	w.postLineItems12(ctx, true)
}

func (w *writer) postResults12(ctx context.Context, session bool) {
	if !w.ready12(ctx) {
		return
	}
	if session && w.t.Term == "" {
		w.r.NotSupported(fmt.Sprintf("class %s has no terms: no academic session to POST results under", w.t.Class))
		return
	}
	li, ok := w.newLineItem12(ctx)
	if !ok {
		return
	}
	items := []map[string]any{w.result12(newID(), li, 66, "fully graded", time.Now())}
	path := "/lineItems/" + url.PathEscape(li) + "/results"
	if session {
		path = "/classes/" + url.PathEscape(w.t.Class) + "/academicSessions/" + url.PathEscape(w.t.Term) + "/results"
	}
	list := w.resultPaths12(li)[0]
	pairs := w.post(ctx, path, "results", "results", items, list, "comment")
	w.posted(ctx, "results", "result", items, pairs, list)
}

func postLineItemResults12(ctx context.Context, w *writer) { w.postResults12(ctx, false) }
func postSessionResults12(ctx context.Context, w *writer)  { w.postResults12(ctx, true) }
func badLineItems12(ctx context.Context, w *writer)        { w.badLineItems12(ctx) }
func badResults12(ctx context.Context, w *writer)          { w.badResults12(ctx) }

func (w *writer) badLineItems12(ctx context.Context) {
	if !w.ready12(ctx) {
		return
	}
	now := time.Now()
	if ok := newID(); !w.control(ctx, "lineItems", ok, wrap("lineItem", w.lineItem12(ok, w.title("lineItem"), now))) {
		return
	}
	variant := func(id string, f func(m map[string]any)) map[string]any {
		m := w.lineItem12(id, w.title("bad lineItem"), now)
		f(m)
		return wrap("lineItem", m)
	}
	a, other := newID(), newID()
	w.badWrite(ctx, "lineItems", "a lineItem whose body sourcedId differs from the path id", a, variant(a, func(m map[string]any) { m["sourcedId"] = other }), other)
	id := newID()
	w.badWrite(ctx, "lineItems", "a lineItem without a title", id, variant(id, func(m map[string]any) { delete(m, "title") }))
	id = newID()
	w.badWrite(ctx, "lineItems", "a lineItem of an unknown class", id, variant(id, func(m map[string]any) {
		m["class"] = ref12("rostercheck-unknown-"+randomHex(8), "class")
		delete(m, "school")
	}))
	id = newID()
	w.badWrite(ctx, "lineItems", "a lineItem whose dueDate is not a date-time", id, variant(id, func(m map[string]any) { m["dueDate"] = "2026-13-45" }))
	id = newID()
	w.badWrite(ctx, "lineItems", "an unwrapped lineItem (no \"lineItem\" key)", id, w.lineItem12(id, w.title("bad lineItem"), now))
}

func (w *writer) badResults12(ctx context.Context) {
	if !w.ready12(ctx) {
		return
	}
	now := time.Now()
	li := newID()
	if !w.control(ctx, "lineItems", li, wrap("lineItem", w.lineItem12(li, w.title("lineItem"), now))) {
		return
	}
	if ok := newID(); !w.control(ctx, "results", ok, wrap("result", w.result12(ok, li, 70, "fully graded", now))) {
		return
	}
	variant := func(id string, f func(m map[string]any)) map[string]any {
		m := w.result12(id, li, 70, "fully graded", now)
		f(m)
		return wrap("result", m)
	}
	id := newID()
	w.badWrite(ctx, "results", "a result of an unknown student", id, variant(id, func(m map[string]any) { m["student"] = ref12("rostercheck-unknown-"+randomHex(8), "user") }))
	id = newID()
	w.badWrite(ctx, "results", "a result whose scoreStatus is not in the vocabulary", id, variant(id, func(m map[string]any) { m["scoreStatus"] = "graded" }))
	id = newID()
	w.badWrite(ctx, "results", "a result whose scoreDate is not a date", id, variant(id, func(m map[string]any) { m["scoreDate"] = "31/12/2026" }))
	id = newID()
	w.badWrite(ctx, "results", "a result without a lineItem", id, variant(id, func(m map[string]any) { delete(m, "lineItem") }))
	id = newID()
	w.badWrite(ctx, "results", "a result whose score is a string", id, variant(id, func(m map[string]any) { m["score"] = "70" }))
}

// writeScopes12 sends the lineItem writes with tokens of one scope each
// (RFC 6749 §3.3 client credentials with the scope parameter): each
// write is served only to the token with the scope its operation
// declares. The run's own token reads back what happened.
func writeScopes12(ctx context.Context, w *writer) {
	e, r := w.e, w.r
	if !needMode(e, r, "oauth2", "OAuth 2 client credentials (the 1.2 write scopes)") || !w.ready12(ctx) {
		return
	}
	tok := map[string]string{}
	for _, s := range []string{"gradebook.readonly", "gradebook.createput", "gradebook.delete"} {
		ans := e.issueAny(ctx, r, clientCredentials(scopeV1p2Prefix+s))
		if transportFailed(e, r, ans) {
			return
		}
		if !ans.ok() {
			r.NotSupported(fmt.Sprintf("the token endpoint issued no token for the scope %s alone (%s): the write scopes cannot be told apart", s, ans.short()))
			return
		}
		tok[s] = ans.token
	}
	send := func(method, id, scope string, body any) *client.Exchange {
		req := client.Request{Method: method, URL: e.url(w.path("/lineItems/"+url.PathEscape(id)), nil), Auth: client.Bearer(tok[scope]), CheckID: w.check}
		if body != nil {
			req.Body, _ = json.Marshal(body)
			req.Header = http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}}
			e.Tracker.track(w.check, w.coll("lineItems"), id)
		}
		return r.Evidence(e.Store.Do(ctx, req))
	}
	refused := func(ex *client.Exchange) bool {
		return ex.Status == http.StatusUnauthorized || ex.Status == http.StatusForbidden
	}
	now := time.Now()

	// A read-only token may not create.
	ro := newID()
	ex := send(http.MethodPut, ro, "gradebook.readonly", wrap("lineItem", w.lineItem12(ro, w.title("lineItem"), now)))
	switch {
	case ex.Err != nil:
		r.AddRule(ruleV1p2WriteReadFailed, ex, "PUT /lineItems/%s: %s", ro, e.describeErr(ex))
		return
	case !refused(ex):
		r.AddRule(ruleV1p2ScopeNotEnforced, ex, "PUT /lineItems/%s with a token granted gradebook.readonly only answered %d, want 401 or 403", ro, ex.Status)
	}
	w.absent(ctx, "lineItems", ro, ruleV1p2ScopeNotEnforced, "PUT with a gradebook.readonly token")

	// gradebook.createput creates; it may not delete; gradebook.delete does.
	id := newID()
	ex = send(http.MethodPut, id, "gradebook.createput", wrap("lineItem", w.lineItem12(id, w.title("lineItem"), now)))
	if ex.Err != nil || ex.Status/100 != 2 {
		r.AddRule(ruleV1p2ScopeRefused, ex, "PUT /lineItems/%s with a token granted gradebook.createput answered %d, want 201%s", id, ex.Status, e.bodyHint(ex.Body))
		return
	}
	ex = send(http.MethodDelete, id, "gradebook.createput", nil)
	if !refused(ex) {
		r.AddRule(ruleV1p2ScopeNotEnforced, ex, "DELETE /lineItems/%s with a token granted gradebook.createput only answered %d, want 401 or 403", id, ex.Status)
		return // (it may be gone: the delete scope has nothing left to delete)
	}
	ex = send(http.MethodDelete, id, "gradebook.delete", nil)
	if ex.Err != nil || ex.Status/100 != 2 {
		r.AddRule(ruleV1p2ScopeRefused, ex, "DELETE /lineItems/%s with a token granted gradebook.delete answered %d, want 204%s", id, ex.Status, e.bodyHint(ex.Body))
	}
}
