// Package runner is rostercheck's orchestration: configuration, target,
// the in-process Ginkgo run, the mapping into the report model and the
// exit codes. It makes no assertions of its own.
package runner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/rostercheck/rostercheck/fixtures/defects"
	"github.com/rostercheck/rostercheck/reports"
	"github.com/rostercheck/rostercheck/suites"
)

// version is set with -ldflags "-X github.com/rostercheck/rostercheck/runner.version=v1.2.3".
var version = ""

// Version returns the harness version: the one stamped with -ldflags
// (make build does), else the module version (go install …@v1.2.3), else
// the VCS revision the binary was built from, else "dev".
func Version() string {
	bi, _ := debug.ReadBuildInfo()
	return versionFrom(version, bi)
}

func versionFrom(stamped string, bi *debug.BuildInfo) string {
	if stamped != "" {
		return stamped
	}
	if bi == nil {
		return "dev"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "devel+" + rev
}

// CatalogueHash identifies the check catalogue: IDs, levels and features.
func CatalogueHash() string {
	h := sha256.New()
	for _, c := range suites.Catalogue() {
		fmt.Fprintf(h, "%s|%s|%s\n", c.ID, c.Level, strings.Join(c.Features, ","))
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

const usage = `rostercheck: OneRoster 1.1 conformance checks for SIS providers

usage:
  rostercheck run     [--base-url URL --token-url URL --client-id ID] [--profile P[,P]] [--out DIR] [flags]
  rostercheck serve   [--addr 127.0.0.1:8642] [--client-id ID --client-secret S] [--size S] [--seed N] [--defect NAME]
  rostercheck list    [--profile P[,P]]
  rostercheck report  --from results.json [--out DIR]
  rostercheck cleanup --from results.json [--base-url URL --token-url URL --client-id ID]
  rostercheck version

Without --base-url, run tests the built-in reference provider.
Every flag can also be set as $ROSTERCHECK_<FLAG> (e.g. $ROSTERCHECK_CLIENT_SECRET)
or as a key of the YAML file given with --config. 'rostercheck CMD -h' lists a command's flags.

exit codes: 0 all checks passed, 1 conformance failure, 2 usage or config error,
            3 target unreachable or credentials rejected
`

// Main runs the CLI and returns the process exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return ExitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return ExitPass
	case "version", "--version":
		fmt.Fprintf(stdout, "rostercheck %s\nspec: OneRoster 1.1 (ims/oneroster/v1p1)\ncheck catalogue: %d checks, hash %s\n", Version(), len(suites.Catalogue()), CatalogueHash())
		return ExitPass
	case "run", "serve", "list", "report", "cleanup":
	default:
		fmt.Fprintf(stderr, "rostercheck: unknown command %q (run, serve, list, report, cleanup, version)\n", cmd)
		return ExitUsage
	}
	cfg, err := Load(cmd, rest, os.LookupEnv, os.ReadFile)
	if errors.Is(err, flag.ErrHelp) {
		printFlags(stdout, cmd)
		return ExitPass
	}
	if err != nil {
		fmt.Fprintf(stderr, "rostercheck %s: %v\n", cmd, err)
		return ExitUsage
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(stderr, "rostercheck: %s\n", w)
	}
	switch cmd {
	case "run":
		return Run(ctx, cfg, stdout, stderr)
	case "serve":
		return Serve(ctx, cfg, stdout, stderr)
	case "list":
		return List(cfg, stdout, stderr)
	case "cleanup":
		return Cleanup(ctx, cfg, stdout, stderr)
	default:
		return Report(cfg, stdout, stderr)
	}
}

func printFlags(w io.Writer, cmd string) {
	fmt.Fprintf(w, "rostercheck %s flags (each also $ROSTERCHECK_<NAME> and a --config YAML key):\n", cmd)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, o := range options {
		if !strings.Contains(" "+o.cmds+" ", " "+cmd+" ") {
			continue
		}
		def := ""
		if o.def != "" && !o.bool {
			def = " (default " + o.def + ")"
		}
		fmt.Fprintf(tw, "  --%s\t%s%s\n", o.name, o.usage, def)
	}
	fmt.Fprintf(tw, "  --config\tYAML configuration file\n")
	_ = tw.Flush()
}

// List prints what a run would do: each selected profile with its source,
// every check with its tier in each profile and the sentence it enforces,
// and every rule with its level in each profile.
func List(cfg *Config, stdout, stderr io.Writer) int {
	sel, err := selectChecks(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "rostercheck list: %v\n", err)
		return ExitUsage
	}
	for _, p := range sel.profiles {
		fmt.Fprintf(stdout, "profile %s: %s\n  source:   %s\n  services: %s; auth: %s\n", p.Name, p.Title, p.Source, strings.Join(p.Services, ", "), strings.Join(p.Auth, ", "))
		for _, name := range slices.Sorted(maps.Keys(p.Options)) {
			o := p.Options[name]
			if o.Takes != "" {
				state := "unset"
				if o.Value != "" {
					state = o.Value
				}
				fmt.Fprintf(stdout, "  option:   %s.%s=<%s> (%s) %s\n", p.Name, name, o.Takes, state, o.About)
				continue
			}
			fmt.Fprintf(stdout, "  option:   %s.%s (%s) %s\n", p.Name, name, onOff(o.On), o.About)
		}
	}
	fmt.Fprintln(stdout)
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "CHECK\tLEVEL\tPROFILES\tOPERATION\tSCOPES\tTITLE\tSOURCE\n")
	for _, c := range append(append([]suites.Check(nil), sel.checks...), sel.notRun...) {
		var ps []string
		for name, t := range sel.tiers[c.ID] {
			tier := "required"
			if t == suites.TierOptional {
				tier = "optional"
			}
			ps = append(ps, name+":"+tier)
		}
		sort.Strings(ps)
		title := c.Title
		if why := sel.why[c.ID]; why != "" {
			title += " (not run: " + why + ")"
		}
		ops, scopes := suites.OperationsOf(c)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Level, strings.Join(ps, ","), orDash(strings.Join(ops, ",")), orDash(strings.Join(scopes, ",")), title, c.Source)
	}
	_ = tw.Flush()
	fmt.Fprintf(stdout, "%d checks\n\n", len(sel.checks)+len(sel.notRun))

	tw = tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "RULE\tSPEC")
	for _, p := range sel.profiles {
		fmt.Fprintf(tw, "\t%s", p.Name)
	}
	fmt.Fprintf(tw, "\tWHAT\tSOURCE\n")
	for _, r := range suites.Rules() {
		fmt.Fprintf(tw, "%s\t%s", r.ID, r.Level)
		for _, p := range sel.profiles {
			fmt.Fprintf(tw, "\t%s", p.LevelOf(r.ID))
		}
		fmt.Fprintf(tw, "\t%s\t%s\n", r.Title, r.Source)
	}
	_ = tw.Flush()
	fmt.Fprintf(stdout, "%d rules (a profile's level decides: MUST fails it, SHOULD is advisory, ignore passes)\n", len(suites.Rules()))
	return ExitPass
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// Report re-renders the reports from a results.json.
func Report(cfg *Config, stdout, stderr io.Writer) int {
	f, err := os.Open(cfg.From)
	if err != nil {
		fmt.Fprintf(stderr, "rostercheck report: %v\n", err)
		return ExitUsage
	}
	defer f.Close()
	run, err := reports.ReadJSON(f)
	if err != nil {
		fmt.Fprintf(stderr, "rostercheck report: %s: %v\n", cfg.From, err)
		return ExitUsage
	}
	if err := reports.WriteAll(cfg.Out, run, reports.NewRedactor()); err != nil {
		fmt.Fprintf(stderr, "rostercheck report: %v\n", err)
		return ExitFail
	}
	fmt.Fprintf(stdout, "reports: %s\n", reportsLine(cfg.Out))
	return ExitPass
}

