package runner

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rostercheck/rostercheck/internal/client"
	"github.com/rostercheck/rostercheck/reports"
)

// The token checks' store waits out a throttled token request and asks
// again, a bounded number of times: throttling is no token check's
// finding, and a token endpoint that throttles for ever does not hold
// the run to --timeout.
func TestTokenStoreWaitsOutThrottling(t *testing.T) {
	var calls, limit atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= limit.Load() {
			w.Header().Set("Retry-After", "0")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"x","token_type":"Bearer","expires_in":3600}`))
	}))
	defer srv.Close()
	a, err := authEnvFor(&Config{Auth: "oauth2", RequestTimeout: 10 * time.Second}, &target{tokenURL: srv.URL + "/oauth/token"}, reports.NewRedactor())
	if err != nil {
		t.Fatal(err)
	}
	post := func() *client.Exchange {
		calls.Store(0)
		return a.TokenStore.Do(context.Background(), client.Request{Method: http.MethodPost, URL: srv.URL + "/oauth/token", Body: []byte("grant_type=client_credentials")})
	}
	limit.Store(2)
	if ex := post(); ex.Status != http.StatusOK || calls.Load() != 3 {
		t.Fatalf("throttled twice: status %d after %d requests, want 200 after 3", ex.Status, calls.Load())
	}
	limit.Store(1000)
	if ex := post(); ex.Status != http.StatusTooManyRequests || calls.Load() != tokenRetries429+1 {
		t.Fatalf("throttled for ever: status %d after %d requests, want 429 after %d", ex.Status, calls.Load(), tokenRetries429+1)
	}
}
