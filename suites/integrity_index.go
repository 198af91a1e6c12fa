package suites

import (
	"net/url"
	"strings"
	"sync"

	"github.com/rostercheck/rostercheck/internal/client"
	"github.com/rostercheck/rostercheck/suites/catalogue"
)

// The integrity index: what the integrity checks need of every record of
// every base collection, built while the top-level walks read the pages
// (walk.go calls addPage) and never holding a record. Per record it keeps
// its id (interned for the collections GUIDRefs point at, in a byte arena
// for enrollments and results), a status bit, an interned subtype (role or
// type) and its GUIDRefs as interned target ids; users also keep hashes of
// username and email. A large district (100k users, 1M enrollments) costs
// about 60 bytes per enrollment.

// refSpec is one GUIDRef field of a collection and the collection its
// target must be served by; sub, when set, is the subtype (role or type)
// the target must have.
type refSpec struct {
	field string
	to    string // base collection path, e.g. "/classes"
	sub   string
}

// integritySpecs lists the GUIDRef fields of each base collection
// (OneRoster 1.1 §4 data model). A demographics record refers to its user
// by its own sourcedId (field "sourcedId").
var integritySpecs = map[string][]refSpec{
	"/enrollments":      {{"user", "/users", ""}, {"class", "/classes", ""}, {"school", "/orgs", ""}},
	"/classes":          {{"course", "/courses", ""}, {"school", "/orgs", ""}, {"terms", "/academicSessions", ""}, {"resources", "/resources", ""}},
	"/courses":          {{"org", "/orgs", ""}, {"schoolYear", "/academicSessions", "schoolYear"}, {"resources", "/resources", ""}},
	"/users":            {{"orgs", "/orgs", ""}, {"agents", "/users", ""}},
	"/academicSessions": {{"parent", "/academicSessions", ""}, {"children", "/academicSessions", ""}},
	"/orgs":             {{"parent", "/orgs", ""}, {"children", "/orgs", ""}},
	"/demographics":     {{"sourcedId", "/users", ""}},
	"/lineItems":        {{"class", "/classes", ""}, {"category", "/categories", ""}, {"gradingPeriod", "/academicSessions", ""}},
	"/results":          {{"lineItem", "/lineItems", ""}, {"student", "/users", ""}},
	"/categories":       nil,
	"/resources":        nil,
}

// arenaCollections keep their ids in a byte arena instead of the interner:
// nothing points at them, and there are many.
var arenaCollections = map[string]bool{"/enrollments": true, "/results": true}

// subField is the field whose value is a record's subtype.
var subField = map[string]string{"/users": "role", "/orgs": "type", "/academicSessions": "type", "/enrollments": "role"}

const (
	flagDeleted = 1 << iota
	flagNoID
)

// maxIDLen bounds the bytes of one id the index keeps (ids are compared by
// their first maxIDLen bytes; a longer id is a finding of its own elsewhere).
const maxIDLen = 256

// maxInterned bounds the interner against a provider that invents ids.
const maxInterned = 4 << 20

// interner maps ids and subtypes to dense numbers shared by every collection.
type interner struct {
	mu  sync.Mutex
	ix  map[string]uint32
	ids []string
}

func newInterner() *interner { return &interner{ix: map[string]uint32{"": 0}, ids: []string{""}} }

// id interns s (the caller holds mu); 0 is the empty id, and an id past the
// bound is 0 too.
func (in *interner) idLocked(s string) uint32 {
	if len(s) > maxIDLen {
		s = s[:maxIDLen]
	}
	if n, ok := in.ix[s]; ok {
		return n
	}
	if len(in.ids) >= maxInterned {
		return 0
	}
	s = strings.Clone(s) // never pin a page body
	n := uint32(len(in.ids))
	in.ix[s] = n
	in.ids = append(in.ids, s)
	return n
}

func (in *interner) name(n uint32) string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.ids[n]
}

// lookup returns the number of an id already interned.
func (in *interner) lookup(s string) (uint32, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	n, ok := in.ix[s]
	return n, ok
}

// subtypes interns the few role and type values.
var (
	subMu    sync.Mutex
	subIx    = map[string]uint8{"": 0}
	subNames = []string{""}
)

func subOf(s string) uint8 {
	subMu.Lock()
	defer subMu.Unlock()
	if n, ok := subIx[s]; ok {
		return n
	}
	if len(subNames) >= 255 || len(s) > 64 {
		return 0
	}
	n := uint8(len(subNames))
	subIx[strings.Clone(s)] = n
	subNames = append(subNames, strings.Clone(s))
	return n
}

