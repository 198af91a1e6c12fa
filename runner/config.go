package runner

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/rostercheck/rostercheck/fixtures/defects"
	"github.com/rostercheck/rostercheck/fixtures/district"
	"github.com/rostercheck/rostercheck/fixtures/provider/v1p2"
	"github.com/rostercheck/rostercheck/suites"
)

// Config is the one typed configuration of a command. It is built by Load,
// a pure function of the arguments, the environment and an optional YAML
// file (precedence: flag > env > file > default), and validated before any
// request is made.
type Config struct {
	Command string

	// Target and credentials.
	BaseURL string
	// ServiceURLs are the 1.2 service roots a provider serves apart from
	// the roots --base-url derives (--service-url rostering=URL,
	// repeatable), keyed by service.
	ServiceURLs  map[string]string
	TokenURL     string
	Auth         string // oauth2 | oauth2-password | oauth1 | bearer | none
	ClientID     string
	ClientSecret string
	Username     string
	Password     string
	Token        string
	Scopes       []string
	OAuth1Method string // HMAC-SHA1 | HMAC-SHA256

	// What to run.
	Profiles []string
	// Services the provider declares it implements (rostering, gradebook,
	// resources); the checks of the others are not run.
	Services    []string
	AllowWrites bool
	// Options switches profile options: "asm.federated" (on) or
	// "asm.federated=false".
	Options []string
	// Today is the date checks about "now" use; zero: the wall clock, or
	// the built-in district's reference date.
	Today     time.Time
	Checks    []string // check-ID patterns to focus on ('*' wildcard); empty = all
	Strict    bool
	Randomize bool
	OrderSeed int64

	// How.
	Concurrency    int
	PageSize       int
	Parents        int
	RequestTimeout time.Duration
	Timeout        time.Duration
	MaxBody        int64
	MaxRPS         float64
	Verbose        bool
	Quiet          bool

	// Output.
	Out  string // report directory; "none" writes nothing
	From string // report: results.json to re-render
	// Baseline is an earlier results.json to compare the run with.
	Baseline string

	// Built-in reference provider (run without --base-url, and serve).
	Size   string
	Seed   int64
	Defect string
	Addr   string
	Public bool
	// ListDefects makes serve print the defect catalogue.
	ListDefects bool

	ConfigFile string

	// Pins are ids the write checks use instead of discovering them.
	Pins suites.WritePins
	// Warnings are said on stderr before the command runs (a secret in the config file).
	Warnings []string
}

// option is one configurable setting, reachable as a flag, an environment
// variable and a YAML key.
type option struct {
	name  string // flag name and YAML key
	usage string
	def   string
	bool  bool
	// repeat: the flag may be given more than once; the values are joined
	// with commas, as a list in the config file is.
	repeat bool
	cmds   string // commands it applies to, space separated
	set    func(c *Config, v string) error
}

const envPrefix = "ROSTERCHECK_"

func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func str(p func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *p(c) = v; return nil }
}

func list(p func(*Config) *[]string) func(*Config, string) error {
	return func(c *Config, v string) error {
		var out []string
		for _, s := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
			out = append(out, s)
		}
		*p(c) = out
		return nil
	}
}

func integer(p func(*Config) *int, lo, hi int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("want a whole number from %d to %d, got %q", lo, hi, v)
		}
		*p(c) = n
		return nil
	}
}

func duration(p func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("want a positive duration such as 30s or 10m, got %q", v)
		}
		*p(c) = d
		return nil
	}
}

func boolean(p func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("want true or false, got %q", v)
		}
		*p(c) = b
		return nil
	}
}

