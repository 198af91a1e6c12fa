package suites

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rostercheck/rostercheck/internal/client"
)

// Google Classroom's OneRoster 1.2 SIS integration, as its published test
// notebook exercises it ("oneroster-integration-conformance-tests",
// oneroster_1_2_test_suite.ipynb, https://github.com/googleworkspace/oneroster-integration-conformance-tests):
// one token asked the way Classroom asks it, then 20 requests in order,
// each carrying forward what the previous one found (the teacher, the
// class, its school and term, a student, a category). The checks send
// exactly those requests (same paths, same unencoded filters, same
// limit=10000, the category GET with its form body, the write bodies that
// break the 1.2 schema on purpose) and judge them as the notebook does,
// each finding under a classroom.* rule whose level the google-classroom
// profile sets. Everything else Classroom never looks at (X-Total-Count,
// Link, Content-Type, the schema of other fields, negative auth) is not
// judged here: the profile leaves those families out.
//
// The notebook takes the shared root …/ims/oneroster and appends
// /rostering/v1p2 and /gradebook/v1p2 (its README's "URL ending in
// /ims/oneroster/v1p2" does not match its own code); these checks use the
// run's 1.2 service roots, derived from the same shared root.

// Classroom features: the notebook's sections.
const (
	FeatureClassroomToken  = "classroom.token"
	FeatureClassroomRoster = "classroom.roster"
	FeatureClassroomErrors = "classroom.errors-json"
	FeatureClassroomWrites = "classroom.writes"
)

// Classroom rules. The spec level (the rule's own) is what the 1.2 spec
// says; google-classroom raises or lowers each to what Classroom does.
const (
	ruleGCTokenRefused   = "classroom.token.refused"
	ruleGCTokenService   = "classroom.token.one-service"
	ruleGCSecretChars    = "classroom.token.secret-chars"
	ruleGCNotJSON        = "classroom.response.not-json"
	ruleGCStatus         = "classroom.status"
	ruleGCLimitCapped    = "classroom.limit.capped"
	ruleGCTeacherNotOne  = "classroom.teacher.not-one"
	ruleGCNoEmail        = "classroom.user.no-email"
	ruleGCClassUnusable  = "classroom.class.unusable"
	ruleGCNoStudent      = "classroom.class.no-students"
	ruleGCNoCategory     = "classroom.class.no-categories"
	ruleGCGetBody        = "classroom.get-body.refused"
	ruleGCGradingPeriod  = "classroom.term.grading-periods"
	ruleGCWriteRefused   = "classroom.write.body-refused"
	ruleGCCreateStatus   = "classroom.write.create-status"
	ruleGCEdit201        = "classroom.write.edit-201"
	ruleGCWriteStatus    = "classroom.write.status"
	ruleGCNotListed      = "classroom.write.not-listed"
	ruleGCScoreChanged   = "classroom.write.score-changed"
	ruleGCExemptLost     = "classroom.write.exempt-lost"
	ruleGCStillListed    = "classroom.write.still-listed"
	srcGNB               = `Google "OneRoster 1.2 integration test suite" notebook (googleworkspace/oneroster-integration-conformance-tests, oneroster_1_2_test_suite.ipynb)`
	srcGDEV              = `Google developer page "Validate that your SIS meets Google Classroom requirements" (https://developers.google.com/classroom/sis-integrations/validate-your-SIS)`
	srcOG12              = "1EdTech OneRoster 1.2 Gradebook OpenAPI (https://purl.imsglobal.org/spec/or/v1p2/schema/openapi/onerosterv1p2gradebookservice_openapi3_v1p0.json)"
	gcLimit              = "10000"
	gcTitle              = "New test item"
	gcAmendedTitle       = "[Amended] Reallllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllly Long Google Test Line Item Title"
	gcValueTeacherEmail  = "google-classroom." + OptionTeacherEmail
	gcScopePrefix        = "https://purl.imsglobal.org/spec/or/v1p2/scope/"
	hintGCJSON           = `answer every response, errors included, with a JSON body (the 1.2 imsx_StatusInfo object): Classroom parses the body before it looks at the status`
	hintGCClassroomShape = `accept the body Classroom sends: no status or dateLastModified (default status to active and stamp dateLastModified), GUIDRefs as {"sourcedId": …} only, scoreDate as a date-time`
)

// gcScopes are the four scopes Classroom's token request asks for.
var gcScopes = []string{gcScopePrefix + "roster.readonly", gcScopePrefix + "gradebook.readonly",
	gcScopePrefix + "gradebook.createput", gcScopePrefix + "gradebook.delete"}

