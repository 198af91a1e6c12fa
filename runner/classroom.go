package runner

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/rostercheck/rostercheck/reports"
	"github.com/rostercheck/rostercheck/suites"
)

// consumerLatency is the consumer's latency table for results.json (nil
// when no check kept one).
func consumerLatency(env *suites.Env, red func(string) string) *reports.ConsumerLatency {
	rows := env.Latency.Rows()
	if len(rows) == 0 {
		return nil
	}
	out := &reports.ConsumerLatency{Consumer: env.Latency.Consumer,
		Note: "consumerMs is what the consumer's own report prints (Google Classroom: response.elapsed.microseconds / 1000, whole seconds dropped); ms is the latency"}
	for _, r := range rows {
		out.Rows = append(out.Rows, reports.ConsumerLatencyRow{Test: r.Name, Check: r.Check, Method: r.Method, URL: red(r.URL), Status: r.Status,
			Ms: r.Millis(), ConsumerMs: r.ConsumerMillis()})
	}
	return out
}

// setupConsumers hands the checks the valued profile options of the run
// (google-classroom's teacher-email) and, when google-classroom is
// selected, a latency table like the one Classroom's own report prints.
func setupConsumers(sel *selection, env *suites.Env) {
	env.Values = map[string]string{}
	for _, p := range sel.profiles {
		for name, o := range p.Options {
			if o.Takes != "" && o.Value != "" {
				env.Values[p.Name+"."+name] = o.Value
			}
		}
		if p.Name == "google-classroom" {
			env.Latency = &suites.ConsumerLatency{Consumer: "Google Classroom"}
		}
	}
}

// printConsumerLatency prints the latency_report table of Google
// Classroom's notebook for the requests its checks sent, each with its
// true latency and the figure Classroom's report would print
// (response.elapsed.microseconds / 1000, which drops whole seconds).
func printConsumerLatency(w io.Writer, env *suites.Env, quiet bool) {
	rows := env.Latency.Rows()
	if quiet || len(rows) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s latency report (%d requests; Classroom's own figure drops whole seconds):\n", env.Latency.Consumer, len(rows))
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  TEST\tREQUEST\tSTATUS\tLATENCY (ms)\tCLASSROOM WOULD PRINT (ms)\t")
	var total float64
	for _, r := range rows {
		total += r.Millis()
		fmt.Fprintf(tw, "  %s\t%s %s\t%d\t%.1f\t%.1f\t\n", r.Name, r.Method, shortURL(r.URL), r.Status, r.Millis(), r.ConsumerMillis())
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "  mean %.1f ms over %d requests (Google sets no threshold)\n", total/float64(len(rows)), len(rows))
}

// shortURL is a URL's path and query under the shared root.
func shortURL(u string) string {
	if i := strings.Index(u, "/ims/oneroster"); i >= 0 {
		u = u[i+len("/ims/oneroster"):]
	}
	if len(u) > 90 {
		u = u[:90] + "…"
	}
	return u
}
