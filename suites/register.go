package suites

import (
	. "github.com/onsi/ginkgo/v2" //nolint:revive // the Ginkgo DSL reads best dot-imported
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"
)

// CheckLabel is the Ginkgo label carrying a check's ID.
func CheckLabel(id string) string { return "check:" + id }

// Register builds the Ginkgo spec tree from data: one It per check, in the
// given order (each spec gets its own code location so Ginkgo keeps table
// order instead of sorting by text). It must be called before RunSpecs.
// Checks never depend on each other; shared page walks are read-only and
// prefetched in BeforeSuite, which never fails and also starts the read
// checks in the background (Schedule): their Its wait for the results.
//
// Specs carry no timeout of their own: every request has --request-timeout
// and the run has --timeout, and a spec waiting for a long shared walk
// (1M enrollments) is not late.
//
// fails says whether the selected profiles judge a result a failure: only
// then does the spec fail (an advisory or an ignored finding passes).
func Register(env *Env, checks []Check, fails func(Check, *Result) bool) {
	gomega.RegisterFailHandler(Fail)
	Describe("OneRoster", func() {
		for i, c := range checks {
			c := c
			It(c.Title, Label(CheckLabel(c.ID)), types.CodeLocation{FileName: "checks", LineNumber: i + 1},
				func(ctx SpecContext) {
					res := env.Execute(ctx, c)
					AddReportEntry("check", c.ID, ReportEntryVisibilityNever)
					if res.Outcome == OutcomeNotSupported {
						Skip("not supported: " + res.Message)
					}
					// One assertion per check, listing every violation.
					if res.Outcome == OutcomeError || fails(c, res) {
						gomega.Expect(res.Outcome).To(gomega.Equal(OutcomePass), res.Format())
					}
				})
		}
	})
	BeforeSuite(func(ctx SpecContext) {
		env.Prefetch(env.runCtx(ctx), checks)
		env.Schedule(env.runCtx(ctx), checks)
	})
}
