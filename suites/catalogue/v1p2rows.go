package catalogue

import (
	"sort"
	"strings"
	"sync"

	"github.com/rostercheck/rostercheck/suites/catalogue/v1p2"
)

// V1p2Services are the 1.2 services whose reads the generic checks cover.
var V1p2Services = []string{"rostering", "resources", "gradebook"}

var (
	v1p2Once sync.Once
	v1p2Rows []Endpoint
)

// V1p2 is the OneRoster 1.2 endpoint table, derived from the 1.2 catalogue
// data (suites/catalogue/v1p2, generated from the official OpenAPI files):
// one row per collection GET of the covered services, with its wrapper
// key, entity, singleton (when the files declare GET …/{sourcedId}) and
// the collections its path parameters' ids come from. Paths carry the
// service root ("/rostering/v1p2/users"); see Endpoint.Root.
func V1p2() []Endpoint {
	v1p2Once.Do(func() {
		c, err := v1p2.Load()
		if err != nil {
			return // the v1p2 package's tests report a broken catalogue
		}
		v1p2Rows = v1p2Endpoints(c)
	})
	return v1p2Rows
}

// All is every endpoint of every spec version: 1.1, then 1.2.
func All() []Endpoint { return append(append([]Endpoint(nil), Endpoints...), V1p2()...) }

func v1p2Endpoints(c *v1p2.Catalogue) []Endpoint {
	covered := map[string]bool{}
	for _, s := range V1p2Services {
		covered[s] = true
	}
	root := V1p2Root
	// owner finds the service serving a top-level collection path, the
	// covered one first (resources' /classes/{id}/resources takes its
	// class ids from rostering's /classes).
	owner := func(service, path string) string {
		if _, ok := c.Operation(service, "GET", path); ok {
			return service
		}
		for _, s := range c.Services {
			if _, ok := c.Operation(s.Name, "GET", path); ok && covered[s.Name] {
				return s.Name
			}
		}
		return service
	}
	var out []Endpoint
	for _, o := range c.Operations {
		if o.Method != "GET" || o.Kind != "collection" || !covered[o.Service] {
			continue
		}
		ent, ok := c.Entity(o.Entity)
		if !ok {
			continue
		}
		r := root(o.Service)
		ep := Endpoint{Area: o.Service, Path: r + o.Path, Key: ent.CollectionKey, Entity: ent.Name, Spec: v1p2.Version, Root: r,
			Op: o.OperationID, Scopes: o.Scopes}
		if so, ok := c.Operation(o.Service, "GET", o.Path+"/{sourcedId}"); ok {
			ep.SingleKey, ep.SingleOp, ep.SingleScopes = ent.SingleKey, so.OperationID, so.Scopes
		}
		switch len(o.Params) {
		case 0:
		case 1:
			p := o.Params[0]
			ep.Parent = &Parent{From: root(owner(o.Service, p.From)) + p.From, Params: own(p.Name)}
			if o.Service == "resources" && p.From != "/users" {
				ep.Parent.Prefer = "resources"
			}
			if p.From == "/terms" && ent.Name == "academicSession" {
				ep.Parent.Prefer = "children"
			}
		default:
			// The last parameter's collection supplies the records; the
			// others are GUIDRefs of it named after their collection
			// (/schools/{schoolSourcedId}/classes/{classSourcedId}/...:
			// the class's school).
			last := o.Params[len(o.Params)-1]
			params := map[string]string{last.Name: ""}
			for _, p := range o.Params[:len(o.Params)-1] {
				params[p.Name] = refField(p.From)
			}
			ep.Parent = &Parent{From: root(owner(o.Service, last.From)) + last.From, Params: params}
		}
		if p, ok := v1p2Parents[o.Path]; ok {
			p.From = root(owner(o.Service, p.From)) + p.From
			if p.Via != "" {
				p.Via = root(owner(o.Service, p.Via)) + p.Via
			}
			p.Fallback = ep.Parent // the collection the path names, where From is not served
			ep.Parent = &p
		}
		out = append(out, ep)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// v1p2Parents are the parents taken from where the relationship has
// records (paths relative to the service root), rather than from the
// collection the path names: the classes of walked lineItems, results and
// scoreScales (most classes have none), and a class's student with results
// through the results themselves, the class through each result's lineItem
// (1.2 ResultDType.class is optional). The collection the path names is
// the fallback.
var v1p2Parents = map[string]Parent{
	"/classes/{classSourcedId}/lineItems":   {From: "/lineItems", Params: map[string]string{"classSourcedId": "class"}},
	"/classes/{classSourcedId}/results":     {From: "/results", Via: "/lineItems", Params: map[string]string{"classSourcedId": "lineItem.class"}},
	"/classes/{classSourcedId}/scoreScales": {From: "/scoreScales", Params: map[string]string{"classSourcedId": "class"}},
	"/classes/{classSourcedId}/students/{studentSourcedId}/results": {From: "/results", Via: "/lineItems",
		Params: map[string]string{"classSourcedId": "lineItem.class", "studentSourcedId": "student"}},
}

// refField is the GUIDRef field naming a record of a collection:
// "/schools" -> "school".
func refField(collection string) string {
	f := collection[1:]
	if strings.HasSuffix(f, "sses") { // classes -> class
		return f[:len(f)-2]
	}
	if len(f) > 1 && f[len(f)-1] == 's' {
		f = f[:len(f)-1]
	}
	return f
}

// V1p2Root is a 1.2 service's root relative to the shared root
// /ims/oneroster: "rostering" -> "/rostering/v1p2".
func V1p2Root(service string) string { return "/" + service + "/v1p2" }