func size(p func(*Config) *int64) func(*Config, string) error {
	return func(c *Config, v string) error {
		mult := int64(1)
		s := strings.ToUpper(strings.TrimSpace(v))
		for suf, m := range map[string]int64{"KIB": 1 << 10, "MIB": 1 << 20, "GIB": 1 << 30} {
			if strings.HasSuffix(s, suf) {
				s, mult = strings.TrimSuffix(s, suf), m
			}
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 || n > (8<<30)/mult {
			return fmt.Errorf("want a size such as 64MiB, got %q", v)
		}
		*p(c) = n * mult
		return nil
	}
}

var options = []option{
	{name: "base-url", usage: "OneRoster root of the target, e.g. https://sis.example/ims/oneroster/v1p1 (default: the built-in reference provider)", cmds: "run list", set: str(func(c *Config) *string { return &c.BaseURL })},
	{name: "service-url", usage: "a OneRoster 1.2 service root the provider serves apart, as service=URL (rostering, gradebook or resources), e.g. rostering=https://sis.example/api/ims/oneroster/rostering/v1p2; repeatable, beside --base-url", cmds: "run list", repeat: true, set: serviceURLs},
	{name: "token-url", usage: "OAuth 2 token endpoint", cmds: "run", set: str(func(c *Config) *string { return &c.TokenURL })},
	{name: "auth", usage: "oauth2 | oauth2-password | oauth1 | bearer | none", def: "oauth2", cmds: "run", set: str(func(c *Config) *string { return &c.Auth })},
	{name: "client-id", usage: "OAuth client id (OAuth 1.0a consumer key)", cmds: "run serve", set: str(func(c *Config) *string { return &c.ClientID })},
	{name: "client-secret", usage: "OAuth client secret; prefer $ROSTERCHECK_CLIENT_SECRET", cmds: "run serve", set: str(func(c *Config) *string { return &c.ClientSecret })},
	{name: "username", usage: "resource owner for --auth oauth2-password", cmds: "run", set: str(func(c *Config) *string { return &c.Username })},
	{name: "password", usage: "resource owner password; prefer $ROSTERCHECK_PASSWORD", cmds: "run", set: str(func(c *Config) *string { return &c.Password })},
	{name: "token", usage: "static bearer token for --auth bearer; prefer $ROSTERCHECK_TOKEN", cmds: "run", set: str(func(c *Config) *string { return &c.Token })},
	{name: "scope", usage: "OAuth 2 scopes to request, comma or space separated (default: none, the client's default)", cmds: "run", set: list(func(c *Config) *[]string { return &c.Scopes })},
	{name: "oauth1-method", usage: "HMAC-SHA1 | HMAC-SHA256", def: "HMAC-SHA256", cmds: "run", set: str(func(c *Config) *string { return &c.OAuth1Method })},
	{name: "profile", usage: "profiles to run, comma separated: " + strings.Join(suites.ProfileNames(), ", "), def: "oneroster-1.1", cmds: "run list", set: list(func(c *Config) *[]string { return &c.Profiles })},
	{name: "services", usage: "services the provider implements, comma separated: rostering, gradebook, resources (checks of the others are reported not-run)", def: "rostering,gradebook,resources", cmds: "run list", set: list(func(c *Config) *[]string { return &c.Services })},
	{name: "allow-writes", usage: "let the write checks PUT and DELETE objects the harness creates (and cleans up); without it they are reported not-run", bool: true, def: "false", cmds: "run", set: boolean(func(c *Config) *bool { return &c.AllowWrites })},
	{name: "option", usage: "profile options to switch on, comma separated, e.g. asm.federated (see 'rostercheck list --profile P')", cmds: "run list", set: list(func(c *Config) *[]string { return &c.Options })},
	{name: "today", usage: "the date checks about \"now\" use, YYYY-MM-DD (default: today; the built-in district's reference date for the built-in provider)", cmds: "run", set: func(c *Config, v string) error {
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return fmt.Errorf("want a date YYYY-MM-DD, got %q", v)
		}
		c.Today = d
		return nil
	}},
	{name: "check", usage: "run only checks whose ID matches one of these patterns ('*' wildcard), comma separated", cmds: "run list", set: list(func(c *Config) *[]string { return &c.Checks })},
	{name: "strict", usage: "SHOULD failures also fail the run", bool: true, def: "false", cmds: "run", set: boolean(func(c *Config) *bool { return &c.Strict })},
	{name: "randomize", usage: "run the checks in random order", bool: true, def: "false", cmds: "run", set: boolean(func(c *Config) *bool { return &c.Randomize })},
	{name: "order-seed", usage: "seed of --randomize (default: time based, printed)", def: "0", cmds: "run", set: func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("want a whole number, got %q", v)
		}
		c.OrderSeed = n
		return nil
	}},
	{name: "concurrency", usage: "requests in flight at most", def: "8", cmds: "run", set: integer(func(c *Config) *int { return &c.Concurrency }, 1, 64)},
	{name: "page-size", usage: "limit used to walk every collection (default: the largest page size the selected profiles' consumers use, query.largeLimit: 5000 for sds; paging itself is proven with small pages on a sample)", cmds: "run", set: integer(func(c *Config) *int { return &c.PageSize }, 1, 10000)},
	{name: "parents", usage: "parent ids sampled per relationship endpoint", def: "2", cmds: "run", set: integer(func(c *Config) *int { return &c.Parents }, 1, 100)},
	{name: "request-timeout", usage: "timeout of one request, body included", def: "30s", cmds: "run", set: duration(func(c *Config) *time.Duration { return &c.RequestTimeout })},
	{name: "timeout", usage: "deadline of the whole run", def: "60m", cmds: "run", set: duration(func(c *Config) *time.Duration { return &c.Timeout })},
	{name: "max-body", usage: "largest response body read", def: "64MiB", cmds: "run", set: size(func(c *Config) *int64 { return &c.MaxBody })},
	{name: "max-rps", usage: "requests started per second at most (0: no limit)", def: "0", cmds: "run", set: rate(func(c *Config) *float64 { return &c.MaxRPS })},
	{name: "verbose", usage: "list every failing, advisory and erroring check at the end and stream Ginkgo's own output to stderr", bool: true, def: "false", cmds: "run", set: boolean(func(c *Config) *bool { return &c.Verbose })},
	{name: "quiet", usage: "print only the verdict and problems (no progress, no summary table)", bool: true, def: "false", cmds: "run", set: boolean(func(c *Config) *bool { return &c.Quiet })},
	{name: "out", usage: "report directory (\"none\": write no reports)", def: "rostercheck-report", cmds: "run report", set: str(func(c *Config) *string { return &c.Out })},
	{name: "baseline", usage: "an earlier results.json: report the checks that newly fail, were fixed and still fail since then", cmds: "run", set: str(func(c *Config) *string { return &c.Baseline })},
	{name: "from", usage: "results.json to re-render", cmds: "report", set: str(func(c *Config) *string { return &c.From })},
	{name: "size", usage: "built-in district size: " + strings.Join(district.Sizes, ", "), def: "small", cmds: "run serve", set: str(func(c *Config) *string { return &c.Size })},
	{name: "seed", usage: "built-in district seed", def: "1", cmds: "run serve", set: func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("want a whole number, got %q", v)
		}
		c.Seed = n
		return nil
	}},
	{name: "defect", usage: "switch on one named defect in the built-in provider (see 'rostercheck serve --list-defects')", cmds: "run serve", set: str(func(c *Config) *string { return &c.Defect })},
	{name: "list-defects", usage: "print the defect catalogue and exit", bool: true, def: "false", cmds: "serve", set: boolean(func(c *Config) *bool { return &c.ListDefects })},
	{name: "addr", usage: "listen address of serve", def: "127.0.0.1:8642", cmds: "serve", set: str(func(c *Config) *string { return &c.Addr })},
	{name: "public", usage: "allow serve to listen on a non-loopback address", bool: true, def: "false", cmds: "serve", set: boolean(func(c *Config) *bool { return &c.Public })},
}

