package reports

import "slices"

// ImportPreview is what one consumer profile would import from the
// provider and what it would drop, and why: what a vendor sends to the
// district before go-live. The rules come from the profile file.
type ImportPreview struct {
	Profile  string         `json:"profile"`
	Consumer string         `json:"consumer"`
	Imported []PreviewCount `json:"imported"`
	Dropped  []PreviewDrop  `json:"dropped,omitempty"`
	// Incomplete lists the collections that could not be read completely
	// (the preview leaves them out).
	Incomplete []string `json:"incomplete,omitempty"`
}

// PreviewCount is how many records of a type one school would get.
type PreviewCount struct {
	School string `json:"school"`
	Type   string `json:"type"`
	Count  int    `json:"count"`
}

// PreviewDrop is one reason the consumer drops records.
type PreviewDrop struct {
	Type     string   `json:"type"`
	Count    int      `json:"count"`
	Sentence string   `json:"sentence"` // "SDS would skip 12 guardians without e-mail"
	Source   string   `json:"source,omitempty"`
	Examples []string `json:"examples,omitempty"`
}

// Totals sums the imported counts per type, in first-seen order.
func (p ImportPreview) Totals() []PreviewCount {
	var out []PreviewCount
	at := map[string]int{}
	for _, c := range p.Imported {
		i, ok := at[c.Type]
		if !ok {
			i = len(out)
			at[c.Type] = i
			out = append(out, PreviewCount{Type: c.Type})
		}
		out[i].Count += c.Count
	}
	return out
}

// redactPreviews copies previews with every string redacted.
func redactPreviews(s func(string) string, in []ImportPreview) []ImportPreview {
	out := slices.Clone(in)
	for i := range out {
		p := &out[i]
		p.Profile, p.Consumer = s(p.Profile), s(p.Consumer)
		p.Incomplete = redactStrings(s, p.Incomplete)
		p.Imported = slices.Clone(p.Imported)
		for j := range p.Imported {
			c := &p.Imported[j]
			c.School, c.Type = s(c.School), s(c.Type)
		}
		p.Dropped = slices.Clone(p.Dropped)
		for j := range p.Dropped {
			d := &p.Dropped[j]
			d.Type, d.Sentence, d.Source = s(d.Type), s(d.Sentence), s(d.Source)
			d.Examples = redactStrings(s, d.Examples)
		}
	}
	return out
}
