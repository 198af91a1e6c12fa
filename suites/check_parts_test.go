package suites

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/rostercheck/rostercheck/internal/client"
)

// Parts run at once and merged report exactly what the same parts report
// run one after another: the violations kept (under the cap) and their
// order, the counts (the uncounted too), the evidence kept (under its cap,
// shared exchanges once), the first error and the first not-supported.
func TestEachPartReportsAsPartsInOrder(t *testing.T) {
	env := &Env{MaxViolations: 7, Evidence: 8}
	shared := &client.Exchange{ID: 1, URL: "http://x/shared", Body: []byte("0123456789abcdef")}
	part := func(i int, r *Recorder) {
		r.Evidence(shared)
		for j := range 3 + i {
			ex := &client.Exchange{ID: uint64(100*i + j + 2), URL: fmt.Sprintf("http://x/%d/%d", i, j), Body: []byte("0123456789abcdef")}
			if j%2 == 0 {
				r.AddRule(ruleFilterWrong, ex, "part %d finding %d", i, j)
			} else {
				r.Evidence(ex)
			}
		}
		r.Uncounted(ruleFilterDelta, i)
		if i == 2 {
			r.Errorf("part %d broke", i)
		}
		if i >= 1 {
			r.NotSupported(fmt.Sprintf("part %d had nothing", i))
		}
	}
	const n = 5
	seq := newRecorder(env, Check{ID: "x", Rule: ruleFilterWrong})
	for i := range n {
		part(i, seq)
	}
	par := newRecorder(env, Check{ID: "x", Rule: ruleFilterWrong})
	eachPart(context.Background(), par, n, 3, part)
	if !reflect.DeepEqual(seq.res, par.res) || seq.errMsg != par.errMsg || seq.notSupported != par.notSupported {
		t.Fatalf("merged parts differ from parts in order:\nseq %+v %q %q\npar %+v %q %q", seq.res, seq.errMsg, seq.notSupported, par.res, par.errMsg, par.notSupported)
	}
	if len(par.res.Violations) != 7 || par.res.ViolationsTotal <= 7 || par.errMsg != "part 2 broke" {
		t.Fatalf("the test's parts did not reach the caps: %d kept of %d, error %q", len(par.res.Violations), par.res.ViolationsTotal, par.errMsg)
	}
}
