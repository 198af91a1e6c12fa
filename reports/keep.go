package reports

import (
	"html/template"
	"slices"
)

// Keep registers the user's own text (the output folder, the base URL, the
// client id): where it occurs whole it is never rewritten, even when a
// secret is a word of it (the secret "wrong" and the folder
// "/tmp/wrongsecret"). A value that is itself a secret form is ignored.
func (r *Redactor) Keep(values ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	grew := false
	for _, v := range values {
		if len(v) >= minSecretLen && !slices.Contains(r.keep, v) {
			r.keep = append(r.keep, v)
			grew = true
		}
	}
	if grew && (len(r.secrets) > 0 || len(r.pairs) > 0) {
		r.rebuild()
	}
}

// addKeep adds the kept values as the writers escape them, except those
// equal to a secret form. m may be nil (no secrets: nothing to keep from).
func (m *matcher) addKeep(values, secretForms []string) {
	if m == nil {
		return
	}
	secret := map[string]bool{}
	for _, f := range secretForms {
		secret[f] = true
	}
	seen := map[string]bool{}
	for _, v := range values {
		for _, f := range []string{v, jsonEscape(v, true), jsonEscape(v, false), htmlTemplateEscape(v), template.HTMLEscapeString(v), xmlEscape(v)} {
			if len(f) < minSecretLen || seen[f] || secret[f] {
				continue
			}
			seen[f] = true
			m.keep[f[0]] = append(m.keep[f[0]], f)
			m.maxLen = max(m.maxLen, len(f))
		}
	}
	for i := range m.keep {
		slices.SortStableFunc(m.keep[i], func(a, b string) int { return len(b) - len(a) })
	}
}

// keepAt returns the end of the longest kept text at src[i], or -1.
func (m *matcher) keepAt(src []byte, i int) int {
	for _, f := range m.keep[src[i]] {
		if len(src)-i >= len(f) && string(src[i:i+len(f)]) == f {
			return i + len(f)
		}
	}
	return -1
}
