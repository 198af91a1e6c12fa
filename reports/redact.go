package reports

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"html/template"
	"io"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// Redacted replaces every secret a Redactor finds.
const Redacted = "<redacted>"

// minSecretLen is the shortest value a Redactor treats as a secret. Shorter
// values would blank out ordinary text ("a", "42") without protecting much.
const minSecretLen = 4

// Redactor replaces every configured secret value with "<redacted>".
//
// Besides the literal value it finds the forms a secret takes on the way to a
// report: URL query-escaped and path-escaped (upper- and lower-case hex),
// base64 (standard and URL alphabets, padded and raw), the base64 of the
// "id:secret" pair of HTTP Basic authentication (AddBasicPair), and each of
// those as escaped by JSON, XML and HTML writers. Overlapping matches are
// merged into one "<redacted>". Empty and very short (< 4 bytes) values are
// ignored.
//
// A nil *Redactor redacts nothing. A Redactor is safe for concurrent use.
type Redactor struct {
	mu      sync.RWMutex
	secrets []string
	pairs   [][2]string
	keep    []string // the user's own text, never rewritten (keep.go)
	m       *matcher
}

// NewRedactor returns a Redactor for the given secrets.
func NewRedactor(secrets ...string) *Redactor {
	r := &Redactor{}
	r.Add(secrets...)
	return r
}

// Add registers more secret values. Writers created earlier pick them up on
// their next Write; text they have already passed on is not recalled.
func (r *Redactor) Add(secrets ...string) {
	var add []string
	for _, s := range secrets {
		if len(s) >= minSecretLen {
			add = append(add, s)
		}
	}
	if len(add) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	grew := false
	for _, s := range add {
		if !slices.Contains(r.secrets, s) {
			r.secrets = append(r.secrets, s)
			grew = true
		}
	}
	if grew { // callers may re-add the same tokens on every write: stay cheap
		r.rebuild()
	}
}

