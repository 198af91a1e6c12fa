package reports

// ConsumerLatency is the latency table a consumer's own test report
// prints, for the requests the harness sent on its behalf: each with its
// true latency and the figure the consumer's report would show.
type ConsumerLatency struct {
	Consumer string               `json:"consumer"`
	Note     string               `json:"note,omitempty"`
	Rows     []ConsumerLatencyRow `json:"rows"`
}

// ConsumerLatencyRow is one request of the table.
type ConsumerLatencyRow struct {
	Test       string  `json:"test"`
	Check      string  `json:"check"`
	Method     string  `json:"method"`
	URL        string  `json:"url"`
	Status     int     `json:"status"`
	Ms         float64 `json:"ms"`
	ConsumerMs float64 `json:"consumerMs"`
}
