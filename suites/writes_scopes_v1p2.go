package suites

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/rostercheck/rostercheck/internal/client"
	"github.com/rostercheck/rostercheck/suites/catalogue/v1p2"
)

// The write scopes of the other 1.2 gradebook flows, as data: each row
// names a create operation (a PUT of the collection's object or one of the
// POSTs), the scope a token is refused with (a declared scope the
// operation does not list: the one a provider would most likely confuse
// with it), and for a PUT row the DELETE's. The scope each operation is
// served with is the one the 1.2 catalogue lists for it (its OAuth2CC
// security). v1p2.gradebook.lineitems.scopes (writes_v1p2.go) is the
// lineItem row; these are the assessment writes and the POSTs.
type scopeFlow12 struct {
	id     string // check ID below v1p2.gradebook.
	coll   string // the object's collection ("assessmentLineItems")
	single string // its wrapper key ("assessmentLineItem")
	// post is the POST path template (under the gradebook root); "" for a
	// PUT of /{coll}/{sourcedId}.
	post string
	// wrongCreate (wrongDelete) is the scope the create (the DELETE) must
	// be refused with, short ("gradebook.createput").
	wrongCreate, wrongDelete string
}

var scopeFlows12 = []scopeFlow12{
	// The assessment writes declare assessment.createput and
	// assessment.delete; a provider that folds them into the gradebook
	// scopes serves them to gradebook.createput and gradebook.delete.
	{id: "assessmentlineitems.scopes", coll: "assessmentLineItems", single: "assessmentLineItem",
		wrongCreate: "gradebook.createput", wrongDelete: "gradebook.delete"},
	{id: "assessmentresults.scopes", coll: "assessmentResults", single: "assessmentResult",
		wrongCreate: "gradebook.createput", wrongDelete: "gradebook.delete"},
	// The POSTs (the server allocates the ids) declare gradebook.createpost;
	// the PUTs' gradebook.createput is not enough.
	{id: "classes-lineitems.post.scopes", coll: "lineItems", single: "lineItem", post: "/classes/{classSourcedId}/lineItems",
		wrongCreate: "gradebook.createput"},
	{id: "lineitems-results.post.scopes", coll: "results", single: "result", post: "/lineItems/{lineItemSourcedId}/results",
		wrongCreate: "gradebook.createput"},
}

// ops are the operations a row sends (its features): the create, the
// DELETE of its object, and the lineItem a result hangs on.
func (f scopeFlow12) ops() []string {
	var out []string
	if f.coll == "results" {
		out = append(out, gb12Op("PUT", "/lineItems/{id}"), gb12Op("DELETE", "/lineItems/{id}"))
	}
	if f.coll == "assessmentResults" {
		out = append(out, gb12Op("PUT", "/assessmentLineItems/{id}"), gb12Op("DELETE", "/assessmentLineItems/{id}"))
	}
	if f.post != "" {
		out = append(out, gb12Op("POST", f.post))
	} else {
		out = append(out, gb12Op("PUT", "/"+f.coll+"/{id}"))
	}
	return append(out, gb12Op("DELETE", "/"+f.coll+"/{id}"))
}

// title is the check's spec text.
func (f scopeFlow12) title() string {
	create, del := f.createOp()
	served := func(method, path string) string { return strings.Join(declaredScopes(method, path), " or ") }
	s := fmt.Sprintf("%s %s is refused (401/403, nothing stored) to a %s token and served to a %s one", create[0], create[1], f.wrongCreate, served(create[0], create[1]))
	if f.wrongDelete != "" {
		s += fmt.Sprintf("; DELETE %s is refused to a %s token and served to a %s one", del, f.wrongDelete, served(http.MethodDelete, del))
	}
	return s
}

// createOp is the create's method and catalogue path, and the DELETE's path.
func (f scopeFlow12) createOp() ([2]string, string) {
	del := "/" + f.coll + "/{sourcedId}"
	if f.post != "" {
		return [2]string{http.MethodPost, f.post}, del
	}
	return [2]string{http.MethodPut, del}, del
}

// declaredScopes are the short names of the scopes the 1.2 gradebook file
// lists for an operation (any one suffices); nil when it lists none.
func declaredScopes(method, path string) []string {
	c, err := v1p2.Load()
	if err != nil {
		return nil
	}
	o, ok := c.Operation("gradebook", method, path)
	if !ok {
		return nil
	}
	out := make([]string, len(o.Scopes))
	for i, s := range o.Scopes {
		out[i] = strings.TrimPrefix(s, scopeV1p2Prefix)
	}
	return out
}

