package reports

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"sort"
	"strings"
	"time"
)

//go:embed templates/report.html.tmpl
var templateFS embed.FS

var reportTemplate = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
	"upper":      strings.ToUpper,
	"thousands":  thousands,
	"join":       strings.Join,
	"int":        func(n int64) int { return int(n) },
	"ruleCounts": RuleCounts,
}).ParseFS(templateFS, "templates/report.html.tmpl"))

// maxHTMLBody caps each request or response body shown in report.html
// (after pretty-printing); the full size is stated.
const maxHTMLBody = 4 << 10

// maxGroupExchanges is how many exchanges a failure group shows.
const maxGroupExchanges = 2

type htmlView struct {
	Run          *Run
	Verdict      string // PASS | FAIL | PARTIAL | ERROR
	VerdictClass string
	Started      string
	Finished     string
	Duration     string
	Profiles     []profileView
	Families     []string
	Matrix       []matrixRow
	Groups       []groupView
	Skipped      []checkView // not-supported and not-run
	SkipGroups   []skipGroup // the same, grouped by reason
	Diff         *Diff
	ProfileNames []string
	// Blocked is, per profile, its first blocker (tier 1): its import
	// preview cannot happen as shown.
	Blocked map[string]causeView
	Checks  []checkView // every check, in order
	Config  []kv
}

type profileView struct {
	ProfileVerdict
	Class  string
	Causes []causeView // its top causes by impact
}

type causeView struct {
	Name, Title, Hint, Anchor, Tier string
}

// skipGroup is the checks that gave no verdict for one reason.
type skipGroup struct {
	Outcome, Class, Reason string
	Checks                 []checkView
}

type matrixRow struct {
	Area, Endpoint string
	Cells          []matrixCell
}

type matrixCell struct {
	Outcome string // "" when no check of this family exists for the endpoint
	Symbol  string
	Count   int
	Title   string
	Anchor  string
	Worst   int    // checks at the cell's (worst) outcome
	Checks  string // the ids of the checks at that outcome, space-separated
	Groups  string // the anchors of their groups, space-separated
}

type groupView struct {
	FailureGroup
	Anchor     string
	Class      string
	Exchanges  []exchangeView
	Profiles   string       // the profiles it fails or advises, space-separated (for the filter)
	ShownCheck []GroupCheck // the first maxGroupChecks checks
	MoreChecks []GroupCheck // the rest, collapsed
	TierName   string
}

// maxGroupChecks is how many of a group's checks are listed before the rest are collapsed.
const maxGroupChecks = 10

type checkView struct {
	*CheckResult
	Outcome  string // display form
	Class    string // CSS class suffix: a known outcome, or "error"
	Profiles string // "sds: fail, asm: advisory"
	Anchor   string // the group its findings are in, or ""
	Hint     string // the fix of the rules it found broken
}

type exchangeView struct {
	*Exchange
	StatusText      string
	RequestHeaders  []kv
	ResponseHeaders []kv
	RequestBody     string
	RequestNote     string
	ResponseBody    string
	ResponseNote    string
}

type kv struct{ K, V string }