func init() {
	RegisterFeatures(FeatureClassroomToken, FeatureClassroomRoster, FeatureClassroomErrors, FeatureClassroomWrites)
	RegisterRules(
		Rule{ruleGCTokenRefused, MUST, "the token request as Classroom sends it (HTTP Basic of the raw id:secret, the four v1p2 scopes) is not answered 200 with an access_token",
			srcGNB + ` cell "Get OAuth Token": check_status(response, {200}), then response.json()["access_token"]`, "issue a client_credentials token to HTTP Basic credentials for roster.readonly, gradebook.readonly, gradebook.createput and gradebook.delete at once"},
		Rule{ruleGCSecretChars, Ignore, "the client secret holds '+' or '%', which Classroom sends raw in HTTP Basic: refused raw, accepted form-encoded",
			"RFC 6749 §2.3.1 (Basic credentials are form-encoded first); " + srcGNB + ` cell "Get OAuth Token" uses requests.auth.HTTPBasicAuth, which does not`,
			"issue Classroom a client secret without '+' or '%' (or also accept the raw form)"},
		Rule{ruleGCTokenService, MUST, "Classroom's one token (four scopes) is refused by a request it sends to the rostering or the gradebook service", srcGNB + ": one token is used on /rostering/v1p2 and /gradebook/v1p2, reads and writes",
			"grant every scope asked for and honour them all on both services"},
		Rule{ruleGCNotJSON, MUST, "a response (an error included) has no JSON body", specV1p2Rostering + ": every error response is an imsx_StatusInfo JSON object; " + srcGNB + ": every cell calls response.json() before it checks the status",
			hintGCJSON},
		Rule{ruleGCStatus, MUST, "a request Classroom sends is not answered with the status it expects", srcGNB + ": check_status(response, {200}) on every read",
			"answer 200 to every read Classroom sends"},
		Rule{ruleGCLimitCapped, SHOULD, "limit=10000 is capped: fewer records than X-Total-Count, without paging", srcGDEV + `: "this parameter is used to ensure that your product can support a page size of 10,000"`,
			"serve up to 10000 records per page"},
		Rule{ruleGCTeacherNotOne, MUST, "filter=email='…' on /teachers does not answer exactly the one teacher with that e-mail", srcGNB + ` cell "GetAllTeachers w/ email filter": len(data["users"]) == 1; ` + srcGDEV,
			"support filter=email='…' on /teachers, answering the one teacher with that e-mail"},
		Rule{ruleGCNoEmail, MUST, "a teacher or student lacks email or sourcedId", srcGNB + ` ("email/sourcedId fields missing"); ` + srcGDEV + `: "The student email must be returned in the response"`,
			"give every teacher and student their e-mail address"},
		Rule{ruleGCClassUnusable, MUST, "the teacher's first active class is missing, or lacks school or terms", srcGNB + ` cell "GetClassesForTeacher": classes[0].school.sourcedId and classes[0].terms[0].sourcedId (an empty list crashes the run)`,
			"list the teacher's active classes, each with school and at least one term"},
		Rule{ruleGCNoStudent, MUST, "the class has no students", srcGNB + ` cell "GetStudentsForClass": "No students found"`, "enrol students in the class Classroom links"},
		Rule{ruleGCNoCategory, MUST, "the class has no categories", srcGNB + ` cell "GetCategoriesForClass": categories[0] (zero categories crash the run)`, "give every class at least one category (getCategoriesForClass)"},
		Rule{ruleGCGetBody, Ignore, "a GET with a form-encoded body is refused (the same GET without one is answered)", `RFC 9110 §9.3.1 (a GET body has no defined semantics; a server may reject it); ` + srcGNB + ` cell "GetCategoriesForClass" sends requests.get(url, headers=…, data=payload)`,
			"ignore the body of a GET (do not let a proxy or framework refuse it)"},
		Rule{ruleGCGradingPeriod, MUST, "the class's first term has no grading periods, or they lack sourcedId, title, startDate, endDate, schoolYear or type gradingPeriod", srcGNB + ` cell "GetGradingPeriodsForTerm": "Validate grading period", "Academic sessions all grading period types"`,
			"give every term its grading periods (getGradingPeriodsForTerm), with schoolYear"},
		Rule{ruleGCWriteRefused, Ignore, "a write body as Classroom sends it (no status or dateLastModified, sourcedId-only GUIDRefs, scoreDate as a date-time) is refused", srcOG12 + ": LineItemDType and ResultDType require status and dateLastModified, GUIDRefs require href and type, scoreDate is a date; Classroom sends neither",
			hintGCClassroomShape},
		Rule{ruleGCCreateStatus, MUST, "a PUT that creates a lineItem does not answer 201 (a result: 200 or 201)", srcOG12 + ": putLineItem declares 201; " + srcGNB + ` cell "PutLineItem Create": check_status(response, {201})`,
			"answer 201 to a PUT that creates"},
		Rule{ruleGCEdit201, Ignore, "a PUT that replaces an existing object answers 201, not 200", srcOG12 + ": putLineItem and putResult declare only 201; " + srcGNB + `: "INFO: Modifying existing resource should return status code 200"`,
			"answer 200 to a PUT that replaces an existing object"},
		Rule{ruleGCWriteStatus, MUST, "a replacing PUT does not answer 200 or 201, or a DELETE does not answer 200 or 204", srcOG12 + ": DELETE answers 204; " + srcGNB + ": check_status(response, {200, 201}) and {200, 204}",
			"answer 200 (or 201) to a replacing PUT and 204 to a DELETE"},
		Rule{ruleGCNotListed, MUST, "a written lineItem or result is missing from the class's list", srcGNB + ` cells "Get created line item", "Get created result"`, "list a stored lineItem in /classes/{id}/lineItems and a result in /classes/{id}/lineItems/{id}/results at once"},
		Rule{ruleGCScoreChanged, MUST, "a score of 300 against a resultValueMax of 100 is not stored unchanged", srcGNB + ` cell "Result Extra Credit OK": r["score"] == 300`, "store the score as sent; resultValueMax is not a cap"},
		Rule{ruleGCExemptLost, MUST, "scoreStatus exempt is not stored", srcGNB + ` cell "Returned excused state": scoreStatus == "exempt"`, "store scoreStatus exempt as sent"},
		Rule{ruleGCStillListed, MUST, "a deleted result or lineItem is still in the class's list (a tobedeleted tombstone included)", srcGNB + ` cells "Result deleted", "Line item deleted": the id is absent`,
			"leave a deleted object out of every list (no tobedeleted tombstone)"},
	)
	RegisterChecks(classroomChecks)
}

