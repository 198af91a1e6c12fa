package runner_test

import "github.com/rostercheck/rostercheck/schemas"

// oracleEnv is the environment of the self-test's runs: every record is
// validated by the compiled validator and by the reference validator, and a
// disagreement is a harness error, which fails the self-test (a check in
// error, or a check failing that the defect does not declare). This is how
// the self-test shows the compiled validator reports exactly what the
// reference reports on every defect. It costs about 3% of a run.
var oracleEnv = []string{schemas.OracleEnv + "=1"}
