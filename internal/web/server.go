// Package web serves Sluice's pages and its JSON API under /api/v1.
//
// Everything but the login page, the health checks and static assets needs
// a login. Users (store.User) are admins or viewers; they log in through
// the form, which sets a signed session cookie, and every state-changing
// request made with that cookie must carry the session's CSRF token. The
// API also takes API tokens (Authorization: Bearer sluice_…) and HTTP
// Basic auth. docs/api.md documents the API, docs/auth.md the logins.
package web

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

// AdminUser is the name of the admin user that EnsureAdmin and
// CreateQuickStartAdmin create.
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

	// SessionKey is the HMAC key that signs session cookies. Give a stable
	// random key (32 bytes or more) for logins to survive a restart; if nil,
	// Handler generates a random key, so each process has its own sessions.
	// A user's sessions also end when their password is set or they are
	// deleted.
	SessionKey []byte

	// Secure marks session cookies Secure on every response. Set it when
	// users reach the server over HTTPS through a proxy that terminates
	// TLS; requests that arrive over TLS get Secure cookies regardless.
	Secure bool

	// SessionTTL is how long a login lasts. Zero means DefaultSessionTTL.
	SessionTTL time.Duration

	// BotPatterns are extra globs (matched against author name and email)
	// that mark bot authors, left out of the figures (metrics.md §1).
	BotPatterns []string

	// Version is shown in the page footer and returned by the health check.
	Version string

	// Syncer, if set, syncs repositories on request: the sources page's
	// "Sync now" and POST /api/v1/repos/{name}/sync. sluice serve sets it.
	Syncer Syncer

	// ConfiguredExclude and ConfiguredHide are sluice.yaml's people.exclude
	// and people.hide: the settings pages do not undo what they set.
	ConfiguredExclude, ConfiguredHide []string

	// CacheBytes bounds the cache of reads (store.EnableCache)
	// the pages and the API share: answers stay until the data changes,
	// whichever process changes it. Zero means DefaultCacheBytes; a
	// negative value turns the cache off.
	CacheBytes int64

	// handler is the last Handler's state, which KeepWarm uses.
	handler *handler
}

// DefaultCacheBytes is the aggregate cache's bound when Server.CacheBytes
// is zero.
const DefaultCacheBytes = 64 << 20

// handler is the state behind one Handler call.
type handler struct {
	db          *store.DB
	log         *slog.Logger
	secure      bool
	botPatterns []string
	version     string
	sessions    *sessions
	limiter     *loginLimiter
	csrf        *http.CrossOriginProtection
	pages       *pages
	assets      *assets
	metrics     *httpMetrics

	syncer                    Syncer
	configExclude, configHide []string
	flashes                   *flashStore

	dummyOnce sync.Once
	dummy     string // see dummyHash
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
		secure:      s.Secure,
		botPatterns: s.BotPatterns,
		version:     s.Version,
		sessions:    newSessions(key, ttl),
		limiter:     newLoginLimiter(loginMaxFailures, loginWindow),
		csrf:        http.NewCrossOriginProtection(),
		assets:      mustLoadAssets(),
		metrics:     newHTTPMetrics(),

		syncer:        s.Syncer,
		configExclude: s.ConfiguredExclude,
		configHide:    s.ConfiguredHide,
		flashes:       newFlashStore(),
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	h.pages = mustParsePages(h.assets)
	switch {
	case s.CacheBytes == 0:
		s.DB.EnableCache(DefaultCacheBytes)
	case s.CacheBytes > 0:
		s.DB.EnableCache(s.CacheBytes)
	}
	s.handler = h
	return h.routes()
}