func classroomCheck(id, title, endpoint, service, rule, feature string, writes bool, run func(ctx context.Context, g *gc)) Check {
	return Check{
		ID: "v1p2.classroom." + id, Title: title + " [MUST]", Area: "classroom", Endpoint: endpoint, Level: MUST,
		Features: []string{feature}, Rule: rule, Service: service, Writes: writes, Source: srcGNB,
		Run: func(ctx context.Context, e *Env, r *Recorder) {
			g := &gc{e: e, r: r, check: "v1p2.classroom." + id}
			if writes {
				if e.Tracker == nil {
					r.Errorf("harness: write checks need a cleanup tracker")
					return
				}
				defer e.cleanup(ctx, g.check)
			}
			run(ctx, g)
		},
	}
}

func classroomChecks() []Check {
	return []Check{
		classroomCheck("token", "POST the token URL as Google Classroom does (HTTP Basic of the raw id:secret, grant_type=client_credentials and the four v1p2 scopes): 200 with an access_token that reads both /rostering/v1p2 and /gradebook/v1p2",
			"/oauth/token", "", ruleGCTokenRefused, FeatureClassroomToken, false, gcTokenCheck),
		classroomCheck("roster", "Classroom's reads, in order: GET /teachers?limit=1; /teachers?filter=email='…' answers exactly that teacher; the teacher's first active class has school and terms; its students carry e-mails; its categories (asked with a form body) and its first term's grading periods exist; limit=10000 served",
			"/rostering/v1p2/teachers", "rostering", ruleGCStatus, FeatureClassroomRoster, false, gcRosterCheck),
		classroomCheck("errors-json", "Errors Classroom can meet (an unknown teacher, class, term, lineItem or result) answer a JSON body",
			"/gradebook/v1p2/lineItems/{id}", "gradebook", ruleGCNotJSON, FeatureClassroomErrors, false, gcErrorsCheck),
		classroomCheck("writes", "Classroom's grade export, with its own bodies (no status or dateLastModified, sourcedId-only references, scoreDate a date-time): lineItem created (201), listed, edited (200); result created, listed, edited to 300 of 100 and stored unchanged, exempt stored; result and lineItem deleted and absent from the class lists",
			"/gradebook/v1p2/lineItems/{id}", "gradebook", ruleGCNotListed, FeatureClassroomWrites, true, gcWritesCheck),
	}
}

// gc is one Classroom check's context: its token and what the notebook
// carries from request to request.
type gc struct {
	e     *Env
	r     *Recorder
	check string
	auth  client.Auth // Classroom's token (nil: the run's own credentials)
	// The notebook's carried values.
	email, teacher, class, school, term, student, category string
}

// gcShared is what Classroom's checks share in a run, as the notebook
// shares one token and its carried values across its cells.
type gcShared struct {
	tokenOnce sync.Once
	auth      client.Auth
	mu        sync.Mutex
	carried   *gc // the roster check's values, once it found them all
}

// ConsumerLatency is a consumer's per-request latency table (Google
// Classroom's latency_report), filled by its checks.
type ConsumerLatency struct {
	Consumer string
	mu       sync.Mutex
	rows     []LatencyRow
}

// LatencyRow is one request of the table.
type LatencyRow struct {
	Check, Name, Method, URL string
	Status                   int
	Duration                 time.Duration
}

// Millis is the request's latency in milliseconds, whole seconds included.
func (l LatencyRow) Millis() float64 { return float64(l.Duration) / float64(time.Millisecond) }

// ConsumerMillis is the figure Classroom's own latency_report prints,
// response.elapsed.microseconds / 1000: the microseconds field of a Python
// timedelta holds only the part below one second, so whole seconds are
// dropped (a 1.25 s request reads 250 ms).
func (l LatencyRow) ConsumerMillis() float64 {
	return float64((l.Duration%time.Second)/time.Microsecond) / 1000
}

// Rows returns the table, in the order the requests were sent.
func (c *ConsumerLatency) Rows() []LatencyRow {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]LatencyRow(nil), c.rows...)
}

func (c *ConsumerLatency) add(row LatencyRow) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rows = append(c.rows, row)
}

// send sends one of Classroom's requests: path under the shared root
// ("/rostering/v1p2/teachers"), rawQuery as Classroom writes it
// (unencoded, as Python requests leaves it). name is the notebook's
// report_card name, for the latency table.
func (g *gc) send(ctx context.Context, name, method, path, rawQuery string, h http.Header, body []byte) *client.Exchange {
	u := g.e.url(path, nil)
	if rawQuery != "" {
		u += "?" + rawQuery
	}
	if h == nil {
		h = http.Header{}
	}
	h.Set("Accept", "*/*") // Python requests' default: Classroom asks for no type
	ex := g.r.Evidence(g.e.Store.Do(ctx, client.Request{Method: method, URL: u, Header: h, Body: body, CheckID: g.check, Auth: g.auth}))
	if ex.Status != 0 {
		g.e.Latency.add(LatencyRow{Check: g.check, Name: name, Method: method, URL: ex.URL, Status: ex.Status, Duration: ex.Duration})
	}
	return ex
}

// answered reports whether the request got an answer; a transport
// failure is the harness's error (a dropped connection, the provider's
// finding).
func (g *gc) answered(ex *client.Exchange) bool {
	if ex.Status != 0 {
		return true
	}
	if ex.Dropped {
		g.r.Addf(ex, "%s %s: %s", ex.Method, ex.URL, g.e.describeErr(ex))
		return false
	}
	g.r.Errorf("%s %s: %s", ex.Method, ex.URL, g.e.describeErr(ex))
	return false
}

// doc decodes a response as Classroom does (response.json(), whatever the
// status): a body that is not JSON is a finding and nil.
func (g *gc) doc(ex *client.Exchange) map[string]any {
	var doc map[string]any
	if err := json.Unmarshal(ex.Body, &doc); err != nil {
		ct := ex.ResponseHeader.Get("Content-Type")
		g.r.AddRule(ruleGCNotJSON, ex, "%s %s answered %d with a body that is not JSON (Content-Type %q, %d bytes): Classroom's response.json() raises and its run stops",
			ex.Method, ex.URL, ex.Status, ct, len(ex.Body))
		return nil
	}
	return doc
}

