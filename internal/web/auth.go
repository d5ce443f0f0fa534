package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/sluicehq/sluice/internal/store"
)

// BcryptCost is the bcrypt work factor of new password hashes. Tests may
// lower it; production code must not.
var BcryptCost = 12

// MinPasswordLength is the shortest password HashPassword accepts.
const MinPasswordLength = 8

// maxPasswordBytes is bcrypt's limit: it ignores anything past 72 bytes,
// so longer passwords are refused rather than silently cut.
const maxPasswordBytes = 72

// TokenPrefix starts every API token, so that a leaked token is easy to
// recognise (and to search for in logs and repositories).
const TokenPrefix = "sluice_"

// tokenBytes is the random length of an API token.
const tokenBytes = 32

// csrfField and csrfHeader carry the CSRF token of a form or an htmx request.
const (
	csrfField  = "csrf_token"
	csrfHeader = "X-CSRF-Token"
)

// tokenTouchInterval is how stale an API token's last-used time may get
// before a request records a new one: a write per request would be waste.
const tokenTouchInterval = time.Minute

// HashPassword returns the bcrypt hash of password, refusing passwords
// shorter than MinPasswordLength characters or longer than 72 bytes.
func HashPassword(password string) (string, error) {
	if err := passwordRules(password); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), BcryptCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// passwordRules says why password may not be a password, or returns nil.
// HashPassword applies it; the account page checks it first to tell a
// refused password from a failed hash.
func passwordRules(password string) error {
	if utf8.RuneCountInString(password) < MinPasswordLength {
		return fmt.Errorf("the password is shorter than %d characters; use a longer one", MinPasswordLength)
	}
	if len(password) > maxPasswordBytes {
		return fmt.Errorf("the password is longer than %d bytes, more than bcrypt can use; use a shorter one", maxPasswordBytes)
	}
	return nil
}

