package web

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/storetest"
)

func TestUnauthenticated(t *testing.T) {
	e := seededEnv(t)
	c := e.client(t)

	tests := []struct {
		path         string
		status       int
		location     string // for redirects
		contentType  string
		bodyContains string
	}{
		{"/", http.StatusSeeOther, "/login?next=%2F", "", ""},
		{"/?since=2024-03-01&until=2024-04-01", http.StatusSeeOther, "/login?next=%2F%3Fsince%3D2024-03-01%26until%3D2024-04-01", "", ""},
		{"/api/v1/commits", http.StatusUnauthorized, "", "application/json", `"error"`},
		{"/api/v1/nope", http.StatusUnauthorized, "", "application/json", `"error"`},
		{"/api/v1/health", http.StatusOK, "", "application/json", `"status":"ok"`},
		{"/healthz", http.StatusOK, "", "application/json", `"status":"ok"`},
		{"/settings", http.StatusSeeOther, "/login?next=%2Fsettings", "", ""},
		{"/metrics", http.StatusUnauthorized, "", "application/json", `"error"`},
		{"/login", http.StatusOK, "", "text/html", `name="password"`},
		{"/static/style.css", http.StatusOK, "", "text/css", "font"},
		{"/static/", http.StatusNotFound, "", "", ""},
		{"/nope", http.StatusNotFound, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, body := e.get(t, c, tt.path)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d; body: %s", resp.StatusCode, tt.status, body)
			}
			if got := resp.Header.Get("Location"); got != tt.location {
				t.Errorf("Location %q, want %q", got, tt.location)
			}
			if got := resp.Header.Get("Content-Type"); !strings.HasPrefix(got, tt.contentType) {
				t.Errorf("Content-Type %q, want %q", got, tt.contentType)
			}
			if !strings.Contains(body, tt.bodyContains) {
				t.Errorf("body lacks %q: %s", tt.bodyContains, body)
			}
		})
	}

	resp, _ := e.get(t, c, "/api/v1/commits")
	if got := resp.Header.Values("WWW-Authenticate"); len(got) != 2 || !strings.HasPrefix(got[0], "Bearer ") || !strings.HasPrefix(got[1], "Basic ") {
		t.Errorf("401 WWW-Authenticate = %q, want a Bearer and a Basic challenge", got)
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := seededEnv(t)
	c := e.client(t)
	want := map[string]string{
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "same-origin",
		"X-Frame-Options":        "DENY",
	}
	for _, path := range []string{"/", "/login", "/settings", "/api/v1/commits", "/api/v1/health", "/healthz", "/metrics", "/static/style.css", "/nope"} {
		resp, _ := e.get(t, c, path)
		for k, v := range want {
			if got := resp.Header.Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", path, k, got, v)
			}
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: Content-Security-Policy = %q", path, csp)
		}
	}
}

func TestLoginWrongPassword(t *testing.T) {
	e := seededEnv(t)
	c := e.client(t)
	for _, form := range []url.Values{
		{"username": {AdminUser}, "password": {"hunter2-wrong"}},
		{"username": {"root"}, "password": {testPassword}},
		{"username": {AdminUser}},
		{"username": {viewerUser}, "password": {testPassword}},
		{"username": {AdminUser}, "password": {viewerPassword}},
	} {
		resp := e.postForm(t, c, "/login", form)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%v: status %d, want 401", form, resp.StatusCode)
		}
		if len(resp.Cookies()) != 0 {
			t.Errorf("%v: failed login set cookies %v", form, resp.Cookies())
		}
	}
	req, _ := http.NewRequest("POST", e.ts.URL+"/login", strings.NewReader("username=admin&password=hunter2-wrong"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	_, body := e.do(t, c, req)
	if !strings.Contains(body, "Wrong user name or password.") {
		t.Errorf("failed login page has no error message:\n%s", body)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "login failed") || !strings.Contains(logs, "level=WARN") {
		t.Errorf("no warning logged for a failed login:\n%s", logs)
	}
	if strings.Contains(logs, "hunter2") || strings.Contains(logs, testPassword) {
		t.Errorf("log contains a password:\n%s", logs)
	}
	if resp, _ := e.get(t, c, "/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after failed logins GET / = %d, want 303", resp.StatusCode)
	}
}

