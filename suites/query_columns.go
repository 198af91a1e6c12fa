package suites

import (
	"encoding/binary"
	"encoding/hex"
	"iter"
	"slices"
	"strings"
	"sync"
	"unsafe"
)

// Columns is the compact memory of a walk for the query checks: per
// record its sourcedId and the values of the entity's query columns,
// never whole records. A value is a 4-byte handle into a chunked byte
// store; repeated values (statuses, roles, parent ids) share one handle,
// a canonical UUID is stored as its 16 bytes and a canonical
// millisecond date-time as 8, so that the walk of a million enrollments
// keeps about 80 bytes a record.
type Columns struct {
	Names []string
	ids   []uint32 // row -> handle of its id
	v     []column // column -> row -> handle of its value ("" is 0)
	vals  strStore
	// intern maps a value's hash to its handle, per column, while the
	// column has few distinct values (bounded: a column of unique values
	// is stored without it).
	intern []map[uint64]uint32
	// dup marks the rows whose id an earlier row carried (nil: none),
	// found once, on first use, after the walk.
	dupOnce sync.Once
	dup     []bool
}

// maxInternedValues bounds the distinct values one column shares;
// minUnique is how many distinct values a column has before it is judged
// mostly unique.
const (
	maxInternedValues = 1 << 18
	minUnique         = 4096
)

// Row is one walked record: its id and, through its columns, one string
// per column (multiple values joined by valueSep; "" when absent).
type Row struct {
	c *Columns
	i int
}

// ID is the row's sourcedId, made on demand: a judging pass over the
// whole walk asks it only of the few rows it reports.
func (r Row) ID() string {
	if r.c == nil {
		return ""
	}
	return r.c.vals.get(r.c.ids[r.i])
}

// pendRow is a row read from a record while its page is digested, before
// the walk keeps it.
type pendRow struct {
	ID string
	V  []string
}

func newColumns(entity string) *Columns {
	names := queryColumns[entity]
	if names == nil {
		return nil
	}
	c := &Columns{Names: names, v: make([]column, len(names)), intern: make([]map[uint64]uint32, len(names))}
	for i := range c.intern {
		c.intern[i] = map[uint64]uint32{}
	}
	c.vals.put("") // handle 0
	return c
}

// add keeps the columns of one record (a nil Columns keeps nothing).
func (c *Columns) add(id string, m map[string]any) {
	if c == nil || m == nil {
		return
	}
	c.addRow(rowOf(c.Names, id, m))
}

// rowOf reads the columns of one record (done while a page is digested,
// beside other pages in flight).
func rowOf(names []string, id string, m map[string]any) pendRow {
	row := pendRow{ID: id, V: make([]string, len(names))}
	for i, name := range names {
		row.V[i] = strings.Join(fieldValues(m, name), valueSep)
	}
	return row
}

// addRow keeps a row.
func (c *Columns) addRow(row pendRow) {
	if c == nil {
		return
	}
	c.ids = append(c.ids, c.vals.put(row.ID))
	for i, v := range row.V {
		c.v[i].add(c.handle(i, v))
	}
}

// seal ends the rows (the walk is over): the maps that shared values go.
func (c *Columns) seal() {
	if c != nil {
		c.intern = nil
	}
}

// reserve sizes the handles for total rows (the walk's X-Total-Count,
// bounded: a provider that claims more costs at most 8 MB of ids and 2 MB
// a column it never fills), so that they are not grown by doubling.
func (c *Columns) reserve(total int) {
	if c == nil {
		return
	}
	total = min(total, 2<<20)
	c.ids = slices.Grow(c.ids, total-len(c.ids))
	for i := range c.v {
		c.v[i].reserve(total)
	}
}

