package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// accountEnv is a seeded server with a client logged in as the viewer and
// its CSRF token.
func accountEnv(t *testing.T) (*testEnv, *http.Client, string) {
	t.Helper()
	e := seededEnv(t)
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(e.logs.String())
		}
	})
	c := e.client(t)
	e.loginAs(t, c, viewerUser, viewerPassword)
	return e, c, e.csrfToken(t, c)
}

// accountText returns the text of the element with this id on an account
// page, or "".
func accountText(body, id string) string {
	m := regexp.MustCompile(`id="` + id + `"[^>]*>(.*?)</`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

var flashSecret = regexp.MustCompile(`<code id="flash-secret">([^<]+)</code>`)

// canLogIn reports whether user can log in with password.
func (e *testEnv) canLogIn(t *testing.T, user, password string) bool {
	t.Helper()
	resp := e.postForm(t, e.client(t), "/login", url.Values{"username": {user}, "password": {password}, "next": {"/"}})
	return resp.StatusCode == http.StatusSeeOther
}

// bearerGet requests path with the API token.
func (e *testEnv) bearerGet(t *testing.T, token, path string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", e.ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return e.do(t, &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, req)
}

func TestAccountNeedsLogin(t *testing.T) {
	e := seededEnv(t)
	c := e.client(t)
	resp, _ := e.get(t, c, "/account")
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/login?next=%2Faccount" {
		t.Errorf("GET /account logged out: %d to %q, want 303 to the login form", resp.StatusCode, loc)
	}
	for _, path := range []string{"/account/password", "/account/tokens", "/account/tokens/revoke"} {
		req, _ := http.NewRequest("POST", e.ts.URL+path, strings.NewReader("name=x&id=1&current=x&new=x&repeat=x"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", e.ts.URL)
		if resp, body := e.do(t, c, req); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Your session has ended") {
			t.Errorf("POST %s logged out: %d, want 401 Logged out", path, resp.StatusCode)
		}
	}
	if tokens, _ := e.db.APITokens(context.Background(), 0); len(tokens) != 0 {
		t.Errorf("tokens after logged-out posts: %d", len(tokens))
	}

	// Logged in, both roles get the page, linked from the header.
	for _, u := range []struct{ name, password, role string }{{AdminUser, testPassword, "an admin"}, {viewerUser, viewerPassword, "a viewer"}} {
		c := e.client(t)
		e.loginAs(t, c, u.name, u.password)
		_, home := e.get(t, c, "/")
		if !strings.Contains(home, `<a href="/account" class="user" id="user"`) {
			t.Errorf("%s: the header's name does not link to /account", u.name)
		}
		resp, body := e.get(t, c, "/account")
		if resp.StatusCode != http.StatusOK || accountText(body, "account-name") != u.name || !strings.Contains(body, ", "+u.role+".") {
			t.Errorf("%s: GET /account = %d, name %q:\n%s", u.name, resp.StatusCode, accountText(body, "account-name"), body)
		}
		for _, form := range []string{`id="change-password"`, `id="create-token"`, `id="no-tokens"`} {
			if !strings.Contains(body, form) {
				t.Errorf("%s: the page lacks %s", u.name, form)
			}
		}
	}
}

// TestAccountCSRF: without the session's CSRF token, or with another
// session's, every account form is refused and nothing changes.
func TestAccountCSRF(t *testing.T) {
	e, c, _ := accountEnv(t)
	ctx := context.Background()
	own := e.token(t, e.viewer.ID, "ci")
	stored, _ := e.db.APITokenByHash(ctx, HashToken(own))
	other := e.client(t)
	e.loginAs(t, other, viewerUser, viewerPassword)
	otherToken := e.csrfToken(t, other)
	posts := []struct {
		path string
		form url.Values
	}{
		{"/account/password", url.Values{"current": {viewerPassword}, "new": {"a new passphrase"}, "repeat": {"a new passphrase"}}},
		{"/account/tokens", url.Values{"name": {"grafana"}}},
		{"/account/tokens/revoke", url.Values{"id": {itoa(stored.ID)}}},
	}
	for _, p := range posts {
		for name, token := range map[string]string{"no token": "", "another session's": otherToken} {
			form := url.Values{}
			for k, v := range p.form {
				form[k] = v
			}
			if token != "" {
				form.Set(csrfField, token)
			}
			req, _ := http.NewRequest("POST", e.ts.URL+p.path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", e.ts.URL)
			resp, body := e.do(t, c, req)
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Form expired") {
				t.Errorf("%s with %s: %d, want 403 Form expired", p.path, name, resp.StatusCode)
			}
		}
	}
	if !e.canLogIn(t, viewerUser, viewerPassword) || e.canLogIn(t, viewerUser, "a new passphrase") {
		t.Error("the password changed")
	}
	tokens, _ := e.db.APITokens(ctx, e.viewer.ID)
	if len(tokens) != 1 || tokens[0].Revoked() {
		t.Errorf("tokens changed: %+v", tokens)
	}
	if resp, _ := e.bearerGet(t, own, "/api/v1/overview"); resp.StatusCode != http.StatusOK {
		t.Errorf("the token stopped working: %d", resp.StatusCode)
	}
}

func TestAccountPasswordRefused(t *testing.T) {
	e, c, token := accountEnv(t)
	ctx := context.Background()
	before, _ := e.db.UserByName(ctx, viewerUser)
	for _, tc := range []struct {
		name                string
		current, new, again string
		status              int
		want                string
	}{
		{"wrong current", "not my password", "a fine new password", "a fine new password", http.StatusForbidden, "The current password is wrong, so your password was not changed."},
		{"empty current", "", "a fine new password", "a fine new password", http.StatusForbidden, "The current password is wrong"},
		{"too short", viewerPassword, "short", "short", http.StatusBadRequest, "The password is shorter than 8 characters"},
		{"too short in runes", viewerPassword, "ääää", "ääää", http.StatusBadRequest, "shorter than 8 characters"},
		{"too long", viewerPassword, strings.Repeat("x", 73), strings.Repeat("x", 73), http.StatusBadRequest, "longer than 72 bytes"},
		{"mismatch", viewerPassword, "a fine new password", "a fine new passwort", http.StatusBadRequest, "The new password and its repetition differ"},
	} {
		st, body := e.submit(t, c, "/account/password", token, url.Values{"current": {tc.current}, "new": {tc.new}, "repeat": {tc.again}})
		if msg := accountText(body, "password-error"); st != tc.status || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: %d %q, want %d %q", tc.name, st, msg, tc.status, tc.want)
		}
	}
	after, _ := e.db.UserByName(ctx, viewerUser)
	if after.PasswordHash != before.PasswordHash || !after.PasswordChangedAt.Equal(before.PasswordChangedAt) {
		t.Error("a refused change set the password")
	}
	// The session survived the refusals.
	if resp, _ := e.get(t, c, "/account"); resp.StatusCode != http.StatusOK {
		t.Errorf("after refused changes GET /account = %d", resp.StatusCode)
	}
	if !strings.Contains(e.logs.String(), "password change refused: wrong current password") {
		t.Error("a wrong current password is not logged")
	}
	if logs := e.logs.String(); strings.Contains(logs, "a fine new password") || strings.Contains(logs, viewerPassword) {
		t.Error("the log contains a password")
	}
	// Guessing the current password counts as failed logins: after 10
	// within the minute (2 above), even the right one is refused.
	for range loginMaxFailures - 2 {
		e.submit(t, c, "/account/password", token, url.Values{"current": {"guess"}, "new": {"a fine new password"}, "repeat": {"a fine new password"}})
	}
	st, body := e.submit(t, c, "/account/password", token, url.Values{"current": {viewerPassword}, "new": {"a fine new password"}, "repeat": {"a fine new password"}})
	if msg := accountText(body, "password-error"); st != http.StatusTooManyRequests || !strings.Contains(msg, "Too many wrong passwords") {
		t.Errorf("after %d wrong passwords: %d %q, want 429", loginMaxFailures, st, msg)
	}
	if after, _ := e.db.UserByName(ctx, viewerUser); after.PasswordHash != before.PasswordHash {
		t.Error("a blocked change set the password")
	}
}

func TestAccountPasswordChange(t *testing.T) {
	e, c, token := accountEnv(t)
	otherSession := e.client(t)
	e.loginAs(t, otherSession, viewerUser, viewerPassword)
	admin := loggedIn(t, e)

	const newPassword = "a brand new passphrase"
	st, body := e.submit(t, c, "/account/password", token, url.Values{"current": {viewerPassword}, "new": {newPassword}, "repeat": {newPassword}})
	if st != http.StatusSeeOther || flashText(body) != "Your password has been changed." {
		t.Fatalf("change: %d, flash %q\n%s", st, flashText(body), body)
	}
	if note := accountText(body, "flash-note"); !strings.Contains(note, "other sessions have ended") {
		t.Errorf("the note does not say other sessions ended: %q", note)
	}
	// This session goes on, with a new CSRF token; the other one ended;
	// another user's session is untouched.
	if resp, body := e.get(t, c, "/account"); resp.StatusCode != http.StatusOK || accountText(body, "account-name") != viewerUser {
		t.Errorf("the changing session: GET /account = %d", resp.StatusCode)
	}
	if newToken := e.csrfToken(t, c); newToken == token {
		t.Error("the CSRF token of the new session is the old one")
	}
	if resp, _ := e.get(t, otherSession, "/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the other session of the user: GET / = %d, want 303 to the login form", resp.StatusCode)
	}
	if resp, _ := e.get(t, admin, "/"); resp.StatusCode != http.StatusOK {
		t.Errorf("the admin's session: GET / = %d, want 200", resp.StatusCode)
	}
	// The new password logs in; the old one does not.
	if !e.canLogIn(t, viewerUser, newPassword) {
		t.Error("the new password does not log in")
	}
	if e.canLogIn(t, viewerUser, viewerPassword) {
		t.Error("the old password still logs in")
	}
	if !strings.Contains(e.logs.String(), `msg="web: password changed" user=vera`) {
		t.Error("the change is not logged")
	}
}