// read sends a GET Classroom sends and wants 200; it returns the decoded
// body and its records under key (nil when the read failed).
func (g *gc) read(ctx context.Context, name, path, rawQuery, key string, h http.Header, body []byte) (*client.Exchange, []map[string]any, bool) {
	ex := g.send(ctx, name, http.MethodGet, path, rawQuery, h, body)
	if !g.answered(ex) {
		return ex, nil, false
	}
	doc := g.doc(ex)
	if ex.Status != http.StatusOK {
		g.r.AddRule(ruleGCStatus, ex, "%s: GET %s answered %d, Classroom wants 200", name, ex.URL, ex.Status)
		return ex, nil, false
	}
	if doc == nil {
		return ex, nil, false
	}
	arr, ok := doc[key].([]any)
	if !ok {
		g.r.AddRule(ruleGCStatus, ex, "%s: GET %s answered 200 without the %q array Classroom reads", name, ex.URL, key)
		return ex, nil, false
	}
	recs := make([]map[string]any, 0, len(arr))
	for _, a := range arr {
		m, _ := a.(map[string]any)
		recs = append(recs, m)
	}
	if strings.Contains(rawQuery, "limit="+gcLimit) {
		if n, err := strconv.Atoi(ex.ResponseHeader.Get("X-Total-Count")); err == nil && n > len(recs) && n <= 10000 {
			g.r.AddRule(ruleGCLimitCapped, ex, "%s: limit=10000 answered %d of %d records (X-Total-Count): Classroom never pages", name, len(recs), n)
		}
	}
	return ex, recs, true
}

func gstr(m map[string]any, k string) string { s, _ := m[k].(string); return s }

func refID(m map[string]any, k string) string {
	r, _ := m[k].(map[string]any)
	return gstr(r, "sourcedId")
}

// token asks for Classroom's token; judge says whether a refusal is this
// check's finding. Without a token the other checks go on with the run's
// own credentials (the token check reports the refusal).
func (g *gc) token(ctx context.Context, judge bool) bool {
	a := g.e.Auth
	if a == nil || a.TokenStore == nil || a.TokenURL == "" {
		if judge {
			g.r.NotSupported("this run has no OAuth 2 token URL: Classroom's token request is not sent (run with --auth oauth2)")
		}
		return false
	}
	ans := g.e.requestToken(ctx, g.r, url.Values{"grant_type": {"client_credentials"}, "scope": {strings.Join(gcScopes, " ")}}, basicRaw, a.ClientID, a.ClientSecret)
	if ans.ex.Status != 0 {
		g.e.Latency.add(LatencyRow{Check: g.check, Name: "Get OAuth Token", Method: http.MethodPost, URL: ans.ex.URL, Status: ans.ex.Status, Duration: ans.ex.Duration})
	}
	if !judge {
		if ans.ok() {
			g.auth = client.Bearer(ans.token)
		}
		return ans.ok()
	}
	if transportFailed(g.e, g.r, ans) {
		return false
	}
	if ans.doc == nil {
		g.doc(ans.ex)
	}
	if !ans.ok() && ans.status != 0 && client.BasicDiffers(a.ClientID, a.ClientSecret) {
		if enc := g.e.requestToken(ctx, g.r, url.Values{"grant_type": {"client_credentials"}, "scope": {strings.Join(gcScopes, " ")}}, basicEncoded, a.ClientID, a.ClientSecret); enc.ok() {
			g.r.AddRule(ruleGCSecretChars, ans.ex, "the token endpoint refused Classroom's raw HTTP Basic credentials (%s) and accepted them form-encoded: with this secret Classroom cannot obtain a token", ans.short())
			g.auth = client.Bearer(enc.token)
			return true
		}
	}
	if !ans.ok() {
		g.r.AddRule(ruleGCTokenRefused, ans.ex, "POST %s with HTTP Basic and the scopes %s answered %s", ans.ex.URL, strings.Join(gcScopes, " "), ans.short())
		return false
	}
	g.auth = client.Bearer(ans.token)
	return true
}

func gcTokenCheck(ctx context.Context, g *gc) {
	if !g.token(ctx, true) {
		return
	}
	// One token, both services: a read of each with it.
	for _, p := range []struct{ name, path, key, scope string }{
		{"GetAllTeachers", "/rostering/v1p2/teachers", "users", "roster.readonly"},
		{"GetAllCategories", "/gradebook/v1p2/categories", "categories", "gradebook.readonly"},
	} {
		ex := g.send(ctx, p.name, http.MethodGet, p.path, "limit=1", nil, nil)
		if !g.answered(ex) {
			return
		}
		g.doc(ex)
		if ex.Status != http.StatusOK {
			g.r.AddRule(ruleGCTokenService, ex, "GET %s with Classroom's token (scope %s among its four) answered %d", ex.URL, p.scope, ex.Status)
		}
	}
}

