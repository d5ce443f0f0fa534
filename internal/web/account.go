package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sluicehq/sluice/internal/store"
)

// The account page (/account): every logged-in user, admin or viewer,
// changes their own password and manages their own API tokens there. Like
// the settings pages, each form posts with the session's CSRF token and
// redirects back with a message (post/redirect/get); a refused change
// answers with the page, the reason beside its form, and a 4xx status.
//
// A new API token reaches the page through the flash store: it stays in
// the server's memory, bound to the session that created it, until the
// page after the redirect shows it, once; the cookie holds only a random
// id. So the token is never in a URL or a cookie, and reloading the page
// neither shows it again nor creates another one.

// maxTokenName is the longest API token name the page accepts, in
// characters: a name says what uses the token, not more.
const maxTokenName = 100

// accountData is what account.html gets.
type accountData struct {
	page
	Flash *flash
	// PasswordError and TokenError say why the change just posted to the
	// password or the token form was not made.
	PasswordError, TokenError string
	// Tokens are the user's API tokens, revoked ones included.
	Tokens []store.APIToken
}

// accountForm names the form a refused change came from, to show the
// reason beside it.
type accountForm int

const (
	passwordForm accountForm = iota
	tokenForm
)

func (h *handler) accountPage(w http.ResponseWriter, r *http.Request) {
	h.renderAccount(w, r, http.StatusOK, passwordForm, "")
}