func TestLoginShowsFigures(t *testing.T) {
	e := seededEnv(t)
	c := e.client(t)
	ck := e.login(t, c)
	if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure {
		t.Errorf("session cookie attributes: HttpOnly=%v SameSite=%v Path=%q Secure=%v; want HttpOnly, Lax, /, not Secure over plain HTTP",
			ck.HttpOnly, ck.SameSite, ck.Path, ck.Secure)
	}
	if ck.MaxAge <= 0 {
		t.Errorf("session cookie MaxAge = %d, want a positive lifetime", ck.MaxAge)
	}

	resp, body := e.get(t, c, "/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET / after login: %d\n%s", resp.StatusCode, body)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
	for _, want := range []string{
		"acme/api", "https://git.example.com/acme/api.git",
		"acme/web", "/srv/git/acme-web", "never",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	api := tableRow(t, body, "repos", "https://git.example.com/acme/api.git")
	// a1, a2, e1, shared, tie-a, tie-b: 6 included of 8 stored (+ bot, merge).
	if api[2] != "6" || api[3] != "8" || api[4] == "never" {
		t.Errorf("acme/api row = %q, want 6 included, 8 stored, a sync time", api)
	}

	// Alice: 4 included commits (the merge is not), on 3 days in her own
	// offset, 36 additions, 8 deletions. The open range is that of all
	// included commits: 2024-02-01 to 2024-03-09, 37 days.
	_, body = e.get(t, c, "/people")
	alice := tableRow(t, body, "people", "alice@example.com")
	// Name, key, commits, coding days, per week, per coding day, HALOC,
	// efficiency (no HALOC: –), impact, additions, deletions.
	if want := []string{`<a href="/people/alice@example.com">Alice Example</a>`, "alice@example.com", "4", "3", "0.57", "1.33", "0", "–", "0.00", "36", "8"}; !slices.Equal(alice, want) {
		t.Errorf("Alice's row = %q, want %q", alice, want)
	}
	if !strings.Contains(body, "over 2024-02-01 to 2024-03-09 (exclusive)") {
		t.Error("page does not state the range of the per-week figures")
	}
	if strings.Contains(body, "dependabot") {
		t.Error("a bot is listed among people")
	}

	// The range form filters: only February has Dave's commits.
	resp, body = e.get(t, c, "/people?since=2024-02-01&until=2024-03-01")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET / with a range: %d", resp.StatusCode)
	}
	if strings.Contains(body, "<td>alice@example.com</td>") || !strings.Contains(body, "<td>dave@example.com</td>") {
		t.Errorf("range Feb 2024 should list Dave and not Alice:\n%s", body)
	}
	dave := tableRow(t, body, "people", "dave@example.com")
	if want := []string{`<a href="/people/dave@example.com?since=2024-02-01&amp;until=2024-03-01">Dave Doe</a>`, "dave@example.com", "15", "15", "3.62", "1.00", "0", "–", "0.00", "30", "15"}; !slices.Equal(dave, want) {
		t.Errorf("Dave's row = %q, want %q", dave, want)
	}
}

// tableRow returns the text cells of the row in table id that has a cell
// equal to key.
func tableRow(t *testing.T, body, id, key string) []string {
	t.Helper()
	start := strings.Index(body, `<table id="`+id+`"`)
	if start < 0 {
		t.Fatalf("no table %q in page:\n%s", id, body)
	}
	table := body[start:]
	table = table[:strings.Index(table, "</table>")]
	cell := regexp.MustCompile(`<td[^>]*>(.*?)</td>`)
	for _, row := range strings.Split(table, "<tr>") {
		var cells []string
		for _, m := range cell.FindAllStringSubmatch(row, -1) {
			cells = append(cells, m[1])
		}
		if slices.Contains(cells, key) {
			return cells
		}
	}
	t.Fatalf("table %q has no row with %q:\n%s", id, key, table)
	return nil
}

