package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"sync"
	"time"
)

// sessionCookie is the name of the login session cookie.
const sessionCookie = "sluice_session"

// sessions issues and verifies stateless, HMAC-signed session tokens.
//
// A token is "1.<expiry unix seconds>.<random id>.<base64url HMAC-SHA256>".
// The MAC key is derived from both the session key and the admin password,
// so changing the password ends every session. Logout revokes a token's id
// in memory until the token would have expired anyway.
type sessions struct {
	key []byte
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	revoked map[string]time.Time // id -> expiry
}

func newSessions(sessionKey []byte, password string, ttl time.Duration) *sessions {
	m := hmac.New(sha256.New, sessionKey)
	m.Write([]byte("sluice session v1\x00"))
	m.Write([]byte(password))
	return &sessions{
		key:     m.Sum(nil),
		ttl:     ttl,
		now:     time.Now,
		revoked: make(map[string]time.Time),
	}
}

// issue returns a new token and its expiry.
func (s *sessions) issue() (string, time.Time) {
	return s.sign(s.now().Add(s.ttl))
}

// sign returns a token that expires at exp.
func (s *sessions) sign(exp time.Time) (string, time.Time) {
	id := make([]byte, 16)
	rand.Read(id) // never fails (crypto/rand)
	payload := "1." + strconv.FormatInt(exp.Unix(), 10) + "." + hex.EncodeToString(id)
	return payload + "." + s.mac(payload), time.Unix(exp.Unix(), 0)
}

func (s *sessions) mac(payload string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// parse verifies token and returns its id and expiry. ok is false for a
// token that is malformed, forged, expired or revoked.
func (s *sessions) parse(token string) (id string, exp time.Time, ok bool) {
	i := strings.LastIndexByte(token, '.')
	if i < 0 {
		return "", time.Time{}, false
	}
	payload, sig := token[:i], token[i+1:]
	if !hmac.Equal([]byte(sig), []byte(s.mac(payload))) {
		return "", time.Time{}, false
	}
	parts := strings.Split(payload, ".")
	if len(parts) != 3 || parts[0] != "1" {
		return "", time.Time{}, false
	}
	unix, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return "", time.Time{}, false
	}
	exp = time.Unix(unix, 0)
	if !s.now().Before(exp) {
		return "", time.Time{}, false
	}
	id = parts[2]
	s.mu.Lock()
	_, gone := s.revoked[id]
	s.mu.Unlock()
	if gone {
		return "", time.Time{}, false
	}
	return id, exp, true
}

// revoke makes the token with this id invalid until exp.
func (s *sessions) revoke(id string, exp time.Time) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, e := range s.revoked {
		if !now.Before(e) {
			delete(s.revoked, k)
		}
	}
	s.revoked[id] = exp
}

// passwordEqual compares in constant time; hashing first hides the length.
func passwordEqual(got, want string) bool {
	g := sha256.Sum256([]byte(got))
	w := sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}