// AddBasicPair registers secret and the base64 of "id:secret" as sent in an
// HTTP Basic Authorization header. The id alone is not treated as a secret.
func (r *Redactor) AddBasicPair(id, secret string) {
	if len(secret) < minSecretLen {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets = append(r.secrets, secret)
	r.pairs = append(r.pairs, [2]string{id, secret})
	r.rebuild()
}

func (r *Redactor) rebuild() {
	var forms []string
	for _, s := range r.secrets {
		forms = append(forms, secretForms(s, true)...)
	}
	for _, p := range r.pairs {
		forms = append(forms, secretForms(p[0]+":"+p[1], false)...)
	}
	r.m = newMatcher(forms)
	r.m.addKeep(r.keep, forms)
}

func (r *Redactor) matcher() *matcher {
	if r == nil {
		return nil
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.m
}

// String returns s with every secret replaced.
func (r *Redactor) String(s string) string {
	m := r.matcher()
	if m == nil || s == "" {
		return s
	}
	out, _ := m.process(nil, []byte(s), true, Redacted)
	return string(out)
}

// Writer returns a writer that redacts everything written through it before
// passing it on to w. It holds back the last few bytes of each Write so that a
// secret split across Write calls is still caught: Close must be called to
// flush them. Close does not close w.
func (r *Redactor) Writer(w io.Writer) io.WriteCloser {
	return &redactWriter{r: r, w: w, marker: Redacted}
}

// markupWriter is Writer for XML and HTML documents: it writes the marker as
// "&lt;redacted&gt;" so that the document stays well-formed.
func (r *Redactor) markupWriter(w io.Writer) io.WriteCloser {
	return &redactWriter{r: r, w: w, marker: "&lt;redacted&gt;"}
}

type redactWriter struct {
	r      *Redactor
	w      io.Writer
	marker string
	buf    []byte
	err    error
	closed bool
}

var errClosed = errors.New("reports: write to closed redacting writer")

func (rw *redactWriter) Write(p []byte) (int, error) {
	if rw.closed {
		return 0, errClosed
	}
	if rw.err != nil {
		return 0, rw.err
	}
	m := rw.r.matcher()
	if m == nil && len(rw.buf) == 0 {
		n, err := rw.w.Write(p)
		if err != nil {
			rw.err = err
		}
		return n, err
	}
	rw.buf = append(rw.buf, p...)
	var out []byte
	n := len(rw.buf)
	if m == nil {
		out = rw.buf
	} else {
		out, n = m.process(nil, rw.buf, false, rw.marker)
	}
	if len(out) > 0 {
		if _, err := rw.w.Write(out); err != nil {
			rw.err = err
			return 0, err
		}
	}
	rest := copy(rw.buf, rw.buf[n:])
	rw.buf = rw.buf[:rest]
	return len(p), nil
}

// Close flushes the held-back bytes. It does not close the underlying writer.
func (rw *redactWriter) Close() error {
	if rw.closed {
		return rw.err
	}
	rw.closed = true
	if rw.err != nil || len(rw.buf) == 0 {
		return rw.err
	}
	out := rw.buf
	if m := rw.r.matcher(); m != nil {
		out, _ = m.process(nil, rw.buf, true, rw.marker)
	}
	rw.buf = nil
	if _, err := rw.w.Write(out); err != nil {
		rw.err = err
	}
	return rw.err
}

// RedactRun returns a deep copy of run with every string in it redacted:
// target, config, suite errors, titles, messages, violations and exchanges
// (URLs, header names and values, bodies, errors and curl commands). WriteAll
// applies it before formatting, so that a secret cannot escape redaction by
// being escaped differently by a writer.
func (r *Redactor) RedactRun(run *Run) *Run {
	if run == nil {
		return nil
	}
	s := r.String
	out := *run
	out.Tool = Tool{Name: s(run.Tool.Name), Version: s(run.Tool.Version), Spec: s(run.Tool.Spec), CatalogueHash: s(run.Tool.CatalogueHash)}
	out.Target.BaseURL = s(run.Target.BaseURL)
	out.Target.TokenURL = s(run.Target.TokenURL)
	out.Target.Auth = s(run.Target.Auth)
	out.Target.Defect = s(run.Target.Defect)
	out.Verdict = s(run.Verdict)
	out.Profiles = slices.Clone(run.Profiles)
	for i := range out.Profiles {
		out.Profiles[i].Name = s(out.Profiles[i].Name)
		out.Profiles[i].Verdict = s(out.Profiles[i].Verdict)
		out.Profiles[i].Reason = s(out.Profiles[i].Reason)
		out.Profiles[i].Title = s(out.Profiles[i].Title)
		out.Profiles[i].Source = s(out.Profiles[i].Source)
		out.Profiles[i].Spec = s(out.Profiles[i].Spec)
	}
	out.Partial = s(run.Partial)
	out.Rules = slices.Clone(run.Rules)
	for i := range out.Rules {
		ri := &out.Rules[i]
		ri.ID, ri.Title, ri.Source, ri.Hint = s(ri.ID), s(ri.Title), s(ri.Source), s(ri.Hint)
		ri.Levels = redactMap(s, ri.Levels)
	}
	out.Config = redactConfig(s, run.Config)
	out.SuiteErrors = redactStrings(s, run.SuiteErrors)
	out.Leftovers = slices.Clone(run.Leftovers)
	for i := range out.Leftovers {
		l := &out.Leftovers[i]
		l.Collection, l.ID, l.Path, l.CheckID, l.Reason = s(l.Collection), s(l.ID), s(l.Path), s(l.CheckID), s(l.Reason)
	}
	out.Checks = slices.Clone(run.Checks)
	for i := range out.Checks {
		c := &out.Checks[i]
		c.ID, c.Title, c.Area, c.Endpoint, c.Level = s(c.ID), s(c.Title), s(c.Area), s(c.Endpoint), s(c.Level)
		c.Outcome, c.Message = Outcome(s(string(c.Outcome))), s(c.Message)
		c.Features = redactStrings(s, c.Features)
		c.Profiles = slices.Clone(c.Profiles)
		for j := range c.Profiles {
			c.Profiles[j].Profile, c.Profiles[j].Tier = s(c.Profiles[j].Profile), s(c.Profiles[j].Tier)
			c.Profiles[j].Outcome = Outcome(s(string(c.Profiles[j].Outcome)))
		}
		c.Rules = slices.Clone(c.Rules)
		for j := range c.Rules {
			c.Rules[j].Rule = s(c.Rules[j].Rule)
		}
		c.Source = s(c.Source)
		c.Violations = slices.Clone(c.Violations)
		for j := range c.Violations {
			v := &c.Violations[j]
			v.Rule, v.Pointer, v.RecordID, v.Message = s(v.Rule), s(v.Pointer), s(v.RecordID), s(v.Message)
		}
		c.Exchanges = slices.Clone(c.Exchanges)
		for j := range c.Exchanges {
			e := &c.Exchanges[j]
			e.Method, e.URL = s(e.Method), s(e.URL)
			e.RequestHeaders = redactMap(s, e.RequestHeaders)
			e.ResponseHeaders = redactMap(s, e.ResponseHeaders)
			e.RequestBody, e.ResponseBody = s(e.RequestBody), s(e.ResponseBody)
			e.Error, e.Curl = s(e.Error), s(e.Curl)
		}
	}
	if run.Latency != nil {
		l := *run.Latency
		l.Endpoints = slices.Clone(l.Endpoints)
		for i := range l.Endpoints {
			l.Endpoints[i].Endpoint = s(l.Endpoints[i].Endpoint)
		}
		l.Slowest = slices.Clone(l.Slowest)
		for i := range l.Slowest {
			l.Slowest[i].Method, l.Slowest[i].URL = s(l.Slowest[i].Method), s(l.Slowest[i].URL)
		}
		out.Latency = &l
	}
	out.Previews = redactPreviews(s, run.Previews)
	out.ConsumerLatency = redactConsumerLatency(s, run.ConsumerLatency)
	out.Groups = slices.Clone(run.Groups)
	for i := range out.Groups {
		g := &out.Groups[i]
		g.Name, g.Rule, g.Title, g.Fix, g.Repro = s(g.Name), s(g.Rule), s(g.Title), s(g.Fix), s(g.Repro)
		g.Outcome = Outcome(s(string(g.Outcome)))
		g.FailIn, g.AdviseIn, g.Checks = redactStrings(s, g.FailIn), redactStrings(s, g.AdviseIn), redactStrings(s, g.Checks)
	}
	if run.Diff != nil {
		d := *run.Diff
		d.Baseline = s(d.Baseline)
		red := func(in []DiffEntry) []DiffEntry {
			o := slices.Clone(in)
			for i := range o {
				e := &o[i]
				e.Check, e.Profile = s(e.Check), s(e.Profile)
				e.Rules = slices.Clone(e.Rules)
				for j := range e.Rules {
					e.Rules[j].Rule = s(e.Rules[j].Rule)
				}
				e.BaselineRules = slices.Clone(e.BaselineRules)
				for j := range e.BaselineRules {
					e.BaselineRules[j].Rule = s(e.BaselineRules[j].Rule)
				}
			}
			return o
		}
		d.New, d.Fixed, d.Unchanged = red(d.New), red(d.Fixed), red(d.Unchanged)
		out.Diff = &d
	}
	return &out
}

func redactStrings(s func(string) string, in []string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, v := range in {
		out[i] = s(v)
	}
	return out
}

func redactMap(s func(string) string, in map[string]string) map[string]string {
	if in == nil {
		return nil
	}
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[s(k)] = s(v)
	}
	return out
}

// secretForms lists the encodings of v to look for. With literal false the
// value itself is left out (an "id:secret" pair is found through its secret).
func secretForms(v string, literal bool) []string {
	var bases []string
	if literal {
		bases = append(bases, v)
	}
	b := []byte(v)
	bases = append(bases,
		base64.StdEncoding.EncodeToString(b),
		base64.URLEncoding.EncodeToString(b),
		base64.RawStdEncoding.EncodeToString(b),
		base64.RawURLEncoding.EncodeToString(b),
	)
	var escaped []string
	for _, f := range bases {
		q, p := url.QueryEscape(f), url.PathEscape(f)
		escaped = append(escaped, f, q, p, lowerHex(q), lowerHex(p))
	}
	var out []string
	for _, f := range escaped {
		out = append(out, f,
			jsonEscape(f, true), jsonEscape(f, false),
			htmlTemplateEscape(f), template.HTMLEscapeString(f),
			xmlEscape(f))
	}
	return out
}

// lowerHex lower-cases the hex digits of percent escapes ("%2B" -> "%2b").
func lowerHex(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1] = lowerASCII(b[i+1])
			b[i+2] = lowerASCII(b[i+2])
			i += 2
		}
	}
	return string(b)
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

