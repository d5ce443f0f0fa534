package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

// sessionCookie is the name of the login session cookie.
const sessionCookie = "sluice_session"

// session is what a session cookie says, once its MAC is verified.
type session struct {
	id      string // random, names the session for logout and CSRF
	userID  int64
	role    string // the role at login; requests use the user's current role
	version string // userVersion at login
	exp     time.Time
}

// sessions issues and verifies stateless, HMAC-signed session tokens.
//
// A token is "2.<expiry unix seconds>.<user id>.<role>.<version>.<random
// id>.<base64url HMAC-SHA256>". The version is derived from the user's
// password hash and the time it was set (userVersion), so a new password
// ends every session of the user, and a deleted user's sessions end with
// the user. Logout revokes a token's id in memory until the token would
// have expired anyway.
type sessions struct {
	key []byte
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	revoked map[string]time.Time // id -> expiry
}

func newSessions(sessionKey []byte, ttl time.Duration) *sessions {
	m := hmac.New(sha256.New, sessionKey)
	m.Write([]byte("sluice session v2\x00"))
	return &sessions{
		key:     m.Sum(nil),
		ttl:     ttl,
		now:     time.Now,
		revoked: make(map[string]time.Time),
	}
}

// userVersion changes whenever the user's password is set: it hashes the
// bcrypt hash (new salt every time) and PasswordChangedAt.
func userVersion(u store.User) string {
	h := sha256.New()
	h.Write([]byte("sluice user version\x00"))
	h.Write([]byte(strconv.FormatInt(u.ID, 10) + "\x00" + strconv.FormatInt(u.PasswordChangedAt.Unix(), 10) + "\x00"))
	h.Write([]byte(u.PasswordHash))
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// issue returns a new token for u and the session it encodes.
func (s *sessions) issue(u store.User) (string, session) {
	id := make([]byte, 16)
	rand.Read(id) // never fails (crypto/rand)
	sess := session{
		id:      hex.EncodeToString(id),
		userID:  u.ID,
		role:    u.Role,
		version: userVersion(u),
		exp:     time.Unix(s.now().Add(s.ttl).Unix(), 0),
	}
	return s.sign(sess), sess
}

// sign encodes sess as a token.
func (s *sessions) sign(sess session) string {
	payload := strings.Join([]string{"2", strconv.FormatInt(sess.exp.Unix(), 10),
		strconv.FormatInt(sess.userID, 10), sess.role, sess.version, sess.id}, ".")
	return payload + "." + s.mac("session\x00"+payload)
}

func (s *sessions) mac(payload string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// parse verifies token and returns its session. ok is false for a token
// that is malformed, forged, expired or revoked. Whether its user still
// exists with the same version is for the caller to check.
func (s *sessions) parse(token string) (sess session, ok bool) {
	i := strings.LastIndexByte(token, '.')
	if i < 0 {
		return session{}, false
	}
	payload, sig := token[:i], token[i+1:]
	if !hmac.Equal([]byte(sig), []byte(s.mac("session\x00"+payload))) {
		return session{}, false
	}
	parts := strings.Split(payload, ".")
	if len(parts) != 6 || parts[0] != "2" {
		return session{}, false
	}
	unix, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return session{}, false
	}
	uid, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return session{}, false
	}
	sess = session{id: parts[5], userID: uid, role: parts[3], version: parts[4], exp: time.Unix(unix, 0)}
	if !s.now().Before(sess.exp) {
		return session{}, false
	}
	s.mu.Lock()
	_, gone := s.revoked[sess.id]
	s.mu.Unlock()
	if gone {
		return session{}, false
	}
	return sess, true
}

// csrfToken is the CSRF token of the session with this id: forms carry it
// in a hidden field, htmx in the X-CSRF-Token header.
func (s *sessions) csrfToken(id string) string {
	return s.mac("csrf\x00" + id)
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