// checkPassword reports whether password matches the bcrypt hash. bcrypt
// would compare only the first 72 bytes; longer passwords never match,
// as HashPassword never accepts them.
func checkPassword(hash, password string) bool {
	if len(password) > maxPasswordBytes {
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// GeneratePassword returns a random password of 24 URL-safe characters.
func GeneratePassword() string {
	b := make([]byte, 18)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// NewAPIToken returns a new random API token, to show its owner once, and
// the hash to store (HashToken of it).
func NewAPIToken() (token, hash string) {
	b := make([]byte, tokenBytes)
	rand.Read(b) // never fails (crypto/rand)
	token = TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken is the hex SHA-256 of an API token, as the store keeps it.
// A plain hash suffices: the token is 256 random bits, not a password.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// wellFormedToken reports whether s looks like a token NewAPIToken made.
func wellFormedToken(s string) bool {
	rest, ok := strings.CutPrefix(s, TokenPrefix)
	if !ok || len(rest) != base64.RawURLEncoding.EncodedLen(tokenBytes) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(rest)
	return err == nil
}

// EnsureAdmin makes sure somebody can log in. When the database has no
// user and legacyPasswordFile (the admin password file of Sluice before
// users existed) exists, it creates the admin user AdminUser with that
// file's password, so existing installs keep their login. When there is no
// such file, it only writes to out how to create the first user.
func EnsureAdmin(ctx context.Context, db *store.DB, legacyPasswordFile string, out io.Writer) error {
	n, err := db.CountUsers(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if legacyPasswordFile != "" {
		b, err := os.ReadFile(legacyPasswordFile)
		switch {
		case err == nil:
			hash, err := HashPassword(strings.TrimRight(string(b), "\r\n"))
			if err != nil {
				return fmt.Errorf("password file %s: %w", legacyPasswordFile, err)
			}
			if _, err := db.CreateUser(ctx, AdminUser, hash, store.RoleAdmin); err != nil {
				return err
			}
			fmt.Fprintf(out, "Created user %q (admin) with the password in %s; the file is no longer read, so you may delete it.\n"+
				"Manage users with `sluice users`.\n", AdminUser, legacyPasswordFile)
			return nil
		case !errors.Is(err, os.ErrNotExist):
			return fmt.Errorf("read the admin password file: %w", err)
		}
	}
	fmt.Fprintf(out, "No users yet, so nobody can log in. Create the first admin with:\n  sluice users add NAME --admin\n")
	return nil
}

// CreateQuickStartAdmin is for `sluice serve --repo`: when the database has
// no user, it creates the admin user AdminUser with a random password and
// writes that password to out, once; it is stored only as a hash.
func CreateQuickStartAdmin(ctx context.Context, db *store.DB, out io.Writer) error {
	n, err := db.CountUsers(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	pw := GeneratePassword()
	hash, err := HashPassword(pw)
	if err != nil {
		return err
	}
	if _, err := db.CreateUser(ctx, AdminUser, hash, store.RoleAdmin); err != nil {
		return err
	}
	fmt.Fprintf(out, "Created user %q (admin) with the one-time password:\n  %s\n"+
		"It is not shown again; change it on the account page (/account) after logging in, or with `sluice users passwd %s`.\n", AdminUser, pw, AdminUser)
	return nil
}

// principal is who a request acts for.
type principal struct {
	user store.User
	// session is set when the request came with a session cookie.
	session *session
	// token is set when the request came with an API token.
	token *store.APIToken
}

type principalKey struct{}

// principalFrom returns the request's principal, set by requirePage or
// requireAPI.
func principalFrom(ctx context.Context) (principal, bool) {
	p, ok := ctx.Value(principalKey{}).(principal)
	return p, ok
}

func withPrincipal(r *http.Request, p principal) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
}

// sessionUser returns the session of r's cookie and its user, if the
// cookie is valid and the user still exists with the same password.
func (h *handler) sessionUser(r *http.Request) (principal, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return principal{}, false
	}
	sess, ok := h.sessions.parse(c.Value)
	if !ok {
		return principal{}, false
	}
	u, err := h.db.UserByID(r.Context(), sess.userID)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			h.log.Error("web: read session user", "err", err)
		}
		return principal{}, false
	}
	if !hmac.Equal([]byte(sess.version), []byte(userVersion(u))) {
		return principal{}, false
	}
	return principal{user: u, session: &sess}, true
}

// safeMethod reports whether the method only reads, so needs no CSRF token.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// csrfOK checks the CSRF token of a request made with the session cookie:
// the X-CSRF-Token header or the csrf_token form field must be the
// session's token.
func (h *handler) csrfOK(r *http.Request, sess *session) bool {
	got := r.Header.Get(csrfHeader)
	if got == "" {
		// Bounded, like the login form; ParseForm errors leave got empty.
		r.Body = http.MaxBytesReader(nil, r.Body, 1<<20)
		got = r.PostFormValue(csrfField)
	}
	want := h.sessions.csrfToken(sess.id)
	return got != "" && hmac.Equal([]byte(got), []byte(want))
}

// csrfFailed answers a state-changing request whose CSRF token is missing
// or wrong.
func (h *handler) csrfFailed(w http.ResponseWriter, r *http.Request) {
	h.log.Warn("web: CSRF token missing or wrong", "method", r.Method, "path", r.URL.Path, "remote", clientIP(r))
	if isAPI(r) {
		writeError(w, http.StatusForbidden, "CSRF token missing or wrong: with the session cookie, send the page's token in the X-CSRF-Token header, or use an API token (Authorization: Bearer)")
		return
	}
	h.renderMessage(w, r, http.StatusForbidden, "Form expired",
		"This form was missing its security token or had a stale one (CSRF protection), so nothing was changed. Go back, reload the page and try again.")
}

// requirePage sends visitors without a session to the login page, and
// checks the CSRF token of state-changing requests.
func (h *handler) requirePage(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := h.sessionUser(r)
		if !ok {
			if !safeMethod(r.Method) {
				h.renderMessage(w, r, http.StatusUnauthorized, "Logged out", "Your session has ended. Log in again, then repeat what you did.")
				return
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if !safeMethod(r.Method) && !h.csrfOK(r, p.session) {
			h.csrfFailed(w, r)
			return
		}
		next.ServeHTTP(w, withPrincipal(r, p))
	})
}

// requireAdmin lets only admins through; it goes inside requirePage or
// requireAPI.
func (h *handler) requireAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := principalFrom(r.Context())
		if ok && p.user.Role == store.RoleAdmin {
			next.ServeHTTP(w, r)
			return
		}
		if isAPI(r) {
			writeError(w, http.StatusForbidden, "this needs the admin role; an admin can grant it with `sluice users role NAME admin`")
			return
		}
		h.renderMessage(w, r, http.StatusForbidden, "Admins only",
			"This page is for admins, and you are logged in as a viewer. An admin can give you the admin role with `sluice users role "+p.user.Name+" admin`.")
	})
}

