package suites

import (
	"encoding/json"
	"fmt"
	"strings"
)

// queryColumns are the fields whose values a full walk keeps for every
// record, per entity: the query checks build their predicates from these
// values and decide with them which records of the walk a filter must
// return. A dot path reads a GUIDRef member ("class.sourcedId"); on a
// GUIDRef array ("orgs.sourcedId") it reads every element. sourcedId is the
// row's ID and not a column.
var queryColumns = map[string][]string{
	"academicSession": {"status", "dateLastModified", "title", "type", "schoolYear", "startDate", "endDate", "parent.sourcedId"},
	"org":             {"status", "dateLastModified", "name", "type", "identifier", "parent.sourcedId"},
	"course":          {"status", "dateLastModified", "title", "courseCode", "org.sourcedId", "schoolYear.sourcedId"},
	"class":           {"status", "dateLastModified", "title", "classCode", "classType", "school.sourcedId", "course.sourcedId", "terms.sourcedId"},
	"user":            {"status", "dateLastModified", "username", "givenName", "familyName", "role", "email", "enabledUser", "identifier", "orgs.sourcedId"},
	"enrollment":      {"status", "dateLastModified", "role", "primary", "class.sourcedId", "school.sourcedId", "user.sourcedId", "beginDate"},
	"demographics":    {"status", "dateLastModified", "sex", "birthDate"},
	"category":        {"status", "dateLastModified", "title"},
	"lineItem":        {"status", "dateLastModified", "title", "class.sourcedId", "assignDate", "resultValueMax"},
	"result":          {"status", "dateLastModified", "scoreStatus", "score", "lineItem.sourcedId", "student.sourcedId"},
	"resource":        {"status", "dateLastModified", "title", "vendorResourceId", "importance"},
}

// valueSep joins the values of one multi-valued column in a row.
const valueSep = "\x1f"

// col returns the index of a column, or -1.
func (c *Columns) col(name string) int {
	if c == nil {
		return -1
	}
	for i, n := range c.Names {
		if n == name {
			return i
		}
	}
	return -1
}

// has reports whether the walk kept a column.
func (c *Columns) has(name string) bool { return c.col(name) >= 0 }

// fieldValues reads the values at a field path of a JSON record: a
// top-level scalar, every element of a string array, or the member of a
// GUIDRef (every element's member on a GUIDRef array).
func fieldValues(m map[string]any, path string) []string {
	if path == "sourcedId" {
		if s, ok := m["sourcedId"].(string); ok {
			return []string{s}
		}
		return nil
	}
	head, member, dotted := strings.Cut(path, ".")
	v, ok := m[head]
	if !ok || v == nil {
		return nil
	}
	if dotted {
		switch x := v.(type) {
		case map[string]any:
			return scalar(x[member])
		case []any:
			var out []string
			for _, el := range x {
				if o, ok := el.(map[string]any); ok {
					out = append(out, scalar(o[member])...)
				}
			}
			return out
		}
		return nil
	}
	if arr, ok := v.([]any); ok {
		var out []string
		for _, el := range arr {
			out = append(out, scalar(el)...)
		}
		return out
	}
	return scalar(v)
}

func scalar(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case json.Number:
		return []string{x.String()}
	case float64:
		return []string{fmt.Sprint(x)}
	case bool:
		return []string{fmt.Sprint(x)}
	}
	return nil
}