func (h *handler) routes() http.Handler {
	mux := http.NewServeMux()

	mux.Handle("GET /static/", http.StripPrefix("/static/", h.assets))

	mux.HandleFunc("GET /login", h.loginPage)
	mux.HandleFunc("POST /login", h.login)
	mux.HandleFunc("POST /logout", h.logout)
	mux.Handle("GET /{$}", h.requirePage(http.HandlerFunc(h.index)))
	mux.Handle("GET /people", h.requirePage(http.HandlerFunc(h.peoplePage)))
	mux.Handle("GET /people/{key}", h.requirePage(http.HandlerFunc(h.personPage)))
	// Teams and repositories (teams.go, repos.go). Repository names hold
	// slashes, so a repository's path is the rest of the URL.
	mux.Handle("GET /teams", h.requirePage(http.HandlerFunc(h.teamsPage)))
	mux.Handle("GET /teams/{name}", h.requirePage(http.HandlerFunc(h.teamPage)))
	mux.Handle("GET /repos", h.requirePage(http.HandlerFunc(h.reposPage)))
	mux.Handle("GET /repos/{name...}", h.requirePage(http.HandlerFunc(h.repoPage)))
	// Sources (sources.go) and the admins' settings (settings.go).
	mux.Handle("GET /sources", h.requirePage(http.HandlerFunc(h.sourcesPage)))
	mux.Handle("POST /sources/{name}/sync", h.requirePage(h.requireAdmin(http.HandlerFunc(h.syncNow))))
	// The user's own password and API tokens (account.go), for every user.
	mux.Handle("GET /account", h.requirePage(http.HandlerFunc(h.accountPage)))
	mux.Handle("POST /account/password", h.requirePage(http.HandlerFunc(h.changePassword)))
	mux.Handle("POST /account/tokens", h.requirePage(http.HandlerFunc(h.createToken)))
	mux.Handle("POST /account/tokens/revoke", h.requirePage(http.HandlerFunc(h.revokeOwnToken)))
	for pattern, fn := range map[string]http.HandlerFunc{
		"GET /settings":                       h.settingsUsersPage,
		"POST /settings/users":                h.createUser,
		"POST /settings/users/role":           h.setUserRole,
		"POST /settings/users/delete":         h.deleteUser,
		"POST /settings/tokens/revoke":        h.revokeAnyToken,
		"GET /settings/people":                h.settingsPeoplePage,
		"POST /settings/people/merge":         h.mergePeople,
		"POST /settings/people/dismiss":       h.dismissSuggestion,
		"POST /settings/people/split":         h.splitPerson,
		"POST /settings/people/flags":         h.setPersonFlags,
		"GET /settings/teams":                 h.settingsTeamsPage,
		"POST /settings/teams":                h.createTeam,
		"POST /settings/teams/delete":         h.deleteTeam,
		"POST /settings/teams/parent":         h.moveTeam,
		"POST /settings/teams/members":        h.addTeamMember,
		"POST /settings/teams/members/remove": h.removeTeamMember,
	} {
		mux.Handle(pattern, h.requirePage(h.requireAdmin(fn)))
	}

	mux.HandleFunc("GET /healthz", h.health)
	mux.Handle("GET /metrics", h.requireAPI(http.HandlerFunc(h.serveMetrics)))
	// anyMethod has the API's paths without their methods: a path found
	// there but not in mux exists for other methods only (405).
	anyMethod := http.NewServeMux()
	allow := map[string][]string{} // path pattern -> its methods
	for _, rt := range h.apiRoutes() {
		var hd http.Handler = rt.handler
		if !rt.public {
			hd = h.requireAPI(hd)
		}
		mux.Handle(rt.pattern, hd)
		method, path, _ := strings.Cut(rt.pattern, " ")
		if allow[path] == nil {
			anyMethod.Handle(path, http.NotFoundHandler())
		}
		allow[path] = append(allow[path], method)
	}
	// Everything else under /api/ answers in JSON too. The method-less
	// pattern also catches other methods on the GET endpoints above.
	mux.Handle("/api/", h.requireAPI(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := anyMethod.Handler(r); pattern != "" {
			methods := slices.Clone(allow[pattern])
			if slices.Contains(methods, http.MethodGet) {
				methods = append(methods, http.MethodHead)
			}
			w.Header().Set("Allow", strings.Join(methods, ", "))
			writeError(w, http.StatusMethodNotAllowed, r.Method+" "+r.URL.Path+": method not allowed; use "+strings.Join(allow[pattern], " or "))
			return
		}
		writeError(w, http.StatusNotFound, r.URL.Path+": no such endpoint; see /api/v1/openapi.json or docs/api.md")
	})))

	return h.metrics.middleware(securityHeaders(gzipText(h.crossOrigin(mux))))
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

// mustLoadAssets reads the embedded static files; they are part of the
// binary, so failing is a build fault.
func mustLoadAssets() *assets {
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err)
	}
	a, err := loadAssets(static)
	if err != nil {
		panic(err)
	}
	return a
}

func isAPI(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/")
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

// health answers without a login so that load balancers can use it: 200
// with {"status":"ok","version":…} when the database answers, else 503
// with status "unavailable".
func (h *handler) health(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if _, err := h.db.CountUsers(ctx); err != nil {
		h.log.Error("web: health check: database", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "version": h.version, "error": "the database does not answer; the server log has the details"})
		return
	}
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