// rawValue is a flag.Value that records the raw text, so Load can tell a
// flag that was given from one that was not.
type rawValue struct {
	v      string
	isBool bool
	repeat bool
}

func (r *rawValue) String() string { return r.v }
func (r *rawValue) Set(s string) error {
	if r.repeat && r.v != "" {
		s = r.v + "," + s
	}
	r.v = s
	return nil
}
func (r *rawValue) IsBoolFlag() bool { return r.isBool }

// UsageError is a bad flag, environment variable, file or value (exit 2).
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usageErr(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// Load builds the configuration of cmd from args, the environment
// (lookupEnv, e.g. os.LookupEnv: a variable set to "" still overrides the
// file) and the YAML file named by --config or $ROSTERCHECK_CONFIG
// (readFile). One file serves every command: keys another command uses are
// ignored, keys no command knows are errors.
func Load(cmd string, args []string, lookupEnv func(string) (string, bool), readFile func(string) ([]byte, error)) (*Config, error) {
	fs := flag.NewFlagSet("rostercheck "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	raw := map[string]*rawValue{}
	var mine []option
	for _, o := range options {
		if !strings.Contains(" "+o.cmds+" ", " "+cmd+" ") {
			continue
		}
		mine = append(mine, o)
		rv := &rawValue{isBool: o.bool, repeat: o.repeat}
		raw[o.name] = rv
		fs.Var(rv, o.name, o.usage)
	}
	cfgFile := &rawValue{}
	fs.Var(cfgFile, "config", "YAML configuration file")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		if name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: "); ok {
			var names []string
			for _, o := range mine {
				names = append(names, o.name)
			}
			if s := suggestFlag(name, names); s != "" {
				return nil, usageErr("unknown flag %s: did you mean --%s?", name, s)
			}
			return nil, usageErr("unknown flag %s ('rostercheck %s -h' lists the flags)", name, cmd)
		}
		return nil, usageErr("%v", err)
	}
	if fs.NArg() > 0 {
		return nil, usageErr("unexpected argument %q", fs.Arg(0))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })

	file := map[string]string{}
	path := cfgFile.v
	if path == "" {
		path, _ = lookupEnv(envPrefix + "CONFIG")
	}
	if path != "" {
		b, err := readFile(path)
		if err != nil {
			return nil, usageErr("config file: %v", err)
		}
		if file, err = parseFile(b); err != nil {
			return nil, usageErr("config file %s: %v", path, err)
		}
	}

	c := &Config{Command: cmd, ConfigFile: path, Warnings: secretWarnings(path, file)}
	for _, o := range mine {
		v, src := o.def, "default"
		if fv, ok := file[o.name]; ok {
			v, src = fv, "config file key "+o.name
		}
		if ev, ok := lookupEnv(envName(o.name)); ok {
			v, src = ev, "$"+envName(o.name)
		}
		if given[o.name] {
			v, src = raw[o.name].v, "--"+o.name
		}
		if v == "" && o.def == "" {
			continue
		}
		if err := o.set(c, v); err != nil {
			return nil, usageErr("%s: %v", src, err)
		}
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func parseFile(b []byte) (map[string]string, error) {
	var m map[string]any
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&m); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	known := map[string]bool{}
	for _, o := range options {
		known[o.name] = true
	}
	out := map[string]string{}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !known[k] {
			return nil, fmt.Errorf("unknown key %q", k)
		}
		switch v := m[k].(type) {
		case []any:
			var parts []string
			for _, x := range v {
				parts = append(parts, fmt.Sprint(x))
			}
			out[k] = strings.Join(parts, ",")
		case map[string]any, nil:
			return nil, fmt.Errorf("key %q: want a scalar or a list", k)
		default:
			out[k] = fmt.Sprint(v)
		}
	}
	return out, nil
}

