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

// The console leads with the new failures, then "Fix these first": per
// failing profile its top causes, a blocker before a rule with more
// violations; --quiet prints the verdict alone.
func TestConsoleLeadsWithDiffAndFixFirst(t *testing.T) {
	levels := map[string]string{"sds": "MUST"}
	fail := func(id, rule string, n int) reports.CheckResult {
		c := reports.CheckResult{ID: id, Outcome: reports.Fail, Rules: []reports.RuleCount{{Rule: rule, Count: n}}, ViolationsTotal: n,
			Profiles: []reports.ProfileOutcome{{Profile: "sds", Tier: "required", Outcome: reports.Fail}}}
		for i := range n {
			c.Violations = append(c.Violations, reports.Violation{Rule: rule, RecordID: "r" + string(rune('a'+i%26)), Message: "m"})
		}
		return c
	}
	run := &reports.Run{Verdict: "fail",
		Profiles: []reports.ProfileVerdict{{Name: "sds", Verdict: "fail"}, {Name: "asm", Verdict: "pass"}},
		Rules: []reports.RuleInfo{{ID: "phone.not-e164", Title: "phones", Hint: "write E.164", Levels: levels},
			{ID: "auth.token.refused", Title: "no token", Hint: "accept the client", Levels: levels}},
		Checks: []reports.CheckResult{fail("rostering.users.data", "phone.not-e164", 12), fail("auth.token.response", "auth.token.refused", 1)},
		Diff:   &reports.Diff{Baseline: "b", New: []reports.DiffEntry{{Check: "auth.token.response", Profile: "sds"}}}}
	var b bytes.Buffer
	printSummary(&b, run, false, false, false)
	out := b.String()
	d, f, tab := strings.Index(out, "NEW  auth.token.response [sds]"), strings.Index(out, "Fix these first:"), strings.Index(out, "PROFILE")
	if d < 0 || f < d || tab < f {
		t.Fatalf("order: diff %d, fix-first %d, table %d\n%s", d, f, tab, out)
	}
	one, two := strings.Index(out, "1. [blocker] auth.token.refused"), strings.Index(out, "2. [records rejected] phone.not-e164")
	if one < 0 || two < one || !strings.Contains(out, "fix: accept the client") || strings.Contains(out[f:tab], "asm") {
		t.Errorf("fix-first:\n%s", out[f:tab])
	}
	b.Reset()
	printSummary(&b, run, false, true, false)
	if strings.TrimSpace(b.String()) != "verdict: FAIL" {
		t.Errorf("--quiet: %q", b.String())
	}
}
