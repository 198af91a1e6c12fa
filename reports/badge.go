package reports

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"strings"
)

// Badge is one profile's badge: "oneroster sds | pass 127/127".
type Badge struct {
	Label   string
	Message string
	Color   string // hex, shields' named colours
	Named   string // shields colour name for the endpoint JSON
}

// BadgeFor is the badge of one profile verdict.
func BadgeFor(p ProfileVerdict) Badge {
	label := p.Name
	if !strings.HasPrefix(label, "oneroster") {
		label = "oneroster " + label
	}
	b := Badge{Label: label, Message: fmt.Sprintf("%s %d/%d", p.Verdict, p.Passed, p.Total)}
	switch p.Verdict {
	case "pass":
		b.Color, b.Named = "#4c1", "brightgreen"
	case "fail":
		b.Color, b.Named = "#e05d44", "red"
	case "partial":
		b.Color, b.Named = "#dfb317", "yellow"
	default:
		b.Color, b.Named = "#9f9f9f", "lightgrey"
	}
	return b
}

// WriteBadgeSVG writes b in the shields.io "flat" style.
func WriteBadgeSVG(w io.Writer, b Badge) error {
	lw, mw := textWidth(b.Label)+10, textWidth(b.Message)+10
	total := lw + mw
	label, msg := html.EscapeString(b.Label), html.EscapeString(b.Message)
	_, err := fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="20" role="img" aria-label="%s: %s"><title>%s: %s</title>`+
		`<linearGradient id="s" x2="0" y2="100%%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>`+
		`<clipPath id="r"><rect width="%d" height="20" rx="3" fill="#fff"/></clipPath>`+
		`<g clip-path="url(#r)"><rect width="%d" height="20" fill="#555"/><rect x="%d" width="%d" height="20" fill="%s"/><rect width="%d" height="20" fill="url(#s)"/></g>`+
		`<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" text-rendering="geometricPrecision" font-size="110">`+
		`<text aria-hidden="true" x="%d" y="150" fill="#010101" fill-opacity=".3" transform="scale(.1)" textLength="%d">%s</text>`+
		`<text x="%d" y="140" transform="scale(.1)" fill="#fff" textLength="%d">%s</text>`+
		`<text aria-hidden="true" x="%d" y="150" fill="#010101" fill-opacity=".3" transform="scale(.1)" textLength="%d">%s</text>`+
		`<text x="%d" y="140" transform="scale(.1)" fill="#fff" textLength="%d">%s</text></g></svg>`+"\n",
		total, label, msg, label, msg,
		total,
		lw, lw, mw, b.Color, total,
		lw*5, (lw-10)*10, label, lw*5, (lw-10)*10, label,
		lw*10+mw*5, (mw-10)*10, msg, lw*10+mw*5, (mw-10)*10, msg)
	return err
}

// WriteBadgeJSON writes b as a shields.io endpoint document
// (https://shields.io/badges/endpoint-badge).
func WriteBadgeJSON(w io.Writer, b Badge) error {
	doc := struct {
		SchemaVersion int    `json:"schemaVersion"`
		Label         string `json:"label"`
		Message       string `json:"message"`
		Color         string `json:"color"`
	}{1, b.Label, b.Message, b.Named}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// textWidth approximates the width in pixels of s in 11 px Verdana, as
// shields lays it out.
func textWidth(s string) int {
	w := 0.0
	for _, r := range s {
		switch {
		case r == ' ':
			w += 3.9
		case r == '.' || r == ',' || r == ':' || r == 'i' || r == 'l' || r == 'j' || r == '|':
			w += 3.5
		case r == 'f' || r == 't' || r == 'r' || r == '-' || r == '/' || r == '(' || r == ')':
			w += 4.8
		case r == 'm' || r == 'w':
			w += 10.3
		case r >= 'A' && r <= 'Z':
			w += 7.8
		case r >= '0' && r <= '9':
			w += 7.0
		default:
			w += 6.8
		}
	}
	return int(w + 0.5)
}