func TestNamesAreEscaped(t *testing.T) {
	e := seededEnv(t)
	c := e.client(t)
	e.login(t, c)
	_, body := e.get(t, c, "/people")
	if strings.Contains(body, "<script>alert") {
		t.Errorf("page contains an unescaped <script:\n%s", body)
	}
	if !strings.Contains(body, "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;") {
		t.Errorf("escaped author name not found:\n%s", body)
	}
}

func TestEmptyState(t *testing.T) {
	e := newEnv(t, openDB(t, sqliteDSN(t)))
	c := e.client(t)
	e.login(t, c)
	resp, body := e.get(t, c, "/")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "No repositories yet") {
		t.Errorf("empty database: status %d, body:\n%s", resp.StatusCode, body)
	}
}

func TestIndexBadRange(t *testing.T) {
	e := seededEnv(t)
	c := e.client(t)
	e.login(t, c)
	for _, q := range []string{"since=yesterday", "until=2024-13-01", "since=2024-03-02&until=2024-03-01"} {
		resp, body := e.get(t, c, "/?"+q)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `class="error"`) {
			t.Errorf("%s: status %d, want 400 with an error message", q, resp.StatusCode)
		}
	}
}

func TestSessionCookieRejected(t *testing.T) {
	e := seededEnv(t)
	c := e.client(t)
	good := e.login(t, c).Value

	mint := func(key []byte, u store.User, now time.Time, ttl time.Duration) string {
		s := newSessions(key, ttl)
		s.now = func() time.Time { return now }
		tok, _ := s.issue(u)
		return tok
	}
	admin := e.admin
	oldPassword := admin
	oldPassword.PasswordHash, oldPassword.PasswordChangedAt = "$2a$04$the.old.hash", admin.PasswordChangedAt.Add(-time.Hour)
	deleted := admin
	deleted.ID = 9999
	// parts: "2", expiry, user id, role, version, id, MAC
	parts := strings.Split(good, ".")
	with := func(i int, v string) string {
		p := slices.Clone(parts)
		p[i] = v
		return strings.Join(p, ".")
	}
	tests := map[string]string{
		"valid control":     good,
		"garbage":           "hello",
		"empty":             "",
		"flipped MAC":       good[:len(good)-2] + flip(good[len(good)-2:]),
		"longer expiry":     with(1, fmt.Sprint(time.Now().Add(1000*time.Hour).Unix())),
		"other user":        with(2, fmt.Sprint(e.viewer.ID)),
		"v1 format":         "1." + parts[1] + "." + parts[5] + "." + parts[6],
		"no MAC":            strings.Join(parts[:6], "."),
		"expired":           mint(testSessionKey, admin, time.Now().Add(-8*24*time.Hour), 24*time.Hour),
		"other session key": mint([]byte("another key, another server....."), admin, time.Now(), time.Hour),
		"old password":      mint(testSessionKey, oldPassword, time.Now(), time.Hour),
		"no such user":      mint(testSessionKey, deleted, time.Now(), time.Hour),
	}
	for name, value := range tests {
		t.Run(name, func(t *testing.T) {
			want, wantAPI := http.StatusSeeOther, http.StatusUnauthorized
			if name == "valid control" {
				want, wantAPI = http.StatusOK, http.StatusOK
			}
			if got := getWithCookie(t, e, "/", value); got != want {
				t.Errorf("GET / = %d, want %d", got, want)
			}
			if got := getWithCookie(t, e, "/api/v1/commits?limit=1", value); got != wantAPI {
				t.Errorf("GET /api/v1/commits = %d, want %d", got, wantAPI)
			}
		})
	}

	// Logging out revokes the session even if its cookie is replayed.
	if resp := e.postForm(t, c, "/logout", url.Values{"csrf_token": {e.csrfToken(t, c)}}); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("logout: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := e.get(t, c, "/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after logout GET / = %d, want 303", resp.StatusCode)
	}
	if got := getWithCookie(t, e, "/", good); got != http.StatusSeeOther {
		t.Errorf("replayed cookie after logout: GET / = %d, want 303", got)
	}
}

