package v1p2

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/rostercheck/rostercheck/schemas"
)

// envDir names the directory of the official OneRoster 1.2 OpenAPI files
// (not part of the repository).
const envDir = "ROSTERCHECK_ONEROSTER12_OPENAPI"

var files = map[string]string{
	"rostering": "onerosterv1p2rostersservice_openapi3_v1p0.json",
	"gradebook": "onerosterv1p2gradebookservice_openapi3_v1p0.json",
	"resources": "onerosterv1p2resourcesservice_openapi3_v1p0.json",
}

func load(t *testing.T) *Catalogue {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCatalogueShape(t *testing.T) {
	c := load(t)
	want := map[string]int{"rostering": 41, "gradebook": 35, "resources": 5}
	bases := map[string]string{
		"rostering": "/ims/oneroster/rostering/v1p2",
		"gradebook": "/ims/oneroster/gradebook/v1p2",
		"resources": "/ims/oneroster/resources/v1p2",
	}
	for svc, n := range want {
		if got := len(c.ServiceOperations(svc)); got != n {
			t.Errorf("%s: %d operations, want %d", svc, got, n)
		}
		s, ok := c.Service(svc)
		if !ok {
			t.Fatalf("no service %s", svc)
		}
		if s.BasePath != bases[svc] {
			t.Errorf("%s: base path %q, want %q", svc, s.BasePath, bases[svc])
		}
	}
	if len(c.Sources) != 3 {
		t.Errorf("%d sources, want 3", len(c.Sources))
	}
	for _, s := range c.Sources {
		if len(s.SHA256) != 64 || !strings.HasPrefix(s.URL, "https://purl.imsglobal.org/spec/or/v1p2/schema/openapi/") || s.Title == "" {
			t.Errorf("source %+v lacks its digest, public URL or title", s)
		}
	}
	ids := map[string]bool{}
	scopes := map[string]map[string]bool{}
	for _, s := range c.Services {
		scopes[s.Name] = map[string]bool{}
		for _, sc := range s.Scopes {
			scopes[s.Name][sc.URI] = true
		}
	}
	for _, o := range c.Operations {
		if ids[o.OperationID] {
			t.Errorf("operationId %s twice", o.OperationID)
		}
		ids[o.OperationID] = true
		if _, ok := c.Entity(o.Entity); !ok {
			t.Errorf("%s: unknown entity %q", o.OperationID, o.Entity)
		}
		if len(o.Scopes) == 0 {
			t.Errorf("%s: no scopes", o.OperationID)
		}
		for _, sc := range o.Scopes {
			if !scopes[o.Service][sc] {
				t.Errorf("%s: scope %s not declared by %s", o.OperationID, sc, o.Service)
			}
		}
		wantSuccess := map[string]int{"GET": 200, "PUT": 201, "POST": 201, "DELETE": 204}[o.Method]
		if o.Success != wantSuccess {
			t.Errorf("%s: success %d, want %d", o.OperationID, o.Success, wantSuccess)
		}
		for _, p := range o.Params {
			if !strings.Contains(o.Path, "{"+p.Name+"}") || !strings.HasPrefix(p.From, "/") {
				t.Errorf("%s: param %+v", o.OperationID, p)
			}
		}
		if o.Kind == "collection" && !slices.Contains(o.Headers, "X-Total-Count") {
			t.Errorf("%s: collection without X-Total-Count", o.OperationID)
		}
		if !strings.HasPrefix(o.URL(c), "/ims/oneroster/"+o.Service+"/v1p2/") {
			t.Errorf("%s: URL %s", o.OperationID, o.URL(c))
		}
	}
	u, _ := c.Operation("rostering", "GET", "/classes/{classSourcedId}/students")
	if u.OperationID != "getStudentsForClass" || u.RespKey != "users" || u.Entity != "user" || u.Kind != "collection" ||
		!reflect.DeepEqual(u.Params, []Param{{"classSourcedId", "/classes"}}) ||
		!reflect.DeepEqual(u.Scopes, []string{"https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly"}) {
		t.Errorf("getStudentsForClass: %+v", u)
	}
	p, _ := c.ByOperationID("postResultsForAcademicSessionForClass")
	if p.Method != "POST" || p.ReqKey != "results" || p.RespKey != "sourcedIdPairs" || p.Entity != "result" ||
		!reflect.DeepEqual(p.Params, []Param{{"classSourcedId", "/classes"}, {"academicSessionSourcedId", "/academicSessions"}}) {
		t.Errorf("postResultsForAcademicSessionForClass: %+v", p)
	}
	if f := p.Feature(); f != "gradebook.classes-academicsessions-results" {
		t.Errorf("postResultsForAcademicSessionForClass feature %q", f)
	}
	put, _ := c.ByOperationID("putLineItem")
	if put.ReqKey != "lineItem" || put.ReqDef != "SingleLineItemDType" || put.RespKey != "" || put.Success != 201 {
		t.Errorf("putLineItem: %+v", put)
	}
}

// TestReadingsAreData: the ten contradictions of the files, each at SHOULD
// with a public source and the places it concerns.
func TestReadingsAreData(t *testing.T) {
	c := load(t)
	want := []string{
		"scopes-either", "paging-links-query", "status-info-all-services", "bad-request-filter-too",
		"collection-no-404", "filter-not-sort", "ext-pattern-anchored", "put-creates-no-404",
		"token-url-placeholder", "get-no-422",
	}
	var got []string
	for _, r := range c.Readings {
		got = append(got, r.ID)
		if r.Level != "SHOULD" {
			t.Errorf("%s: level %q, want SHOULD", r.ID, r.Level)
		}
		if r.Title == "" || r.Says == "" || r.Reading == "" || len(r.Source) < 40 || len(r.Locations) == 0 {
			t.Errorf("%s: incomplete: %+v", r.ID, r)
		}
		if strings.Contains(r.Source, "shared/") || strings.Contains(r.Source, "/work/") {
			t.Errorf("%s: source names a local path", r.ID)
		}
		for _, id := range r.Operations {
			if _, ok := c.ByOperationID(id); !ok {
				t.Errorf("%s: unknown operation %s", r.ID, id)
			}
		}
		for _, l := range r.Locations {
			svc, ptr, ok := strings.Cut(l, ":")
			if _, known := c.Service(svc); !ok || !known || !strings.HasPrefix(ptr, "/") {
				t.Errorf("%s: location %q", r.ID, l)
			}
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("readings %v, want %v", got, want)
	}
	// The readings that change data are applied: "either" scopes, anchored
	// ext: tokens.
	r, _ := c.Reading("scopes-either")
	for _, id := range r.Operations {
		if o, _ := c.ByOperationID(id); len(o.Scopes) < 2 {
			t.Errorf("%s: scopes %v, want the alternatives", id, o.Scopes)
		}
	}
	if vs, err := schemas.ValidateEntityV1p2("org", map[string]any{
		"sourcedId": "o1", "status": "active", "dateLastModified": "2026-01-01T00:00:00Z",
		"name": "X", "identifier": "x", "type": "district ext:x",
	}); err != nil || len(vs) != 1 {
		t.Errorf("unanchored ext: token: %v %v, want one violation", vs, err)
	}
}

// TestSchemasHoldEveryDefinition: every definition the catalogue names
// exists in the generated schemas, and the schema entity list is the
// catalogue's.
func TestSchemasHoldEveryDefinition(t *testing.T) {
	c := load(t)
	var ents []string
	for _, e := range c.Entities {
		ents = append(ents, e.Service+"/"+e.Name+"/"+e.Def)
		for _, def := range []string{e.Def, e.CollectionDef, e.SingleDef} {
			if _, err := schemas.ValidateV1p2(e.Service, def, map[string]any{}); err != nil {
				t.Errorf("entity %s: %v", e.Name, err)
			}
		}
	}
	var sch []string
	for _, e := range schemas.EntitiesV1p2 {
		sch = append(sch, e.Service+"/"+e.Name+"/"+e.Def)
	}
	sort.Strings(ents)
	sort.Strings(sch)
	if !reflect.DeepEqual(ents, sch) {
		t.Errorf("catalogue entities %v\nschemas.EntitiesV1p2 %v", ents, sch)
	}
	for _, o := range c.Operations {
		for _, def := range []string{o.ReqDef, o.RespDef, o.ErrorDef} {
			if def == "" {
				continue
			}
			if _, err := schemas.ValidateV1p2(o.Service, def, map[string]any{}); err != nil {
				t.Errorf("%s: %v", o.OperationID, err)
			}
		}
	}
}

// oasOp is one operation as read straight from an OpenAPI file, without the
// generator.
type oasOp struct {
	service, method, path, id string
	scopes                    []string
	success                   int
	errors                    []int
	reqKey, respKey           string
}

func (o oasOp) String() string {
	return fmt.Sprintf("%s %s %s (%s)", o.service, o.method, o.path, o.id)
}

func readOAS(t *testing.T, dir, svc string) []oasOp {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, files[svc]))
	if err != nil {
		t.Fatal(err)
	}
	type schema struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	type body struct {
		Content map[string]struct {
			Schema struct {
				Ref string `json:"$ref"`
			} `json:"schema"`
		} `json:"content"`
	}
	var f struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]schema `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	key := func(b body) string {
		ref := b.Content["application/json"].Schema.Ref
		if ref == "" {
			return ""
		}
		s := f.Components.Schemas[strings.TrimPrefix(ref, "#/components/schemas/")]
		if len(s.Properties) != 1 {
			t.Fatalf("%s: %s is not a one-key wrapper", svc, ref)
		}
		for k := range s.Properties {
			return k
		}
		return ""
	}
	var out []oasOp
	for path, item := range f.Paths {
		for method, rawOp := range item {
			var op struct {
				OperationID string                `json:"operationId"`
				Security    []map[string][]string `json:"security"`
				RequestBody *body                 `json:"requestBody"`
				Responses   map[string]body       `json:"responses"`
			}
			if err := json.Unmarshal(rawOp, &op); err != nil {
				t.Fatalf("%s %s %s: %v", svc, method, path, err)
			}
			o := oasOp{service: svc, method: strings.ToUpper(method), path: path, id: op.OperationID}
			for _, req := range op.Security {
				for _, list := range req {
					o.scopes = append(o.scopes, list...)
				}
			}
			sort.Strings(o.scopes)
			o.scopes = slices.Compact(o.scopes)
			for code, r := range op.Responses {
				n, err := strconv.Atoi(code)
				switch {
				case code == "default":
				case err != nil:
					t.Fatalf("%s: response %q", o, code)
				case n < 300:
					o.success = n
					o.respKey = key(r)
				default:
					o.errors = append(o.errors, n)
				}
			}
			sort.Ints(o.errors)
			if op.RequestBody != nil {
				o.reqKey = key(*op.RequestBody)
			}
			out = append(out, o)
		}
	}
	return out
}

// TestEveryOpenAPIOperationIsCatalogued walks every operation of the three
// official files and finds it in the catalogue, with the same method, path,
// scopes, status codes and wrapper keys; and the reverse.
func TestEveryOpenAPIOperationIsCatalogued(t *testing.T) {
	dir := os.Getenv(envDir)
	if dir == "" {
		t.Skip(envDir + " is not set: it names the directory holding the official OneRoster 1.2 OpenAPI files, which the repository does not contain")
	}
	c := load(t)
	seen := map[string]bool{}
	counts := map[string]int{}
	for _, svc := range []string{"rostering", "gradebook", "resources"} {
		for _, o := range readOAS(t, dir, svc) {
			counts[svc]++
			got, ok := c.Operation(o.service, o.method, o.path)
			if !ok {
				t.Errorf("%s is not in the catalogue", o)
				continue
			}
			seen[got.OperationID] = true
			if got.OperationID != o.id {
				t.Errorf("%s: catalogue operationId %s", o, got.OperationID)
			}
			if !reflect.DeepEqual(got.Scopes, o.scopes) {
				t.Errorf("%s: catalogue scopes %v, file %v", o, got.Scopes, o.scopes)
			}
			if got.Success != o.success || !reflect.DeepEqual(got.Errors, o.errors) {
				t.Errorf("%s: catalogue statuses %d %v, file %d %v", o, got.Success, got.Errors, o.success, o.errors)
			}
			if got.ReqKey != o.reqKey || got.RespKey != o.respKey {
				t.Errorf("%s: catalogue wrappers %q/%q, file %q/%q", o, got.ReqKey, got.RespKey, o.reqKey, o.respKey)
			}
		}
	}
	if want := map[string]int{"rostering": 41, "gradebook": 35, "resources": 5}; !reflect.DeepEqual(counts, want) {
		t.Errorf("the files hold %v operations, want %v", counts, want)
	}
	for _, o := range c.Operations {
		if !seen[o.OperationID] {
			t.Errorf("catalogue operation %s %s %s (%s) is not in the files", o.Service, o.Method, o.Path, o.OperationID)
		}
	}
}
