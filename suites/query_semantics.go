package suites

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rostercheck/rostercheck/internal/client"
	"github.com/rostercheck/rostercheck/schemas"
	"github.com/rostercheck/rostercheck/suites/catalogue"
)

func semanticChecks() []Check {
	var out []Check
	for _, ep := range topLevel() {
		out = append(out,
			qcheck(ep, "filter.semantics",
				fmt.Sprintf("GET %s?filter=... is sound and complete for = != > >= < <= ~ on string, enum, date and GUIDRef fields, AND, OR, three clauses, dates as instants (with and without milliseconds, with an offset), values with spaces, apostrophes, '+' and non-ASCII letters in both encodings, across pages, X-Total-Count the filtered count", ep.Path),
				MUST, FeatureFilterSemantic, ruleFilterWrong, specFilter, checkSemantics),
			qcheck(ep, "filter.errors",
				fmt.Sprintf("GET %s with an unknown filter field answers 400 with imsx invalid_filter_field, and with a malformed filter 400; never 200, 500 or a dropped connection", ep.Path),
				MUST, FeatureFilterErrors, ruleFilterUnknown, specFilter, checkFilterErrors),
			qcheck(ep, "paging.invalid",
				fmt.Sprintf("GET %s with limit or offset abc, -1 or 0 answers 400, never 200 with other records, 500 or a dropped connection", ep.Path),
				SHOULD, FeaturePagingInvalid, rulePagingInvalid, specPagingParam, checkPagingInvalid),
		)
	}
	return out
}

// stringColumns are plain string or enum columns, in the order the
// semantic check prefers them.
func stringColumns(cols *Columns) []string {
	var out []string
	for _, n := range cols.Names {
		base := n
		if strings.Contains(n, ".") || dateFields[base] || numberFields[base] || n == "status" {
			continue
		}
		out = append(out, n)
	}
	return out
}

