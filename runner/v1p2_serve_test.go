package runner_test

import (
	"testing"

	"github.com/rostercheck/rostercheck/fixtures/provider/v1p2"
	"github.com/rostercheck/rostercheck/runner"
)

// TestServeAcceptsV1p2Defects: serve switches a 1.2 defect on; run, whose
// harness has no 1.2 checks yet, refuses it like any unknown name.
func TestServeAcceptsV1p2Defects(t *testing.T) {
	for _, d := range v1p2.Defects {
		if _, err := runner.Load("serve", []string{"--defect", d}, env(nil), files(nil)); err != nil {
			t.Errorf("serve --defect %s: %v", d, err)
		}
		if _, err := runner.Load("run", []string{"--defect", d}, env(nil), files(nil)); err == nil {
			t.Errorf("run --defect %s was accepted", d)
		}
	}
}
