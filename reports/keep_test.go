package reports

import (
	"bytes"
	"strings"
	"testing"
)

func TestKeepLeavesUserTextAlone(t *testing.T) {
	r := NewRedactor("wrong")
	r.Keep("/tmp/wrongsecret", "https://wrong.example/ims", "wrong") // a kept value equal to a secret is ignored
	got := r.String("reports: /tmp/wrongsecret/x; GET https://wrong.example/ims/orgs?t=wrong; the wrong secret")
	want := "reports: /tmp/wrongsecret/x; GET https://wrong.example/ims/orgs?t=<redacted>; the <redacted> secret"
	if got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	// The streaming writer keeps it too, split across writes.
	var b bytes.Buffer
	w := r.Writer(&b)
	for _, part := range []string{"path /tmp/wro", "ngsecret and wro", "ng"} {
		_, _ = w.Write([]byte(part))
	}
	_ = w.Close()
	if b.String() != "path /tmp/wrongsecret and <redacted>" {
		t.Fatalf("writer: %q", b.String())
	}
	// Escaped as JSON and HTML writers do.
	r.Keep(`C:\wrong&co`)
	if s := r.String(`json "C:\\wrong&co", html C:\wrong&amp;co`); strings.Contains(s, "<redacted>") {
		t.Fatalf("escaped kept text rewritten: %q", s)
	}
}