func (c *Config) validate() error {
	switch c.Command {
	case "run", "list":
		for _, p := range c.Profiles {
			if _, err := suites.LoadProfile(p); err != nil {
				return usageErr("--profile: %v", err)
			}
		}
		if len(c.Profiles) == 0 {
			return usageErr("--profile: at least one profile is needed")
		}
		c.Profiles = dedupe(c.Profiles)
		if _, err := c.profiles(); err != nil {
			return err
		}
		for _, sv := range c.Services {
			if !slices.Contains(suites.Services, sv) {
				return usageErr("--services: unknown service %q (known: %s)", sv, strings.Join(suites.Services, ", "))
			}
		}
		if len(c.Services) == 0 {
			return usageErr("--services: at least one service is needed")
		}
	}
	if c.Command == "report" && c.From == "" {
		return usageErr("report needs --from results.json")
	}
	if c.Command == "serve" {
		host, _, err := net.SplitHostPort(c.Addr)
		if err != nil {
			return usageErr("--addr: %v", err)
		}
		if !c.Public && !isLoopback(host) {
			return usageErr("--addr %s is not a loopback address; add --public to serve on it", c.Addr)
		}
	}
	if c.Command == "run" || c.Command == "serve" {
		if c.Defect != "" {
			if _, ok := defects.Lookup(c.Defect); !ok && !(c.Command == "serve" && v1p2.IsDefect(c.Defect)) {
				return usageErr("--defect: unknown defect %q (known: %s)", c.Defect, strings.Join(defects.Names(), ", "))
			}
		}
		if !slices.Contains(district.Sizes, c.Size) {
			return usageErr("--size: unknown size %q (known: %s)", c.Size, strings.Join(district.Sizes, ", "))
		}
	}
	if c.Command != "run" || c.BaseURL == "" {
		if c.Command == "run" && len(c.ServiceURLs) > 0 {
			return usageErr("--service-url needs --base-url: the built-in provider serves every service under its own root")
		}
		return nil
	}
	// An external target.
	if err := checkURL("--base-url", c.BaseURL); err != nil {
		return err
	}
	if err := c.checkServiceURLs(); err != nil {
		return err
	}
	if c.Defect != "" {
		return usageErr("--defect applies to the built-in provider only; drop --base-url or --defect")
	}
	switch c.Auth {
	case "oauth2", "oauth2-password":
		if c.TokenURL == "" {
			return usageErr("--auth %s needs --token-url", c.Auth)
		}
		if err := checkURL("--token-url", c.TokenURL); err != nil {
			return err
		}
		if c.ClientID == "" || c.ClientSecret == "" {
			return usageErr("--auth %s needs --client-id and a client secret ($ROSTERCHECK_CLIENT_SECRET or --client-secret)", c.Auth)
		}
		if c.Auth == "oauth2-password" && (c.Username == "" || c.Password == "") {
			return usageErr("--auth oauth2-password needs --username and $ROSTERCHECK_PASSWORD")
		}
	case "oauth1":
		if c.ClientID == "" || c.ClientSecret == "" {
			return usageErr("--auth oauth1 needs --client-id and a client secret ($ROSTERCHECK_CLIENT_SECRET or --client-secret)")
		}
		if c.OAuth1Method != "HMAC-SHA1" && c.OAuth1Method != "HMAC-SHA256" {
			return usageErr("--oauth1-method: want HMAC-SHA1 or HMAC-SHA256, got %q", c.OAuth1Method)
		}
	case "bearer":
		if c.Token == "" {
			return usageErr("--auth bearer needs $ROSTERCHECK_TOKEN")
		}
	case "none":
	default:
		return usageErr("--auth: want oauth2, oauth2-password, oauth1, bearer or none, got %q", c.Auth)
	}
	return nil
}

