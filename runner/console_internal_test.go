package runner

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rostercheck/rostercheck/internal/client"
	"github.com/rostercheck/rostercheck/reports"
	"github.com/rostercheck/rostercheck/suites"
)

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestProgressLiveAndPlain(t *testing.T) {
	store, err := client.New(client.Config{})
	if err != nil {
		t.Fatal(err)
	}
	env := &suites.Env{}
	for _, live := range []bool{true, false} {
		var out lockedBuf
		p := startProgress(&out, live, 5*time.Millisecond, 7, env, store)
		deadline := time.Now().Add(10 * time.Second) // a hang guard, not a timing assertion
		for !strings.Contains(out.String(), "checks 0/7") && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(30 * time.Millisecond)
		p.Stop()
		p.Stop() // idempotent
		got := out.String()
		if !strings.Contains(got, "checks 0/7  requests 0  pages 0  records 0") {
			t.Errorf("live=%v: no progress line:\n%q", live, got)
		}
		if live {
			if !strings.HasSuffix(got, "\r\x1b[J") || strings.Contains(got, "\n") {
				t.Errorf("live progress does not rewrite one line in place and clear it at the end: %q", got)
			}
		} else {
			if strings.Contains(got, "\x1b") {
				t.Errorf("plain progress has escape codes: %q", got)
			}
			// Lines only when something changed: here nothing does within the second.
			if n := strings.Count(got, "\n"); n > 2 {
				t.Errorf("plain progress printed %d identical lines:\n%s", n, got)
			}
		}
	}
}

func TestColourOnlyOnATerminal(t *testing.T) {
	var buf bytes.Buffer
	if useColour(&buf) {
		t.Error("colour for a buffer")
	}
	run := &reports.Run{Verdict: "pass", Profiles: []reports.ProfileVerdict{{Name: "sds", Verdict: "pass", Passed: 1, Total: 1}}}
	printSummary(&buf, run, false, false, false)
	if strings.Contains(buf.String(), "\x1b[") {
		t.Error("escape codes without colour")
	}
	buf.Reset()
	printSummary(&buf, run, true, false, false)
	if !strings.Contains(buf.String(), "\x1b[1;32mPASS\x1b[0m") {
		t.Errorf("no colour when asked:\n%q", buf.String())
	}
	t.Setenv("NO_COLOR", "")
	if useColour(&buf) {
		t.Error("colour with NO_COLOR set")
	}
	buf.Reset()
	printSummary(&buf, run, false, true, false)
	if got := buf.String(); got != "verdict: PASS\n" {
		t.Errorf("--quiet prints %q", got)
	}
}