// teacherEmail is the teacher Classroom looks up: the configured one, else
// the first of the first 25 teachers with an e-mail that has an active
// class with school and terms (the notebook needs one; a district may
// have teachers without classes).
func (g *gc) teacherEmail(ctx context.Context) (string, bool) {
	if v := g.e.Values[gcValueTeacherEmail]; v != "" {
		return v, true
	}
	// Candidates: the first page of teachers (not one of Classroom's
	// requests: the search only picks a teacher).
	list := g.e.Store.Do(ctx, client.Request{Method: http.MethodGet, URL: g.e.url("/rostering/v1p2/teachers", nil) + "?limit=100", CheckID: g.check, Auth: g.auth})
	var page struct {
		Users []map[string]any `json:"users"`
	}
	if list.Status != http.StatusOK || json.Unmarshal(list.Body, &page) != nil {
		g.r.NotSupported(fmt.Sprintf("no teacher to look up: GET %s answered %d; give one with --option google.teacher-email=<address>", list.URL, list.Status))
		return "", false
	}
	tried, withEmail := 0, 0
	var last *client.Exchange
	for _, t := range page.Users {
		em, id := gstr(t, "email"), gstr(t, "sourcedId")
		if id == "" || gstr(t, "status") == "tobedeleted" {
			continue
		}
		if em == "" {
			continue
		}
		withEmail++
		if tried++; tried > 25 {
			break
		}
		u := g.e.url("/rostering/v1p2/teachers/"+url.PathEscape(id)+"/classes", nil) + "?filter=status='active'"
		last = g.e.Store.Do(ctx, client.Request{Method: http.MethodGet, URL: u, CheckID: g.check, Auth: g.auth})
		var doc struct {
			Classes []map[string]any `json:"classes"`
		}
		if last.Status == http.StatusOK && json.Unmarshal(last.Body, &doc) == nil && len(doc.Classes) > 0 {
			if c := doc.Classes[0]; refID(c, "school") != "" && firstTerm(c) != "" {
				return em, true
			}
		}
	}
	if last != nil {
		// Teachers with e-mails, none with a class Classroom could link.
		g.r.Evidence(last)
		g.r.AddRule(ruleGCClassUnusable, last, "none of the first %d teachers with an e-mail has an active class with school and terms: Classroom can link no class of theirs (name a teacher with --option google.teacher-email=<address>)", tried)
		return "", false
	}
	if first := firstLiveTeacher(page.Users); first != nil && withEmail == 0 {
		// Teachers, none with an e-mail: Classroom has no address to look
		// any of them up by (the 1.2 spec makes email optional).
		g.r.Evidence(list)
		g.r.Add(Violation{Rule: ruleGCNoEmail, Ex: list, Pointer: "/users/" + strconv.Itoa(first.at) + "/email", RecordID: first.id,
			Message: fmt.Sprintf("none of the %d teachers on the first page carries an email: Classroom looks its teacher up by e-mail (filter=email='…')", first.live)})
		return "", false
	}
	g.r.NotSupported(fmt.Sprintf("no teacher e-mail to look up: %d teachers on the first page, %d with an e-mail; give one with --option google.teacher-email=<address>", len(page.Users), withEmail))
	return "", false
}

// liveTeacher is the first teacher of a page with a sourcedId and not
// tobedeleted: its index, its id, and how many such teachers the page has.
type liveTeacher struct {
	at, live int
	id       string
}

func firstLiveTeacher(users []map[string]any) *liveTeacher {
	var out *liveTeacher
	for i, t := range users {
		id := gstr(t, "sourcedId")
		if id == "" || gstr(t, "status") == "tobedeleted" {
			continue
		}
		if out == nil {
			out = &liveTeacher{at: i, id: id}
		}
		out.live++
	}
	return out
}

func firstTerm(class map[string]any) string {
	ts, _ := class["terms"].([]any)
	if len(ts) == 0 {
		return ""
	}
	t, _ := ts[0].(map[string]any)
	return gstr(t, "sourcedId")
}

// roster runs the notebook's reads (rows 1 to 6); judge false only finds
// the class, student and category a write needs (the roster check judges
// the reads). It returns false when the flow cannot go on.
func (g *gc) roster(ctx context.Context, judge bool) bool {
	r := g.r
	if !judge {
		// Quietly: findings of these reads are the roster check's.
		g.r = newRecorder(g.e, Check{ID: g.check, Rule: ruleGCStatus})
		defer func() { g.r = r }()
	}
	email, ok := g.teacherEmail(ctx)
	if !ok {
		if !judge {
			r.NotSupported("no teacher e-mail to look up: give one with --option google.teacher-email=<address>")
		}
		return false
	}
	g.email = email
	if judge {
		g.read(ctx, "GetAllTeachers", "/rostering/v1p2/teachers", "limit=1", "users", nil, nil)
	}
	ex, users, ok := g.read(ctx, "GetAllTeachers w/ email filter", "/rostering/v1p2/teachers", "filter=email='"+email+"'&limit="+gcLimit, "users", nil, nil)
	if !ok {
		return g.stop(r, judge, "the teacher lookup by e-mail failed")
	}
	if len(users) != 1 {
		g.r.AddRule(ruleGCTeacherNotOne, ex, "filter=email='%s' answered %d users, Classroom wants exactly 1", email, len(users))
		if len(users) == 0 {
			return g.stop(r, judge, "no teacher has the e-mail "+email)
		}
	}
	t := users[0]
	if gstr(t, "email") == "" || gstr(t, "sourcedId") == "" {
		g.r.Add(Violation{Rule: ruleGCNoEmail, Ex: ex, Pointer: "/users/0", RecordID: gstr(t, "sourcedId"), Message: "the teacher lacks email or sourcedId"})
	} else if !strings.EqualFold(gstr(t, "email"), email) {
		g.r.Add(Violation{Rule: ruleGCTeacherNotOne, Ex: ex, Pointer: "/users/0/email", RecordID: gstr(t, "sourcedId"),
			Message: fmt.Sprintf("filter=email='%s' answered a user whose email is %q", email, gstr(t, "email"))})
	}
	g.teacher = gstr(t, "sourcedId")
	if g.teacher == "" {
		return g.stop(r, judge, "the teacher has no sourcedId")
	}
	ex, classes, ok := g.read(ctx, "GetClassesForTeacher", "/rostering/v1p2/teachers/"+url.PathEscape(g.teacher)+"/classes", "limit="+gcLimit+"&filter=status='active'", "classes", nil, nil)
	if !ok {
		return g.stop(r, judge, "the teacher's classes could not be read")
	}
	if len(classes) == 0 {
		g.r.AddRule(ruleGCClassUnusable, ex, "teacher %s (%s) has no active class: Classroom's classes[0] raises IndexError", g.teacher, email)
		return g.stop(r, judge, "the teacher has no active class")
	}
	c := classes[0]
	g.class, g.school, g.term = gstr(c, "sourcedId"), refID(c, "school"), firstTerm(c)
	if g.class == "" || g.school == "" || g.term == "" {
		g.r.Add(Violation{Rule: ruleGCClassUnusable, Ex: ex, Pointer: "/classes/0", RecordID: g.class,
			Message: "the teacher's first active class lacks sourcedId, school.sourcedId or terms[0].sourcedId, which Classroom indexes"})
		return g.stop(r, judge, "the teacher's first class lacks school or terms")
	}
	ex, students, ok := g.read(ctx, "GetStudentsForClass", "/rostering/v1p2/classes/"+url.PathEscape(g.class)+"/students", "limit="+gcLimit, "users", nil, nil)
	if !ok {
		return g.stop(r, judge, "the class's students could not be read")
	}
	if len(students) == 0 {
		g.r.AddRule(ruleGCNoStudent, ex, "class %s has no students", g.class)
		return g.stop(r, judge, "the class has no students")
	}
	// The student Classroom carries forward: users[0] (cell "Validate
	// student"); the others are matched by e-mail only when linked.
	if s := students[0]; gstr(s, "email") == "" || gstr(s, "sourcedId") == "" {
		g.r.Add(Violation{Rule: ruleGCNoEmail, Ex: ex, Pointer: "/users/0", RecordID: gstr(s, "sourcedId"), Message: "the class's first student lacks email or sourcedId"})
	}
	g.student = gstr(students[0], "sourcedId")
	if !g.categories(ctx) {
		return g.stop(r, judge, "the class's categories could not be read")
	}
	if judge {
		g.gradingPeriods(ctx)
	}
	return g.student != "" && g.category != ""
}