func scopeFlowChecks12() []Check {
	var out []Check
	for _, f := range scopeFlows12 {
		f := f
		endpoint := "/" + f.coll + "/{id}"
		if f.post != "" {
			endpoint = f.post
		}
		out = append(out, v1p2WriteCheck(f.id, endpoint, f.title(), ruleV1p2ScopeNotEnforced, f.ops(),
			func(ctx context.Context, w *writer) { writeScopeFlow12(ctx, w, f) }))
	}
	return out
}

func init() { RegisterChecks(scopeFlowChecks12) }

// writeScopeFlow12 runs one row: tokens of one scope each (RFC 6749 §3.3
// client credentials with the scope parameter); the create is refused to
// the wrong scope and served to the declared one; for a PUT row the DELETE
// likewise. Everything sent is tracked first; the run's own token reads
// back and cleans up.
func writeScopeFlow12(ctx context.Context, w *writer, f scopeFlow12) {
	e, r := w.e, w.r
	if !needMode(e, r, "oauth2", "OAuth 2 client credentials (the 1.2 write scopes)") || !w.ready12(ctx) {
		return
	}
	create, delPath := f.createOp()
	createScopes, delScopes := declaredScopes(create[0], create[1]), declaredScopes(http.MethodDelete, delPath)
	if len(createScopes) == 0 || len(delScopes) == 0 || slices.Contains(createScopes, f.wrongCreate) || slices.Contains(delScopes, f.wrongDelete) {
		r.Errorf("harness: the 1.2 catalogue's scopes for %s %s (%v) and DELETE %s (%v) do not fit the row (refused with %s and %s)",
			create[0], create[1], createScopes, delPath, delScopes, f.wrongCreate, f.wrongDelete)
		return
	}
	need := []string{f.wrongCreate, createScopes[0]}
	if f.wrongDelete != "" {
		need = append(need, f.wrongDelete, delScopes[0])
	}
	tok := map[string]string{}
	for _, s := range need {
		if tok[s] != "" {
			continue
		}
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
	send := func(method, path, scope string, body any) *client.Exchange {
		req := client.Request{Method: method, URL: e.url(w.path(path), nil), Auth: client.Bearer(tok[scope]), CheckID: w.check}
		if body != nil {
			req.Body, _ = json.Marshal(body)
			req.Header = http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}}
		}
		return r.Evidence(e.Store.Do(ctx, req))
	}
	refused := func(ex *client.Exchange) bool {
		return ex.Status == http.StatusUnauthorized || ex.Status == http.StatusForbidden
	}
	if f.post != "" {
		w.postScopes12(ctx, f, create[1], createScopes[0], send, refused)
		return
	}

	// An assessmentResult names an assessmentLineItem of its own (the
	// run's token creates it).
	parent := ""
	if f.coll == "assessmentResults" {
		parent = newID()
		if !w.created(w.put(ctx, "assessmentLineItems", parent, wrap("assessmentLineItem", w.other12("assessmentLineItems", parent, "", w.title("assessmentLineItem")))), "assessmentLineItem", false) {
			return
		}
	}
	item := func(id string) any { return wrap(f.single, w.other12(f.coll, id, parent, w.title(f.single))) }
	at := func(id string) string { return "/" + f.coll + "/" + url.PathEscape(id) }
	show := func(id string) string { return w.path(at(id)) }

	wrong := newID()
	e.Tracker.track(w.check, w.coll(f.coll), wrong)
	ex := send(http.MethodPut, at(wrong), f.wrongCreate, item(wrong))
	switch {
	case ex.Err != nil:
		r.Add(Violation{Rule: ruleV1p2WriteReadFailed, RecordID: wrong, Ex: ex, Message: fmt.Sprintf("PUT %s: %s", show(wrong), e.describeErr(ex))})
		return
	case !refused(ex):
		r.Add(Violation{Rule: ruleV1p2ScopeNotEnforced, RecordID: wrong, Ex: ex, Message: fmt.Sprintf("PUT %s with a token granted %s only answered %d, want 401 or 403 (it needs %s)", show(wrong), f.wrongCreate, ex.Status, createScopes[0])})
	}
	w.absent(ctx, f.coll, wrong, ruleV1p2ScopeNotEnforced, "PUT with a "+f.wrongCreate+" token")

	id := newID()
	e.Tracker.track(w.check, w.coll(f.coll), id)
	ex = send(http.MethodPut, at(id), createScopes[0], item(id))
	if ex.Err != nil || ex.Status/100 != 2 {
		r.Add(Violation{Rule: ruleV1p2ScopeRefused, RecordID: id, Ex: ex, Message: fmt.Sprintf("PUT %s with a token granted %s answered %d, want 201%s", show(id), createScopes[0], ex.Status, e.bodyHint(ex.Body))})
		return
	}
	ex = send(http.MethodDelete, at(id), f.wrongDelete, nil)
	if !refused(ex) {
		r.Add(Violation{Rule: ruleV1p2ScopeNotEnforced, RecordID: id, Ex: ex, Message: fmt.Sprintf("DELETE %s with a token granted %s only answered %d, want 401 or 403 (it needs %s)", show(id), f.wrongDelete, ex.Status, delScopes[0])})
		return // (it may be gone: the delete scope has nothing left to delete)
	}
	ex = send(http.MethodDelete, at(id), delScopes[0], nil)
	if ex.Err != nil || ex.Status/100 != 2 {
		r.Add(Violation{Rule: ruleV1p2ScopeRefused, RecordID: id, Ex: ex, Message: fmt.Sprintf("DELETE %s with a token granted %s answered %d, want 204%s", show(id), delScopes[0], ex.Status, e.bodyHint(ex.Body))})
	}
}