// WriteHTML writes run as one self-contained HTML page: inline CSS only, no
// scripts, fonts or other external resources, readable without CSS and
// printable. The verdict per profile comes first, then a matrix of
// endpoint × check family coloured by outcome, then the failures grouped
// by root cause (rule), collapsed, with a few examples and pretty-printed
// evidence cut to a few KB; then latency, the checks that did not run,
// every check, and the run's metadata.
func WriteHTML(w io.Writer, run *Run) error {
	var buf bytes.Buffer
	if err := reportTemplate.Execute(&buf, buildHTMLView(run)); err != nil {
		return fmt.Errorf("report.html: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func outcomeClass(o Outcome) string {
	if !knownOutcome(o) {
		return string(Error)
	}
	return string(o)
}

var outcomeSymbol = map[Outcome]string{Pass: "✓", Fail: "✗", Advisory: "!", Error: "E", NotSupported: "–", NotRun: "·"}

func buildHTMLView(run *Run) *htmlView {
	v := &htmlView{Run: run}
	v.Verdict = displayVerdict(run)
	v.VerdictClass = "v-" + strings.ToLower(v.Verdict)
	if !run.Started.IsZero() {
		v.Started = run.Started.UTC().Format(time.RFC3339)
	}
	if !run.Finished.IsZero() {
		v.Finished = run.Finished.UTC().Format(time.RFC3339)
	}
	if !run.Started.IsZero() && !run.Finished.IsZero() && run.Finished.After(run.Started) {
		v.Duration = run.Wall().Round(time.Millisecond).String()
	}
	for _, p := range run.Profiles {
		cls := strings.ToLower(p.Verdict)
		switch cls {
		case "pass", "fail", "partial":
		default:
			cls = "error"
		}
		v.Profiles = append(v.Profiles, profileView{ProfileVerdict: p, Class: cls})
	}

	hintOf := map[string]string{}
	for _, r := range run.Rules {
		hintOf[r.ID] = r.Hint
	}
	// Failure groups, and which group each check's findings are in.
	groupOf := map[string]string{}
	byID := map[string]*CheckResult{}
	for i := range run.Checks {
		byID[run.Checks[i].ID] = &run.Checks[i]
	}
	groups := GroupsWithRepro(run)
	anchorOf := map[string]string{}
	for _, g := range groups {
		anchorOf[g.Name()] = "group-" + anchorSafe(g.Name())
	}
	for _, p := range run.Profiles {
		v.ProfileNames = append(v.ProfileNames, p.Name)
	}
	for i := range v.Profiles {
		for _, g := range TopCauses(groups, v.Profiles[i].Name, maxTopCauses) {
			v.Profiles[i].Causes = append(v.Profiles[i].Causes, causeView{Name: g.Name(), Title: g.Title, Hint: g.Hint, Anchor: anchorOf[g.Name()], Tier: TierName(g.Tier)})
		}
	}
	v.Diff = run.Diff
	v.Blocked = map[string]causeView{}
	for _, p := range v.Profiles {
		if len(p.Causes) > 0 && p.Causes[0].Tier == TierName(1) {
			v.Blocked[p.Name] = p.Causes[0]
		}
	}
	for _, g := range groups {
		gv := groupView{FailureGroup: g, Anchor: anchorOf[g.Name()], Class: outcomeClass(g.Outcome), TierName: TierName(g.Tier)}
		gv.Profiles = strings.Join(append(append([]string(nil), g.FailIn...), g.AdviseIn...), " ")
		gv.ShownCheck = g.Checks[:min(len(g.Checks), maxGroupChecks)]
		gv.MoreChecks = g.Checks[len(gv.ShownCheck):]
		for _, gc := range g.Checks {
			if _, ok := groupOf[gc.ID]; !ok {
				groupOf[gc.ID] = gv.Anchor
			}
		}
		gv.Exchanges = groupExchanges(g, byID)
		v.Groups = append(v.Groups, gv)
	}

	// The matrix: endpoint × family, the worst outcome of the checks there.
	type cellKey struct{ area, ep, fam string }
	cells := map[cellKey]*matrixCell{}
	famSeen := map[string]bool{}
	rowsSeen := map[[2]string]bool{}
	var rows [][2]string
	for i := range run.Checks {
		c := &run.Checks[i]
		fam := family(c)
		if !famSeen[fam] {
			famSeen[fam] = true
			v.Families = append(v.Families, fam)
		}
		ep := c.Endpoint
		if ep == "" {
			ep = "(none)"
		}
		// One row per endpoint, whatever area its checks come from.
		rk := [2]string{"", ep}
		if !rowsSeen[rk] {
			rowsSeen[rk] = true
			rows = append(rows, rk)
		}
		k := cellKey{rk[0], ep, fam}
		cell := cells[k]
		if cell == nil {
			cell = &matrixCell{Outcome: string(Pass)}
			cells[k] = cell
		}
		cell.Count++
		if w := Worst(Outcome(cell.Outcome), c.Outcome); w != Outcome(cell.Outcome) || cell.Anchor == "" {
			if w != Outcome(cell.Outcome) {
				cell.Worst, cell.Checks, cell.Groups = 0, "", ""
			}
			cell.Outcome = string(w)
			if a := groupOf[c.ID]; a != "" && w != Pass {
				cell.Anchor = a
			} else {
				cell.Anchor = "check-" + c.ID
			}
		}
		if Worst(c.Outcome) == Outcome(cell.Outcome) {
			cell.Worst++
			if c.Outcome != Pass {
				cell.Checks = strings.TrimSpace(cell.Checks + " " + c.ID)
				if a := groupOf[c.ID]; a != "" && !slices.Contains(strings.Fields(cell.Groups), a) {
					cell.Groups = strings.TrimSpace(cell.Groups + " " + a)
				}
			}
		}
		cell.Title += fmt.Sprintf("%s: %s\n", c.ID, c.Outcome)
	}
	sort.Strings(v.Families)
	// Rows with the worst outcomes first, then by area and endpoint.
	worst := map[[2]string]int{}
	for k, c := range cells {
		rk := [2]string{k.area, k.ep}
		worst[rk] = max(worst[rk], severity(Outcome(c.Outcome)))
	}
	sort.Slice(rows, func(i, j int) bool {
		if a, b := worst[rows[i]], worst[rows[j]]; a != b {
			return a > b
		}
		if rows[i][0] != rows[j][0] {
			return rows[i][0] < rows[j][0]
		}
		return rows[i][1] < rows[j][1]
	})
	for _, rk := range rows {
		r := matrixRow{Area: rk[0], Endpoint: rk[1]}
		for _, fam := range v.Families {
			cell := cells[cellKey{rk[0], rk[1], fam}]
			if cell == nil {
				r.Cells = append(r.Cells, matrixCell{})
				continue
			}
			c := *cell
			c.Outcome = outcomeClass(Outcome(c.Outcome))
			c.Symbol = outcomeSymbol[Outcome(c.Outcome)]
			c.Title = strings.TrimSpace(c.Title)
			r.Cells = append(r.Cells, c)
		}
		v.Matrix = append(v.Matrix, r)
	}

	for i := range run.Checks {
		c := &run.Checks[i]
		cv := checkView{CheckResult: c, Outcome: string(c.Outcome), Class: outcomeClass(c.Outcome), Anchor: groupOf[c.ID]}
		if c.Outcome != Pass {
			var hints []string
			for _, rc := range c.Rules {
				if h := hintOf[rc.Rule]; h != "" && !slices.Contains(hints, h) && len(hints) < 2 {
					hints = append(hints, h)
				}
			}
			cv.Hint = strings.Join(hints, "; ")
		}
		if !knownOutcome(c.Outcome) {
			cv.Outcome = fmt.Sprintf("error (unknown outcome %q)", c.Outcome)
		}
		var ps []string
		for _, po := range c.Profiles {
			o := po.Outcome
			if o == "" {
				o = c.Outcome
			}
			ps = append(ps, po.Profile+": "+string(o))
		}
		cv.Profiles = strings.Join(ps, ", ")
		v.Checks = append(v.Checks, cv)
		if c.Outcome == NotSupported || c.Outcome == NotRun {
			v.Skipped = append(v.Skipped, cv)
			found := false
			for i := range v.SkipGroups {
				if sg := &v.SkipGroups[i]; sg.Outcome == cv.Outcome && sg.Reason == c.Message {
					sg.Checks = append(sg.Checks, cv)
					found = true
				}
			}
			if !found {
				v.SkipGroups = append(v.SkipGroups, skipGroup{Outcome: cv.Outcome, Class: cv.Class, Reason: c.Message, Checks: []checkView{cv}})
			}
		}
	}
	sort.SliceStable(v.SkipGroups, func(i, j int) bool { return len(v.SkipGroups[i].Checks) > len(v.SkipGroups[j].Checks) })
	v.Config = configKV(run.Config)
	return v
}

// family is a check's behaviour family: the part of its ID after
// <area>.<endpoint>, first segment ("rostering.users.paging.links" ->
// "paging"); the cross-cutting areas (auth, integrity) are one family each,
// so that the matrix keeps a column per kind of behaviour.
func family(c *CheckResult) string {
	if c.Area == "auth" || c.Area == "integrity" {
		return c.Area
	}
	parts := strings.SplitN(c.ID, ".", 4)
	if len(parts) >= 3 {
		return parts[2]
	}
	return "other"
}

func anchorSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_' {
			return r
		}
		return '-'
	}, s)
}

