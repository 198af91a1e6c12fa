package openapigen

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Catalogue is the generated 1.2 catalogue (suites/catalogue/v1p2 reads it).
type Catalogue struct {
	Comment    string      `json:"$comment"`
	Version    string      `json:"version"`
	Sources    []Source    `json:"sources"`
	Services   []Service   `json:"services"`
	Entities   []Entity    `json:"entities"`
	Operations []Operation `json:"operations"`
	Readings   []Reading   `json:"readings"`
}

// Service is one of the three 1.2 services.
type Service struct {
	Name     string `json:"name"`
	BasePath string `json:"basePath"`
	// Schema is the generated schema file of the service's data model.
	Schema string `json:"schema"`
	// TokenURL is the file's declared tokenUrl, a placeholder (reading
	// token-url-placeholder): the real one is configuration.
	TokenURL string  `json:"tokenUrl"`
	Scopes   []Scope `json:"scopes"`
	// CodeMinor is the file's imsx_codeMinorFieldValue vocabulary.
	CodeMinor []string `json:"codeMinor"`
}

// Scope is one OAuth 2 scope a service declares.
type Scope struct {
	URI         string `json:"uri"`
	Description string `json:"description"`
}

// Entity is one data type served in a wrapper.
type Entity struct {
	Name          string   `json:"name"`
	Service       string   `json:"service"`
	Def           string   `json:"def"`
	CollectionKey string   `json:"collectionKey,omitempty"`
	CollectionDef string   `json:"collectionDef,omitempty"`
	SingleKey     string   `json:"singleKey,omitempty"`
	SingleDef     string   `json:"singleDef,omitempty"`
	Fields        []string `json:"fields"`
	Required      []string `json:"required"`
}

// Param is a path parameter and the collection whose ids it takes.
type Param struct {
	Name string `json:"name"`
	From string `json:"from"`
}

// Operation is one operation of a service.
type Operation struct {
	Service     string `json:"service"`
	Method      string `json:"method"`
	Path        string `json:"path"`
	OperationID string `json:"operationId"`
	// Kind is collection, single, put, post or delete.
	Kind   string `json:"kind"`
	Entity string `json:"entity"`
	// Scopes: any one of them authorises the operation (reading
	// scopes-either).
	Scopes   []string `json:"scopes"`
	Success  int      `json:"success"`
	Errors   []int    `json:"errors"`
	Default  bool     `json:"default"`
	Params   []Param  `json:"params,omitempty"`
	Query    []string `json:"query,omitempty"`
	Headers  []string `json:"headers,omitempty"`
	Links    []string `json:"links,omitempty"`
	ReqKey   string   `json:"requestKey,omitempty"`
	ReqDef   string   `json:"requestDef,omitempty"`
	RespKey  string   `json:"responseKey,omitempty"`
	RespDef  string   `json:"responseDef,omitempty"`
	ErrorDef string   `json:"errorDef"`
}

var methods = []string{"get", "put", "post", "delete"}

func catalogue(docs []*doc) (*Catalogue, error) {
	c := &Catalogue{Version: "1.2"}
	for _, d := range docs {
		c.Sources = append(c.Sources, d.src)
	}
	c.Comment = header(c.Sources)
	for _, d := range docs {
		svc, err := service(d)
		if err != nil {
			return nil, err
		}
		c.Services = append(c.Services, svc)
		ents, err := entities(d)
		if err != nil {
			return nil, err
		}
		c.Entities = append(c.Entities, ents...)
		ops, err := operations(d, ents)
		if err != nil {
			return nil, err
		}
		c.Operations = append(c.Operations, ops...)
	}
	rs, err := readings(docs)
	if err != nil {
		return nil, err
	}
	c.Readings = rs
	return c, nil
}

func service(d *doc) (Service, error) {
	s := Service{Name: d.file.Service, BasePath: d.file.BasePath, Schema: "schemas/v1p2/" + d.file.Service + ".json"}
	cc, _ := dig(d.raw, "components", "securitySchemes", "OAuth2CC", "flows", "clientCredentials").(map[string]any)
	if cc == nil {
		return s, fmt.Errorf("openapigen: %s: no OAuth2CC client-credentials flow", d.file.Name)
	}
	s.TokenURL, _ = cc["tokenUrl"].(string)
	scopes, _ := cc["scopes"].(map[string]any)
	for _, k := range sortedKeys(scopes) {
		desc, _ := scopes[k].(string)
		s.Scopes = append(s.Scopes, Scope{URI: k, Description: strings.TrimSpace(desc)})
	}
	enum, _ := dig(d.schema, "imsx_CodeMinorFieldDType", "properties", "imsx_codeMinorFieldValue", "enum").([]any)
	for _, e := range enum {
		s.CodeMinor = append(s.CodeMinor, fmt.Sprint(e))
	}
	if len(s.Scopes) == 0 || len(s.CodeMinor) == 0 {
		return s, fmt.Errorf("openapigen: %s: no scopes or no codeMinor vocabulary", d.file.Name)
	}
	return s, nil
}

