// Package web serves Sluice's pages and its JSON API under /api/v1.
//
// Everything but the login page, the health check and static assets needs a
// login: a session cookie from the login form, or, for the API only, HTTP
// Basic auth with the same credentials. docs/api.md documents the API.
package web

import (
	"crypto/rand"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

// AdminUser is the user name of the single login.
const AdminUser = "admin"

// DefaultSessionTTL is how long a login lasts when Server.SessionTTL is zero.
const DefaultSessionTTL = 7 * 24 * time.Hour

// Login attempts: after loginMaxFailures failures from one IP address within
// loginWindow, further attempts get 429 until the window ends.
const (
	loginMaxFailures = 10
	loginWindow      = time.Minute
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Server serves the web pages and the API. Set its fields, then call
// Handler; changing the fields afterwards has no effect on that handler.
type Server struct {
	// DB is the database the pages and the API read. Required.
	DB *store.DB

	// Logger receives failed logins, logins and server errors.
	// If nil, slog.Default() is used.
	Logger *slog.Logger

	// Password is the admin password; the login user is "admin". With an
	// empty Password every login fails.
	Password string

	// SessionKey is the HMAC key that signs session cookies. Give a stable
	// random key (32 bytes or more) for logins to survive a restart; if nil,
	// Handler generates a random key, so each process has its own sessions.
	// Sessions also end when Password changes.
	SessionKey []byte

	// SessionTTL is how long a login lasts. Zero means DefaultSessionTTL.
	SessionTTL time.Duration

	// BotPatterns are extra globs (matched against author name and email)
	// that mark bot authors, left out of the figures (metrics.md §1).
	BotPatterns []string

	// Version is shown in the page footer and returned by the health check.
	Version string
}

// handler is the state behind one Handler call.
type handler struct {
	db          *store.DB
	log         *slog.Logger
	password    string
	botPatterns []string
	version     string
	sessions    *sessions
	limiter     *loginLimiter
	csrf        *http.CrossOriginProtection
	pages       *pages
}

// Handler returns the HTTP handler serving the pages and the API.
func (s *Server) Handler() http.Handler {
	key := s.SessionKey
	if key == nil {
		key = make([]byte, 32)
		rand.Read(key) // never fails (crypto/rand)
	}
	ttl := s.SessionTTL
	if ttl <= 0 {
		ttl = DefaultSessionTTL
	}
	h := &handler{
		db:          s.DB,
		log:         s.Logger,
		password:    s.Password,
		botPatterns: s.BotPatterns,
		version:     s.Version,
		sessions:    newSessions(key, s.Password, ttl),
		limiter:     newLoginLimiter(loginMaxFailures, loginWindow),
		csrf:        http.NewCrossOriginProtection(),
		pages:       mustParsePages(),
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.password == "" {
		h.log.Warn("web: no admin password set; every login will fail")
	}
	return h.routes()
}

func (h *handler) routes() http.Handler {
	mux := http.NewServeMux()

	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err)
	}
	mux.Handle("GET /static/", http.StripPrefix("/static/", staticFiles(static)))

	mux.HandleFunc("GET /login", h.loginPage)
	mux.HandleFunc("POST /login", h.login)
	mux.HandleFunc("POST /logout", h.logout)
	mux.Handle("GET /{$}", h.requirePage(http.HandlerFunc(h.index)))

	mux.HandleFunc("GET /api/v1/health", h.health)
	mux.Handle("GET /api/v1/commits", h.requireAPI(http.HandlerFunc(h.commits)))
	// Everything else under /api/ answers in JSON too. The method-less
	// pattern also catches other methods on the GET endpoints above.
	mux.Handle("/api/", h.requireAPI(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/commits", "/api/v1/health":
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, http.StatusMethodNotAllowed, r.Method+" "+r.URL.Path+": method not allowed; use GET")
			return
		}
		writeError(w, http.StatusNotFound, r.URL.Path+": no such endpoint; see docs/api.md")
	})))

	return securityHeaders(h.crossOrigin(mux))
}

// securityHeaders sets the headers every response carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