func jsonEscape(s string, escapeHTML bool) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(escapeHTML)
	_ = enc.Encode(s)
	out := strings.TrimSuffix(buf.String(), "\n")
	return strings.TrimSuffix(strings.TrimPrefix(out, `"`), `"`)
}

// htmlTemplateEscape mirrors html/template's escaping of text and quoted
// attribute values, which, unlike template.HTMLEscapeString, also escapes '+'.
var htmlTemplateEscape = strings.NewReplacer(
	"\x00", "\uFFFD",
	`"`, "&#34;",
	"&", "&amp;",
	"'", "&#39;",
	"+", "&#43;",
	"<", "&lt;",
	">", "&gt;",
).Replace

func xmlEscape(s string) string {
	var buf bytes.Buffer
	_ = xml.EscapeText(&buf, []byte(s))
	return buf.String()
}

// matcher finds secret forms in byte slices.
type matcher struct {
	byFirst [256][]string // forms by first byte, longest first
	keep    [256][]string // text left as is, by first byte, longest first
	maxLen  int
}

func newMatcher(forms []string) *matcher {
	m := &matcher{}
	seen := map[string]bool{}
	for _, f := range forms {
		if len(f) < minSecretLen || seen[f] {
			continue
		}
		seen[f] = true
		m.byFirst[f[0]] = append(m.byFirst[f[0]], f)
		m.maxLen = max(m.maxLen, len(f))
	}
	if len(seen) == 0 {
		return nil
	}
	for i := range m.byFirst {
		slices.SortStableFunc(m.byFirst[i], func(a, b string) int { return len(b) - len(a) })
	}
	return m
}

