package openapigen

import (
	"fmt"
	"net/url"
	"strings"
)

// Reading is one place where the 1.2 OpenAPI files contradict themselves (or
// HTTP) and the reading the harness follows. Rules built on a reading are at
// SHOULD; Source cites the public text that justifies it. Operations and
// Locations are computed from the files by the reading's detector, so a
// reading the files no longer need makes the generator fail.
type Reading struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Says    string `json:"says"`
	Reading string `json:"reading"`
	Level   string `json:"level"`
	Source  string `json:"source"`
	// Operations are the operationIds the contradiction touches.
	Operations []string `json:"operations,omitempty"`
	// Locations are "<service>:<JSON pointer into that file>".
	Locations []string `json:"locations"`
}

type detector func(d *doc, r *Reading)

type readingDef struct {
	Reading
	detect detector
}

const oas = "OneRoster 1.2 OpenAPI files (" + PublicBase + "onerosterv1p2{rostersservice,gradebookservice,resourcesservice}_openapi3_v1p0.json)"

var readingDefs = []readingDef{
	{Reading{
		ID:      "scopes-either",
		Title:   "Two scopes in one security requirement",
		Says:    "An operation's security lists the full and the core scope in one requirement object (e.g. roster.readonly and roster-core.readonly), which OpenAPI 3.0 reads as both required.",
		Reading: "Either listed scope authorises the operation: the core scope is described as a subset of the full one.",
		Source: "OpenAPI Specification 3.0.3, Security Requirement Object; " + oas + ", components.securitySchemes.OAuth2CC scope descriptions (\"The core set of read operations\", \"Access to the set of core read operations\"); " +
			"Ed-Fi-Alliance-OSS/edfi-oneroster src/middleware/authorizationHandler.js (accepts the full or the core scope); 1EdTech/oneroster-bootcamp ResourceServerSecurityConfig.java (hasAnyAuthority over the rostering scopes)",
	}, func(d *doc, r *Reading) {
		eachOp(d, func(p, m string, op map[string]any) {
			sec, _ := op["security"].([]any)
			for i, req := range sec {
				if list, _ := dig(req, "OAuth2CC").([]any); len(list) > 1 {
					r.add(d, op, fmt.Sprintf("/paths/%s/%s/security/%d/OAuth2CC", esc(p), m, i))
				}
			}
		})
	}},
	{Reading{
		ID:      "paging-links-query",
		Title:   "Paging links read limit and offset from the path",
		Says:    "The next/prev/first/last links of a collection response take limit and offset from $request.path.*, although both are query parameters.",
		Reading: "Paging links carry limit and offset as query parameters ($request.query.limit, $request.query.offset).",
		Source:  "OpenAPI Specification 3.0.3, Runtime Expressions ($request.query.name for query parameters); " + oas + ", the limit and offset parameters are declared \"in\": \"query\"",
	}, func(d *doc, r *Reading) {
		eachOp(d, func(p, m string, op map[string]any) {
			query := map[string]bool{}
			params, _ := op["parameters"].([]any)
			for _, pv := range params {
				if dig(pv, "in") == "query" {
					query[fmt.Sprint(dig(pv, "name"))] = true
				}
			}
			resp, _ := op["responses"].(map[string]any)
			for _, code := range sortedKeys(resp) {
				links, _ := dig(resp[code], "links").(map[string]any)
				for _, ln := range sortedKeys(links) {
					lp, _ := dig(links[ln], "parameters").(map[string]any)
					for _, pn := range sortedKeys(lp) {
						if v, _ := lp[pn].(string); strings.HasPrefix(v, "$request.path.") && query[strings.TrimPrefix(v, "$request.path.")] {
							r.add(d, op, fmt.Sprintf("/paths/%s/%s/responses/%s/links/%s/parameters/%s", esc(p), m, code, ln, pn))
						}
					}
				}
			}
		})
	}},
	{Reading{
		ID:      "status-info-all-services",
		Title:   "The gradebook error payload is described as the rostering one",
		Says:    "imsx_StatusInfoDType in the gradebook file is described \"For the OneRoster Rostering service\".",
		Reading: "The same imsx_StatusInfo shape is the error payload of every service, with each file's own imsx_codeMinorFieldValue vocabulary.",
		Source:  oas + ": every error response of every operation in each file references that file's imsx_StatusInfoDType, and each file declares its own codeMinor enumeration",
	}, func(d *doc, r *Reading) {
		if desc, _ := dig(d.schema, "imsx_StatusInfoDType", "description").(string); d.file.Service != "rostering" && strings.Contains(desc, "Rostering service") {
			r.Locations = append(r.Locations, d.file.Service+":/components/schemas/imsx_StatusInfoDType/description")
		}
	}},
	{Reading{
		ID:      "bad-request-filter-too",
		Title:   "A gradebook 400 names only invalid_selection_field",
		Says:    "The 400 responses of gradebook reads mention only 'invalid_selection_field', though the operations take a filter parameter.",
		Reading: "A 400 on a gradebook read also covers an invalid filter, with codeMinor invalid_filter_field, as in rostering.",
		Source:  oas + ": the gradebook imsx_codeMinorFieldValue enumeration lists invalid_filter_field, the gradebook collection reads declare the filter parameter, and the rostering 400 description names both codes",
	}, func(d *doc, r *Reading) {
		eachOp(d, func(p, m string, op map[string]any) {
			desc, _ := dig(op, "responses", "400", "description").(string)
			if desc != "" && hasQuery(op, "filter") && !strings.Contains(desc, "invalid_filter_field") {
				r.add(d, op, fmt.Sprintf("/paths/%s/%s/responses/400/description", esc(p), m))
			}
		})
	}},
	{Reading{
		ID:      "collection-no-404",
		Title:   "A top-level collection declares 404",
		Says:    "getAllResources declares a 404 response, which no other top-level collection read declares.",
		Reading: "A top-level collection answers 200 with an empty array when nothing matches, never 404.",
		Source:  oas + ": every other top-level collection read (getAllUsers, getAllLineItems, ...) declares no 404; RFC 9110 section 15.5.5 (404 means the target resource has no current representation)",
	}, func(d *doc, r *Reading) {
		eachOp(d, func(p, m string, op map[string]any) {
			if m == "get" && !strings.Contains(p, "{") && dig(op, "responses", "404") != nil {
				r.add(d, op, fmt.Sprintf("/paths/%s/%s/responses/404", esc(p), m))
			}
		})
	}},
	{Reading{
		ID:      "filter-not-sort",
		Title:   "The filter parameter is described with the sort-order sentence",
		Says:    "In the rostering file the filter parameter's description ends \"The sort order should follow the [UNICODE, 16] standard.\"",
		Reading: "filter takes the OneRoster filter expression (field, operator, quoted value; two predicates joined by AND or OR); the Unicode sentence applies to sort and orderBy only.",
		Source:  oas + ", the sort and orderBy parameter descriptions; OneRoster 1.1 REST binding, section \"Filtering\" (the 1.2 files declare no other grammar)",
	}, func(d *doc, r *Reading) {
		eachOp(d, func(p, m string, op map[string]any) {
			params, _ := op["parameters"].([]any)
			for i, pv := range params {
				desc, _ := dig(pv, "description").(string)
				if dig(pv, "name") == "filter" && strings.Contains(desc, "sort order") {
					r.add(d, op, fmt.Sprintf("/paths/%s/%s/parameters/%d/description", esc(p), m, i))
				}
			}
		})
	}},
	{Reading{
		ID:      "ext-pattern-anchored",
		Title:   "The ext: vocabulary pattern is unanchored",
		Says:    "Extensible vocabularies allow a string matching \"(ext:)[a-zA-Z0-9\\.\\-_]+\", which, unanchored, accepts any string that merely contains ext:x.",
		Reading: "An extension token is the whole value: ^ext:[a-zA-Z0-9.\\-_]+$.",
		Source:  "JSON Schema Validation 2020-12, section 6.3.3 pattern (regular expressions are not implicitly anchored); OpenAPI Specification 3.0.3, Schema Object (pattern follows the ECMA-262 dialect); " + oas + ", the vocabulary descriptions (values are extended with an 'ext:' prefix)",
	}, func(d *doc, r *Reading) {
		for _, name := range sortedKeys(d.schema) {
			walkSchema(d.schema[name], "/components/schemas/"+name, func(ptr string, s map[string]any) {
				if pat, _ := s["pattern"].(string); pat != "" && !strings.HasPrefix(pat, "^") {
					r.Locations = append(r.Locations, d.file.Service+":"+ptr+"/pattern")
				}
			})
		}
	}},
	{Reading{
		ID:      "put-creates-no-404",
		Title:   "PUT declares 404 for an unknown identifier",
		Says:    "PUT operations (which create an object whose sourcedId the client supplies) declare 404 \"the supplied identifier is unknown\".",
		Reading: "PUT to a sourcedId the provider does not hold creates the object and answers 201; 404 is not an answer to a well-formed PUT.",
		Source:  oas + ", the PUT descriptions (\"To create a new ... The associated sourcedId for this new record is supplied by the requesting system\"); RFC 9110 section 9.3.4 PUT (a PUT that creates a representation answers 201 Created)",
	}, func(d *doc, r *Reading) {
		eachOp(d, func(p, m string, op map[string]any) {
			if m == "put" && dig(op, "responses", "404") != nil {
				r.add(d, op, fmt.Sprintf("/paths/%s/%s/responses/404", esc(p), m))
			}
		})
	}},
	{Reading{
		ID:      "token-url-placeholder",
		Title:   "The token URL is a bare placeholder",
		Says:    "The client-credentials tokenUrl is 1EdTech's own host (the rostering and resources files give the bare https://www.imsglobal.org).",
		Reading: "The token endpoint is the provider's, supplied as configuration; it is never derived from the files.",
		Source:  oas + ", servers[0].variables.hostName (\"MUST be set to the actual service provider\"); RFC 6749 section 3.2 Token Endpoint",
	}, func(d *doc, r *Reading) {
		tu, _ := dig(d.raw, "components", "securitySchemes", "OAuth2CC", "flows", "clientCredentials", "tokenUrl").(string)
		if u, err := url.Parse(tu); err == nil && (u.Host == "www.imsglobal.org" || u.Host == "www.1edtech.org") {
			r.Locations = append(r.Locations, d.file.Service+":/components/securitySchemes/OAuth2CC/flows/clientCredentials/tokenUrl")
		}
	}},
	{Reading{
		ID:      "get-no-422",
		Title:   "Reads declare 422 for a JSON request body",
		Says:    "GET operations declare 422 \"a JSON request body contains well-formed ... but semantically erroneous, JSON instructions\", yet a GET carries no body.",
		Reading: "A read's bad query answers 400 (invalid_filter_field, invalid_selection_field); 422 is for write bodies only.",
		Source:  oas + ", the 400 descriptions of the reads; RFC 9110 section 9.3.1 GET (content in a GET request has no generally defined semantics) and section 15.5.21 422 Unprocessable Content",
	}, func(d *doc, r *Reading) {
		eachOp(d, func(p, m string, op map[string]any) {
			if m == "get" && dig(op, "responses", "422") != nil {
				r.add(d, op, fmt.Sprintf("/paths/%s/%s/responses/422", esc(p), m))
			}
		})
	}},
}

