package web

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"sync"
	"time"
)

// flashCookie names the one flash message waiting for the next page of a
// session (post/redirect/get). The cookie holds only a random id; the
// message stays in memory, readable once and only by the session that
// made it, so a one-time password shown this way never leaves the server
// but in that one page.
const flashCookie = "sluice_flash"

// flashTTL is how long a flash waits for its page.
const flashTTL = 2 * time.Minute

// flash is a message for the page after a redirect.
type flash struct {
	Message string
	// Secret is shown once beside the message: a new user's password, or
	// a new API token when APIToken is set.
	Secret   string
	APIToken bool
	// Note is a longer explanation under the message.
	Note string
	// Error marks a message that says what went wrong.
	Error bool
}

type flashEntry struct {
	flash
	session string
	exp     time.Time
}

// flashStore keeps flashes in memory until they are read or expire.
type flashStore struct {
	mu sync.Mutex
	m  map[string]flashEntry
}

func newFlashStore() *flashStore { return &flashStore{m: map[string]flashEntry{}} }

// setFlash stores f for the next page of the request's session and sets
// the cookie naming it. Without a session it does nothing.
func (h *handler) setFlash(w http.ResponseWriter, r *http.Request, f flash) {
	p, ok := principalFrom(r.Context())
	if !ok || p.session == nil {
		return
	}
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand)
	id := hex.EncodeToString(b)
	now := time.Now()
	s := h.flashes
	s.mu.Lock()
	for k, e := range s.m {
		if now.After(e.exp) {
			delete(s.m, k)
		}
	}
	s.m[id] = flashEntry{flash: f, session: p.session.id, exp: now.Add(flashTTL)}
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: id, Path: "/", MaxAge: int(flashTTL / time.Second),
		HttpOnly: true, Secure: h.secure || r.TLS != nil, SameSite: http.SameSiteLaxMode})
}

// takeFlash returns and forgets the flash waiting for the request's
// session, clearing its cookie.
func (h *handler) takeFlash(w http.ResponseWriter, r *http.Request) *flash {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: h.secure || r.TLS != nil, SameSite: http.SameSiteLaxMode})
	p, ok := principalFrom(r.Context())
	if !ok || p.session == nil {
		return nil
	}
	s := h.flashes
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[c.Value]
	if !ok || e.session != p.session.id || time.Now().After(e.exp) {
		return nil
	}
	delete(s.m, c.Value)
	return &e.flash
}