// stop ends the flow; a quiet discovery says why the writes cannot go on.
func (g *gc) stop(r *Recorder, judge bool, why string) bool {
	if !judge {
		r.NotSupported("Classroom's flow cannot reach its writes: " + why + " (see v1p2.classroom.roster)")
	}
	return false
}

// categories reads the class's categories as the notebook does: a GET
// with the token request's form body. A refusal is told apart from a
// broken read by the same GET without the body.
func (g *gc) categories(ctx context.Context) bool {
	path, q := "/gradebook/v1p2/classes/"+url.PathEscape(g.class)+"/categories", "limit="+gcLimit
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {strings.Join(gcScopes, " ")}}
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	ex := g.send(ctx, "GetCategoriesForClass", http.MethodGet, path, q, h, []byte(form.Encode()))
	if !g.answered(ex) {
		return false
	}
	var recs []map[string]any
	if ex.Status != http.StatusOK {
		g.doc(ex)
		plain, precs, ok := g.readQuiet(ctx, path, q, "categories")
		if !ok {
			g.r.AddRule(ruleGCStatus, ex, "GetCategoriesForClass: GET %s answered %d, Classroom wants 200", ex.URL, ex.Status)
			return false
		}
		g.r.Evidence(plain)
		g.r.AddRule(ruleGCGetBody, ex, "GET %s with Classroom's form body (Content-Type application/x-www-form-urlencoded) answered %d; without the body it answers 200", ex.URL, ex.Status)
		recs = precs
	} else {
		doc := g.doc(ex)
		arr, _ := doc["categories"].([]any)
		for _, a := range arr {
			m, _ := a.(map[string]any)
			recs = append(recs, m)
		}
		if doc != nil && doc["categories"] == nil {
			g.r.AddRule(ruleGCStatus, ex, "GetCategoriesForClass: GET %s answered 200 without the \"categories\" array", ex.URL)
			return false
		}
	}
	if len(recs) == 0 {
		g.r.AddRule(ruleGCNoCategory, ex, "class %s has no categories: Classroom's categories[0] raises IndexError", g.class)
		return false
	}
	g.category = gstr(recs[0], "sourcedId")
	return g.category != ""
}

// readQuiet is a plain GET (no body) whose outcome is not judged.
func (g *gc) readQuiet(ctx context.Context, path, q, key string) (*client.Exchange, []map[string]any, bool) {
	ex := g.e.Store.Do(ctx, client.Request{Method: http.MethodGet, URL: g.e.url(path, nil) + "?" + q, CheckID: g.check, Auth: g.auth})
	var doc map[string][]map[string]any
	if ex.Status != http.StatusOK || json.Unmarshal(ex.Body, &doc) != nil {
		return ex, nil, false
	}
	return ex, doc[key], true
}

func (g *gc) gradingPeriods(ctx context.Context) {
	ex, gps, ok := g.read(ctx, "GetGradingPeriodsForTerm", "/rostering/v1p2/terms/"+url.PathEscape(g.term)+"/gradingPeriods", "limit="+gcLimit, "academicSessions", nil, nil)
	if !ok {
		return
	}
	if len(gps) == 0 {
		g.r.AddRule(ruleGCGradingPeriod, ex, "term %s has no grading periods", g.term)
		return
	}
	for _, k := range []string{"sourcedId", "title", "startDate", "endDate", "schoolYear"} {
		if _, has := gps[0][k]; !has {
			g.r.Add(Violation{Rule: ruleGCGradingPeriod, Ex: ex, Pointer: "/academicSessions/0/" + k, RecordID: gstr(gps[0], "sourcedId"), Message: "the first grading period lacks " + k})
		}
	}
	for i, gp := range gps {
		if gstr(gp, "type") != "gradingPeriod" {
			g.r.Add(Violation{Rule: ruleGCGradingPeriod, Ex: ex, Pointer: fmt.Sprintf("/academicSessions/%d/type", i), RecordID: gstr(gp, "sourcedId"),
				Message: fmt.Sprintf("type %q, Classroom wants every item of type gradingPeriod", gstr(gp, "type"))})
		}
	}
}

