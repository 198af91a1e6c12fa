package reports

import "testing"

// TestAddIsIdempotent: re-adding known secrets (the runner re-adds the
// access tokens before every console write) must not grow the matcher.
func TestAddIsIdempotent(t *testing.T) {
	r := NewRedactor("secret-one-1234")
	before := r.matcher()
	r.Add("secret-one-1234", "secret-one-1234")
	if r.matcher() != before {
		t.Fatal("re-adding a known secret rebuilt the matcher")
	}
	r.Add("secret-two-5678")
	if r.matcher() == before || r.String("a secret-two-5678 b") != "a <redacted> b" {
		t.Fatal("a new secret was not picked up")
	}
}
