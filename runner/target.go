package runner

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/rostercheck/rostercheck/fixtures/district"
	"github.com/rostercheck/rostercheck/fixtures/provider"
	"github.com/rostercheck/rostercheck/suites/catalogue"
)

// resolveTarget returns the external target of cfg, or starts the built-in
// reference provider on 127.0.0.1 with fresh credentials.
func resolveTarget(cfg *Config) (*target, error) {
	if cfg.BaseURL != "" {
		// The 1.1 root and the 1.2 service roots derive from any of them
		// (roots.go).
		v1p1, roots, _ := splitRoots(cfg.BaseURL)
		// A service the provider serves apart (--service-url).
		for svc, u := range cfg.ServiceURLs {
			if roots == nil {
				roots = map[string]string{}
			}
			roots[catalogue.V1p2Root(svc)] = u
		}
		return &target{baseURL: v1p1, tokenURL: cfg.TokenURL, clientID: cfg.ClientID, secret: cfg.ClientSecret,
			username: cfg.Username, password: cfg.Password, stop: func() {}, roots: roots}, nil
	}
	id, secret := cfg.ClientID, cfg.ClientSecret
	if id == "" {
		id = "rostercheck-demo"
	}
	if secret == "" {
		// Characters RFC 6749 §2.3.1 form-encodes in HTTP Basic
		// credentials: the built-in provider always exercises that
		// encoding (auth.token.basic-encoding).
		secret = randomSecret() + "+/="
		if slices.Contains(cfg.Profiles, "google-classroom") {
			// Google Classroom sends its secret raw in HTTP Basic, not
			// form-encoded (notebook cell "Get OAuth Token",
			// requests.auth.HTTPBasicAuth): a '+' in it reaches an RFC 6749
			// provider as a space. A vendor issues Classroom a secret
			// without '+' or '%' (classroom.token.secret-chars); '/' and '='
			// still make the two encodings differ.
			secret = strings.TrimSuffix(secret, "+/=") + "/="
		}
	}
	user, password := cfg.Username, cfg.Password
	if user == "" {
		user = builtinUser
	}
	if password == "" {
		password = randomSecret()
	}
	srv, err := startProvider("127.0.0.1:0", cfg.Size, cfg.Seed, cfg.Defect, id, secret, map[string]string{user: password})
	if err != nil {
		return nil, err
	}
	return &target{
		baseURL: srv.base + provider.BasePath, tokenURL: srv.base + provider.TokenPath,
		clientID: id, secret: secret, username: user, password: password, builtin: true, stop: srv.close,
		roots: builtinRoots(srv.base),
	}, nil
}

func randomSecret() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

type server struct {
	base  string
	close func()
	done  chan error
}

// startProvider generates the district and serves the reference provider.
func startProvider(addr, size string, seed int64, defect, id, secret string, users map[string]string) (*server, error) {
	d, err := district.Generate(district.Spec{Seed: seed, Size: size})
	if err != nil {
		return nil, fmt.Errorf("generating the district: %v", err)
	}
	p, err := provider.New(provider.Options{District: d, ClientID: id, ClientSecret: secret, Users: users, Defect: defect})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %v", addr, err)
	}
	hs := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	s := &server{base: "http://" + ln.Addr().String(), done: make(chan error, 1)}
	go func() { s.done <- hs.Serve(ln) }()
	s.close = func() { _ = hs.Close() }
	return s, nil
}
