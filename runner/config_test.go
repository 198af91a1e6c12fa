package runner_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rostercheck/rostercheck/runner"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func files(m map[string]string) func(string) ([]byte, error) {
	return func(p string) ([]byte, error) {
		if s, ok := m[p]; ok {
			return []byte(s), nil
		}
		return nil, os.ErrNotExist
	}
}

func TestLoadPrecedenceFlagEnvFileDefault(t *testing.T) {
	file := files(map[string]string{"rc.yaml": "page-size: 50\nconcurrency: 3\nparents: 4\nprofile: [sds, oneroster-1.1]\nrequest-timeout: 5s\n"})
	e := env(map[string]string{"ROSTERCHECK_CONFIG": "rc.yaml", "ROSTERCHECK_CONCURRENCY": "5", "ROSTERCHECK_PARENTS": "6"})
	c, err := runner.Load("run", []string{"--parents", "7"}, e, file)
	if err != nil {
		t.Fatal(err)
	}
	if c.PageSize != 50 { // file beats default
		t.Errorf("page-size %d, want 50 from the file", c.PageSize)
	}
	if c.Concurrency != 5 { // env beats file
		t.Errorf("concurrency %d, want 5 from env", c.Concurrency)
	}
	if c.Parents != 7 { // flag beats env
		t.Errorf("parents %d, want 7 from the flag", c.Parents)
	}
	if c.RequestTimeout != 5*time.Second || c.Timeout != 60*time.Minute {
		t.Errorf("timeouts %v %v", c.RequestTimeout, c.Timeout)
	}
	if strings.Join(c.Profiles, ",") != "sds,oneroster-1.1" {
		t.Errorf("profiles %v", c.Profiles)
	}
	if c.Out != "rostercheck-report" || c.Size != "small" || c.Auth != "oauth2" {
		t.Errorf("defaults: out %q size %q auth %q", c.Out, c.Size, c.Auth)
	}
	// An empty environment variable still beats the file.
	c, err = runner.Load("run", nil, env(map[string]string{"ROSTERCHECK_CONFIG": "rc.yaml", "ROSTERCHECK_CHECK": ""}),
		files(map[string]string{"rc.yaml": "check: rostering.users.*\n"}))
	if err != nil || len(c.Checks) != 0 {
		t.Errorf("empty $ROSTERCHECK_CHECK did not override the file: %v %v", c.Checks, err)
	}
}

func TestLoadRejects(t *testing.T) {
	cases := []struct {
		args  []string
		env   map[string]string
		files map[string]string
		want  string
	}{
		{[]string{"--config", "x.yaml"}, nil, map[string]string{"x.yaml": "colour: blue\n"}, `unknown key "colour"`},
		{[]string{"--config", "missing.yaml"}, nil, nil, "config file"},
		{[]string{"--page-size", "0"}, nil, nil, "--page-size"},
		{[]string{"--timeout", "soon"}, nil, nil, "--timeout"},
		{[]string{"--max-body", "lots"}, nil, nil, "--max-body"},
		{[]string{"--base-url", "ftp://x"}, nil, nil, "--base-url"},
		{[]string{"--base-url", "https://u:p@x/ims"}, nil, nil, "credentials in the URL"},
		{[]string{"--base-url", "https://x/ims?tenant=1"}, nil, nil, "without a query"},
		{[]string{"--config", "x.yaml"}, nil, map[string]string{"x.yaml": "addr: 127.0.0.1:1\n"}, ""}, // serve's key: ignored by run

		{[]string{"--base-url", "https://x/ims", "--auth", "oauth1", "--client-id", "k"}, nil, nil, "client secret"},
		{[]string{"--base-url", "https://x/ims", "--auth", "bearer"}, nil, nil, "ROSTERCHECK_TOKEN"},
		{[]string{"--base-url", "https://x/ims", "--auth", "kerberos"}, nil, nil, "--auth"},
		{[]string{"--size", "huge"}, nil, nil, "unknown size"},
		{[]string{"extra"}, nil, nil, "unexpected argument"},
	}
	for _, c := range cases {
		_, err := runner.Load("run", c.args, env(c.env), files(c.files))
		if c.want == "" {
			if err != nil {
				t.Errorf("%v: %v", c.args, err)
			}
			continue
		}
		var ue *runner.UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want a usage error mentioning %q", c.args, err, c.want)
		}
	}
}

func TestRedactedConfigHidesSecrets(t *testing.T) {
	c, err := runner.Load("run", []string{"--base-url", "https://sis.example/ims/oneroster/v1p1", "--token-url", "https://sis.example/token", "--client-id", "cid"},
		env(map[string]string{"ROSTERCHECK_CLIENT_SECRET": "hunter2-very-secret"}), files(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.ClientSecret != "hunter2-very-secret" {
		t.Fatal("secret not read from the environment")
	}
	for k, v := range c.Redacted() {
		if strings.Contains(fmt.Sprint(v), "hunter2") {
			t.Errorf("Redacted()[%s] leaks the secret", k)
		}
	}
	if c.Redacted()["client-secret"] != "<redacted>" {
		t.Error("Redacted() should say a secret was configured")
	}
}
