package runner

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/rostercheck/rostercheck/internal/client"
	"github.com/rostercheck/rostercheck/reports"
	"github.com/rostercheck/rostercheck/suites"
)

// Write options: ids pinned for the write checks, and the commands the
// cleanup subcommand shares with run.
func init() {
	pin := func(name, usage string, p func(c *Config) *string) option {
		return option{name: name, usage: usage, cmds: "run", set: str(p)}
	}
	options = append(options,
		pin("write-class", "class the write checks write grades for (default: one with students from the walked data)", func(c *Config) *string { return &c.Pins.Class }),
		pin("write-student", "student of --write-class the write checks score (default: one from the walked data)", func(c *Config) *string { return &c.Pins.Student }),
		pin("write-category", "category the write checks' lineItems use (default: one from /categories)", func(c *Config) *string { return &c.Pins.Category }),
		pin("write-grading-period", "grading period the write checks' lineItems use (default: one from /gradingPeriods)", func(c *Config) *string { return &c.Pins.GradingPeriod }),
	)
	shared := map[string]bool{"base-url": true, "token-url": true, "auth": true, "client-id": true, "client-secret": true,
		"username": true, "password": true, "token": true, "scope": true, "oauth1-method": true, "request-timeout": true, "from": true}
	for i := range options {
		if shared[options[i].name] {
			options[i].cmds += " cleanup"
		}
		if options[i].name == "allow-writes" {
			options[i].cmds += " list" // list shows the write checks only with it, as run runs them
		}
	}
}

// setupWrites gives the write checks their tracker and pinned ids. Without
// --allow-writes there is no tracker: a write check that ran anyway would
// refuse to send anything.
func setupWrites(cfg *Config, env *suites.Env) {
	env.Pins = cfg.Pins
	if cfg.AllowWrites {
		env.Tracker = &suites.Tracker{}
	}
}

func leftovers(ls []suites.Leftover) []reports.Leftover {
	var out []reports.Leftover
	for _, l := range ls {
		out = append(out, reports.Leftover{Collection: l.Collection, ID: l.ID, Path: l.Path(), CheckID: l.CheckID, Reason: l.Reason})
	}
	return out
}

// printLeftovers lists on the console what the harness wrote and could not
// delete, and how to remove it.
func printLeftovers(w io.Writer, cfg *Config, run *reports.Run) {
	if len(run.Leftovers) == 0 {
		return
	}
	fmt.Fprintf(w, "%d object(s) written by the write checks could not be deleted:\n", len(run.Leftovers))
	for _, l := range run.Leftovers {
		fmt.Fprintf(w, "LEFTOVER %s %s (%s): %s\n", l.Collection, l.ID, l.CheckID, l.Reason)
	}
	from := "results.json"
	if cfg.Out != "none" {
		from = filepath.Join(cfg.Out, "results.json")
	}
	fmt.Fprintf(w, "remove them with: rostercheck cleanup --from %s (same target and credentials)\n", from)
}

// Cleanup executes `rostercheck cleanup`: it deletes the leftovers a run
// listed in its results.json, and verifies each is gone.
func Cleanup(ctx context.Context, cfg *Config, stdout, stderr io.Writer) int {
	if cfg.From == "" {
		fmt.Fprintf(stderr, "rostercheck cleanup: needs --from results.json\n")
		return ExitUsage
	}
	f, err := os.Open(cfg.From)
	if err != nil {
		fmt.Fprintf(stderr, "rostercheck cleanup: %v\n", err)
		return ExitUsage
	}
	run, err := reports.ReadJSON(f)
	f.Close()
	if err != nil {
		fmt.Fprintf(stderr, "rostercheck cleanup: %s: %v\n", cfg.From, err)
		return ExitUsage
	}
	if len(run.Leftovers) == 0 {
		fmt.Fprintf(stdout, "%s lists no leftover objects: nothing to delete\n", cfg.From)
		return ExitPass
	}
	t := &target{baseURL: cfg.BaseURL, tokenURL: cfg.TokenURL, clientID: cfg.ClientID, secret: cfg.ClientSecret}
	if t.baseURL == "" {
		if run.Target.Builtin {
			fmt.Fprintf(stderr, "rostercheck cleanup: %s tested the built-in provider, which ended with that run; give --base-url\n", cfg.From)
			return ExitUsage
		}
		t.baseURL = run.Target.BaseURL
	}
	if t.tokenURL == "" {
		t.tokenURL = run.Target.TokenURL
	}
	if err := checkURL("--base-url", t.baseURL); err != nil {
		fmt.Fprintf(stderr, "rostercheck cleanup: %v\n", err)
		return ExitUsage
	}
	red := reports.NewRedactor()
	red.Add(t.secret, cfg.Password, cfg.Token)
	red.AddBasicPair(t.clientID, t.secret)
	out := console{stdout, red, func() {}}
	hc := &http.Client{Timeout: cfg.RequestTimeout, Transport: userAgent{"rostercheck/" + Version(), http.DefaultTransport},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	auth, err := authFor(cfg, t, hc)
	if err != nil {
		fmt.Fprintf(stderr, "rostercheck cleanup: %v\n", err)
		return ExitUsage
	}
	store, err := client.New(client.Config{Concurrency: 1, RequestTimeout: cfg.RequestTimeout, MaxBody: 4 << 20,
		UserAgent: "rostercheck/" + Version(), Auth: auth, Origin: originOf(t.baseURL)})
	if err != nil {
		fmt.Fprintf(stderr, "rostercheck cleanup: %v\n", err)
		return ExitUsage
	}
	failed := 0
	v1p1, roots, _ := splitRoots(t.baseURL)
	for _, l := range run.Leftovers {
		base := strings.TrimRight(t.baseURL, "/")
		switch l.Collection {
		case "categories", "lineItems", "results":
			if roots != nil {
				base = v1p1
			}
		case "gradebook/v1p2/categories", "gradebook/v1p2/lineItems", "gradebook/v1p2/results", "gradebook/v1p2/scoreScales",
			"gradebook/v1p2/assessmentLineItems", "gradebook/v1p2/assessmentResults":
			if roots == nil {
				failed++
				fmt.Fprintf(out, "SKIPPED %s %s: --base-url %s is no root a 1.2 service root can be derived from\n", l.Collection, l.ID, t.baseURL)
				continue
			}
			base = strings.TrimSuffix(roots["/gradebook/v1p2"], "/gradebook/v1p2")
		default: // only what the write checks create is ever deleted
			failed++
			fmt.Fprintf(out, "SKIPPED %s %s: not a collection the write checks write\n", l.Collection, l.ID)
			continue
		}
		path := suites.Leftover{Collection: l.Collection, ID: l.ID}.Path()
		if ok, why := suites.DeleteAndVerify(ctx, store, base, "cleanup", path); ok {
			fmt.Fprintf(out, "deleted %s %s\n", l.Collection, l.ID)
		} else {
			failed++
			fmt.Fprintf(out, "LEFTOVER %s %s: %s\n", l.Collection, l.ID, why)
		}
	}
	if failed > 0 {
		fmt.Fprintf(out, "%d of %d object(s) still could not be deleted\n", failed, len(run.Leftovers))
		return ExitFail
	}
	fmt.Fprintf(out, "all %d object(s) deleted\n", len(run.Leftovers))
	return ExitPass
}