// sharedToken is the run's one Classroom token for the checks that do not
// judge the token request (the token check sends its own).
func (g *gc) sharedToken(ctx context.Context) {
	sh := &g.e.classroom
	sh.tokenOnce.Do(func() {
		if g.token(ctx, false) {
			sh.auth = g.auth
		}
	})
	g.auth = sh.auth
}

func gcRosterCheck(ctx context.Context, g *gc) {
	g.sharedToken(ctx)
	if g.roster(ctx, true) && g.r.res.ViolationsTotal == 0 {
		sh := &g.e.classroom
		sh.mu.Lock()
		c := *g
		sh.carried = &c
		sh.mu.Unlock()
	}
}

func gcErrorsCheck(ctx context.Context, g *gc) {
	g.sharedToken(ctx)
	unknown := "rostercheck-unknown-" + newID()
	for _, p := range []struct{ name, path, q string }{
		{"GetClassesForTeacher", "/rostering/v1p2/teachers/" + unknown + "/classes", "limit=" + gcLimit + "&filter=status='active'"},
		{"GetStudentsForClass", "/rostering/v1p2/classes/" + unknown + "/students", "limit=" + gcLimit},
		{"GetCategoriesForClass", "/gradebook/v1p2/classes/" + unknown + "/categories", "limit=" + gcLimit},
		{"GetGradingPeriodsForTerm", "/rostering/v1p2/terms/" + unknown + "/gradingPeriods", "limit=" + gcLimit},
		{"GetLineItemsForClass", "/gradebook/v1p2/classes/" + unknown + "/lineItems", "limit=" + gcLimit},
		{"GetLineItem", "/gradebook/v1p2/lineItems/" + unknown, ""},
		{"GetResult", "/gradebook/v1p2/results/" + unknown, ""},
	} {
		ex := g.send(ctx, p.name+" (unknown id)", http.MethodGet, p.path, p.q, nil, nil)
		if !g.answered(ex) {
			return
		}
		g.doc(ex)
	}
}

// Classroom's write bodies (notebook cells "PutLineItem Create" and
// "PutResult Create"): no status, no dateLastModified, GUIDRefs with
// sourcedId only, dates with milliseconds and Z, scoreDate a date-time.
func (g *gc) lineItemBody(id, title string, now time.Time) map[string]any {
	return map[string]any{"lineItem": map[string]any{
		"sourcedId": id, "title": title, "description": "Test Line Item (" + writeTag + " " + g.check + ")",
		"resultValueMin": 0, "resultValueMax": 100,
		"assignDate": stamp(now), "dueDate": stamp(now.Add(time.Minute)),
		"class": map[string]any{"sourcedId": g.class}, "category": map[string]any{"sourcedId": g.category},
		"school": map[string]any{"sourcedId": g.school},
	}}
}

func (g *gc) resultBody(id, lineItem string, score float64, status string, now time.Time) map[string]any {
	return map[string]any{"result": map[string]any{
		"sourcedId": id, "score": score, "comment": "", "scoreStatus": status, "scoreDate": stamp(now),
		"lineItem": map[string]any{"sourcedId": lineItem}, "student": map[string]any{"sourcedId": g.student},
	}}
}

// put sends one of Classroom's PUTs (tracked for cleanup before it is
// sent) and judges its status: create wants exactly 201 for a lineItem
// and 200 or 201 for a result; a replace wants 200, 201 being Classroom's
// INFO line. false when the object was not written.
func (g *gc) put(ctx context.Context, name, coll, id string, body any, create bool) bool {
	g.e.Tracker.track(g.check, "gradebook/v1p2/"+coll, id)
	b, _ := json.Marshal(body)
	ex := g.send(ctx, name, http.MethodPut, "/gradebook/v1p2/"+coll+"/"+url.PathEscape(id), "", http.Header{"Content-Type": {"application/json"}}, b)
	if !g.answered(ex) {
		g.e.Tracker.unanswered(g.check, "gradebook/v1p2/"+coll, id)
		return false
	}
	ok := ex.Status/100 == 2
	if !ok || len(ex.Body) > 0 {
		g.doc(ex)
	}
	switch {
	case ex.Status == http.StatusUnauthorized || ex.Status == http.StatusForbidden:
		g.r.AddRule(ruleGCTokenService, ex, "%s: PUT %s with Classroom's token (scopes %s) answered %d", name, ex.URL, strings.Join(gcScopes, " "), ex.Status)
		return false
	case ex.Status/100 == 4:
		g.r.AddRule(ruleGCWriteRefused, ex, "%s: PUT %s with Classroom's body answered %d", name, ex.URL, ex.Status)
		return false
	case !ok:
		g.r.AddRule(ruleGCWriteStatus, ex, "%s: PUT %s answered %d", name, ex.URL, ex.Status)
		return false
	case create && coll == "lineItems" && ex.Status != http.StatusCreated:
		g.r.AddRule(ruleGCCreateStatus, ex, "%s: PUT %s created the lineItem with %d, Classroom accepts only 201", name, ex.URL, ex.Status)
	case create && ex.Status != http.StatusOK && ex.Status != http.StatusCreated:
		g.r.AddRule(ruleGCCreateStatus, ex, "%s: PUT %s answered %d, Classroom wants 200 or 201", name, ex.URL, ex.Status)
	case !create && ex.Status == http.StatusCreated:
		g.r.AddRule(ruleGCEdit201, ex, "%s: PUT %s replaced an existing %s with 201: Classroom prints \"INFO: Modifying existing resource should return status code 200\"", name, ex.URL, coll)
	case !create && ex.Status != http.StatusOK:
		g.r.AddRule(ruleGCWriteStatus, ex, "%s: PUT %s answered %d, Classroom wants 200 or 201", name, ex.URL, ex.Status)
	}
	return true
}

