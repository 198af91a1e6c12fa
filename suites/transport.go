package suites

// ruleConnectionDropped is the finding of a request the provider closed
// without an answer, twice (or once, after a request of the same shape
// was dropped twice): the store retries a reset once, as a restart, and
// never again for that shape. Recorder.Add gives this rule to every
// violation whose evidence is such an exchange, on the check that sent it.
const ruleConnectionDropped = "transport.connection-dropped"

func init() {
	RegisterRules(Rule{ruleConnectionDropped, MUST, "the provider closed the connection without an answer",
		"RFC 9112 §9.6 (a server closing a connection sends a response first) and §9.3.1 (retrying requests); OneRoster 1.1 REST binding: every request is answered with a status code",
		"answer every request, with an imsx error status if it cannot be served; never close the connection mid-request"})
}