// matchAt returns the end of the longest form that starts at src[i], or -1.
func (m *matcher) matchAt(src []byte, i int) int {
	for _, f := range m.byFirst[src[i]] {
		if len(src)-i >= len(f) && string(src[i:i+len(f)]) == f {
			return i + len(f)
		}
	}
	return -1
}

// process appends src to out with every match replaced by marker, overlapping matches
// merged into one replacement. Unless final is set it stops where a match
// could still be completed by bytes not yet seen, and returns how many bytes
// of src it consumed; the caller keeps the rest for the next call.
func (m *matcher) process(out, src []byte, final bool, marker string) ([]byte, int) {
	cut := len(src)
	if !final {
		cut = max(0, len(src)-(m.maxLen-1))
	}
	last := 0
	for i := 0; i < cut; {
		if k := m.keepAt(src, i); k > 0 {
			// The user's own text, complete in src: copied as is.
			out = append(out, src[last:k]...)
			last, i = k, k
			continue
		}
		end := m.matchAt(src, i)
		if end < 0 {
			i++
			continue
		}
		for j := i + 1; j < end; j++ {
			if e := m.matchAt(src, j); e > end {
				end = e
			}
		}
		if !final && end > cut {
			// Bytes not yet seen could extend this match: keep it.
			out = append(out, src[last:i]...)
			return out, i
		}
		out = append(out, src[last:i]...)
		out = append(out, marker...)
		last, i = end, end
	}
	if final {
		return append(out, src[last:]...), len(src)
	}
	if last > cut { // kept text ran past the cut
		return out, last
	}
	out = append(out, src[last:cut]...)
	return out, cut
}
