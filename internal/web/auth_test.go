package web

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/storetest"
)

func TestRoles(t *testing.T) {
	e := seededEnv(t)
	for _, tt := range []struct {
		user, password string
		status         int
		want, notWant  string
	}{
		{AdminUser, testPassword, http.StatusOK, `<table id="users">`, "Admins only"},
		{viewerUser, viewerPassword, http.StatusForbidden, "Admins only", `<table id="users">`},
	} {
		t.Run(tt.user, func(t *testing.T) {
			c := e.client(t)
			e.loginAs(t, c, tt.user, tt.password)
			resp, body := e.get(t, c, "/settings")
			if resp.StatusCode != tt.status || !strings.Contains(body, tt.want) || strings.Contains(body, tt.notWant) {
				t.Fatalf("GET /settings as %s: status %d, want %d with %q:\n%s", tt.user, resp.StatusCode, tt.status, tt.want, body)
			}
			if tt.status == http.StatusForbidden && !strings.Contains(body, "sluice users role "+tt.user+" admin") {
				t.Errorf("the 403 page does not say how to get the admin role:\n%s", body)
			}
			// Both see the overview; only the admin gets the settings link.
			_, body = e.get(t, c, "/")
			if got := strings.Contains(body, `href="/settings"`); got != (tt.user == AdminUser) {
				t.Errorf("settings link shown to %s: %v", tt.user, got)
			}
			if !strings.Contains(body, `<a href="/account" class="user" id="user" title="Your password and API tokens">`+tt.user+`</a>`) {
				t.Errorf("the header does not name %s", tt.user)
			}
		})
	}
	// A role change applies to existing sessions at once.
	c := e.client(t)
	e.loginAs(t, c, viewerUser, viewerPassword)
	if err := e.db.SetUserRole(context.Background(), viewerUser, store.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if resp, _ := e.get(t, c, "/settings"); resp.StatusCode != http.StatusOK {
		t.Errorf("after promotion GET /settings = %d, want 200", resp.StatusCode)
	}
}

func TestCSRF(t *testing.T) {
	e := seededEnv(t)
	c := e.client(t)
	e.login(t, c)
	token := e.csrfToken(t, c)

	// Same-origin POSTs with the session cookie but without the session's
	// token are refused, and change nothing.
	for name, form := range map[string]url.Values{
		"no token":        nil,
		"empty token":     {"csrf_token": {""}},
		"wrong token":     {"csrf_token": {"AAAA" + token[4:]}},
		"other's token":   {"csrf_token": {e.otherCSRF(t)}},
		"token in query":  nil, // below
		"header, garbage": nil,
	} {
		path := "/logout"
		req, _ := http.NewRequest("POST", e.ts.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", e.ts.URL)
		switch name {
		case "token in query":
			req.URL.RawQuery = "csrf_token=" + url.QueryEscape(token)
		case "header, garbage":
			req.Header.Set("X-CSRF-Token", "garbage")
		}
		resp, body := e.do(t, c, req)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "security token") || !strings.Contains(body, "reload the page") {
			t.Errorf("%s: POST /logout = %d, want 403 with a clear message:\n%s", name, resp.StatusCode, body)
		}
	}
	if resp, _ := e.get(t, c, "/"); resp.StatusCode != http.StatusOK {
		t.Fatalf("after refused logouts GET / = %d, want 200 (still logged in)", resp.StatusCode)
	}
	if !strings.Contains(e.logs.String(), "CSRF token missing or wrong") {
		t.Error("refused CSRF not logged")
	}

	// The API: a POST with the cookie needs the token; with it (header, as
	// htmx sends it) the request goes on to the 405 of the endpoint.
	req, _ := http.NewRequest("POST", e.ts.URL+"/api/v1/commits", nil)
	req.Header.Set("Origin", e.ts.URL)
	resp, body := e.do(t, c, req)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(decodeError(t, body), "CSRF") {
		t.Errorf("API POST with cookie, no token: %d %s; want 403 naming CSRF", resp.StatusCode, body)
	}
	req, _ = http.NewRequest("POST", e.ts.URL+"/api/v1/commits", nil)
	req.Header.Set("Origin", e.ts.URL)
	req.Header.Set("X-CSRF-Token", token)
	if resp, body := e.do(t, c, req); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("API POST with cookie and token: %d %s; want 405", resp.StatusCode, body)
	}
	// A Bearer token needs no CSRF token (no cookie is involved).
	tok := e.token(t, e.admin.ID, "ci")
	req, _ = http.NewRequest("POST", e.ts.URL+"/api/v1/commits", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if resp, body := e.do(t, &http.Client{}, req); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("API POST with a Bearer token: %d %s; want 405", resp.StatusCode, body)
	}

	// The right token logs out.
	if resp := e.postForm(t, c, "/logout", url.Values{"csrf_token": {token}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("logout with the token: %d, want 303", resp.StatusCode)
	}
	if resp, _ := e.get(t, c, "/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after logout GET / = %d, want 303", resp.StatusCode)
	}
}