func subName(n uint8) string {
	subMu.Lock()
	defer subMu.Unlock()
	return subNames[n]
}

// collIndex is the compact memory of one base collection's walk.
type collIndex struct {
	path  string
	specs []refSpec
	in    *interner
	n     int
	// Own ids: interned (own) or in an arena (arena, off).
	own   []uint32
	arena []byte
	off   []uint32
	flags []uint8
	sub   []uint8
	// GUIDRefs of record i are refTo[refOff[i]:refOff[i+1]] with their
	// field (index into specs) in refF.
	refOff []uint32
	refTo  []uint32
	refF   []uint8
	// Users: FNV-64 of username and of the lower-cased email (0: empty).
	uname, email []uint64
	// Orgs: names by interned id (for the import preview).
	names map[uint32]string
	// Href findings, found while walking (capped, all counted).
	hrefs  []Violation
	hrefN  int
	byID   map[uint32]int32 // interned id -> first position (built on demand)
	byOnce sync.Once
}

// integrity is the run's index: one collIndex per base collection walked.
type integrity struct {
	in    *interner
	mu    sync.Mutex
	colls map[string]*collIndex
}

func (e *Env) integ() *integrity {
	e.integOnce.Do(func() { e.integIx = &integrity{in: newInterner(), colls: map[string]*collIndex{}} })
	return e.integIx
}

// indexFor returns the index a top-level walk of ep feeds, or nil: only
// the walk of a base collection itself feeds one.
func (e *Env) indexFor(ep catalogue.Endpoint, path string) *collIndex {
	specs, ok := integritySpecs[ep.Path]
	if !ok || path != ep.Path {
		return nil
	}
	ig := e.integ()
	ig.mu.Lock()
	defer ig.mu.Unlock()
	ci := &collIndex{path: ep.Path, specs: specs, in: ig.in}
	ig.colls[ep.Path] = ci
	return ci
}

// index returns the index of a base collection after its walk; nil when
// the walk never ran.
func (e *Env) index(path string) *collIndex {
	ig := e.integ()
	ig.mu.Lock()
	defer ig.mu.Unlock()
	return ig.colls[path]
}

// fnv64 is FNV-1a without allocation.
func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	if h == 0 {
		h = 1
	}
	return h
}

// addPage indexes the records of one page; ptr0 is the page's wrapper key
// for pointers, ev its evidence.
func (ci *collIndex) addPage(e *Env, key string, recs []any, ev *client.Exchange) {
	arena := arenaCollections[ci.path]
	ci.in.mu.Lock()
	defer ci.in.mu.Unlock()
	for i, r := range recs {
		m, _ := r.(map[string]any)
		id, _ := m["sourcedId"].(string)
		var fl uint8
		if id == "" {
			fl |= flagNoID
		}
		if st, _ := m["status"].(string); st == "tobedeleted" {
			fl |= flagDeleted
		}
		if arena {
			if len(id) > maxIDLen {
				id = id[:maxIDLen]
			}
			ci.off = append(ci.off, uint32(len(ci.arena)))
			ci.arena = append(ci.arena, id...)
		} else {
			ci.own = append(ci.own, ci.in.idLocked(id))
		}
		ci.flags = append(ci.flags, fl)
		var sub uint8
		if f := subField[ci.path]; f != "" {
			s, _ := m[f].(string)
			sub = subOf(s)
		}
		ci.sub = append(ci.sub, sub)
		ci.refOff = append(ci.refOff, uint32(len(ci.refTo)))
		for fi, sp := range ci.specs {
			if sp.field == "sourcedId" {
				if id != "" {
					ci.refTo = append(ci.refTo, ci.in.idLocked(id))
					ci.refF = append(ci.refF, uint8(fi))
				}
				continue
			}
			refs := refsOf(m[sp.field])
			for j, ref := range refs {
				to, _ := ref["sourcedId"].(string)
				if to == "" {
					continue // the schema's finding
				}
				ci.refTo = append(ci.refTo, ci.in.idLocked(to))
				ci.refF = append(ci.refF, uint8(fi))
				if h, ok := ref["href"].(string); ok {
					ptr := "/" + key + "/" + itoa(i) + "/" + sp.field
					if _, list := m[sp.field].([]any); list {
						ptr += "/" + itoa(j)
					}
					if msg := e.hrefProblem(h, sp.to, to); msg != "" {
						ci.hrefN++
						if len(ci.hrefs) < e.MaxViolations {
							ci.hrefs = append(ci.hrefs, Violation{Rule: ruleHref, Pointer: ptr + "/href", RecordID: id, Message: msg, Ex: ev})
						}
					}
				}
			}
		}
		if ci.path == "/orgs" && len(ci.own) > 0 {
			if nm, ok := m["name"].(string); ok && len(nm) <= maxIDLen {
				if ci.names == nil {
					ci.names = map[uint32]string{}
				}
				ci.names[ci.own[len(ci.own)-1]] = strings.Clone(nm)
			}
		}
		if ci.path == "/users" {
			u, _ := m["username"].(string)
			em, _ := m["email"].(string)
			ci.uname = append(ci.uname, hashOrZero(strings.TrimSpace(u)))
			ci.email = append(ci.email, hashOrZero(strings.ToLower(strings.TrimSpace(em))))
		}
		ci.n++
	}
}