// postScopes12 is a POST row: one object POSTed with the wrong scope (refused,
// and not found in its list afterwards) and one with the declared scope
// (served). The server allocates the ids: what a served POST created is
// tracked from its sourcedIdPairs, or found by its unique marker (title or
// comment) in the list.
func (w *writer) postScopes12(ctx context.Context, f scopeFlow12, tmpl, scope string, send func(method, path, scope string, body any) *client.Exchange, refused func(*client.Exchange) bool) {
	e, r := w.e, w.r
	var path, list, marker string
	var item func() map[string]any
	now := time.Now()
	switch f.coll {
	case "lineItems":
		path = strings.Replace(tmpl, "{classSourcedId}", url.PathEscape(w.t.Class), 1)
		list, marker = w.classLineItems(), "title"
		item = func() map[string]any {
			return w.lineItem12(newID(), w.title("scope lineItem "+newID()), now)
		}
	case "results":
		li, ok := w.newLineItem12(ctx)
		if !ok {
			return
		}
		path = strings.Replace(tmpl, "{lineItemSourcedId}", url.PathEscape(li), 1)
		list, marker = w.resultPaths12(li)[0], "comment"
		item = func() map[string]any { return w.result12(newID(), li, 66, "fully graded", now) }
	default:
		r.Errorf("harness: no POST body for %s", f.coll)
		return
	}
	// track records what a POST stored: the allocated ids of its pairs,
	// else the object its marker finds in the list.
	track := func(ex *client.Exchange, it map[string]any) bool {
		var ans struct {
			Pairs []struct {
				Allocated string `json:"allocatedSourcedId"`
			} `json:"sourcedIdPairs"`
		}
		stored := false
		if ex != nil && ex.Status/100 == 2 && json.Unmarshal(ex.Body, &ans) == nil {
			for _, p := range ans.Pairs {
				if p.Allocated != "" {
					e.Tracker.track(w.check, w.coll(f.coll), p.Allocated)
					stored = true
				}
			}
		}
		want := it[marker]
		rec, _, _ := w.find(ctx, list, f.coll, func(m map[string]any) bool { return m[marker] == want })
		if id, _ := rec["sourcedId"].(string); id != "" {
			e.Tracker.track(w.check, w.coll(f.coll), id)
			stored = true
		}
		return stored
	}

	supplied := func(it map[string]any) string { id, _ := it["sourcedId"].(string); return id }
	it := item()
	ex := send(http.MethodPost, path, f.wrongCreate, map[string]any{f.coll: []any{it}})
	switch {
	case ex.Err != nil:
		r.Add(Violation{Rule: ruleV1p2WriteReadFailed, RecordID: supplied(it), Ex: ex, Message: fmt.Sprintf("POST %s: %s", w.path(path), e.describeErr(ex))})
		return
	case !refused(ex):
		r.Add(Violation{Rule: ruleV1p2ScopeNotEnforced, RecordID: supplied(it), Ex: ex, Message: fmt.Sprintf("POST %s with a token granted %s only answered %d, want 401 or 403 (it needs %s)", w.path(path), f.wrongCreate, ex.Status, scope)})
		track(ex, it)
	default:
		if track(nil, it) {
			r.Add(Violation{Rule: ruleV1p2ScopeNotEnforced, RecordID: supplied(it), Ex: ex, Message: fmt.Sprintf("POST %s with a token granted %s answered %d, but %s lists the %s it sent", w.path(path), f.wrongCreate, ex.Status, w.path(list), f.single)})
		}
	}

	it = item()
	ex = send(http.MethodPost, path, scope, map[string]any{f.coll: []any{it}})
	if ex.Err != nil || ex.Status/100 != 2 {
		r.Add(Violation{Rule: ruleV1p2ScopeRefused, RecordID: supplied(it), Ex: ex, Message: fmt.Sprintf("POST %s with a token granted %s answered %d, want 201%s", w.path(path), scope, ex.Status, e.bodyHint(ex.Body))})
		track(nil, it)
		return
	}
	track(ex, it)
}