// semanticCases builds the predicates of the semantic check from the
// values of the walk: nothing is hand-entered.
func semanticCases(w *Walk) []qcase {
	cols := w.Cols
	n := cols.Len()
	mid := cols.Row(n / 2)
	var cs []qcase
	sent := map[string]bool{}
	add := func(what string, f expr, enc int) {
		// A case whose request another case already sends (the value
		// with a space that "= on" a field chose too) adds nothing: the
		// same GET, judged the same way.
		key := fmt.Sprint(f.groups, enc)
		if sent[key] {
			return
		}
		sent[key] = true
		cs = append(cs, qcase{what: what, filter: f, enc: enc, rule: ruleFilterWrong})
	}
	valueOf := func(row Row, col string) string {
		vs := row.values(cols.col(col))
		if len(vs) == 0 {
			return ""
		}
		return vs[0]
	}
	add("= on an enum (status)", and(pred{"status", "=", "tobedeleted"}), encPercent)
	// A string field: =, !=, ~, with the value of the middle record (or
	// the first record that has one).
	for _, col := range stringColumns(cols) {
		// A field every record has: whether != matches a record without
		// the field is left open by 1.1 (SQL says no, the spec's examples
		// nothing).
		v := valueOf(mid, col)
		if v == "" || !probeable(v) || !everyRowHas(cols, col) {
			continue
		}
		add("= on "+col, and(pred{col, "=", v}), encLiteral)
		add("!= on "+col, and(pred{col, "!=", v}), encPercent)
		if sub := substring(v); sub != "" {
			add("~ (contains) on "+col, and(pred{col, "~", sub}), encPercent)
		}
		add("AND of two clauses", and(pred{"status", "=", "active"}, pred{col, "=", v}), encLiteral)
		break
	}
	// Dates compared as instants: the middle record's own dateLastModified,
	// written with an offset, without milliseconds, and as OneRoster writes it.
	if t, ok := instant(valueOf(mid, "dateLastModified")); ok {
		east := t.In(time.FixedZone("", 14*3600)).Format("2006-01-02T15:04:05.000-07:00")
		west := t.In(time.FixedZone("", -12*3600)).Format("2006-01-02T15:04:05.000-07:00")
		add("dateLastModified >= an instant written with +14:00", and(pred{"dateLastModified", ">=", east}), encPercent)
		add("dateLastModified <= an instant written with -12:00", and(pred{"dateLastModified", "<=", west}), encLiteral)
		add("dateLastModified < a cut-off without milliseconds", and(pred{"dateLastModified", "<", t.UTC().Truncate(time.Second).Format(time.RFC3339)}), encLiteral)
		add("dateLastModified > a cut-off with milliseconds", and(pred{"dateLastModified", ">", t.UTC().Format(msLayout)}), encPercent)
	}
	// A date or number field of the entity.
	for _, col := range cols.Names {
		if col == "dateLastModified" || !(dateFields[col] || numberFields[col]) {
			continue
		}
		v := pickValue(w, col, func(v string) bool {
			if numberFields[col] {
				_, err := strconv.ParseFloat(v, 64)
				return err == nil
			}
			_, ok := instant(v)
			return ok
		})
		if v == "" {
			continue
		}
		if numberFields[col] {
			add("> on a number ("+col+", compared as a number)", and(pred{col, ">", "9"}), encPercent)
			add("<= on a number ("+col+")", and(pred{col, "<=", v}), encPercent)
		} else {
			add("> on a date ("+col+")", and(pred{col, ">", v}), encPercent)
			add("<= on a date ("+col+")", and(pred{col, "<=", v}), encLiteral)
		}
	}
	// GUIDRef dot paths, single and arrays (any element matches).
	for _, col := range cols.Names {
		if !strings.HasSuffix(col, ".sourcedId") {
			continue
		}
		if v := pickValue(w, col, func(string) bool { return true }); v != "" {
			add("dot path "+col, and(pred{col, "=", v}), encPercent)
		}
	}
	// OR, and three clauses (a provider dropping the third returns two).
	if n >= 3 {
		a, b, c := cols.Row(0).ID(), cols.Row(n/2).ID(), cols.Row(n-1).ID()
		if a != b && b != c && a != c {
			add("OR of two clauses", or(pred{"sourcedId", "=", a}, pred{"sourcedId", "=", b}), encLiteral)
			add("three clauses", or(pred{"sourcedId", "=", a}, pred{"sourcedId", "=", b}, pred{"sourcedId", "=", c}), encPercent)
			// A OR B AND C: AND binds tighter, so a comes back; read left
			// to right, or with OR binding tighter, only b does.
			cs = append(cs, qcase{what: "precedence: A OR B AND C is A OR (B AND C)",
				filter: expr{groups: [][]pred{{{"sourcedId", "=", a}}, {{"sourcedId", "=", b}, {"sourcedId", "!=", a}}}},
				enc:    encPercent, rule: ruleFilterPrecedence, refused: ruleFilterPrecedence})
		}
	}
	// Three clauses joined by AND, the third the only one that excludes
	// records (a provider dropping it returns more).
	if f, ok := threeAnd(w); ok {
		add("three clauses joined by AND", f, encLiteral)
	}
	// A date-only value on a dateTime field: the instant at the start of
	// that day (UTC).
	if t, ok := instant(valueOf(mid, "dateLastModified")); ok {
		day := t.UTC().Format(time.DateOnly)
		cs = append(cs, qcase{what: "dateLastModified > a date-only value (" + day + ", midnight UTC)",
			filter: and(pred{"dateLastModified", ">", day}), enc: encLiteral, rule: ruleFilterWrong, refused: ruleFilterDateOnly})
	}
	// Values consumers get wrong: apostrophes, '+', non-ASCII, spaces.
	special := []struct {
		what string
		ok   func(string) bool
	}{
		{"an apostrophe", func(v string) bool { return strings.Contains(v, "'") }},
		{"a '+'", func(v string) bool { return strings.Contains(v, "+") }},
		{"non-ASCII letters", func(v string) bool { return !isASCII(v) }},
		{"a space", func(v string) bool { return strings.Contains(v, " ") }},
	}
	for _, sp := range special {
		for _, col := range stringColumns(cols) {
			v := pickValue(w, col, sp.ok)
			if v == "" {
				continue
			}
			add(fmt.Sprintf("a value with %s (%s), %%-encoded", sp.what, col), and(pred{col, "=", v}), encPercent)
			add(fmt.Sprintf("a value with %s (%s), quotes literal and spaces as +", sp.what, col), and(pred{col, "=", v}), encLiteral)
			break
		}
	}
	return cs
}