// handle stores v for column i, sharing the handle of an equal value.
func (c *Columns) handle(i int, v string) uint32 {
	if v == "" {
		return 0
	}
	var m map[uint64]uint32
	if c.intern != nil {
		m = c.intern[i]
	}
	if m == nil {
		return c.vals.put(v)
	}
	h := fnv64(v)
	if n, ok := m[h]; ok && c.vals.equal(n, v) {
		return n
	}
	n := c.vals.put(v)
	switch {
	case len(m) >= minUnique && len(m) > len(c.ids)/2 && !strings.HasSuffix(c.Names[i], ".sourcedId"):
		// A column of mostly unique values (dates, names) shares
		// nothing: its map is dropped. A reference column keeps it: its
		// first rows name new targets, later ones the same again.
		c.intern[i] = nil
	case len(m) < maxInternedValues:
		m[h] = n
	}
	return n
}

// Len is the number of rows.
func (c *Columns) Len() int {
	if c == nil {
		return 0
	}
	return len(c.ids)
}

// Row returns row i.
func (c *Columns) Row(i int) Row { return Row{c: c, i: i} }

// All yields every row in walk order.
func (c *Columns) All() iter.Seq2[int, Row] {
	return func(yield func(int, Row) bool) {
		for i := range c.Len() {
			if !yield(i, c.Row(i)) {
				return
			}
		}
	}
}

// raw returns the stored string of a column of a row ("" when absent).
func (r Row) raw(col int) string {
	if col < 0 || r.c == nil {
		return ""
	}
	return r.c.vals.get(r.c.v[col].at(r.i))
}

// values returns the values of a column of a row.
func (r Row) values(col int) []string {
	s := r.raw(col)
	if s == "" {
		return nil
	}
	if !strings.Contains(s, valueSep) {
		return []string{s} // most fields hold one value
	}
	return strings.Split(s, valueSep)
}

// dupRows returns which rows repeat an earlier row's id (nil when none
// does); the filtered walks judge each record of the full walk once.
func (c *Columns) dupRows() []bool {
	c.dupOnce.Do(func() {
		repeats(c.Len(), nil, func(i int) uint64 { return fnv64(c.vals.get(c.ids[i])) },
			func(i, j int) bool { return c.vals.equal(c.ids[j], c.vals.get(c.ids[i])) },
			func(_, i int) {
				if c.dup == nil {
					c.dup = make([]bool, c.Len())
				}
				c.dup[i] = true
			})
	})
	return c.dup
}

// strStore keeps strings in chunks of 1 MB that never move, each string a
// varint header (length<<2 | form) and its bytes; a handle is the chunk
// (high 12 bits) and the offset in it (low 20 bits). A string longer than
// a chunk gets a chunk of its own.
type strStore struct {
	chunks [][]byte
}

const (
	chunkBits = 20
	chunkSize = 1 << chunkBits
	maxChunks = 1 << (32 - chunkBits)
	formRaw   = 0
	formUUID  = 1 // a canonical lower-case UUID, as 16 bytes
	formMilli = 2 // a canonical UTC date-time with milliseconds, as 8 bytes
	// milliLayout is the canonical date-time form (OneRoster 1.1 §4.13.7 DateTime with milliseconds).
	milliLayout = "2006-01-02T15:04:05.000Z"
)