// Serve runs the reference provider until interrupted.
func Serve(ctx context.Context, cfg *Config, stdout, stderr io.Writer) int {
	if cfg.ListDefects {
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		for _, d := range defects.Catalogue {
			fmt.Fprintf(tw, "%s\t%s\tfails: %s\n", d.Name, d.Description, strings.Join(d.ExpectFail, ", "))
		}
		_ = tw.Flush()
		return ExitPass
	}
	id, secret, generated := cfg.ClientID, cfg.ClientSecret, false
	if id == "" {
		id = "rostercheck-demo"
	}
	if secret == "" {
		secret, generated = randomSecret(), true
	}
	if path := os.Getenv(memProfileEnv); path != "" {
		defer watchHeap(path)()
	}
	serveMemoryLimit()
	srv, err := startProvider(cfg.Addr, cfg.Size, cfg.Seed, cfg.Defect, id, secret, nil)
	if err != nil {
		fmt.Fprintf(stderr, "rostercheck serve: %v\n", err)
		return ExitUsage
	}
	defer srv.close()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(stdout, "OneRoster 1.1 and 1.2 reference provider (district %s, seed %d)\n", cfg.Size, cfg.Seed)
	if cfg.Defect != "" {
		fmt.Fprintf(stdout, "defect:        %s\n", cfg.Defect)
	}
	fmt.Fprintf(stdout, "base URL:      %s/ims/oneroster/v1p1\n", srv.base)
	fmt.Fprintf(stdout, "1.2 roots:     %s/ims/oneroster/rostering/v1p2 %s/ims/oneroster/gradebook/v1p2 %s/ims/oneroster/resources/v1p2\n", srv.base, srv.base, srv.base)
	fmt.Fprintf(stdout, "token URL:     %s/oauth/token\n", srv.base)
	fmt.Fprintf(stdout, "client id:     %s\n", id)
	if generated {
		fmt.Fprintf(stdout, "client secret: %s\n", secret)
	} else {
		fmt.Fprintf(stdout, "client secret: (as given)\n")
	}
	fmt.Fprintf(stdout, "auth:          OAuth 2 client_credentials (Basic or body), OAuth 1.0a HMAC-SHA1/HMAC-SHA256\n")
	select {
	case <-ctx.Done():
		return ExitPass
	case err := <-srv.done:
		fmt.Fprintf(stderr, "rostercheck serve: %v\n", err)
		return ExitFail
	}
}

// orDash is s, or "-" for an empty column.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