// wrapper returns the single property of a wrapper def and the def it
// holds (directly or as array items).
func wrapper(d *doc, def string) (key, target string, array bool, ok bool) {
	props, _ := dig(d.schema, def, "properties").(map[string]any)
	if len(props) != 1 {
		return "", "", false, false
	}
	for k, v := range props {
		key = k
		if r, _ := dig(v, "$ref").(string); r != "" {
			return key, refName(r), false, true
		}
		if r, _ := dig(v, "items", "$ref").(string); r != "" {
			return key, refName(r), true, true
		}
	}
	return "", "", false, false
}

func refName(r string) string { return strings.TrimPrefix(r, "#/components/schemas/") }

func entityName(def string) string {
	n := strings.TrimSuffix(def, "DType")
	return strings.ToLower(n[:1]) + n[1:]
}

// bodyDef is the component schema of an operation's request body or of one
// response.
func bodyDef(v any) string {
	r, _ := dig(v, "content", "application/json", "schema", "$ref").(string)
	return refName(r)
}

func entities(d *doc) ([]Entity, error) {
	byDef := map[string]*Entity{}
	var order []string
	for _, p := range sortedKeys(d.paths()) {
		for _, m := range methods {
			op, _ := dig(d.paths()[p], m).(map[string]any)
			if op == nil {
				continue
			}
			for _, def := range []string{bodyDef(op["requestBody"]), bodyDef(dig(op, "responses", successCode(op)))} {
				key, target, array, ok := wrapper(d, def)
				if def == "" || !ok || target == "GUIDPairDType" {
					continue
				}
				e := byDef[target]
				if e == nil {
					e = &Entity{Name: entityName(target), Service: d.file.Service, Def: target}
					props, _ := dig(d.schema, target, "properties").(map[string]any)
					e.Fields = sortedKeys(props)
					req, _ := dig(d.schema, target, "required").([]any)
					for _, r := range req {
						e.Required = append(e.Required, fmt.Sprint(r))
					}
					sort.Strings(e.Required)
					byDef[target] = e
					order = append(order, target)
				}
				if array {
					e.CollectionKey, e.CollectionDef = key, def
				} else {
					e.SingleKey, e.SingleDef = key, def
				}
			}
		}
	}
	sort.Strings(order)
	var out []Entity
	for _, def := range order {
		out = append(out, *byDef[def])
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("openapigen: %s: no entities", d.file.Name)
	}
	return out, nil
}

func (d *doc) paths() map[string]any {
	p, _ := d.raw["paths"].(map[string]any)
	return p
}

// successCode is the operation's 2xx response code.
func successCode(op map[string]any) string {
	resp, _ := op["responses"].(map[string]any)
	for _, k := range sortedKeys(resp) {
		if strings.HasPrefix(k, "2") {
			return k
		}
	}
	return ""
}

func operations(d *doc, ents []Entity) ([]Operation, error) {
	entOf := map[string]string{}
	for _, e := range ents {
		entOf[e.CollectionDef] = e.Name
		entOf[e.SingleDef] = e.Name
		entOf[e.Def] = e.Name
	}
	var out []Operation
	paths := d.paths()
	for _, p := range sortedKeys(paths) {
		item, _ := paths[p].(map[string]any)
		for k := range item {
			if !slices.Contains(methods, k) {
				return nil, fmt.Errorf("openapigen: %s: %s: unsupported path item key %q", d.file.Name, p, k)
			}
		}
		for _, m := range methods {
			op, _ := item[m].(map[string]any)
			if op == nil {
				continue
			}
			o, err := operation(d, p, m, op, entOf)
			if err != nil {
				return nil, fmt.Errorf("openapigen: %s: %s %s: %w", d.file.Name, strings.ToUpper(m), p, err)
			}
			out = append(out, o)
		}
	}
	// DELETE names no body: its entity is the one its path's GET serves.
	for i := range out {
		if out[i].Entity != "" {
			continue
		}
		for _, o := range out {
			if o.Path == out[i].Path && o.Method == "GET" {
				out[i].Entity = o.Entity
			}
		}
		if out[i].Entity == "" {
			return nil, fmt.Errorf("openapigen: %s: %s: no entity", d.file.Name, out[i].OperationID)
		}
	}
	return out, nil
}