// renderAccount renders the account page: status 200 with the flash of a
// change just made, or the status and the reason of a refused one, shown
// beside form.
func (h *handler) renderAccount(w http.ResponseWriter, r *http.Request, status int, form accountForm, errMsg string) {
	p, ok := principalFrom(r.Context())
	if !ok {
		h.serverError(w, r, errors.New("account page without a login"))
		return
	}
	data := accountData{page: h.pageFor(r, "Account")}
	data.Nav = "account"
	switch {
	case errMsg == "":
		data.Flash = h.takeFlash(w, r)
	case form == tokenForm:
		data.TokenError = errMsg
	default:
		data.PasswordError = errMsg
	}
	tokens, err := h.db.APITokens(r.Context(), p.user.ID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	data.Tokens = tokens
	h.render(w, r, status, h.pages.account, data)
}

// accountDone redirects to the account page with a flash, or answers with
// the page and the reason when err is a settingsError (else 500).
func (h *handler) accountDone(w http.ResponseWriter, r *http.Request, form accountForm, err error, f flash) {
	if err != nil {
		var se *settingsError
		if errors.As(err, &se) {
			h.log.Info("web: account change refused", "path", r.URL.Path, "reason", se.msg)
			h.renderAccount(w, r, se.status, form, se.msg)
			return
		}
		h.serverError(w, r, err)
		return
	}
	h.setFlash(w, r, f)
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

// changePassword sets the user's password after checking the current one.
// The user's sessions carry a version derived from the password
// (userVersion), so the change ends all of them; this browser gets a new
// session, and stays logged in.
func (h *handler) changePassword(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	// Guessing the current password here is guessing a login: the same
	// limit per IP address applies.
	ip := clientIP(r)
	if wait, blocked := h.limiter.blocked(ip); blocked {
		h.log.Warn("web: password change refused: too many failures", "user", p.user.Name, "remote", ip)
		setRetryAfter(w, wait)
		h.renderAccount(w, r, http.StatusTooManyRequests, passwordForm,
			"Too many wrong passwords from your address. Try again in "+retryAfter(wait)+" seconds.")
		return
	}
	err := form(r)
	if err == nil {
		current, next, repeat := r.PostForm.Get("current"), r.PostForm.Get("new"), r.PostForm.Get("repeat")
		switch {
		case !checkPassword(p.user.PasswordHash, current):
			h.limiter.fail(ip)
			h.log.Warn("web: password change refused: wrong current password", "user", p.user.Name, "remote", ip)
			err = &settingsError{http.StatusForbidden, "The current password is wrong, so your password was not changed. Type the password you logged in with."}
		case next != repeat:
			err = badRequest("The new password and its repetition differ, so your password was not changed. Type the same new password twice.")
		default:
			if rule := passwordRules(next); rule != nil {
				err = badRequest("%s.", sentence(rule.Error()))
			}
		}
	}
	if err != nil {
		h.accountDone(w, r, passwordForm, err, flash{})
		return
	}
	h.limiter.succeed(ip)
	hash, err := HashPassword(r.PostForm.Get("new"))
	if err == nil {
		err = h.db.SetUserPassword(r.Context(), p.user.Name, hash)
	}
	var u store.User
	if err == nil {
		u, err = h.db.UserByID(r.Context(), p.user.ID)
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	// The old session no longer matches the user's version; revoking its
	// id as well ends it even if the password were set back.
	h.sessions.revoke(p.session.id, p.session.exp)
	token, sess := h.sessions.issue(u)
	http.SetCookie(w, h.cookie(r, token, int(time.Until(sess.exp).Seconds()), sess.exp))
	h.log.Info("web: password changed", "user", u.Name, "remote", ip)
	// The flash belongs to the new session, which reads the next page.
	r = withPrincipal(r, principal{user: u, session: &sess})
	h.accountDone(w, r, passwordForm, nil, flash{Message: "Your password has been changed.",
		Note: "Your other sessions have ended: log in there again with the new password. This one stays logged in, and your API tokens keep working."})
}

// sentence makes an error message a sentence's start: capitalised.
func sentence(msg string) string {
	if msg == "" {
		return msg
	}
	return strings.ToUpper(msg[:1]) + msg[1:]
}

// createToken creates an API token of the user and shows it once.
func (h *handler) createToken(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	f, err := func() (flash, error) {
		if err := form(r); err != nil {
			return flash{}, err
		}
		name := strings.TrimSpace(r.PostForm.Get("name"))
		if name == "" {
			return flash{}, badRequest("The token name is empty; name it after what will use it, such as grafana or ci.")
		}
		if utf8.RuneCountInString(name) > maxTokenName {
			return flash{}, badRequest("The token name is longer than %d characters; use a shorter one.", maxTokenName)
		}
		secret, hash := NewAPIToken()
		t, err := h.db.CreateAPIToken(r.Context(), p.user.ID, name, hash)
		if err != nil {
			return flash{}, err
		}
		h.log.Info("web: API token created", "user", p.user.Name, "token_id", t.ID, "name", t.Name)
		return flash{Message: fmt.Sprintf("Created API token %q.", t.Name), Secret: secret, APIToken: true,
			Note: "Sluice keeps only its hash, so it cannot show the token again. It acts as you, with your role; if it gets lost or leaks, revoke it below and create another."}, nil
	}()
	h.accountDone(w, r, tokenForm, err, f)
}

// revokeOwnToken revokes one of the user's API tokens. A token of another
// user is answered like one that does not exist.
func (h *handler) revokeOwnToken(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	f, err := func() (flash, error) {
		id, err := tokenIDField(r)
		if err != nil {
			return flash{}, err
		}
		tokens, err := h.db.APITokens(r.Context(), p.user.ID)
		if err != nil {
			return flash{}, err
		}
		for _, t := range tokens {
			if t.ID == id {
				return h.revokeToken(r, p.user, t)
			}
		}
		return flash{}, notFound("You have no API token with id %d; reload the page to see your tokens.", id)
	}()
	h.accountDone(w, r, tokenForm, err, f)
}

// tokenIDField reads the id field of a revoke form.
func tokenIDField(r *http.Request) (int64, error) {
	if err := form(r); err != nil {
		return 0, err
	}
	v := r.PostForm.Get("id")
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest("%q is not a token id; reload the page and try again.", v)
	}
	return id, nil
}

// revokeToken revokes t on behalf of by and says so.
func (h *handler) revokeToken(r *http.Request, by store.User, t store.APIToken) (flash, error) {
	if t.Revoked() {
		return flash{Message: fmt.Sprintf("API token %q was revoked already.", t.Name)}, nil
	}
	if err := h.db.RevokeAPIToken(r.Context(), t.ID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return flash{}, notFound("API token %d no longer exists; its user may have been deleted meanwhile.", t.ID)
		}
		return flash{}, err
	}
	h.log.Info("web: API token revoked", "user", by.Name, "owner", t.UserName, "token_id", t.ID, "name", t.Name)
	whose := "your API token"
	if t.UserID != by.ID {
		whose = "the API token of " + t.UserName
	}
	return flash{Message: fmt.Sprintf("Revoked %s %q; requests with it are refused from now on.", whose, t.Name)}, nil
}
