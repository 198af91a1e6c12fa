package suites

import (
	"net/http"
	"testing"

	"github.com/rostercheck/rostercheck/internal/client"
	"github.com/rostercheck/rostercheck/suites/catalogue"
)

// TestRefusalV1p2 judges one 1.2 refusal both ways: the imsx_StatusInfo
// with the declared codeMinor passes; 1.1's statusInfoSet, a 422 and a
// codeMinor other than the declared one do not, each under its rule. On a
// gradebook read (reading bad-request-filter-too: its 400 names only
// invalid_selection_field) the other codeMinor is the SHOULD rule, on a
// rostering read the MUST one.
func TestRefusalV1p2(t *testing.T) {
	info := func(minor string) []byte {
		return []byte(`{"imsx_codeMajor":"failure","imsx_severity":"error","imsx_CodeMinor":{"imsx_codeMinorField":[{"imsx_codeMinorFieldName":"TargetEndSystem","imsx_codeMinorFieldValue":"` + minor + `"}]}}`)
	}
	rostering := catalogue.Endpoint{Area: "rostering", Spec: "1.2", Op: "getAllUsers"}
	gradebook := catalogue.Endpoint{Area: "gradebook", Spec: "1.2", Op: "getAllLineItems"}
	if !readingCovers("bad-request-filter-too", gradebook.Op) || readingCovers("bad-request-filter-too", rostering.Op) {
		t.Fatal("the reading bad-request-filter-too no longer lists getAllLineItems alone of the two")
	}
	for _, c := range []struct {
		name   string
		ep     catalogue.Endpoint
		status int
		body   []byte
		want   map[string]bool
	}{
		{"declared", rostering, 400, info("invalid_filter_field"), map[string]bool{}},
		{"declared-gradebook", gradebook, 400, info("invalid_filter_field"), map[string]bool{}},
		{"1.1 shape", rostering, 400, []byte(`{"statusInfoSet":[{"imsx_codeMajor":"failure","imsx_severity":"error","imsx_codeMinor":"invalid_filter_field"}]}`),
			map[string]bool{ruleV1p2QueryStatusInfo: true}},
		{"422", rostering, 422, info("invalid_filter_field"), map[string]bool{ruleV1p2QueryStatus: true}},
		{"other code, rostering", rostering, 400, info("invalid_selection_field"), map[string]bool{ruleV1p2QueryStatusInfo: true}},
		{"other code, gradebook", gradebook, 400, info("invalid_selection_field"), map[string]bool{ruleV1p2FilterCodeReading: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := &Env{BaseURL: "https://sis.example/ims/oneroster"}
			r := newRecorder(e, Check{ID: "t", Rule: ruleV1p2FilterUnknown})
			ex := &client.Exchange{Status: c.status, ResponseHeader: http.Header{"Content-Type": {"application/json"}}, Body: c.body}
			queryVersions[SpecV1p2].refusal(e, r, c.ep, ex, refusal{request: "GET /x?filter=nope='x'", want: "invalid_filter_field", reading: "bad-request-filter-too"})
			if r.errMsg != "" {
				t.Fatal(r.errMsg)
			}
			// Exactly the wanted rules, each at least once.
			for rule := range c.want {
				if r.res.RuleCounts[rule] == 0 {
					t.Errorf("no %s violation (all: %v)", rule, r.res.RuleCounts)
				}
			}
			for rule := range r.res.RuleCounts {
				if _, ok := c.want[rule]; !ok {
					t.Errorf("unexpected %s violation: %v", rule, r.res.Violations)
				}
			}
		})
	}
}