func (r *Reading) add(d *doc, op map[string]any, ptr string) {
	id, _ := op["operationId"].(string)
	if len(r.Operations) == 0 || r.Operations[len(r.Operations)-1] != id {
		r.Operations = append(r.Operations, id)
	}
	r.Locations = append(r.Locations, d.file.Service+":"+ptr)
}

func readings(docs []*doc) ([]Reading, error) {
	var out []Reading
	for _, rd := range readingDefs {
		r := rd.Reading
		r.Level = "SHOULD"
		for _, d := range docs {
			rd.detect(d, &r)
		}
		if len(r.Locations) == 0 {
			return nil, fmt.Errorf("openapigen: reading %s: the files no longer say this; review the reading", r.ID)
		}
		out = append(out, r)
	}
	return out, nil
}

func eachOp(d *doc, fn func(path, method string, op map[string]any)) {
	paths := d.paths()
	for _, p := range sortedKeys(paths) {
		for _, m := range methods {
			if op, _ := dig(paths[p], m).(map[string]any); op != nil {
				fn(p, m, op)
			}
		}
	}
}

func hasQuery(op map[string]any, name string) bool {
	params, _ := op["parameters"].([]any)
	for _, pv := range params {
		if dig(pv, "in") == "query" && dig(pv, "name") == name {
			return true
		}
	}
	return false
}

// walkSchema calls fn on every schema object below v.
func walkSchema(v any, ptr string, fn func(ptr string, s map[string]any)) {
	s, ok := v.(map[string]any)
	if !ok {
		return
	}
	fn(ptr, s)
	if props, ok := s["properties"].(map[string]any); ok {
		for _, k := range sortedKeys(props) {
			walkSchema(props[k], ptr+"/properties/"+esc(k), fn)
		}
	}
	if it, ok := s["items"]; ok {
		walkSchema(it, ptr+"/items", fn)
	}
	for _, k := range []string{"anyOf", "oneOf", "allOf"} {
		arr, _ := s[k].([]any)
		for i, a := range arr {
			walkSchema(a, fmt.Sprintf("%s/%s/%d", ptr, k, i), fn)
		}
	}
}

// esc escapes one RFC 6901 reference token.
func esc(tok string) string {
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
}
