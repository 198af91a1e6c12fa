package runner

import "testing"

// --base-url may be the 1.1 root, a 1.2 service root or the shared root;
// the others derive from it. Any other URL is a 1.1 root alone.
func TestSplitRoots(t *testing.T) {
	want12 := map[string]string{
		"/rostering/v1p2": "https://sis.example/ims/oneroster/rostering/v1p2",
		"/gradebook/v1p2": "https://sis.example/ims/oneroster/gradebook/v1p2",
		"/resources/v1p2": "https://sis.example/ims/oneroster/resources/v1p2",
	}
	for _, base := range []string{
		"https://sis.example/ims/oneroster/v1p1", "https://sis.example/ims/oneroster/v1p1/",
		"https://sis.example/ims/oneroster", "https://sis.example/ims/oneroster/rostering/v1p2",
		"https://sis.example/ims/oneroster/resources/v1p2/",
	} {
		v1p1, roots, ok := splitRoots(base)
		if !ok || v1p1 != "https://sis.example/ims/oneroster/v1p1" || len(roots) != len(want12) {
			t.Errorf("%s: %q %v %v", base, v1p1, roots, ok)
			continue
		}
		for k, v := range want12 {
			if roots[k] != v {
				t.Errorf("%s: root %s = %q, want %q", base, k, roots[k], v)
			}
		}
	}
	for _, base := range []string{"https://sis.example/api", "https://sis.example/ims/oneroster/lti/v1p2"} {
		if v1p1, roots, ok := splitRoots(base); ok || v1p1 != base || roots != nil {
			t.Errorf("%s: %q %v %v, want the URL as a 1.1 root alone", base, v1p1, roots, ok)
		}
	}
}