func everyRowHas(cols *Columns, col string) bool {
	i := cols.col(col)
	for _, row := range cols.All() {
		if row.raw(i) == "" {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// substring returns a short lower-case ASCII piece of v for ~, "" when v
// has none.
func substring(v string) string {
	runes := []rune(v)
	for i := len(runes) / 3; i+3 <= len(runes); i++ {
		s := string(runes[i : i+3])
		if isASCII(s) && strings.ToLower(s) == s && strings.TrimSpace(s) == s && !strings.ContainsAny(s, "'") && utf8.ValidString(s) {
			return s
		}
	}
	return ""
}

func checkSemantics(ctx context.Context, e *Env, ep catalogue.Endpoint, w *Walk, r *Recorder) {
	// The cases are independent: a few at once, so that a collection's
	// dozens of small filtered walks do not leave the run's budget idle
	// when its check is the last one running.
	cases := semanticCases(w)
	eachPart(ctx, r, len(cases), casesAtOnce, func(i int, r *Recorder) {
		runCase(ctx, e, r, ep, w, narrow(w, cases[i]))
	})
}

// casesAtOnce is how many cases of one query check run at once (each
// holds the 8 bytes a record of its filtered walk; the pages are bounded
// by the run's page budget).
const casesAtOnce = 4

// maxCaseRecords bounds what one semantic case reads: a predicate that
// matches more records of the walk is ANDed with a dateLastModified bound
// that keeps about this many, so that the semantic check of a large
// collection costs a few pages per case, not a walk per case.
const maxCaseRecords = 200

// narrow ANDs a case that matches more than maxCaseRecords records with a
// dateLastModified bound on the far side of its own cut-off (an upper
// bound for > and >= on dateLastModified, else a lower bound), so that
// the operator under test still decides at its boundary.
func narrow(w *Walk, c qcase) qcase {
	if len(c.filter.groups) != 1 {
		return c
	}
	cols := w.Cols
	di := cols.col("dateLastModified")
	if di < 0 {
		return c
	}
	var ts []time.Time
	for _, row := range cols.All() {
		if !c.filter.match(func(f string) []string {
			if f == "sourcedId" {
				return []string{row.ID()}
			}
			return row.values(cols.col(f))
		}, false) {
			continue
		}
		if vs := row.values(di); len(vs) > 0 {
			if t, ok := instant(vs[0]); ok {
				ts = append(ts, t)
			}
		}
	}
	if len(ts) <= maxCaseRecords {
		return c
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
	upper := false
	for _, p := range c.filter.groups[0] {
		if p.Field == "dateLastModified" && (p.Op == ">" || p.Op == ">=") {
			upper = true
		}
	}
	g := append([]pred(nil), c.filter.groups[0]...)
	if upper {
		g = append(g, pred{"dateLastModified", "<=", ts[maxCaseRecords-1].UTC().Format(msLayout)})
	} else {
		g = append(g, pred{"dateLastModified", ">=", ts[len(ts)-maxCaseRecords].UTC().Format(msLayout)})
	}
	c.filter = and(g...)
	c.what += fmt.Sprintf(" (narrowed to about %d of its %d records)", maxCaseRecords, len(ts))
	return c
}

// expectError sends a request that must be refused with a 4xx: 2xx is a
// violation of okRule, 5xx or a broken connection of query.server-error.
// It returns the exchange when it was a 4xx.
func expectError(ctx context.Context, e *Env, r *Recorder, path, raw, what, okRule string) *client.Exchange {
	ex := r.Evidence(e.get(ctx, r.res.CheckID, e.url(path, nil)+"?"+raw))
	switch {
	case ex.Err != nil:
		r.AddRule(ruleQueryBroken, ex, "GET %s?%s (%s): %s", path, raw, what, e.describeErr(ex))
	case ex.Status >= 500:
		r.AddRule(ruleQueryBroken, ex, "GET %s?%s (%s) answered %d, want 400%s", path, raw, what, ex.Status, e.bodyHint(ex.Body))
	case ex.Status < 400:
		n := ""
		if doc, err := decodeObject(ex.Body); err == nil {
			for _, v := range doc {
				if a, ok := v.([]any); ok {
					n = fmt.Sprintf(" with %d records", len(a))
					break
				}
			}
		}
		r.AddRule(okRule, ex, "GET %s?%s (%s) answered %d%s, want 400", path, raw, what, ex.Status, n)
	default:
		return ex
	}
	return nil
}

// codeMinorOf returns the imsx_codeMinor values of a statusInfoSet body.
func codeMinorOf(body []byte) ([]string, string) {
	doc, err := decodeObject(body)
	if err != nil {
		return nil, "the body is not an imsx statusInfoSet: " + err.Error()
	}
	if vs, err := schemas.ValidateStatusInfoSet(doc); err == nil && len(vs) > 0 {
		return nil, "imsx payload: " + vs[0].Message
	}
	set, _ := doc["statusInfoSet"].([]any)
	var out []string
	for _, s := range set {
		m, _ := s.(map[string]any)
		if c, ok := m["imsx_codeMinor"].(string); ok {
			out = append(out, c)
		}
	}
	return out, ""
}

func checkFilterErrors(ctx context.Context, e *Env, ep catalogue.Endpoint, w *Walk, r *Recorder) {
	qv := queryVersionOf(ep)
	f := "rostercheckNoSuchField='x'"
	raw := "filter=" + encodeFilter(f, encVerbatim)
	if ex := expectError(ctx, e, r, w.Path, raw, "unknown filter field", qv.unknownFilter); ex != nil {
		qv.refusal(e, r, ep, ex, refusal{request: "GET " + w.Path + "?filter=" + f, want: "invalid_filter_field", reading: "bad-request-filter-too"})
	}
	for _, m := range []struct{ what, f string }{
		{"a value without its closing quote", "status='active"},
		{"a predicate without an operator", "status 'active'"},
		{"a dangling AND", "status='active' AND"},
	} {
		expectError(ctx, e, r, w.Path, "filter="+encodeFilter(m.f, encPercent), "malformed filter: "+m.what, ruleFilterMalformed)
	}
}

func checkPagingInvalid(ctx context.Context, e *Env, ep catalogue.Endpoint, w *Walk, r *Recorder) {
	for _, q := range []string{"limit=abc", "limit=-1", "limit=0", "offset=-1", "offset=abc"} {
		expectError(ctx, e, r, w.Path, q, "invalid paging parameter", rulePagingInvalid)
	}
}

// threeAnd builds dateLastModified<=hi AND status=s AND
// dateLastModified>=lo from the walk, where the third clause is the only
// one that excludes some records the first two match; on a walk without
// such a window, sourcedId!=a AND sourcedId!=b AND sourcedId!=c, or (on
// three records) sourcedId!=a AND status=s AND sourcedId!=c. False when
// no form keeps some records and loses some to its third clause alone.
func threeAnd(w *Walk) (expr, bool) {
	if f, ok := threeAndWindow(w); ok {
		return f, true
	}
	n := w.Cols.Len()
	if n < 3 || n > maxCaseRecords {
		return expr{}, false
	}
	a, b, c := w.Cols.Row(0).ID(), w.Cols.Row(n/2).ID(), w.Cols.Row(n-1).ID()
	st := mostCommon(w, "status")
	for _, f := range []expr{
		and(pred{"sourcedId", "!=", a}, pred{"sourcedId", "!=", b}, pred{"sourcedId", "!=", c}),
		and(pred{"sourcedId", "!=", a}, pred{"status", "=", st}, pred{"sourcedId", "!=", c}),
	} {
		if thirdDecides(w, f) {
			return f, true
		}
	}
	return expr{}, false
}

// thirdDecides reports whether a three-clause AND keeps some records of
// the walk and its first two clauses alone keep more.
func thirdDecides(w *Walk, three expr) bool {
	two := and(three.groups[0][:2]...)
	cols := w.Cols
	n3, n2 := 0, 0
	for _, row := range cols.All() {
		get := func(f string) []string {
			if f == "sourcedId" {
				return []string{row.ID()}
			}
			return row.values(cols.col(f))
		}
		if three.match(get, false) {
			n3++
		}
		if two.match(get, false) {
			n2++
		}
	}
	return n3 > 0 && n2 > n3
}

func threeAndWindow(w *Walk) (expr, bool) {
	ts := lastModified(w)
	if len(ts) < 4 {
		return expr{}, false
	}
	hi, lo := ts.at(len(ts)/2).Format(msLayout), ts.at(len(ts)/4).Format(msLayout)
	st := mostCommon(w, "status")
	if st == "" {
		return expr{}, false
	}
	three := and(pred{"dateLastModified", "<=", hi}, pred{"status", "=", st}, pred{"dateLastModified", ">=", lo})
	return three, thirdDecides(w, three)
}