func flip(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
	}
	return string(b)
}

func getWithCookie(t *testing.T, e *testEnv, path, value string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", e.ts.URL+path, nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: value})
	resp, _ := e.do(t, &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, req)
	return resp.StatusCode
}

func TestLocalPath(t *testing.T) {
	tests := map[string]string{
		"":                           "/",
		"/":                          "/",
		"/?since=2024-01-01":         "/?since=2024-01-01",
		"/api/v1/commits?limit=5":    "/api/v1/commits?limit=5",
		"//evil.example/":            "/",
		"/\\evil.example":            "/",
		"https://evil.example/":      "/",
		"javascript:alert(1)":        "/",
		"evil.example":               "/",
		"/\t/evil.example":           "/",
		"/%2F%2Fevil.example":        "/%2F%2Fevil.example",
		"http:/evil.example":         "/",
		"/ok\r\nSet-Cookie: x=1":     "/",
		"///evil.example/path":       "/",
		"/login?next=//evil.example": "/login?next=//evil.example",
	}
	for in, want := range tests {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLoginRedirectsToNext(t *testing.T) {
	e := seededEnv(t)
	for next, want := range map[string]string{
		"/?since=2024-03-01":   "/?since=2024-03-01",
		"//evil.example/x":     "/",
		"https://evil.example": "/",
	} {
		c := e.client(t)
		resp := e.postForm(t, c, "/login", url.Values{"username": {AdminUser}, "password": {testPassword}, "next": {next}})
		if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != want {
			t.Errorf("next=%q: %d to %q, want 303 to %q", next, resp.StatusCode, got, want)
		}
		// A logged-in visit to the login page goes straight on.
		resp, _ = e.get(t, c, "/login?next="+url.QueryEscape(next))
		if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != want {
			t.Errorf("GET /login?next=%q when logged in: %d to %q, want 303 to %q", next, resp.StatusCode, got, want)
		}
	}
}

func TestLoginRateLimit(t *testing.T) {
	e := seededEnv(t)
	c := e.client(t)
	wrong := url.Values{"username": {AdminUser}, "password": {"wrong"}}
	for i := range loginMaxFailures {
		if resp := e.postForm(t, c, "/login", wrong); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: status %d, want 401", i+1, resp.StatusCode)
		}
	}
	resp := e.postForm(t, c, "/login", url.Values{"username": {AdminUser}, "password": {testPassword}})
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("right password after %d failures: %d (Retry-After %q), want 429 with Retry-After",
			loginMaxFailures, resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	req, _ := http.NewRequest("GET", e.ts.URL+"/api/v1/commits", nil)
	req.SetBasicAuth(AdminUser, testPassword)
	if resp, body := e.do(t, c, req); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("Basic auth while blocked: %d, want 429: %s", resp.StatusCode, body)
	}
}

func TestLoginLimiterWindow(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newLoginLimiter(3, time.Minute)
	l.now = func() time.Time { return now }
	for range 3 {
		if _, b := l.blocked("10.0.0.1"); b {
			t.Fatal("blocked before the limit")
		}
		l.fail("10.0.0.1")
	}
	if wait, b := l.blocked("10.0.0.1"); !b || wait != time.Minute {
		t.Errorf("after 3 failures: blocked=%v wait=%v, want true, 1m", b, wait)
	}
	if _, b := l.blocked("10.0.0.2"); b {
		t.Error("another IP is blocked")
	}
	now = now.Add(time.Minute)
	if _, b := l.blocked("10.0.0.1"); b {
		t.Error("still blocked after the window")
	}
}

func TestBasicAuth(t *testing.T) {
	e := seededEnv(t)
	c := e.client(t)
	for _, tt := range []struct {
		user, pass string
		status     int
	}{
		{AdminUser, testPassword, http.StatusOK},
		{AdminUser, "wrong", http.StatusUnauthorized},
		{"root", testPassword, http.StatusUnauthorized},
	} {
		req, _ := http.NewRequest("GET", e.ts.URL+"/api/v1/commits?limit=2", nil)
		req.SetBasicAuth(tt.user, tt.pass)
		resp, body := e.do(t, c, req)
		if resp.StatusCode != tt.status {
			t.Errorf("%s:%s: status %d, want %d: %s", tt.user, tt.pass, resp.StatusCode, tt.status, body)
		}
	}
	// Basic auth is for the API only; pages want the login form.
	req, _ := http.NewRequest("GET", e.ts.URL+"/", nil)
	req.SetBasicAuth(AdminUser, testPassword)
	if resp, _ := e.do(t, c, req); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("page with Basic auth: %d, want 303 to the login form", resp.StatusCode)
	}
}