// requireAPI accepts an API token (Authorization: Bearer), a session
// cookie (with the CSRF token on state-changing requests) or HTTP Basic
// auth, and answers 401 (429 after too many failures) otherwise.
func (h *handler) requireAPI(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		authz := r.Header.Get("Authorization")
		// "Bearer " with nothing after arrives as "Bearer": net/http trims
		// header values.
		if scheme, cred, _ := strings.Cut(authz, " "); strings.EqualFold(scheme, "Bearer") {
			h.bearer(w, r, strings.TrimSpace(cred), next)
			return
		}
		if p, ok := h.sessionUser(r); ok {
			if !safeMethod(r.Method) && !h.csrfOK(r, p.session) {
				h.csrfFailed(w, r)
				return
			}
			next.ServeHTTP(w, withPrincipal(r, p))
			return
		}
		user, pass, ok := r.BasicAuth()
		if !ok {
			unauthorized(w, "login required: send an API token (Authorization: Bearer sluice_…), a session cookie or Basic auth")
			return
		}
		ip := clientIP(r)
		if h.refuseBlocked(w, ip) {
			return
		}
		u, ok := h.checkLogin(r.Context(), user, pass)
		if !ok {
			h.limiter.fail(ip)
			h.log.Warn("web: API Basic auth failed", "user", truncate(user, 64), "remote", ip)
			unauthorized(w, "wrong user name or password")
			return
		}
		h.limiter.succeed(ip)
		next.ServeHTTP(w, withPrincipal(r, principal{user: u}))
	})
}

// bearer authenticates an API token.
func (h *handler) bearer(w http.ResponseWriter, r *http.Request, token string, next http.Handler) {
	ip := clientIP(r)
	if h.refuseBlocked(w, ip) {
		return
	}
	if !wellFormedToken(token) {
		h.limiter.fail(ip)
		h.log.Warn("web: malformed API token", "remote", ip)
		unauthorized(w, "malformed API token: want sluice_ followed by 43 characters, as the account page (/account) or `sluice tokens create` shows it")
		return
	}
	t, err := h.db.APITokenByHash(r.Context(), HashToken(token))
	if errors.Is(err, store.ErrNotFound) || err == nil && t.Revoked() {
		h.limiter.fail(ip)
		h.log.Warn("web: unknown or revoked API token", "remote", ip)
		unauthorized(w, "API token unknown or revoked; create a new one on your account page (/account) or with `sluice tokens create`")
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	u, err := h.db.UserByID(r.Context(), t.UserID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.limiter.succeed(ip)
	if now := time.Now(); now.Sub(t.LastUsedAt) >= tokenTouchInterval {
		if err := h.db.TouchAPIToken(r.Context(), t.ID, now); err != nil {
			h.log.Warn("web: record API token use", "err", err)
		}
	}
	next.ServeHTTP(w, withPrincipal(r, principal{user: u, token: &t}))
}

// refuseBlocked answers 429 and returns true when ip has failed too often.
func (h *handler) refuseBlocked(w http.ResponseWriter, ip string) bool {
	wait, blocked := h.limiter.blocked(ip)
	if blocked {
		setRetryAfter(w, wait)
		writeError(w, http.StatusTooManyRequests, "too many failed logins; try again in "+retryAfter(wait)+" seconds")
	}
	return blocked
}

func unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Add("WWW-Authenticate", `Bearer realm="sluice"`)
	w.Header().Add("WWW-Authenticate", `Basic realm="sluice", charset="UTF-8"`)
	writeError(w, http.StatusUnauthorized, msg)
}

// checkLogin returns the user if name and password match. An unknown name
// costs a bcrypt comparison too, so that timing does not tell which names
// exist.
func (h *handler) checkLogin(ctx context.Context, name, password string) (store.User, bool) {
	u, err := h.db.UserByName(ctx, name)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			h.log.Error("web: read user", "err", err)
		}
		checkPassword(h.dummyHash(), password)
		return store.User{}, false
	}
	return u, checkPassword(u.PasswordHash, password)
}

// dummyHash is a bcrypt hash, at the current cost, that no password matches.
func (h *handler) dummyHash() string {
	h.dummyOnce.Do(func() {
		b, err := bcrypt.GenerateFromPassword([]byte(GeneratePassword()), BcryptCost)
		if err == nil {
			h.dummy = string(b)
		}
	})
	return h.dummy
}