// otherCSRF returns the CSRF token of another session of the admin.
func (e *testEnv) otherCSRF(t *testing.T) string {
	t.Helper()
	c := e.client(t)
	e.login(t, c)
	return e.csrfToken(t, c)
}

// token creates an API token of the user and returns it.
func (e *testEnv) token(t *testing.T, userID int64, name string) string {
	t.Helper()
	tok, hash := NewAPIToken()
	if _, err := e.db.CreateAPIToken(context.Background(), userID, name, hash); err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestBearerTokens(t *testing.T) {
	e := seededEnv(t)
	ctx := context.Background()
	tok := e.token(t, e.viewer.ID, "grafana")
	bearer := func(value, path string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", e.ts.URL+path, nil)
		req.Header.Set("Authorization", value)
		return e.do(t, &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, req)
	}
	resp, body := bearer("Bearer "+tok, "/api/v1/commits?limit=2")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"commits":[{`) {
		t.Fatalf("valid token: %d %s", resp.StatusCode, body)
	}
	if resp, _ := bearer("bearer "+tok, "/api/v1/commits?limit=1"); resp.StatusCode != http.StatusOK {
		t.Errorf("lower-case scheme: %d, want 200", resp.StatusCode)
	}
	stored, err := e.db.APITokenByHash(ctx, HashToken(tok))
	if err != nil || stored.LastUsedAt.IsZero() {
		t.Errorf("last use not recorded: %+v, %v", stored, err)
	}
	// Tokens are for the API; pages want the login form.
	if resp, _ := bearer("Bearer "+tok, "/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("page with a Bearer token: %d, want 303 to the login form", resp.StatusCode)
	}

	unknown, _ := NewAPIToken()
	for name, tt := range map[string]struct {
		value, msg string
	}{
		"malformed":       {"Bearer hello", "malformed"},
		"no prefix":       {"Bearer " + strings.TrimPrefix(tok, TokenPrefix), "malformed"},
		"truncated":       {"Bearer " + tok[:len(tok)-1], "malformed"},
		"not base64":      {"Bearer " + tok[:len(tok)-1] + "!", "malformed"},
		"unknown":         {"Bearer " + unknown, "unknown or revoked"},
		"empty":           {"Bearer ", "malformed"},
		"session value":   {"Bearer " + tok + "x", "malformed"},
		"token, as Basic": {"Basic " + tok, "login required"},
	} {
		resp, body := bearer(tt.value, "/api/v1/commits")
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(decodeError(t, body), tt.msg) {
			t.Errorf("%s: %d %s; want 401 saying %q", name, resp.StatusCode, body, tt.msg)
		}
	}
	if strings.Contains(e.logs.String(), tok[len(TokenPrefix):]) {
		t.Error("the log contains a token")
	}

	if err := e.db.RevokeAPIToken(ctx, stored.ID); err != nil {
		t.Fatal(err)
	}
	resp, body = bearer("Bearer "+tok, "/api/v1/commits")
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(decodeError(t, body), "revoked") {
		t.Errorf("revoked token: %d %s; want 401", resp.StatusCode, body)
	}
	// A deleted user's tokens stop working.
	tok2 := e.token(t, e.viewer.ID, "second")
	if resp, _ := bearer("Bearer "+tok2, "/api/v1/commits"); resp.StatusCode != http.StatusOK {
		t.Fatalf("second token: %d", resp.StatusCode)
	}
	if err := e.db.DeleteUser(ctx, viewerUser); err != nil {
		t.Fatal(err)
	}
	if resp, _ := bearer("Bearer "+tok2, "/api/v1/commits"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("token of a deleted user: %d, want 401", resp.StatusCode)
	}
}

func TestSessionEndsWithPasswordOrUser(t *testing.T) {
	e := seededEnv(t)
	ctx := context.Background()
	admin, viewer := e.client(t), e.client(t)
	e.login(t, admin)
	e.loginAs(t, viewer, viewerUser, viewerPassword)

	hash, err := HashPassword("a brand new password")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.SetUserPassword(ctx, AdminUser, hash); err != nil {
		t.Fatal(err)
	}
	if resp, _ := e.get(t, admin, "/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after a password change GET / = %d, want 303 to the login form", resp.StatusCode)
	}
	if resp, _ := e.get(t, admin, "/api/v1/commits"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("after a password change the API answers %d, want 401", resp.StatusCode)
	}
	if resp := e.postForm(t, admin, "/login", url.Values{"username": {AdminUser}, "password": {testPassword}}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("old password: %d, want 401", resp.StatusCode)
	}
	e.loginAs(t, admin, AdminUser, "a brand new password")
	if resp, _ := e.get(t, admin, "/"); resp.StatusCode != http.StatusOK {
		t.Errorf("new password: GET / = %d, want 200", resp.StatusCode)
	}

	// The viewer's session was not touched by the admin's new password.
	if resp, _ := e.get(t, viewer, "/"); resp.StatusCode != http.StatusOK {
		t.Fatalf("viewer: GET / = %d, want 200", resp.StatusCode)
	}
	if err := e.db.DeleteUser(ctx, viewerUser); err != nil {
		t.Fatal(err)
	}
	if resp, _ := e.get(t, viewer, "/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("deleted user: GET / = %d, want 303", resp.StatusCode)
	}
}

func TestSecureCookie(t *testing.T) {
	db := openDB(t, sqliteDSN(t))
	addUser(t, db, AdminUser, testPassword, store.RoleAdmin)
	ts := httptest.NewServer((&Server{DB: db, Logger: slog.New(slog.DiscardHandler), Secure: true}).Handler())
	defer ts.Close()
	e := &testEnv{ts: ts, db: db}
	ck := e.login(t, e.client(t))
	if !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode {
		t.Errorf("Server.Secure: cookie Secure=%v HttpOnly=%v SameSite=%v; want Secure, HttpOnly, Lax", ck.Secure, ck.HttpOnly, ck.SameSite)
	}
}

func TestHealthz(t *testing.T) {
	e := seededEnv(t)
	for _, path := range []string{"/healthz", "/api/v1/health"} {
		resp, body := e.get(t, &http.Client{}, path)
		var got map[string]string
		if err := json.Unmarshal([]byte(body), &got); err != nil || resp.StatusCode != http.StatusOK || got["status"] != "ok" || got["version"] != "test" {
			t.Errorf("%s: %d %s (%v); want 200 with status ok, version test", path, resp.StatusCode, body, err)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s: Cache-Control %q", path, cc)
		}
	}
	// A closed database is unhealthy.
	e.db.Close()
	resp, body := e.get(t, &http.Client{}, "/healthz")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, `"status":"unavailable"`) {
		t.Errorf("closed database: %d %s; want 503, unavailable", resp.StatusCode, body)
	}
}

func TestMetrics(t *testing.T) {
	e := seededEnv(t)
	c := e.client(t)
	e.get(t, c, "/")      // 303
	e.get(t, c, "/nope")  // 404, unmatched
	e.get(t, c, "/nope2") // 404, unmatched
	e.login(t, c)
	e.get(t, c, "/")
	e.get(t, c, "/api/v1/commits?limit=1")

	req, _ := http.NewRequest("GET", e.ts.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+e.token(t, e.viewer.ID, "prometheus"))
	resp, body := e.do(t, &http.Client{}, req)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("GET /metrics: %d %q\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	for _, want := range []string{
		`sluice_build_info{version="test"} 1`,
		`sluice_http_requests_total{route="GET /{$}",status="3xx"} 1`,
		`sluice_http_requests_total{route="GET /{$}",status="2xx"} 1`,
		`sluice_http_requests_total{route="unmatched",status="4xx"} 2`,
		`sluice_http_requests_total{route="POST /login",status="3xx"} 1`,
		`sluice_http_requests_total{route="GET /api/v1/commits",status="2xx"} 1`,
		`sluice_http_request_duration_seconds_bucket{route="GET /{$}",le="+Inf"} 2`,
		`sluice_http_request_duration_seconds_count{route="GET /{$}"} 2`,
		"# TYPE sluice_http_request_duration_seconds histogram",
		"# TYPE go_goroutines gauge",
		"sluice_repositories 2",
		`sluice_repository_last_sync_timestamp_seconds{repo="acme/web"} 0`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// Every sample line is NAME{labels} VALUE with a number.
	sample := regexp.MustCompile(`^[a-z_]+(\{.*\})? [0-9.e+-]+$`)
	for _, line := range strings.Split(strings.TrimSpace(body), "\n") {
		if !strings.HasPrefix(line, "# ") && !sample.MatchString(line) {
			t.Errorf("malformed sample line %q", line)
		}
	}
	// The overview computed its figures into the read cache.
	for _, name := range []string{"sluice_cache_misses_total", "sluice_cache_entries", "sluice_cache_bytes"} {
		if m := regexp.MustCompile(`(?m)^` + name + ` (\d+)$`).FindStringSubmatch(body); m == nil || m[1] == "0" {
			t.Errorf("%s missing or zero", name)
		}
	}
	if m := regexp.MustCompile(`(?m)^go_goroutines (\d+)$`).FindStringSubmatch(body); m == nil || m[1] == "0" {
		t.Errorf("go_goroutines missing or zero")
	}
	if m := regexp.MustCompile(`(?m)^go_memstats_heap_alloc_bytes (\d+)$`).FindStringSubmatch(body); m == nil || m[1] == "0" {
		t.Errorf("go_memstats_heap_alloc_bytes missing or zero")
	}
	// Buckets are cumulative.
	le := regexp.MustCompile(`sluice_http_request_duration_seconds_bucket\{route="GET /api/v1/commits",le="[^"]+"\} (\d+)`)
	prev := "0"
	for _, m := range le.FindAllStringSubmatch(body, -1) {
		if len(m[1]) < len(prev) || len(m[1]) == len(prev) && m[1] < prev {
			t.Errorf("buckets not cumulative: %s after %s", m[1], prev)
		}
		prev = m[1]
	}
	if prev != "1" {
		t.Errorf("+Inf bucket of the API route = %s, want 1", prev)
	}
}

func TestEnsureAdmin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var out bytes.Buffer
		if err := EnsureAdmin(ctx, db, filepath.Join(t.TempDir(), "missing"), &out); err != nil {
			t.Fatal(err)
		}
		if n, _ := db.CountUsers(ctx); n != 0 || !strings.Contains(out.String(), "sluice users add NAME --admin") {
			t.Errorf("no legacy file: %d users, output %q; want none and how to add one", n, out.String())
		}

		short := filepath.Join(t.TempDir(), "short")
		os.WriteFile(short, []byte("abc\n"), 0o600)
		if err := EnsureAdmin(ctx, db, short, &out); err == nil || !strings.Contains(err.Error(), "shorter than 8") {
			t.Errorf("short legacy password: err = %v", err)
		}

		legacy := filepath.Join(t.TempDir(), "admin-password")
		if err := os.WriteFile(legacy, []byte(testPassword+"\r\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		out.Reset()
		if err := EnsureAdmin(ctx, db, legacy, &out); err != nil {
			t.Fatal(err)
		}
		u, err := db.UserByName(ctx, AdminUser)
		if err != nil || u.Role != store.RoleAdmin || !checkPassword(u.PasswordHash, testPassword) {
			t.Fatalf("legacy file: user %+v, %v; want admin with the file's password", u, err)
		}
		if strings.Contains(out.String(), testPassword) {
			t.Error("EnsureAdmin printed the password")
		}

		// With a user, neither function does anything.
		os.WriteFile(legacy, []byte("another password\n"), 0o600)
		out.Reset()
		if err := EnsureAdmin(ctx, db, legacy, &out); err != nil || out.Len() != 0 {
			t.Errorf("second EnsureAdmin: %v, %q", err, out.String())
		}
		if err := CreateQuickStartAdmin(ctx, db, &out); err != nil || out.Len() != 0 {
			t.Errorf("CreateQuickStartAdmin with a user: %v, %q", err, out.String())
		}
		if u2, _ := db.UserByName(ctx, AdminUser); u2.PasswordHash != u.PasswordHash {
			t.Error("the admin's password changed")
		}
	})
}

func TestCreateQuickStartAdmin(t *testing.T) {
	db := openDB(t, sqliteDSN(t))
	var out bytes.Buffer
	if err := CreateQuickStartAdmin(context.Background(), db, &out); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`one-time password:\n  (\S+)\n`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no password in %q", out.String())
	}
	e := newEnvUsers(t, db)
	c := e.client(t)
	e.loginAs(t, c, AdminUser, m[1])
	if resp, _ := e.get(t, c, "/settings"); resp.StatusCode != http.StatusOK {
		t.Errorf("quick-start admin: GET /settings = %d, want 200", resp.StatusCode)
	}
}

// newEnvUsers starts a server over db without creating users.
func newEnvUsers(t *testing.T, db *store.DB) *testEnv {
	t.Helper()
	e := &testEnv{db: db, logs: &syncBuffer{}}
	e.ts = httptest.NewServer((&Server{DB: db, Logger: slog.New(slog.NewTextHandler(e.logs, nil))}).Handler())
	t.Cleanup(e.ts.Close)
	return e
}

func TestPasswordsAndTokens(t *testing.T) {
	for pw, ok := range map[string]bool{
		"":                      false,
		"seven77":               false,
		"eight888":              true,
		"ünïcödé!":              true, // 8 characters, more bytes
		strings.Repeat("x", 72): true,
		strings.Repeat("x", 73): false,
	} {
		hash, err := HashPassword(pw)
		if (err == nil) != ok {
			t.Errorf("HashPassword(%d chars): err = %v, want ok %v", len(pw), err, ok)
			continue
		}
		if ok && (!checkPassword(hash, pw) || checkPassword(hash, pw+"x")) {
			t.Errorf("checkPassword does not match HashPassword for %q", pw)
		}
	}
	a, ha := NewAPIToken()
	b, _ := NewAPIToken()
	if a == b || !strings.HasPrefix(a, "sluice_") || len(a) != len("sluice_")+43 || !wellFormedToken(a) {
		t.Errorf("NewAPIToken = %q", a)
	}
	if ha != HashToken(a) || len(ha) != 64 || strings.Contains(ha, a) {
		t.Errorf("hash %q of %q", ha, a)
	}
	if p := GeneratePassword(); len(p) < 20 || p == GeneratePassword() {
		t.Errorf("GeneratePassword = %q", p)
	}
}

func TestProductionBcryptCost(t *testing.T) {
	// TestMain lowers BcryptCost; the shipped value is what matters.
	if shippedBcryptCost < 10 {
		t.Errorf("BcryptCost = %d, want at least 10", shippedBcryptCost)
	}
}