func TestCrossOriginPostsRejected(t *testing.T) {
	e := seededEnv(t)
	c := e.client(t)
	e.login(t, c)
	token := e.csrfToken(t, c)
	tests := []struct {
		name    string
		path    string
		headers map[string]string
		status  int
	}{
		{"logout, foreign Origin", "/logout", map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"logout, cross-site fetch", "/logout", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"logout, same-site fetch", "/logout", map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "http://sub.example"}, http.StatusForbidden},
		{"logout, foreign Referer", "/logout", map[string]string{"Referer": "http://evil.example/page"}, http.StatusForbidden},
		{"login, foreign Origin", "/login", map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
	}
	for _, tt := range tests {
		// The right CSRF token does not help a cross-origin request.
		req, _ := http.NewRequest("POST", e.ts.URL+tt.path, strings.NewReader("username=admin&password="+url.QueryEscape(testPassword)+"&csrf_token="+url.QueryEscape(token)))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range tt.headers {
			req.Header.Set(k, v)
		}
		if resp, body := e.do(t, c, req); resp.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d: %s", tt.name, resp.StatusCode, tt.status, body)
		}
	}
	// Still logged in: no rejected logout took effect.
	if resp, _ := e.get(t, c, "/"); resp.StatusCode != http.StatusOK {
		t.Fatalf("after rejected logouts GET / = %d, want 200", resp.StatusCode)
	}
	// A same-origin logout works.
	req, _ := http.NewRequest("POST", e.ts.URL+"/logout", strings.NewReader("csrf_token="+url.QueryEscape(token)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.ts.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if resp, _ := e.do(t, c, req); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("same-origin logout: %d, want 303", resp.StatusCode)
	}
	if resp, _ := e.get(t, c, "/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after logout GET / = %d, want 303", resp.StatusCode)
	}
}

// apiPage is a decoded GET /api/v1/commits body.
type apiPage struct {
	Commits    []store.CommitRecord `json:"commits"`
	NextCursor *string              `json:"next_cursor"`
}

func getPage(t *testing.T, e *testEnv, c *http.Client, query string) apiPage {
	t.Helper()
	resp, body := e.get(t, c, "/api/v1/commits?"+query)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("?%s: status %d: %s", query, resp.StatusCode, body)
	}
	var p apiPage
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("?%s: %v\n%s", query, err, body)
	}
	if p.Commits == nil || p.NextCursor == nil {
		t.Fatalf("?%s: commits or next_cursor missing: %s", query, body)
	}
	return p
}

// allPages follows next_cursor from the first page and returns every commit.
func allPages(t *testing.T, e *testEnv, c *http.Client, query string, limit int) ([]store.CommitRecord, int) {
	t.Helper()
	var all []store.CommitRecord
	pages := 0
	cursor := ""
	for {
		q := query + "&limit=" + fmt.Sprint(limit)
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		p := getPage(t, e, c, q)
		pages++
		all = append(all, p.Commits...)
		if *p.NextCursor == "" {
			return all, pages
		}
		if len(p.Commits) < limit {
			t.Fatalf("page %d has %d commits, fewer than limit %d, and a next cursor", pages, len(p.Commits), limit)
		}
		if pages > 100 {
			t.Fatal("pagination does not end")
		}
		cursor = *p.NextCursor
	}
}