// encode returns the form of v and its payload (in buf when packed).
func encode(v string, buf *[16]byte) (form int, payload []byte) {
	switch len(v) {
	case 36:
		if v[8] == '-' && v[13] == '-' && v[18] == '-' && v[23] == '-' && isLowerHex(v[0:8]) && isLowerHex(v[9:13]) &&
			isLowerHex(v[14:18]) && isLowerHex(v[19:23]) && isLowerHex(v[24:36]) {
			hex.Decode(buf[0:4], []byte(v[0:8]))
			hex.Decode(buf[4:6], []byte(v[9:13]))
			hex.Decode(buf[6:8], []byte(v[14:18]))
			hex.Decode(buf[8:10], []byte(v[19:23]))
			hex.Decode(buf[10:16], []byte(v[24:36]))
			return formUUID, buf[:16]
		}
	case len(milliLayout):
		if v[4] == '-' && v[len(v)-1] == 'Z' {
			if ms, ok := parseMilli(v); ok {
				binary.LittleEndian.PutUint64(buf[:8], uint64(ms))
				return formMilli, buf[:8]
			}
		}
	}
	return formRaw, unsafe.Slice(unsafe.StringData(v), len(v))
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// put stores v and returns its handle.
func (s *strStore) put(v string) uint32 {
	var buf [16]byte
	form, payload := encode(v, &buf)
	var hdr [binary.MaxVarintLen64]byte
	hn := binary.PutUvarint(hdr[:], uint64(len(payload))<<2|uint64(form))
	need := hn + len(payload)
	last := len(s.chunks) - 1
	if last < 0 || cap(s.chunks[last])-len(s.chunks[last]) < need {
		if len(s.chunks) >= maxChunks {
			return 0 // 4 GB of values: no memory budget gets here; kept as ""
		}
		s.chunks = append(s.chunks, make([]byte, 0, max(chunkSize, need)))
		last++
	}
	off := len(s.chunks[last])
	s.chunks[last] = append(append(s.chunks[last], hdr[:hn]...), payload...)
	return uint32(last)<<chunkBits | uint32(off)
}

// payload returns the form and stored bytes of a handle.
func (s *strStore) payload(h uint32) (int, []byte) {
	b := s.chunks[h>>chunkBits][h&(chunkSize-1):]
	hdr, n := binary.Uvarint(b)
	return int(hdr & 3), b[n : n+int(hdr>>2)]
}

// get returns the string of a handle; a raw string shares the store's
// bytes, which never change.
func (s *strStore) get(h uint32) string {
	form, p := s.payload(h)
	switch {
	case len(p) == 0:
		return ""
	case form == formUUID:
		var out [36]byte
		hex.Encode(out[0:8], p[0:4])
		out[8] = '-'
		hex.Encode(out[9:13], p[4:6])
		out[13] = '-'
		hex.Encode(out[14:18], p[6:8])
		out[18] = '-'
		hex.Encode(out[19:23], p[8:10])
		out[23] = '-'
		hex.Encode(out[24:36], p[10:16])
		return string(out[:])
	case form == formMilli:
		return formatMilli(int64(binary.LittleEndian.Uint64(p)))
	}
	return unsafe.String(&p[0], len(p))
}

// equal reports whether handle h holds v.
func (s *strStore) equal(h uint32, v string) bool {
	var buf [16]byte
	form, payload := encode(v, &buf)
	f, p := s.payload(h)
	return f == form && string(p) == string(payload)
}

// column is one query column's handles, row by row. While the column has
// at most 256 distinct handles (statuses, roles, types, most references
// to a few parents) each row keeps a one-byte code into dict; the 257th
// distinct value turns it into one 4-byte handle a row. Of the large
// district's 1.2 million records, most columns stay small: about 3 bytes
// a row and column less than handles alone.
type column struct {
	small []uint8
	dict  []uint32
	codes map[uint32]uint8
	big   []uint32 // set once the column outgrew its codes
}

func (c *column) add(h uint32) {
	if c.big != nil {
		c.big = append(c.big, h)
		return
	}
	code, ok := c.codes[h]
	if !ok {
		if len(c.dict) == 1<<8 {
			c.big = make([]uint32, len(c.small), max(cap(c.small), len(c.small)+1))
			for i, k := range c.small {
				c.big[i] = c.dict[k]
			}
			c.small, c.dict, c.codes = nil, nil, nil
			c.big = append(c.big, h)
			return
		}
		if c.codes == nil {
			c.codes = map[uint32]uint8{}
		}
		code = uint8(len(c.dict))
		c.dict = append(c.dict, h)
		c.codes[h] = code
	}
	c.small = append(c.small, code)
}

func (c *column) reserve(total int) {
	if c.big != nil {
		c.big = slices.Grow(c.big, total-len(c.big))
		return
	}
	c.small = slices.Grow(c.small, total-len(c.small))
}

// at returns the handle of row i.
func (c *column) at(i int) uint32 {
	if c.big != nil {
		return c.big[i]
	}
	return c.dict[c.small[i]]
}
