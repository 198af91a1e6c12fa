package reports

import (
	"fmt"
	"sort"
	"strings"
)

// The run's configuration is typed in results.json: strings, numbers,
// booleans and lists of strings. These helpers read it whichever way it
// was decoded (a results.json written before the values were typed holds
// only strings).

// ConfigString returns a config value as text; a list is joined with ",".
func ConfigString(m map[string]any, key string) string {
	switch v := m[key].(type) {
	case nil:
		return ""
	case string:
		return v
	case []string:
		return strings.Join(v, ",")
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = fmt.Sprint(x)
		}
		return strings.Join(parts, ",")
	default:
		return fmt.Sprint(v)
	}
}

// ConfigBool reports whether a config value is true (a boolean or "true").
func ConfigBool(m map[string]any, key string) bool {
	switch v := m[key].(type) {
	case bool:
		return v
	case string:
		return v == "true"
	}
	return false
}

// configKV lists the config for display, lists joined with ", ".
func configKV(m map[string]any) []kv {
	out := make([]kv, 0, len(m))
	for k := range m {
		out = append(out, kv{k, strings.ReplaceAll(ConfigString(m, k), ",", ", ")})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].K < out[j].K })
	return out
}

// redactConfig redacts every string in the config, in lists too.
func redactConfig(s func(string) string, in map[string]any) map[string]any {
	if in == nil {
		return nil
	}
	out := make(map[string]any, len(in))
	for k, v := range in {
		switch x := v.(type) {
		case string:
			out[s(k)] = s(x)
		case []string:
			out[s(k)] = redactStrings(s, x)
		case []any:
			c := make([]any, len(x))
			for i, e := range x {
				if es, ok := e.(string); ok {
					c[i] = s(es)
				} else {
					c[i] = e
				}
			}
			out[s(k)] = c
		case bool, int, int64, float64, nil:
			out[s(k)] = x
		default:
			out[s(k)] = s(fmt.Sprint(x))
		}
	}
	return out
}

// normalizeConfig gives decoded JSON config values their Go types back:
// whole numbers as int, lists of strings as []string.
func normalizeConfig(m map[string]any) {
	for k, v := range m {
		switch x := v.(type) {
		case float64:
			if x == float64(int(x)) {
				m[k] = int(x)
			}
		case []any:
			ss := make([]string, 0, len(x))
			for _, e := range x {
				s, ok := e.(string)
				if !ok {
					ss = nil
					break
				}
				ss = append(ss, s)
			}
			if ss != nil || len(x) == 0 {
				m[k] = ss
			}
		}
	}
}
