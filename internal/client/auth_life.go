package client

import (
	"time"
)

// TokenLife is an access token the run obtained: when it was issued and
// when its token response said it expires (zero: no expires_in).
type TokenLife struct {
	Token          string
	Issued, Expiry time.Time
}

// EarlyRefusal is an API 401 to a token before the expiry its token
// response stated: a consumer that schedules renewal from expires_in
// would have kept using it.
type EarlyRefusal struct {
	TokenLife
	Refused time.Time
}

// lifeReporter is implemented by an Auth that obtains tokens.
type lifeReporter interface {
	lives() []TokenLife
	earlyRefusals() []EarlyRefusal
}

func (a *tokenAuth) lives() []TokenLife {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]TokenLife(nil), a.life...)
}

func (a *tokenAuth) earlyRefusals() []EarlyRefusal {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]EarlyRefusal(nil), a.early...)
}

// TokenLives returns the tokens the run's own credentials obtained, oldest
// first (none for credentials without tokens).
func (s *Store) TokenLives() []TokenLife {
	if l, ok := s.cfg.Auth.(lifeReporter); ok {
		return l.lives()
	}
	return nil
}

// EarlyRefusals returns the run's tokens the API refused (401) before
// their stated expiry, in the order the refusals came.
func (s *Store) EarlyRefusals() []EarlyRefusal {
	if l, ok := s.cfg.Auth.(lifeReporter); ok {
		return l.earlyRefusals()
	}
	return nil
}

var _ lifeReporter = (*tokenAuth)(nil)