func operation(d *doc, path, method string, op map[string]any, entOf map[string]string) (Operation, error) {
	o := Operation{Service: d.file.Service, Method: strings.ToUpper(method), Path: path}
	o.OperationID, _ = op["operationId"].(string)
	if o.OperationID == "" {
		return o, fmt.Errorf("no operationId")
	}
	// Scopes: the union over every security requirement object, any one of
	// which suffices (reading scopes-either).
	sec, _ := op["security"].([]any)
	seen := map[string]bool{}
	for _, req := range sec {
		for _, scheme := range sortedKeys(req.(map[string]any)) {
			if scheme != "OAuth2CC" {
				return o, fmt.Errorf("unknown security scheme %q", scheme)
			}
			list, _ := req.(map[string]any)[scheme].([]any)
			for _, s := range list {
				if str := fmt.Sprint(s); !seen[str] {
					seen[str] = true
					o.Scopes = append(o.Scopes, str)
				}
			}
		}
	}
	if len(o.Scopes) == 0 {
		return o, fmt.Errorf("no scopes")
	}
	sort.Strings(o.Scopes)
	params, _ := op["parameters"].([]any)
	segs := strings.Split(path, "/")
	for _, pv := range params {
		name, _ := dig(pv, "name").(string)
		switch in, _ := dig(pv, "in").(string); in {
		case "path":
			from := ""
			for i, s := range segs {
				if s == "{"+name+"}" && i > 1 {
					from = "/" + segs[i-1]
				}
			}
			if from == "" {
				return o, fmt.Errorf("path parameter %q not in the path", name)
			}
			o.Params = append(o.Params, Param{Name: name, From: from})
		case "query":
			o.Query = append(o.Query, name)
		default:
			return o, fmt.Errorf("parameter %q in %q", name, in)
		}
	}
	if len(o.Params) != strings.Count(path, "{") {
		return o, fmt.Errorf("path parameters declared %d, in path %d", len(o.Params), strings.Count(path, "{"))
	}
	resp, _ := op["responses"].(map[string]any)
	succ := successCode(op)
	if succ == "" {
		return o, fmt.Errorf("no 2xx response")
	}
	o.Success, _ = strconv.Atoi(succ)
	for _, k := range sortedKeys(resp) {
		switch {
		case k == "default":
			o.Default = true
			o.ErrorDef = bodyDef(resp[k])
		case k == succ:
		case strings.HasPrefix(k, "4") || strings.HasPrefix(k, "5"):
			n, err := strconv.Atoi(k)
			if err != nil {
				return o, fmt.Errorf("response code %q", k)
			}
			o.Errors = append(o.Errors, n)
			if def := bodyDef(resp[k]); def != "imsx_StatusInfoDType" {
				return o, fmt.Errorf("%s body %q, want imsx_StatusInfoDType", k, def)
			}
		default:
			return o, fmt.Errorf("second success response %q", k)
		}
	}
	sort.Ints(o.Errors)
	headers, _ := dig(resp[succ], "headers").(map[string]any)
	o.Headers = sortedKeys(headers)
	links, _ := dig(resp[succ], "links").(map[string]any)
	o.Links = sortedKeys(links)
	if def := bodyDef(op["requestBody"]); def != "" {
		key, _, _, ok := wrapper(d, def)
		if !ok {
			return o, fmt.Errorf("request body %q is not a wrapper", def)
		}
		o.ReqKey, o.ReqDef = key, def
		o.Entity = entOf[def]
	}
	if def := bodyDef(resp[succ]); def != "" {
		key, _, array, ok := wrapper(d, def)
		if !ok {
			return o, fmt.Errorf("response body %q is not a wrapper", def)
		}
		o.RespKey, o.RespDef = key, def
		if o.Entity == "" {
			o.Entity = entOf[def]
		}
		if o.Method == "GET" {
			o.Kind = "single"
			if array {
				o.Kind = "collection"
			}
		}
	}
	switch o.Method {
	case "PUT":
		o.Kind = "put"
	case "POST":
		o.Kind = "post"
	case "DELETE":
		o.Kind = "delete"
	}
	if o.Kind == "" {
		return o, fmt.Errorf("GET without a wrapper response")
	}
	if o.ErrorDef == "" {
		return o, fmt.Errorf("no default error response")
	}
	return o, nil
}