// del sends one of Classroom's DELETEs: 200 or 204.
func (g *gc) del(ctx context.Context, name, coll, id string) bool {
	ex := g.send(ctx, name, http.MethodDelete, "/gradebook/v1p2/"+coll+"/"+url.PathEscape(id), "", nil, nil)
	if !g.answered(ex) {
		return false
	}
	if ex.Status != http.StatusOK && ex.Status != http.StatusNoContent {
		if len(ex.Body) > 0 || ex.Status/100 != 2 {
			g.doc(ex)
		}
		g.r.AddRule(ruleGCWriteStatus, ex, "%s: DELETE %s answered %d, Classroom wants 200 or 204", name, ex.URL, ex.Status)
		return false
	}
	return true
}

// find reads a class list (limit=10000) and returns the record with id.
func (g *gc) find(ctx context.Context, name, path, key, id string) (*client.Exchange, map[string]any, bool) {
	ex, recs, ok := g.read(ctx, name, path, "limit="+gcLimit, key, nil, nil)
	if !ok {
		return ex, nil, false
	}
	for i, rec := range recs {
		if gstr(rec, "sourcedId") == id {
			return ex, recs[i], true
		}
	}
	return ex, nil, true
}

func gcWritesCheck(ctx context.Context, g *gc) {
	g.sharedToken(ctx)
	sh := &g.e.classroom
	sh.mu.Lock()
	carried := sh.carried
	sh.mu.Unlock()
	if carried != nil {
		// The roster check found Classroom's class (reads run before
		// writes): its values, as the notebook carries them.
		g.email, g.teacher, g.class, g.school, g.term, g.student, g.category = carried.email, carried.teacher,
			carried.class, carried.school, carried.term, carried.student, carried.category
	} else if !g.roster(ctx, false) {
		return
	}
	lis := "/gradebook/v1p2/classes/" + url.PathEscape(g.class) + "/lineItems"
	li, res := newID(), newID()
	now := time.Now()
	if !g.put(ctx, "PutLineItem Create", "lineItems", li, g.lineItemBody(li, gcTitle, now), true) {
		return
	}
	if ex, rec, ok := g.find(ctx, "GetLineItemsForClass", lis, "lineItems", li); ok && rec == nil {
		g.r.AddRule(ruleGCNotListed, ex, "lineItem %s, just created, is not in GET %s", li, ex.URL)
	}
	g.put(ctx, "PutLineItem Edit", "lineItems", li, g.lineItemBody(li, gcAmendedTitle, now), false)
	g.find(ctx, "Assignment Title Limit", lis, "lineItems", li) // Classroom reports the title's length; it judges nothing
	results := lis + "/" + url.PathEscape(li) + "/results"
	if g.put(ctx, "PutResult Create", "results", res, g.resultBody(res, li, 80, "fully graded", now), true) {
		if ex, rec, ok := g.find(ctx, "GetResultsForLineItem", results, "results", res); ok && rec == nil {
			g.r.AddRule(ruleGCNotListed, ex, "result %s, just created, is not in GET %s", res, ex.URL)
		}
		if g.put(ctx, "PutResult Edit", "results", res, g.resultBody(res, li, 300, "fully graded", now), false) {
			if ex, rec, ok := g.find(ctx, "Result Extra Credit", results, "results", res); ok && (rec == nil || numberOf(rec["score"]) != 300 || !isNumber(rec["score"])) {
				g.r.Add(Violation{Rule: ruleGCScoreChanged, Ex: ex, RecordID: res, Message: fmt.Sprintf("score 300 (resultValueMax 100) sent, %v read back", scoreOf(rec))})
			}
		}
		if g.put(ctx, "PutResult Exempt", "results", res, g.resultBody(res, li, 80, "exempt", now), false) {
			if ex, rec, ok := g.find(ctx, "GetResultsForLineItem Exempt", results, "results", res); ok && gstr(rec, "scoreStatus") != "exempt" {
				g.r.Add(Violation{Rule: ruleGCExemptLost, Ex: ex, RecordID: res, Message: fmt.Sprintf("scoreStatus exempt sent, %q read back", gstr(rec, "scoreStatus"))})
			}
		}
		if g.del(ctx, "DeleteResult", "results", res) {
			if ex, rec, ok := g.find(ctx, "GetResultsForLineItem (Deleted)", results, "results", res); ok && rec != nil {
				g.r.Add(Violation{Rule: ruleGCStillListed, Ex: ex, RecordID: res, Message: fmt.Sprintf("result %s, deleted, is still listed (status %q)", res, gstr(rec, "status"))})
			}
		}
	}
	if g.del(ctx, "DeleteLineItem", "lineItems", li) {
		if ex, rec, ok := g.find(ctx, "GetLineItemsForClass (Deleted)", lis, "lineItems", li); ok && rec != nil {
			g.r.Add(Violation{Rule: ruleGCStillListed, Ex: ex, RecordID: li, Message: fmt.Sprintf("lineItem %s, deleted, is still listed (status %q)", li, gstr(rec, "status"))})
		}
	}
}

func isNumber(v any) bool { _, ok := v.(float64); return ok }

func scoreOf(rec map[string]any) any {
	if rec == nil {
		return "no result"
	}
	b, _ := json.Marshal(rec["score"])
	return string(b)
}