func hashOrZero(s string) uint64 {
	if s == "" {
		return 0
	}
	return fnv64(s)
}

func itoa(i int) string {
	if i >= 0 && i < 10 {
		return string(rune('0' + i))
	}
	var b [20]byte
	n := len(b)
	neg := i < 0
	if neg {
		i = -i
	}
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	if neg {
		n--
		b[n] = '-'
	}
	return string(b[n:])
}

// finish closes the per-record ref offsets.
func (ci *collIndex) finish() {
	if len(ci.refOff) == ci.n {
		ci.refOff = append(ci.refOff, uint32(len(ci.refTo)))
	}
}

// id returns the sourcedId of record i.
func (ci *collIndex) id(i int) string {
	if ci.off != nil || arenaCollections[ci.path] {
		end := len(ci.arena)
		if i+1 < len(ci.off) {
			end = int(ci.off[i+1])
		}
		return string(ci.arena[ci.off[i]:end])
	}
	return ci.in.name(ci.own[i])
}

// refs returns the targets and fields of record i's GUIDRefs.
func (ci *collIndex) refs(i int) ([]uint32, []uint8) {
	a, b := ci.refOff[i], ci.refOff[i+1]
	return ci.refTo[a:b], ci.refF[a:b]
}

// ref returns the first target of field f of record i (0: none).
func (ci *collIndex) ref(i int, field string) uint32 {
	to, fs := ci.refs(i)
	for k, f := range fs {
		if ci.specs[f].field == field {
			return to[k]
		}
	}
	return 0
}

// positions maps interned ids to their first position; only for interned
// collections.
func (ci *collIndex) positions() map[uint32]int32 {
	ci.byOnce.Do(func() {
		ci.byID = make(map[uint32]int32, len(ci.own))
		for i := len(ci.own) - 1; i >= 0; i-- {
			if ci.own[i] != 0 {
				ci.byID[ci.own[i]] = int32(i)
			}
		}
	})
	return ci.byID
}

// hrefProblem says why a GUIDRef's href does not lead, resolved against
// the base URL as a consumer would, to the referenced record's singleton
// under the base URL; "" when it does.
func (e *Env) hrefProblem(href, to, id string) string {
	base, err := url.Parse(strings.TrimRight(e.BaseURL, "/") + "/")
	if err != nil {
		return ""
	}
	u, err := url.Parse(href)
	if err != nil {
		return "href " + quoteShort(href) + " is not a URL"
	}
	abs := base.ResolveReference(u)
	if abs.Scheme != base.Scheme || !strings.EqualFold(abs.Host, base.Host) {
		return "href " + quoteShort(href) + " leads to another origin than the base URL"
	}
	rest, ok := strings.CutPrefix(abs.Path, base.Path)
	if !ok {
		return "href " + quoteShort(href) + " resolves to " + quoteShort(abs.Path) + ", outside the base URL " + quoteShort(base.Path)
	}
	coll, last, ok := strings.Cut(rest, "/")
	if !ok || last != id || !hrefCollections[to][coll] {
		return "href " + quoteShort(href) + " does not name " + to[1:] + "/" + id + " under the base URL"
	}
	return ""
}

// hrefCollections are the collections whose singleton may serve a
// reference to a base collection (a student may be /students/{id}).
var hrefCollections = func() map[string]map[string]bool {
	ent := map[string]string{}
	for p := range integritySpecs {
		if ep, ok := catalogue.Lookup(p); ok {
			ent[ep.Entity] = p
		}
	}
	out := map[string]map[string]bool{}
	for _, ep := range catalogue.Endpoints {
		if !ep.TopLevel() || ep.SingleKey == "" {
			continue
		}
		if p, ok := ent[ep.Entity]; ok {
			if out[p] == nil {
				out[p] = map[string]bool{}
			}
			out[p][ep.Path[1:]] = true
		}
	}
	return out
}()

func quoteShort(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return `"` + s + `"`
}