// groupExchanges picks the evidence of a group: the exchanges its first
// examples point at, else the first exchange of its first check.
func groupExchanges(g FailureGroup, byID map[string]*CheckResult) []exchangeView {
	var out []exchangeView
	seen := map[uint64]bool{}
	add := func(e *Exchange) {
		if len(out) < maxGroupExchanges && !seen[e.ID] {
			seen[e.ID] = true
			out = append(out, newExchangeView(e))
		}
	}
	for _, ex := range g.Examples {
		if ex.ExchangeID == 0 {
			continue
		}
		if c := byID[ex.CheckID]; c != nil {
			for i := range c.Exchanges {
				if c.Exchanges[i].ID == ex.ExchangeID {
					add(&c.Exchanges[i])
				}
			}
		}
	}
	if len(out) == 0 {
		for _, gc := range g.Checks {
			if c := byID[gc.ID]; c != nil && len(c.Exchanges) > 0 {
				add(&c.Exchanges[0])
				break
			}
		}
	}
	return out
}

func newExchangeView(e *Exchange) exchangeView {
	ev := exchangeView{
		Exchange:        e,
		StatusText:      exchangeStatus(e),
		RequestHeaders:  sortedKV(e.RequestHeaders),
		ResponseHeaders: sortedKV(e.ResponseHeaders),
	}
	ev.RequestBody, ev.RequestNote = showBody(e.RequestBody, int64(len(e.RequestBody)), false)
	size := e.ResponseSize
	if size < int64(len(e.ResponseBody)) {
		size = int64(len(e.ResponseBody))
	}
	ev.ResponseBody, ev.ResponseNote = showBody(e.ResponseBody, size, e.ResponseTruncated)
	return ev
}