func TestAPIPagination(t *testing.T) {
	dsns := storetest.DSNs(t)
	for engine, dsn := range dsns {
		t.Run(engine, func(t *testing.T) {
			db := openDB(t, dsn)
			seed(t, db)
			e := newEnv(t, db)
			c := e.client(t)
			e.login(t, c)

			want := map[string]bool{}
			positions := 0 // distinct (author time, SHA)
			for _, sc := range fixture() {
				positions++
				for _, r := range sc.repos {
					want[r+" "+sc.c.SHA] = true
				}
			}
			for _, limit := range []int{1, 3, 7, 1000} {
				got, pages := allPages(t, e, c, "", limit)
				seen := map[string]bool{}
				for i, cm := range got {
					k := cm.Repo + " " + cm.SHA
					if seen[k] {
						t.Errorf("limit %d: %s returned twice", limit, k)
					}
					seen[k] = true
					if i > 0 {
						prev := got[i-1]
						pt, _ := time.Parse(time.RFC3339, prev.AuthorTime)
						ct, _ := time.Parse(time.RFC3339, cm.AuthorTime)
						if ct.Before(pt) || ct.Equal(pt) && cm.SHA < prev.SHA {
							t.Errorf("limit %d: %s (%s) after %s (%s): not in (author time, SHA) order", limit, cm.SHA, cm.AuthorTime, prev.SHA, prev.AuthorTime)
						}
					}
				}
				for k := range want {
					if !seen[k] {
						t.Errorf("limit %d: %s never returned", limit, k)
					}
				}
				if len(seen) != len(want) {
					t.Errorf("limit %d: %d commits, want %d", limit, len(seen), len(want))
				}
				if minPages := (positions + limit - 1) / limit; pages < minPages {
					t.Errorf("limit %d: %d pages, want at least %d", limit, pages, minPages)
				}
			}

			// Filters.
			got, _ := allPages(t, e, c, "repo=acme%2Fweb&since=2024-02-05&until=2024-03-06T00:00:00%2B02:00", 4)
			var labels []string
			for _, cm := range got {
				if cm.Repo != "acme/web" {
					t.Errorf("repo filter returned %s from %s", cm.SHA, cm.Repo)
				}
				labels = append(labels, subjectLabel(cm))
			}
			// dave-e..dave-o (Feb 5..15) and a3 (Mar 5, 23:30 +02:00); a4
			// (Mar 6, 00:30 +02:00) is past until.
			if len(got) != 12 || labels[len(labels)-1] != "a3" {
				t.Errorf("filtered commits = %v, want dave-e..dave-o and a3", labels)
			}
		})
	}
}

// subjectLabel is the fixture label in a commit's subject.
func subjectLabel(c store.CommitRecord) string { return strings.TrimPrefix(c.Subject, "commit ") }

func TestAPICommitFields(t *testing.T) {
	e := seededEnv(t)
	c := e.client(t)
	e.login(t, c)
	resp, body := e.get(t, c, "/api/v1/commits?repo=acme/api&since=2024-03-06&until=2024-03-07&limit=5")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var raw struct {
		Commits    []map[string]any `json:"commits"`
		NextCursor string           `json:"next_cursor"`
	}
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw.Commits) != 1 || raw.NextCursor != "" {
		t.Fatalf("want just the merge commit and no next page: %s", body)
	}
	want := map[string]any{
		"sha":             sha("merge"),
		"repo":            "acme/api",
		"author_name":     "Alice Example",
		"author_email":    "alice@example.com",
		"author_time":     "2024-03-06T12:00:00+02:00",
		"committer_name":  "Alice Example",
		"committer_email": "alice@example.com",
		"committer_time":  "2024-03-06T12:01:00+02:00",
		"subject":         "commit merge",
		"is_merge":        true,
		"parents":         []any{sha("a2"), sha("e1")},
		"additions":       0.0,
		"deletions":       0.0,
		"files_changed":   0.0,
		"hunks":           0.0,
		"haloc":           0.0,
		"new_work":        0.0,
		"legacy_refactor": 0.0,
		"help_others":     0.0,
		"rework":          0.0,
		"outlier":         false,
		"person":          "alice@example.com",
		"impact":          0.0,
	}
	got := raw.Commits[0]
	for k, v := range want {
		if fmt.Sprint(got[k]) != fmt.Sprint(v) {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("commit has %d fields, want %d: %v", len(got), len(want), got)
	}

	// A root commit has parents [], not null.
	if !strings.Contains(getBody(t, e, c, "/api/v1/commits?repo=acme/api&limit=1"), `"parents":[]`) {
		t.Error(`first commit (a root) lacks "parents":[]`)
	}
	// An empty page is still a page.
	if b := getBody(t, e, c, "/api/v1/commits?since=2030-01-01"); strings.TrimSpace(b) != `{"commits":[],"next_cursor":""}` {
		t.Errorf("empty page = %s", b)
	}
}

