package suites

import (
	"net/url"
	"slices"
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

// integritySpecs lists the GUIDRef fields of each base collection, per
// spec version (integritySpecsV1p1, integritySpecsV1p2): one map keyed by
// the collection's path, which carries its version (1.2 paths start with
// their service root). A field "a/b" is the GUIDRef b of every element of
// the list a (1.2's roles[].org).
var integritySpecs = func() map[string][]refSpec {
	out := map[string][]refSpec{}
	for _, t := range []map[string][]refSpec{integritySpecsV1p1, integritySpecsV1p2} {
		for k, v := range t {
			out[k] = v
		}
	}
	return out
}()

// integritySpecsV1p1: OneRoster 1.1 §4 data model. A demographics record
// refers to its user by its own sourcedId (field "sourcedId").
var integritySpecsV1p1 = map[string][]refSpec{
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

// integritySpecsV1p2: the GUIDRef fields of the OneRoster 1.2 rostering and
// resources data model (the OpenAPI component schemas: UserDType.roles[]
// (RoleDType.org), primaryOrg, agents and resources; EnrollmentDType user,
// class and school; ClassDType course, school, terms and resources;
// CourseDType org, schoolYear and resources; OrgDType and
// AcademicSessionDType parent and children). A user's subtype is the role
// of its first roles[] entry.
var integritySpecsV1p2 = map[string][]refSpec{
	v12r + "/enrollments":      {{"user", v12r + "/users", ""}, {"class", v12r + "/classes", ""}, {"school", v12r + "/orgs", ""}},
	v12r + "/classes":          {{"course", v12r + "/courses", ""}, {"school", v12r + "/orgs", ""}, {"terms", v12r + "/academicSessions", ""}, {"resources", v12s + "/resources", ""}},
	v12r + "/courses":          {{"org", v12r + "/orgs", ""}, {"schoolYear", v12r + "/academicSessions", "schoolYear"}, {"resources", v12s + "/resources", ""}},
	v12r + "/users":            {{"roles/org", v12r + "/orgs", ""}, {"primaryOrg", v12r + "/orgs", ""}, {"agents", v12r + "/users", ""}, {"resources", v12s + "/resources", ""}},
	v12r + "/academicSessions": {{"parent", v12r + "/academicSessions", ""}, {"children", v12r + "/academicSessions", ""}},
	v12r + "/orgs":             {{"parent", v12r + "/orgs", ""}, {"children", v12r + "/orgs", ""}},
	v12r + "/demographics":     {{"sourcedId", v12r + "/users", ""}},
	v12s + "/resources":        nil,
	// Gradebook (the 1.2 Gradebook OpenAPI component schemas): LineItemDType
	// class, school, category, gradingPeriod and academicSession
	// (AcadSessionGUIDRefDType), scoreScale; ResultDType lineItem, student,
	// class, scoreScale; ScoreScaleDType class and course;
	// AssessmentLineItemDType class, parentAssessmentLineItem, scoreScale;
	// AssessmentResultDType assessmentLineItem, student, scoreScale.
	// CategoryDType has no GUIDRef.
	v12g + "/lineItems": {{"class", v12r + "/classes", ""}, {"school", v12r + "/orgs", ""}, {"category", v12g + "/categories", ""},
		{"gradingPeriod", v12r + "/academicSessions", ""}, {"academicSession", v12r + "/academicSessions", ""}, {"scoreScale", v12g + "/scoreScales", ""}},
	v12g + "/results":             {{"lineItem", v12g + "/lineItems", ""}, {"student", v12r + "/users", ""}, {"class", v12r + "/classes", ""}, {"scoreScale", v12g + "/scoreScales", ""}},
	v12g + "/categories":          nil,
	v12g + "/scoreScales":         {{"class", v12r + "/classes", ""}, {"course", v12r + "/courses", ""}},
	v12g + "/assessmentLineItems": {{"class", v12r + "/classes", ""}, {"parentAssessmentLineItem", v12g + "/assessmentLineItems", ""}, {"scoreScale", v12g + "/scoreScales", ""}},
	v12g + "/assessmentResults":   {{"assessmentLineItem", v12g + "/assessmentLineItems", ""}, {"student", v12r + "/users", ""}, {"scoreScale", v12g + "/scoreScales", ""}},
}

// The 1.2 service roots the integrity tables use.
const (
	v12r = "/rostering/v1p2"
	v12s = "/resources/v1p2"
	v12g = "/gradebook/v1p2"
)

// arenaCollections keep their ids in a byte arena instead of the interner:
// nothing points at them, and there are many.
var arenaCollections = map[string]bool{"/enrollments": true, "/results": true, v12r + "/enrollments": true,
	v12g + "/results": true, v12g + "/assessmentResults": true}

// subField is the field whose value is a record's subtype.
var subField = map[string]string{"/users": "role", "/orgs": "type", "/academicSessions": "type", "/enrollments": "role",
	v12r + "/users": "roles/role", v12r + "/orgs": "type", v12r + "/academicSessions": "type", v12r + "/enrollments": "role"}

const (
	flagDeleted = 1 << iota
	flagNoID
	flagUUID // the arena holds the id as 16 bytes (a canonical lower-case UUID)
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
	return n, ok && n != 0
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
	// field (index into specs) in refF; a collection whose GUIDRefs are all
	// single (fixed) keeps len(specs) slots per record instead, 0 where
	// the field is absent.
	fixed  bool
	refOff []uint32
	refTo  []uint32
	refF   []uint8
	// Users: FNV-64 of username and of the lower-cased email (0: empty).
	uname, email []uint64
	// badRefs counts GUIDRefs without a sourcedId (a schema finding): the
	// collection's references cannot be judged.
	badRefs int
	// hrefSamples keeps the first href of each GUIDRef field, which the
	// refs check follows as a consumer would.
	hrefSamples []hrefSample
	// Orgs: names by interned id (for the import preview).
	names map[uint32]string
	// Href findings, found while walking (capped, all counted).
	hrefs []Violation
	hrefN int
	// Findings of the collection's record rules (recordRules: capped, all
	// counted per rule), and how many records they judged.
	locals []Violation
	localN map[string]int
	judged int
	byID   map[uint32]int32 // interned id -> first position (built on demand)
	byOnce sync.Once
}

// hrefSample is one GUIDRef href to follow.
type hrefSample struct {
	field, href, to, id, recordID, ptr string
	ex                                 *client.Exchange
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
	ci := &collIndex{path: ep.Path, specs: specs, in: ig.in, fixed: len(specs) > 0}
	for _, sp := range specs {
		if listFields[sp.field] {
			ci.fixed = false
		}
	}
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

// listFields are the GUIDRef fields that hold lists.
var listFields = map[string]bool{"terms": true, "resources": true, "orgs": true, "agents": true, "children": true, "roles/org": true}

// fieldRefs returns the GUIDRefs of a field of a record: a GUIDRef or a
// list of them, or for "a/b" the GUIDRef b of every element of list a.
func fieldRefs(m map[string]any, field string) []map[string]any {
	outer, inner, nested := strings.Cut(field, "/")
	if !nested {
		return refsOf(m[field])
	}
	var out []map[string]any
	for _, el := range refsOf(m[outer]) {
		out = append(out, refsOf(el[inner])...)
	}
	return out
}

// fieldString is a string field of a record; for "a/b", field b of the
// first element of list a.
func fieldString(m map[string]any, field string) string {
	outer, inner, nested := strings.Cut(field, "/")
	if !nested {
		s, _ := m[field].(string)
		return s
	}
	for _, el := range refsOf(m[outer]) {
		s, _ := el[inner].(string)
		return s
	}
	return ""
}

// refPointer is the JSON pointer, below the record, of the n-th GUIDRef of
// a field: "/school", "/terms/2", "/roles/1/org".
func refPointer(field string, n int, list bool) string {
	if outer, inner, nested := strings.Cut(field, "/"); nested {
		return "/" + outer + "/" + itoa(n) + "/" + inner
	}
	if list {
		return "/" + field + "/" + itoa(n)
	}
	return "/" + field
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

// addPage indexes the records of one page; key is the collection's
// wrapper (for pointers), ev the page's evidence, total the X-Total-Count
// of the first page (0: unknown), used to size the index once.
func (ci *collIndex) addPage(e *Env, key string, recs []any, ev *client.Exchange, total int) {
	first := ci.n == 0
	ci.in.mu.Lock()
	defer ci.in.mu.Unlock()
	for i, r := range recs {
		ci.addLocked(e, key, i, r, ev)
	}
	if first && total > ci.n && ci.n > 0 {
		ci.reserve(total)
	}
}

// beginPage starts a page whose records come one at a time (addRecord);
// endPage ends it. first says the index was empty when the page began.
func (ci *collIndex) beginPage() (first bool) {
	ci.in.mu.Lock()
	defer ci.in.mu.Unlock()
	return ci.n == 0
}

// addRecord indexes record i of a page (see addPage).
func (ci *collIndex) addRecord(e *Env, key string, i int, r any, ev *client.Exchange) {
	ci.in.mu.Lock()
	defer ci.in.mu.Unlock()
	ci.addLocked(e, key, i, r, ev)
}

// endPage sizes the index once from the first page (see addPage).
func (ci *collIndex) endPage(first bool, total int) {
	ci.in.mu.Lock()
	defer ci.in.mu.Unlock()
	if first && total > ci.n && ci.n > 0 {
		ci.reserve(total)
	}
}

// addLocked indexes record i of a page; the caller holds ci.in.mu.
func (ci *collIndex) addLocked(e *Env, key string, i int, r any, ev *client.Exchange) {
	arena := arenaCollections[ci.path]
	{
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
			if b, ok := appendUUID(ci.arena, id); ok {
				ci.arena, fl = b, fl|flagUUID
			} else {
				ci.arena = append(ci.arena, id...)
			}
		} else {
			ci.own = append(ci.own, ci.in.idLocked(id))
		}
		ci.flags = append(ci.flags, fl)
		var sub uint8
		if f := subField[ci.path]; f != "" {
			sub = subOf(fieldString(m, f))
		}
		ci.sub = append(ci.sub, sub)
		if !ci.fixed {
			ci.refOff = append(ci.refOff, uint32(len(ci.refTo)))
		}
		for fi, sp := range ci.specs {
			if sp.field == "sourcedId" {
				ci.refTo = append(ci.refTo, ci.in.idLocked(id))
				if !ci.fixed {
					ci.refF = append(ci.refF, uint8(fi))
				}
				continue
			}
			refs := fieldRefs(m, sp.field)
			if ci.fixed {
				var to uint32
				if len(refs) > 0 {
					s, _ := refs[0]["sourcedId"].(string)
					to = ci.in.idLocked(s)
				}
				ci.refTo = append(ci.refTo, to)
			}
			for j, ref := range refs {
				to, _ := ref["sourcedId"].(string)
				if to == "" {
					ci.badRefs++ // the schema's finding
					continue
				}
				if !ci.fixed {
					ci.refTo = append(ci.refTo, ci.in.idLocked(to))
					ci.refF = append(ci.refF, uint8(fi))
				}
				if h, ok := ref["href"].(string); ok {
					_, list := m[sp.field].([]any)
					ptr := "/" + key + "/" + itoa(i) + refPointer(sp.field, j, list)
					if !ci.sampled(sp.field) && len(h) <= 2048 {
						ci.hrefSamples = append(ci.hrefSamples, hrefSample{field: sp.field, href: strings.Clone(h), to: sp.to,
							id: strings.Clone(to), recordID: strings.Clone(id), ptr: ptr + "/href", ex: ev})
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
		if rr := recordRules[ci.path]; rr != nil {
			rr(ci, e, key, i, id, m, ev)
		}
		if strings.HasSuffix(ci.path, "/orgs") && len(ci.own) > 0 {
			if nm, ok := m["name"].(string); ok && len(nm) <= maxIDLen {
				if ci.names == nil {
					ci.names = map[uint32]string{}
				}
				ci.names[ci.own[len(ci.own)-1]] = strings.Clone(nm)
			}
		}
		if strings.HasSuffix(ci.path, "/users") {
			u, _ := m["username"].(string)
			em, _ := m["email"].(string)
			ci.uname = append(ci.uname, hashOrZero(strings.TrimSpace(u)))
			ci.email = append(ci.email, hashOrZero(strings.ToLower(strings.TrimSpace(em))))
		}
		ci.n++
	}
}

// reserve sizes the index for total records from what the first page
// held, so that a large collection is allocated once instead of doubling.
func (ci *collIndex) reserve(total int) {
	total = min(total, 8<<20)
	scale := func(have int) int { return have*total/ci.n + have/ci.n + 16 }
	ci.flags = slices.Grow(ci.flags, total-len(ci.flags))
	ci.sub = slices.Grow(ci.sub, total-len(ci.sub))
	if ci.own != nil {
		ci.own = slices.Grow(ci.own, total-len(ci.own))
	}
	if ci.off != nil {
		ci.off = slices.Grow(ci.off, total-len(ci.off))
		ci.arena = slices.Grow(ci.arena, scale(len(ci.arena))-len(ci.arena))
	}
	if ci.refOff != nil {
		ci.refOff = slices.Grow(ci.refOff, total+1-len(ci.refOff))
	}
	ci.refTo = slices.Grow(ci.refTo, scale(len(ci.refTo))-len(ci.refTo))
	if ci.refF != nil {
		ci.refF = slices.Grow(ci.refF, scale(len(ci.refF))-len(ci.refF))
	}
	if ci.uname != nil {
		ci.uname = slices.Grow(ci.uname, total-len(ci.uname))
		ci.email = slices.Grow(ci.email, total-len(ci.email))
	}
}

// appendUUID appends the 16 bytes of a canonical lower-case UUID.
func appendUUID(b []byte, s string) ([]byte, bool) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return b, false
	}
	var out [16]byte
	k := 0
	for i := 0; i < 36; i += 2 {
		if s[i] == '-' {
			i--
			continue
		}
		hi, ok1 := hexVal(s[i])
		lo, ok2 := hexVal(s[i+1])
		if !ok1 || !ok2 {
			return b, false
		}
		out[k] = hi<<4 | lo
		k++
	}
	return append(b, out[:]...), true
}

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

const hexDigits = "0123456789abcdef"

func (ci *collIndex) sampled(field string) bool {
	for _, h := range ci.hrefSamples {
		if h.field == field {
			return true
		}
	}
	return false
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
	if !ci.fixed && len(ci.refOff) == ci.n {
		ci.refOff = append(ci.refOff, uint32(len(ci.refTo)))
	}
}

// key returns the stored form of record i's id in an arena collection
// (16 bytes for a UUID) and whether it is a UUID.
func (ci *collIndex) key(i int) ([]byte, bool) {
	end := len(ci.arena)
	if i+1 < len(ci.off) {
		end = int(ci.off[i+1])
	}
	return ci.arena[ci.off[i]:end], ci.flags[i]&flagUUID != 0
}

// id returns the sourcedId of record i.
func (ci *collIndex) id(i int) string {
	if ci.off == nil {
		return ci.in.name(ci.own[i])
	}
	k, uuid := ci.key(i)
	if !uuid {
		return string(k)
	}
	var b [36]byte
	j := 0
	for n, c := range k {
		if n == 4 || n == 6 || n == 8 || n == 10 {
			b[j] = '-'
			j++
		}
		b[j], b[j+1] = hexDigits[c>>4], hexDigits[c&15]
		j += 2
	}
	return string(b[:])
}

// idHash hashes record i's id; equal ids hash alike in every collection.
func (ci *collIndex) idHash(i int) uint64 {
	if ci.off == nil {
		return keyHash(ci.in.name(ci.own[i]))
	}
	k, uuid := ci.key(i)
	return bytesHash(k, uuid)
}

// keyHash hashes an id as an arena collection stores it.
func keyHash(s string) uint64 {
	var buf [16]byte
	if b, ok := appendUUID(buf[:0], s); ok {
		return bytesHash(b, true)
	}
	return bytesHash([]byte(s), false)
}

func bytesHash(k []byte, uuid bool) uint64 {
	h := uint64(14695981039346656037)
	if uuid {
		h ^= 0xff
		h *= 1099511628211
	}
	for _, c := range k {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// fixedFields are the field indexes of a fixed layout's slots.
var fixedFields = [...]uint8{0, 1, 2, 3, 4, 5, 6, 7}

// refs returns the targets and fields of record i's GUIDRefs; in a fixed
// layout an absent field's target is 0 (callers skip 0).
func (ci *collIndex) refs(i int) ([]uint32, []uint8) {
	if ci.fixed {
		k := len(ci.specs)
		return ci.refTo[i*k : (i+1)*k], fixedFields[:k]
	}
	a, b := ci.refOff[i], ci.refOff[i+1]
	return ci.refTo[a:b], ci.refF[a:b]
}

// slot returns the index of a field in the collection's specs (-1: none).
func (ci *collIndex) slot(field string) int {
	for f, sp := range ci.specs {
		if sp.field == field {
			return f
		}
	}
	return -1
}

// at returns the target of slot f of record i in a fixed layout, or the
// first target of that field otherwise (0: none).
func (ci *collIndex) at(i, f int) uint32 {
	if f < 0 {
		return 0
	}
	if ci.fixed {
		return ci.refTo[i*len(ci.specs)+f]
	}
	to, fs := ci.refs(i)
	for k, x := range fs {
		if int(x) == f {
			return to[k]
		}
	}
	return 0
}

// hasAt reports whether record i names t in slot f.
func (ci *collIndex) hasAt(i, f int, t uint32) bool {
	if f < 0 || t == 0 {
		return false
	}
	if ci.fixed {
		return ci.refTo[i*len(ci.specs)+f] == t
	}
	to, fs := ci.refs(i)
	for k, x := range fs {
		if int(x) == f && to[k] == t {
			return true
		}
	}
	return false
}

// ref returns the first target of field f of record i (0: none).
func (ci *collIndex) ref(i int, field string) uint32 { return ci.at(i, ci.slot(field)) }

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
// the root of the referenced collection's version (the 1.1 base URL, or
// the 1.2 service root) as a consumer would, to the referenced record's
// singleton under that root; "" when it does.
func (e *Env) hrefProblem(href, to, id string) string {
	root := e.hrefRoot(to)
	// Fast path: an absolute href under the root, naming the id as is or
	// path-escaped (the common case, millions of times on a large district).
	if rest, ok := strings.CutPrefix(href, root); ok && strings.HasPrefix(rest, "/") {
		if coll, last, ok := strings.Cut(rest[1:], "/"); ok && hrefCollections[to][coll] && (last == id || last == url.PathEscape(id)) {
			return ""
		}
	}
	base, err := url.Parse(strings.TrimRight(root, "/") + "/")
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
		return "href " + quoteShort(href) + " does not name " + strings.TrimPrefix(to, catalogue.RootOf(to))[1:] + "/" + id + " under the base URL"
	}
	return ""
}

// hrefRoot is the absolute root the hrefs into a base collection resolve
// against: the 1.1 base URL, or the 1.2 service root of the collection
// (its path's root, "/rostering/v1p2").
func (e *Env) hrefRoot(to string) string {
	r := catalogue.RootOf(to)
	if r == "" {
		return e.BaseURL
	}
	if abs, ok := e.Roots[r]; ok {
		return strings.TrimRight(abs, "/")
	}
	return strings.TrimRight(e.BaseURL, "/") + r
}

// hrefCollections are the collections whose singleton may serve a
// reference to a base collection (a student may be /students/{id}), as
// path segments below the collection's root.
var hrefCollections = func() map[string]map[string]bool {
	ent := map[string]string{}
	for p := range integritySpecs {
		if ep, ok := catalogue.Lookup(p); ok {
			ent[ep.Root+"|"+ep.Entity] = p
		}
	}
	out := map[string]map[string]bool{}
	for _, ep := range catalogue.All() {
		if !ep.TopLevel() || ep.SingleKey == "" {
			continue
		}
		if p, ok := ent[ep.Root+"|"+ep.Entity]; ok {
			if out[p] == nil {
				out[p] = map[string]bool{}
			}
			out[p][strings.TrimPrefix(ep.Path, ep.Root)[1:]] = true
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
