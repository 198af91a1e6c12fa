package runner_test

import (
	"testing"

	"github.com/rostercheck/rostercheck/fixtures/defects"
	"github.com/rostercheck/rostercheck/fixtures/provider/v1p2"
	"github.com/rostercheck/rostercheck/runner"
)

// TestServeAcceptsV1p2Defects: serve switches any 1.2 defect on; run
// accepts those of the defects catalogue (the ones its 1.2 checks catch)
// and refuses the others like any unknown name.
func TestServeAcceptsV1p2Defects(t *testing.T) {
	for _, d := range v1p2.Defects {
		if _, err := runner.Load("serve", []string{"--defect", d}, env(nil), files(nil)); err != nil {
			t.Errorf("serve --defect %s: %v", d, err)
		}
		_, catalogued := defects.Lookup(d)
		if _, err := runner.Load("run", []string{"--defect", d}, env(nil), files(nil)); (err == nil) != catalogued {
			t.Errorf("run --defect %s: error %v, catalogued %v", d, err, catalogued)
		}
	}
}