func TestAccountTokens(t *testing.T) {
	e, c, token := accountEnv(t)
	ctx := context.Background()
	adminToken := e.token(t, e.admin.ID, "admin's script")

	// Create: the page after the redirect shows the token once.
	form := url.Values{"name": {"grafana"}, csrfField: {token}}
	req, _ := http.NewRequest("POST", e.ts.URL+"/account/tokens", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.ts.URL)
	resp, _ := e.do(t, c, req)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account" {
		t.Fatalf("create: %d to %q, want 303 to /account", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body := e.get(t, c, "/account")
	m := flashSecret.FindStringSubmatch(body)
	if m == nil || flashText(body) != `Created API token &#34;grafana&#34;.` {
		t.Fatalf("no new token on the page; flash %q", flashText(body))
	}
	secret := m[1]
	if !wellFormedToken(secret) || strings.Count(body, secret) != 1 {
		t.Errorf("token %q: well formed %v, shown %d times", secret, wellFormedToken(secret), strings.Count(body, secret))
	}
	if hint := accountText(body, "flash-token-hint"); !strings.Contains(hint, "Authorization: Bearer") {
		t.Errorf("no copy hint: %q", hint)
	}
	// Not in the redirect, a cookie, the database or the log.
	for _, ck := range resp.Cookies() {
		if strings.Contains(ck.Value, secret[len(TokenPrefix):]) {
			t.Errorf("cookie %s holds the token", ck.Name)
		}
	}
	stored, err := e.db.APITokenByHash(ctx, HashToken(secret))
	if err != nil || stored.UserID != e.viewer.ID || stored.Name != "grafana" || stored.TokenHash == secret {
		t.Fatalf("stored token %+v, %v", stored, err)
	}
	if strings.Contains(e.logs.String(), secret[len(TokenPrefix):]) {
		t.Error("the log contains the token")
	}
	// The token works for the API, as the viewer: the same overview as
	// the viewer's session gets.
	resp, apiBody := e.bearerGet(t, secret, "/api/v1/overview")
	_, sessionBody := e.get(t, c, "/api/v1/overview")
	if resp.StatusCode != http.StatusOK || !strings.Contains(apiBody, `"key":"commits"`) || apiBody != sessionBody {
		t.Errorf("overview with the new token: %d %s", resp.StatusCode, apiBody)
	}

	// Shown once: the page again lists the token by name, not the token.
	_, body = e.get(t, c, "/account")
	if strings.Contains(body, secret) || flashSecret.MatchString(body) {
		t.Error("the token is shown a second time")
	}
	row := tableRowAttr(t, body, "data-token", itoa(stored.ID))
	if !strings.Contains(row, `<td class="name">grafana</td>`) || !strings.Contains(row, `class="danger revoke-token"`) {
		t.Errorf("the token's row: %s", row)
	}
	if !strings.Contains(tableRowAttr(t, body, "data-token", itoa(stored.ID)), `<td class="last-used">20`) {
		t.Errorf("the token's use is not shown: %s", row)
	}
	if strings.Contains(body, "admin&#39;s script") {
		t.Error("the viewer's page lists the admin's token")
	}

	// Refused names.
	for _, tc := range []struct{ name, want string }{{" ", "name is empty"}, {strings.Repeat("n", 101), "longer than 100 characters"}} {
		st, body := e.submit(t, c, "/account/tokens", token, url.Values{"name": {tc.name}})
		if msg := accountText(body, "token-error"); st != http.StatusBadRequest || !strings.Contains(msg, tc.want) {
			t.Errorf("name %q: %d %q, want 400 %q", tc.name, st, msg, tc.want)
		}
	}

	// A viewer cannot revoke the admin's token: it is as unknown as one
	// that does not exist.
	adminStored, _ := e.db.APITokenByHash(ctx, HashToken(adminToken))
	for _, id := range []string{itoa(adminStored.ID), "9999"} {
		st, body := e.submit(t, c, "/account/tokens/revoke", token, url.Values{"id": {id}})
		if msg := accountText(body, "token-error"); st != http.StatusNotFound || msg != "You have no API token with id "+id+"; reload the page to see your tokens." {
			t.Errorf("revoke token %s: %d %q, want 404", id, st, msg)
		}
	}
	if resp, _ := e.bearerGet(t, adminToken, "/api/v1/overview"); resp.StatusCode != http.StatusOK {
		t.Errorf("the admin's token after the viewer's attempt: %d, want 200", resp.StatusCode)
	}
	st, body := e.submit(t, c, "/account/tokens/revoke", token, url.Values{"id": {"one"}})
	if msg := accountText(body, "token-error"); st != http.StatusBadRequest || !strings.Contains(msg, "is not a token id") {
		t.Errorf("revoke id one: %d %q", st, msg)
	}

	// Revoke the own token: the API refuses it, the row says so.
	st, body = e.submit(t, c, "/account/tokens/revoke", token, url.Values{"id": {itoa(stored.ID)}})
	if st != http.StatusSeeOther || flashText(body) != `Revoked your API token &#34;grafana&#34;; requests with it are refused from now on.` {
		t.Errorf("revoke: %d, flash %q", st, flashText(body))
	}
	row = tableRowAttr(t, body, "data-token", itoa(stored.ID))
	if strings.Contains(row, "revoke-token") || !strings.Contains(row, `<td class="revoked-at">20`) {
		t.Errorf("the revoked token's row: %s", row)
	}
	resp, apiBody = e.bearerGet(t, secret, "/api/v1/overview")
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(decodeError(t, apiBody), "revoked") {
		t.Errorf("revoked token: %d %s, want 401", resp.StatusCode, apiBody)
	}
	st, body = e.submit(t, c, "/account/tokens/revoke", token, url.Values{"id": {itoa(stored.ID)}})
	if st != http.StatusSeeOther || !strings.Contains(flashText(body), "was revoked already") {
		t.Errorf("revoke again: %d, flash %q", st, flashText(body))
	}
}

// TestSettingsTokens: admins see every user's tokens on /settings and may
// revoke any of them; viewers may not.
func TestSettingsTokens(t *testing.T) {
	e, admin, token := settingsEnv(t)
	ctx := context.Background()
	viewerToken := e.token(t, e.viewer.ID, "vera's ci")
	stored, _ := e.db.APITokenByHash(ctx, HashToken(viewerToken))
	e.token(t, e.admin.ID, "admin's script")

	_, body := e.get(t, admin, "/settings")
	row := tableRowAttr(t, body, "data-token", itoa(stored.ID))
	if !strings.Contains(row, "<td>"+viewerUser+"</td><td>vera&#39;s ci</td>") || !strings.Contains(row, "revoke-token") {
		t.Errorf("the viewer's token on /settings: %s", row)
	}
	if strings.Contains(body, viewerToken) || strings.Contains(body, stored.TokenHash) {
		t.Error("/settings shows a token or its hash")
	}
	if n := strings.Count(body, `<tr data-token=`); n != 2 {
		t.Errorf("/settings lists %d tokens, want 2", n)
	}

	// A viewer may not use the admins' revoke.
	viewer := e.client(t)
	e.loginAs(t, viewer, viewerUser, viewerPassword)
	st, body := e.submit(t, viewer, "/settings/tokens/revoke", e.csrfToken(t, viewer), url.Values{"id": {itoa(stored.ID)}})
	if st != http.StatusForbidden || !strings.Contains(body, "Admins only") {
		t.Errorf("viewer revokes on /settings: %d", st)
	}

	st, body = e.submit(t, admin, "/settings/tokens/revoke", token, url.Values{"id": {itoa(stored.ID)}})
	if st != http.StatusSeeOther || flashText(body) != `Revoked the API token of vera &#34;vera&#39;s ci&#34;; requests with it are refused from now on.` {
		t.Errorf("admin revokes the viewer's token: %d, flash %q", st, flashText(body))
	}
	if resp, _ := e.bearerGet(t, viewerToken, "/api/v1/overview"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("token revoked by the admin: %d, want 401", resp.StatusCode)
	}
	st, body = e.submit(t, admin, "/settings/tokens/revoke", token, url.Values{"id": {"9999"}})
	if st != http.StatusNotFound || !strings.Contains(settingsErrorText(body), "no API token with id 9999") {
		t.Errorf("revoke an unknown token: %d %q", st, settingsErrorText(body))
	}
	if tokens, _ := e.db.APITokens(ctx, 0); len(tokens) != 2 || !tokens[0].Revoked() || tokens[1].Revoked() {
		t.Errorf("tokens after the revocations: %+v", tokens)
	}
}
