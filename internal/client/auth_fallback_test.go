package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestOAuth2FallbackForms(t *testing.T) {
	for _, tc := range []struct {
		mode, note string
		requests   int32
	}{
		{"header", "", 1},
		{"raw", FormBasicRaw, 2},
		{"params", FormBody, 3},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			ts := newTokenServer(t, tc.mode)
			ts.id = "client-1" // a raw Basic id cannot hold a colon
			api, _ := apiServer(t, ts)
			auth := OAuth2ClientCredentialsFallback(nil, ts.URL, ts.id, testClientSecret, nil)
			s := newStore(t, Config{Auth: auth})
			for i := 0; i < 2; i++ {
				if ex := s.Do(context.Background(), Request{URL: api.URL}); ex.Err != nil || ex.Status != 200 {
					t.Fatalf("err %v status %d", ex.Err, ex.Status)
				}
			}
			if n := ts.requests.Load(); n != tc.requests {
				t.Fatalf("token requests %d, want %d (the working form is kept)", n, tc.requests)
			}
			note := s.AuthNote()
			if tc.note == "" && note != "" || tc.note != "" && (!strings.Contains(note, tc.note) || !strings.Contains(note, FormBasicEncoded)) {
				t.Fatalf("note %q", note)
			}
			if strings.Contains(note, testClientSecret) {
				t.Fatal("note leaks the secret")
			}
		})
	}
	t.Run("all refused", func(t *testing.T) {
		ts := newTokenServer(t, "header")
		s := newStore(t, Config{Auth: OAuth2ClientCredentialsFallback(nil, ts.URL, testClientID, "wrong", nil)})
		ex := s.Do(context.Background(), Request{URL: ts.URL})
		var ae *AuthError
		if !errors.As(ex.Err, &ae) || ae.Status != 401 || ae.Code != "invalid_client" || ae.TokenURL != ts.URL {
			t.Fatalf("err %#v", ex.Err)
		}
		// The id form-encodes differently: three forms, each named.
		if len(ae.Tried) != 3 || !strings.Contains(ae.Error(), FormBasicEncoded) || !strings.Contains(ae.Error(), FormBody) {
			t.Fatalf("tried %v: %s", ae.Tried, ae.Error())
		}
	})
}

func TestRenewAfter401(t *testing.T) {
	ts := newTokenServer(t, "header")
	var mu sync.Mutex
	revoked := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		mu.Lock()
		defer mu.Unlock()
		if !ts.isIssued(tok) || revoked[tok] {
			w.WriteHeader(401)
			return
		}
		revoked[tok] = true // every token works once
		w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	api := srv.URL
	s := newStore(t, Config{Auth: OAuth2ClientCredentialsFallback(nil, ts.URL, testClientID, testClientSecret, nil)})
	for i := 0; i < 3; i++ {
		ex := s.Do(context.Background(), Request{URL: api})
		if ex.Status != 200 || (i > 0) != ex.Renewed {
			t.Fatalf("request %d: status %d renewed %v", i, ex.Status, ex.Renewed)
		}
	}
	if s.Renewed() != 2 || ts.requests.Load() != 3 {
		t.Fatalf("renewed %d, token requests %d", s.Renewed(), ts.requests.Load())
	}
	// Each token said it lives an hour: both refusals came before that.
	if lives := s.TokenLives(); len(lives) != 3 {
		t.Fatalf("token lives %+v, want 3", lives)
	}
	early := s.EarlyRefusals()
	if len(early) != 2 {
		t.Fatalf("early refusals %+v, want 2", early)
	}
	for _, e := range early {
		if e.Refused.Before(e.Issued) || !e.Refused.Before(e.Expiry) || e.Expiry.Sub(e.Issued) < 59*time.Minute {
			t.Errorf("early refusal %+v: want issued <= refused < expiry, an hour after issue", e)
		}
	}
	// A request with its own credentials is never retried.
	if ex := s.Do(context.Background(), Request{URL: api, Auth: Bearer("nope")}); ex.Status != 401 || ex.Renewed {
		t.Fatalf("own credentials: %d %v", ex.Status, ex.Renewed)
	}
}