func checkURL(flagName, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageErr("%s: want an absolute http(s) URL, got %q", flagName, raw)
	}
	if u.User != nil {
		return usageErr("%s: credentials in the URL are not accepted; use --client-id and $ROSTERCHECK_CLIENT_SECRET", flagName)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return usageErr("%s: want a URL without a query or fragment, got %q", flagName, raw)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Redacted returns the effective configuration with secrets masked, for
// reports: typed values (numbers, booleans, lists of strings), stable keys
// (the flag names).
func (c *Config) Redacted() map[string]any {
	m := map[string]any{
		"profile":         c.Profiles,
		"auth":            c.Auth,
		"concurrency":     c.Concurrency,
		"page-size":       c.PageSize,
		"parents":         c.Parents,
		"request-timeout": c.RequestTimeout.String(),
		"timeout":         c.Timeout.String(),
		"max-body":        c.MaxBody,
		"max-rps":         c.MaxRPS,
		"strict":          c.Strict,
		"services":        c.Services,
		"allow-writes":    c.AllowWrites,
	}
	if c.BaseURL != "" {
		m["base-url"] = c.BaseURL
		m["token-url"] = c.TokenURL
		for _, svc := range slices.Sorted(maps.Keys(c.ServiceURLs)) {
			m["service-url"] = append(asStrings(m["service-url"]), svc+"="+c.ServiceURLs[svc])
		}
	} else {
		m["target"] = fmt.Sprintf("built-in provider (size %s, seed %d)", c.Size, c.Seed)
		if c.Defect != "" {
			m["defect"] = c.Defect
		}
	}
	if c.ClientID != "" {
		m["client-id"] = c.ClientID
	}
	if c.Username != "" {
		m["username"] = c.Username
	}
	for name, v := range map[string]string{"client-secret": c.ClientSecret, "password": c.Password, "token": c.Token} {
		if v != "" {
			m[name] = "<redacted>"
		}
	}
	if len(c.Scopes) > 0 {
		m["scope"] = c.Scopes
	}
	if len(c.Checks) > 0 {
		m["check"] = c.Checks
	}
	if c.Baseline != "" {
		m["baseline"] = c.Baseline
	}
	return m
}

// dedupe drops repeated names, keeping the first of each.
func dedupe(names []string) []string {
	var out []string
	for _, n := range names {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// profiles loads the selected profiles with the --option switches applied.
func (c *Config) profiles() ([]*suites.Profile, error) {
	var out []*suites.Profile
	for _, name := range c.Profiles {
		p, err := suites.LoadProfile(name)
		if err != nil {
			return nil, usageErr("--profile: %v", err)
		}
		out = append(out, p)
	}
	for _, o := range c.Options {
		key, val, hasVal := strings.Cut(o, "=")
		pname, oname, ok := strings.Cut(key, ".")
		on := true
		if i := slices.IndexFunc(out, func(p *suites.Profile) bool { return p.Named(pname) }); ok && i >= 0 && out[i].Options[oname].Takes != "" {
			if !hasVal || val == "" {
				return nil, usageErr("--option %s: want %s.%s=<%s>", o, pname, oname, out[i].Options[oname].Takes)
			}
			if err := out[i].SetOptionValue(oname, val); err != nil {
				return nil, usageErr("--option %s: %v", o, err)
			}
			continue
		}
		if hasVal {
			b, err := strconv.ParseBool(val)
			if err != nil {
				return nil, usageErr("--option %s: want true or false after =", o)
			}
			on = b
		}
		if !ok {
			return nil, usageErr("--option %s: want PROFILE.OPTION, e.g. asm.federated", o)
		}
		i := slices.IndexFunc(out, func(p *suites.Profile) bool { return p.Named(pname) })
		if i < 0 {
			return nil, usageErr("--option %s: profile %s is not selected (--profile)", o, pname)
		}
		if err := out[i].SetOption(oname, on); err != nil {
			return nil, usageErr("--option %s: %v", o, err)
		}
	}
	return out, nil
}

// serviceURLs parses --service-url values: service=URL, comma separated.
func serviceURLs(c *Config, v string) error {
	c.ServiceURLs = map[string]string{}
	for _, kv := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
		svc, u, ok := strings.Cut(kv, "=")
		if !ok || svc == "" || u == "" {
			return fmt.Errorf("want service=URL (e.g. rostering=https://sis.example/ims/oneroster/rostering/v1p2), got %q", kv)
		}
		if !slices.Contains(suites.Services, svc) {
			return fmt.Errorf("unknown service %q in %q (known: %s)", svc, kv, strings.Join(suites.Services, ", "))
		}
		if _, dup := c.ServiceURLs[svc]; dup {
			return fmt.Errorf("service %s given twice", svc)
		}
		c.ServiceURLs[svc] = strings.TrimRight(u, "/")
	}
	return nil
}

// checkServiceURLs checks each --service-url as --base-url is checked, and
// that it is on the base URL's origin: credentials go to one origin only.
func (c *Config) checkServiceURLs() error {
	base, _ := url.Parse(c.BaseURL)
	for _, svc := range slices.Sorted(maps.Keys(c.ServiceURLs)) {
		raw := c.ServiceURLs[svc]
		if err := checkURL("--service-url "+svc, raw); err != nil {
			return err
		}
		u, _ := url.Parse(raw)
		if !strings.EqualFold(u.Scheme, base.Scheme) || !strings.EqualFold(u.Host, base.Host) {
			return usageErr("--service-url %s=%s: not on the origin of --base-url (%s://%s); rostercheck sends credentials and requests to one origin only", svc, raw, base.Scheme, base.Host)
		}
	}
	return nil
}

func asStrings(v any) []string {
	s, _ := v.([]string)
	return s
}