func getBody(t *testing.T, e *testEnv, c *http.Client, path string) string {
	t.Helper()
	resp, body := e.get(t, c, path)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: status %d: %s", path, resp.StatusCode, body)
	}
	return body
}

func TestAPIBadParams(t *testing.T) {
	e := seededEnv(t)
	c := e.client(t)
	e.login(t, c)
	tests := []struct {
		query  string
		status int
		names  string // the error message must contain this
	}{
		{"limit=0", 400, "limit"},
		{"limit=1001", 400, "limit"},
		{"limit=ten", 400, "limit"},
		{"limit=", 400, "limit"},
		{"limit=5&limit=6", 400, "limit"},
		{"since=yesterday", 400, "since"},
		{"until=2024-02-30", 400, "until"},
		{"since=2024-03-02&until=2024-03-01", 400, "since"},
		{"cursor=!!!", 400, "cursor"},
		{"cursor=" + base64.RawURLEncoding.EncodeToString([]byte("c1:soon:x")), 400, "cursor"},
		{"colour=blue", 400, "colour"},
		{"repo=nope%2Fnope", 404, "repo"},
	}
	for _, tt := range tests {
		resp, body := e.get(t, c, "/api/v1/commits?"+tt.query)
		if resp.StatusCode != tt.status {
			t.Errorf("?%s: status %d, want %d: %s", tt.query, resp.StatusCode, tt.status, body)
			continue
		}
		if msg := decodeError(t, body); !strings.HasPrefix(msg, tt.names) {
			t.Errorf("?%s: error %q does not start with %q", tt.query, msg, tt.names)
		}
	}
}

func TestAPIMethodsAndPaths(t *testing.T) {
	e := seededEnv(t)
	c := e.client(t)
	for _, tt := range []struct {
		method, path string
		status       int
	}{
		{"POST", "/api/v1/commits", http.StatusMethodNotAllowed},
		{"DELETE", "/api/v1/commits", http.StatusMethodNotAllowed},
		{"GET", "/api/v1/nope", http.StatusNotFound},
		{"GET", "/api/v2/commits", http.StatusNotFound},
	} {
		req, _ := http.NewRequest(tt.method, e.ts.URL+tt.path, nil)
		req.SetBasicAuth(AdminUser, testPassword)
		resp, body := e.do(t, c, req)
		if resp.StatusCode != tt.status {
			t.Errorf("%s %s: status %d, want %d", tt.method, tt.path, resp.StatusCode, tt.status)
			continue
		}
		decodeError(t, body)
	}
}

func TestCursorRoundTrip(t *testing.T) {
	c := cursor{unix: 1709550000, sha: sha("x")}
	got, err := parseCursor(c.String())
	if err != nil || got != c {
		t.Errorf("parseCursor(%q) = %v, %v; want %v", c.String(), got, err, c)
	}
}

func TestServerWithoutUsers(t *testing.T) {
	db := openDB(t, sqliteDSN(t))
	s := &Server{DB: db, Logger: slog.New(slog.DiscardHandler)}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	form := url.Values{"username": {AdminUser}, "password": {""}}
	resp, err := http.PostForm(ts.URL+"/login", form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("login with no users: %d, want 401", resp.StatusCode)
	}
	if !strings.Contains(string(body), "sluice users add NAME --admin") {
		t.Errorf("login page with no users does not say how to create one:\n%s", body)
	}
}
