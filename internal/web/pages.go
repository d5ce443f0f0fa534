package web

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

// pages holds the parsed templates, one set per page.
type pages struct {
	login    *template.Template
	index    *template.Template
	people   *template.Template
	person   *template.Template
	settings *template.Template
	message  *template.Template

	// Teams and repositories (teams.go, repos.go).
	teams, team, repos, repo *template.Template

	// Sources and settings (sources.go, settings.go).
	sources        *template.Template
	settingsPeople *template.Template
	settingsTeams  *template.Template

	// The user's own account (account.go).
	account *template.Template
}

var templateFuncs = template.FuncMap{
	"float": func(f any) string {
		switch v := f.(type) {
		case float64:
			return fmt.Sprintf("%.2f", v)
		case *float64:
			if v != nil {
				return fmt.Sprintf("%.2f", *v)
			}
		}
		return "–"
	},
	// figure shows a headline value: whole numbers without decimals.
	"figure": func(v *float64) string {
		if v == nil {
			return "–"
		}
		if *v == math.Trunc(*v) && math.Abs(*v) < 1e15 {
			return strconv.FormatInt(int64(*v), 10)
		}
		return strconv.FormatFloat(*v, 'f', 2, 64)
	},
	// change shows a change in percent with its sign.
	"change": func(v *float64) string {
		if v == nil {
			return "–"
		}
		return fmt.Sprintf("%+.1f%%", *v)
	},
	"changeClass": func(v *float64) string {
		switch {
		case v == nil || *v == 0:
			return "flat"
		case *v > 0:
			return "up"
		}
		return "down"
	},
	"short":      func(sha string) string { return sha[:min(len(sha), 10)] },
	"personPath": personPath,
	"time": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
}

func mustParsePages(a *assets) *pages {
	funcs := template.FuncMap{"asset": a.url}
	for k, v := range templateFuncs {
		funcs[k] = v
	}
	parse := func(name string) *template.Template {
		return template.Must(template.New(name).Funcs(funcs).
			ParseFS(templateFS, "templates/layout.html", "templates/filters.html", "templates/parts.html", "templates/"+name))
	}
	return &pages{
		login:    parse("login.html"),
		index:    parse("index.html"),
		people:   parse("people.html"),
		person:   parse("person.html"),
		settings: parse("settings.html"),
		message:  parse("message.html"),

		teams: parse("teams.html"),
		team:  parse("team.html"),
		repos: parse("repos.html"),
		repo:  parse("repo.html"),

		sources:        parse("sources.html"),
		settingsPeople: parse("settings_people.html"),
		settingsTeams:  parse("settings_teams.html"),

		account: parse("account.html"),
	}
}

// render executes t into a buffer first, so that a template error becomes a
// clean 500 rather than half a page.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, t *template.Template, data any) {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		h.serverError(w, r, fmt.Errorf("render %s: %w", t.Name(), err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// page is what every template gets besides its own data.
type page struct {
	Title    string
	Version  string
	LoggedIn bool
	User     string // the logged-in user's name
	Admin    bool   // whether that user is an admin
	CSRF     string // the session's CSRF token, for every POST form
	// Nav is the navigation entry of the page ("overview", "people").
	Nav string
	// Filters is the filter bar; nil on pages without one.
	Filters *filterBar
}

// pageFor fills page for a request that went through requirePage (or any
// request: without a session it is a logged-out page).
func (h *handler) pageFor(r *http.Request, title string) page {
	pg := page{Title: title, Version: h.version}
	if p, ok := principalFrom(r.Context()); ok && p.session != nil {
		pg.LoggedIn, pg.User, pg.Admin = true, p.user.Name, p.user.Role == store.RoleAdmin
		pg.CSRF = h.sessions.csrfToken(p.session.id)
	}
	return pg
}

type messageData struct {
	page
	Heading string
	Message string
}

// renderMessage answers with a page that explains what happened.
func (h *handler) renderMessage(w http.ResponseWriter, r *http.Request, status int, heading, msg string) {
	w.Header().Set("Cache-Control", "no-store")
	h.render(w, r, status, h.pages.message, messageData{page: h.pageFor(r, heading), Heading: heading, Message: msg})
}

type loginData struct {
	page
	Next     string
	Username string
	Error    string
}

// localPath returns next if it is a path on this server, else "/". It keeps
// the login form from being an open redirect.
func localPath(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return next
}

func (h *handler) loginPage(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.URL.Query().Get("next"))
	if _, ok := h.sessionUser(r); ok {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	h.render(w, r, http.StatusOK, h.pages.login, loginData{
		page: page{Title: "Log in", Version: h.version},
		Next: next,
	})
}

func (h *handler) login(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "Bad login form.", http.StatusBadRequest)
		return
	}
	user, pass := r.PostForm.Get("username"), r.PostForm.Get("password")
	next := localPath(r.PostForm.Get("next"))
	data := loginData{page: page{Title: "Log in", Version: h.version}, Next: next, Username: user}

	ip := clientIP(r)
	if wait, blocked := h.limiter.blocked(ip); blocked {
		h.log.Warn("web: login refused: too many failures", "remote", ip)
		setRetryAfter(w, wait)
		data.Error = "Too many failed logins. Try again in " + retryAfter(wait) + " seconds."
		h.render(w, r, http.StatusTooManyRequests, h.pages.login, data)
		return
	}
	u, ok := h.checkLogin(r.Context(), user, pass)
	if !ok {
		h.limiter.fail(ip)
		h.log.Warn("web: login failed", "user", truncate(user, 64), "remote", ip)
		data.Error = "Wrong user name or password."
		if n, err := h.db.CountUsers(r.Context()); err == nil && n == 0 {
			data.Error = "There are no users yet, so nobody can log in. Create one on the server with: sluice users add NAME --admin"
		}
		h.render(w, r, http.StatusUnauthorized, h.pages.login, data)
		return
	}
	h.limiter.succeed(ip)
	token, sess := h.sessions.issue(u)
	http.SetCookie(w, h.cookie(r, token, int(time.Until(sess.exp).Seconds()), sess.exp))
	h.log.Info("web: login", "user", u.Name, "role", u.Role, "remote", ip)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// cookie is the session cookie with value; maxAge < 0 deletes it.
// Secure is set over TLS and when the server is configured as HTTPS; over
// plain HTTP (http://127.0.0.1 in development) a Secure cookie would not
// come back from most browsers.
func (h *handler) cookie(r *http.Request, value string, maxAge int, exp time.Time) *http.Cookie {
	return &http.Cookie{
		Name:     sessionCookie,
		Value:    value,
		Path:     "/",
		Expires:  exp,
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   h.secure || r.TLS != nil,
		SameSite: http.SameSiteLaxMode,
	}
}

// logout ends the session. It needs the session's CSRF token, so that
// another site cannot log a user out; without a valid session there is
// nothing to protect, and the cookie is just cleared.
func (h *handler) logout(w http.ResponseWriter, r *http.Request) {
	if p, ok := h.sessionUser(r); ok {
		if !h.csrfOK(r, p.session) {
			h.csrfFailed(w, r)
			return
		}
		h.sessions.revoke(p.session.id, p.session.exp)
		h.log.Info("web: logout", "user", p.user.Name, "remote", clientIP(r))
	}
	http.SetCookie(w, h.cookie(r, "", -1, time.Time{}))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