// showBody pretty-prints a body (JSON, even cut short) and cuts it to
// maxHTMLBody bytes, saying what was cut.
func showBody(s string, size int64, truncated bool) (string, string) {
	if s == "" {
		return "", ""
	}
	pretty := prettyJSON(s)
	shown, cut := capBody(pretty)
	note := ""
	switch {
	case cut > 0 || truncated || size > int64(len(s)):
		note = fmt.Sprintf("first %s bytes shown of %s bytes", thousands(len(shown)), thousands(int(max(size, int64(len(s))))))
		if pretty != s {
			note += " (pretty-printed)"
		}
	case pretty != s:
		note = fmt.Sprintf("%s bytes, pretty-printed", thousands(len(s)))
	}
	return shown, note
}

// prettyJSON indents what looks like JSON, tolerating a document cut
// short; anything else is returned as is.
func prettyJSON(s string) string {
	t := strings.TrimSpace(s)
	if t == "" || (t[0] != '{' && t[0] != '[') {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	depth, inStr, esc := 0, false, false
	nl := func() {
		b.WriteByte('\n')
		for i := 0; i < depth; i++ {
			b.WriteString("  ")
		}
	}
	for i := 0; i < len(t); i++ {
		ch := t[i]
		if inStr {
			b.WriteByte(ch)
			switch {
			case esc:
				esc = false
			case ch == '\\':
				esc = true
			case ch == '"':
				inStr = false
			}
			continue
		}
		switch ch {
		case '"':
			inStr = true
			b.WriteByte(ch)
		case '{', '[':
			b.WriteByte(ch)
			// an empty object or array stays on one line
			if i+1 < len(t) && (t[i+1] == '}' || t[i+1] == ']') {
				continue
			}
			depth++
			nl()
		case '}', ']':
			if i > 0 && (t[i-1] == '{' || t[i-1] == '[') {
				b.WriteByte(ch)
				continue
			}
			depth = max(0, depth-1)
			nl()
			b.WriteByte(ch)
		case ',':
			b.WriteByte(ch)
			nl()
		case ':':
			b.WriteString(": ")
		case ' ', '\t', '\n', '\r':
		default:
			b.WriteByte(ch)
		}
	}
	return b.String()
}

func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// displayVerdict is the big word in the header. An unknown verdict, or a
// "pass" contradicted by suite errors, shows as ERROR.
func displayVerdict(run *Run) string {
	switch v := strings.ToLower(run.Verdict); {
	case v == "pass" && len(run.SuiteErrors) == 0:
		return "PASS"
	case v == "fail":
		return "FAIL"
	case v == "partial":
		return "PARTIAL"
	}
	return "ERROR"
}

// capBody cuts s to maxHTMLBody bytes on a rune boundary and returns how
// many bytes were cut.
func capBody(s string) (string, int) {
	if len(s) <= maxHTMLBody {
		return s, 0
	}
	n := maxHTMLBody
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n], len(s) - n
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

func sortedKV(m map[string]string) []kv {
	out := make([]kv, 0, len(m))
	for k, v := range m {
		out = append(out, kv{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].K < out[j].K })
	return out
}
