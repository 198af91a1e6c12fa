package reports

import (
	"net/url"
	"slices"
)

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

// consumerLatencyExplained is the one line the HTML report and summary.md
// print under the table: why the consumer's figure differs.
const consumerLatencyExplained = "Classroom's latency_report prints response.elapsed.microseconds / 1000: the microseconds field of a Python timedelta holds only the part below one second, so whole seconds are dropped (a 1.25 s request reads 250 ms). Google sets no threshold."

// Explained is the one-line explanation of the difference between the
// true latency and the consumer's figure (Google Classroom's is known;
// another consumer's table says it in its Note).
func (c *ConsumerLatency) Explained() string {
	if c == nil || c.Consumer != "Google Classroom" {
		if c != nil {
			return c.Note
		}
		return ""
	}
	return consumerLatencyExplained
}

// MeanMs is the mean true latency of the table's requests.
func (c *ConsumerLatency) MeanMs() float64 {
	if c == nil || len(c.Rows) == 0 {
		return 0
	}
	var total float64
	for _, r := range c.Rows {
		total += r.Ms
	}
	return total / float64(len(c.Rows))
}

// Understated counts the requests whose consumer figure is below the true
// latency by a whole second or more.
func (c *ConsumerLatency) Understated() int {
	n := 0
	if c == nil {
		return 0
	}
	for _, r := range c.Rows {
		if r.Understated() {
			n++
		}
	}
	return n
}

// Understated says the consumer's figure drops at least a whole second of
// this request's latency.
func (r ConsumerLatencyRow) Understated() bool { return r.Ms-r.ConsumerMs >= 999.5 }

// Path is the request's path and query, without scheme and host.
func (r ConsumerLatencyRow) Path() string {
	u, err := url.Parse(r.URL)
	if err != nil || u.Host == "" {
		return r.URL
	}
	p := u.EscapedPath()
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p
}

// redactConsumerLatency copies a consumer latency table with every string
// redacted.
func redactConsumerLatency(s func(string) string, in *ConsumerLatency) *ConsumerLatency {
	if in == nil {
		return nil
	}
	out := *in
	out.Consumer, out.Note = s(out.Consumer), s(out.Note)
	out.Rows = slices.Clone(in.Rows)
	for i := range out.Rows {
		r := &out.Rows[i]
		r.Test, r.Check, r.Method, r.URL = s(r.Test), s(r.Check), s(r.Method), s(r.URL)
	}
	return &out
}