// crossOrigin rejects cross-origin POSTs (CSRF). The session cookie is
// SameSite=Lax, so a cross-site POST carries no session anyway; this also
// stops same-site, cross-origin forms and login CSRF. Browsers are judged
// by Sec-Fetch-Site or Origin (net/http.CrossOriginProtection) and, for
// those sending neither, by the Referer's host.
func (h *handler) crossOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		err := h.csrf.Check(r)
		if err == nil && r.Header.Get("Sec-Fetch-Site") == "" && r.Header.Get("Origin") == "" {
			if ref := r.Header.Get("Referer"); ref != "" {
				if u, perr := url.Parse(ref); perr != nil || u.Host != r.Host {
					err = errors.New("cross-origin Referer")
				}
			}
		}
		if err != nil {
			h.log.Warn("web: cross-origin request rejected", "method", r.Method, "path", r.URL.Path,
				"origin", r.Header.Get("Origin"), "remote", clientIP(r))
			if isAPI(r) {
				writeError(w, http.StatusForbidden, "cross-origin request rejected")
				return
			}
			http.Error(w, "Cross-origin request rejected. Reload the page and try again.", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// staticFiles serves the embedded assets without directory listings.
func staticFiles(fsys fs.FS) http.Handler {
	files := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

func isAPI(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/")
}

// loggedIn reports whether r carries a valid session cookie.
func (h *handler) loggedIn(r *http.Request) bool {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return false
	}
	_, _, ok := h.sessions.parse(c.Value)
	return ok
}

// requirePage sends visitors without a session to the login page.
func (h *handler) requirePage(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.loggedIn(r) {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// requireAPI accepts a session cookie or Basic auth, and answers 401 (429
// after too many failures) otherwise.
func (h *handler) requireAPI(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if h.loggedIn(r) {
			next.ServeHTTP(w, r)
			return
		}
		user, pass, ok := r.BasicAuth()
		if !ok {
			w.Header().Set("WWW-Authenticate", `Basic realm="sluice", charset="UTF-8"`)
			writeError(w, http.StatusUnauthorized, "login required: send a session cookie or Basic auth as admin")
			return
		}
		ip := clientIP(r)
		if wait, blocked := h.limiter.blocked(ip); blocked {
			setRetryAfter(w, wait)
			writeError(w, http.StatusTooManyRequests, "too many failed logins; try again in "+retryAfter(wait)+" seconds")
			return
		}
		if !h.credentialsOK(user, pass) {
			h.limiter.fail(ip)
			h.log.Warn("web: API Basic auth failed", "user", truncate(user, 64), "remote", ip)
			w.Header().Set("WWW-Authenticate", `Basic realm="sluice", charset="UTF-8"`)
			writeError(w, http.StatusUnauthorized, "wrong user name or password")
			return
		}
		h.limiter.succeed(ip)
		next.ServeHTTP(w, r)
	})
}

// credentialsOK checks user and password in constant time.
func (h *handler) credentialsOK(user, pass string) bool {
	userOK := passwordEqual(user, AdminUser)
	passOK := passwordEqual(pass, h.password)
	return userOK && passOK && h.password != ""
}

// setRetryAfter tells a blocked client when it may try again.
func setRetryAfter(w http.ResponseWriter, wait time.Duration) {
	w.Header().Set("Retry-After", retryAfter(wait))
}

func retryAfter(wait time.Duration) string {
	return strconv.Itoa(int((wait + time.Second - 1) / time.Second))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// health answers without a login so that load balancers can use it.
func (h *handler) health(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": h.version})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeError writes the API's error body, {"error": msg}.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, struct {
		Error string `json:"error"`
	}{msg})
}

// serverError logs err and answers 500 without details.
func (h *handler) serverError(w http.ResponseWriter, r *http.Request, err error) {
	h.log.Error("web: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	msg := fmt.Sprintf("internal error at %s; the server log has the details", time.Now().UTC().Format(time.RFC3339))
	if isAPI(r) {
		writeError(w, http.StatusInternalServerError, msg)
		return
	}
	http.Error(w, msg, http.StatusInternalServerError)
}
