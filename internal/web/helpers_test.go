package web

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/sluicehq/sluice/internal/store"
)

const testPassword = "correct horse battery staple"

// The viewer every test server has besides the admin AdminUser.
const (
	viewerUser     = "vera"
	viewerPassword = "viewer's own passphrase"
)

// shippedBcryptCost is BcryptCost before TestMain lowered it.
var shippedBcryptCost = BcryptCost

func TestMain(m *testing.M) {
	BcryptCost = bcrypt.MinCost // production cost makes every login ~0.25 s
	code := m.Run()
	browserCancel()
	os.Exit(code)
}

// addUser creates a user with password and role.
func addUser(t *testing.T, db *store.DB, name, password, role string) store.User {
	t.Helper()
	hash, err := HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	u, err := db.CreateUser(context.Background(), name, hash, role)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

var testSessionKey = []byte("0123456789abcdef0123456789abcdef")

// sha returns a fake, stable 40-hex commit id for a label.
func sha(label string) string {
	s := sha1.Sum([]byte(label))
	return hex.EncodeToString(s[:])
}

var (
	plus2  = time.FixedZone("+0200", 2*3600)
	minus7 = time.FixedZone("-0700", -7*3600)
	ist    = time.FixedZone("+0530", 5*3600+1800)
)

const evilName = `<script>alert("pwned")</script>`

// seedCommit is one commit of the fixture and the repositories holding it.
type seedCommit struct {
	repos []string
	c     store.Commit
}

func person(c store.Commit, name, email string, t time.Time) store.Commit {
	c.AuthorName, c.AuthorEmail, c.AuthorTime = name, email, t
	c.CommitterName, c.CommitterEmail, c.CommitterTime = name, email, t.Add(time.Minute)
	return c
}

// fixture returns the seeded commits. Alice has 4 included commits on 3
// calendar days in her own offset (2 in UTC), 36 additions and 8
// deletions, plus one merge; the same commit "shared" is in both
// repositories; "tie-a" and "tie-b" share an author time.
func fixture() []seedCommit {
	var out []seedCommit
	add := func(repos []string, label string, parents []string, c store.Commit, adds, dels, files int) {
		c.SHA = sha(label)
		c.Parents = parents
		c.Subject = "commit " + label
		c.Additions, c.Deletions, c.FilesChanged = adds, dels, files
		c.IsMerge = len(parents) > 1
		out = append(out, seedCommit{repos: repos, c: c})
	}
	api, web := []string{"acme/api"}, []string{"acme/web"}
	alice := func(t time.Time) store.Commit {
		return person(store.Commit{}, "Alice Example", "alice@example.com", t)
	}
	add(api, "a1", nil, alice(time.Date(2024, 3, 4, 9, 0, 0, 0, plus2)), 10, 2, 1)
	add(api, "a2", []string{sha("a1")}, alice(time.Date(2024, 3, 4, 17, 0, 0, 0, plus2)), 5, 5, 2)
	add(web, "a3", nil, alice(time.Date(2024, 3, 5, 23, 30, 0, 0, plus2)), 20, 0, 3)
	add(web, "a4", []string{sha("a3")}, alice(time.Date(2024, 3, 6, 0, 30, 0, 0, plus2)), 1, 1, 1)
	add(api, "e1", []string{sha("a1")}, person(store.Commit{}, evilName, "evil@example.com", time.Date(2024, 3, 4, 10, 0, 0, 0, minus7)), 3, 1, 1)
	add(api, "bot", []string{sha("a2")}, person(store.Commit{}, "dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com", time.Date(2024, 3, 5, 8, 0, 0, 0, time.UTC)), 100, 100, 2)
	add(api, "merge", []string{sha("a2"), sha("e1")}, alice(time.Date(2024, 3, 6, 12, 0, 0, 0, plus2)), 0, 0, 0)
	carol := func(t time.Time) store.Commit {
		return person(store.Commit{}, "Carol Chen", "carol@example.com", t)
	}
	add([]string{"acme/api", "acme/web"}, "shared", nil, carol(time.Date(2024, 3, 7, 10, 0, 0, 0, ist)), 7, 0, 1)
	tie := time.Date(2024, 3, 8, 12, 0, 0, 0, time.UTC)
	add(api, "tie-a", nil, carol(tie), 1, 0, 1)
	add(api, "tie-b", nil, carol(tie), 1, 0, 1)
	for i := range 15 {
		label := "dave-" + string(rune('a'+i))
		add(web, label, nil, person(store.Commit{}, "Dave Doe", "dave@example.com", time.Date(2024, 2, 1+i, 15, 0, 0, 0, time.UTC)), 2, 1, 1)
	}
	return out
}

// seed stores the fixture's repositories and commits.
func seed(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	repos := map[string]store.Repository{}
	for _, r := range []store.Repository{
		{Name: "acme/api", URL: "https://git.example.com/acme/api.git", Excludes: true},
		{Name: "acme/web", LocalPath: "/srv/git/acme-web", Excludes: true},
	} {
		got, err := db.UpsertRepository(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		repos[r.Name] = got
	}
	batches := map[string][]store.Commit{}
	for _, sc := range fixture() {
		for _, name := range sc.repos {
			batches[name] = append(batches[name], sc.c)
		}
	}
	for name, commits := range batches {
		id := repos[name].ID
		if err := db.SaveBatch(ctx, id, commits, store.Checkpoint{RepositoryID: id}); err != nil {
			t.Fatalf("seed %s: %v", name, err)
		}
	}
	id := repos["acme/api"].ID
	if err := db.CompleteSync(ctx, id, store.Checkpoint{RepositoryID: id, Tips: map[string]string{"refs/heads/main": sha("merge")}}); err != nil {
		t.Fatal(err)
	}
}

// openDB opens a fresh database of the engine.
func openDB(t *testing.T, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// sqliteDSN is a new SQLite database. Tests of the web layer alone use it;
// those whose outcome depends on the engine use storetest.DSNs.
func sqliteDSN(t *testing.T) string {
	return filepath.Join(t.TempDir(), "sluice.db")
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testEnv is a running server over a database.
type testEnv struct {
	ts   *httptest.Server
	db   *store.DB
	logs *syncBuffer
	// admin and viewer are the users newEnv created.
	admin, viewer store.User
}

// newEnv starts a server over db and creates its users: AdminUser (an
// admin, password testPassword) and viewerUser (a viewer, viewerPassword).
func newEnv(t *testing.T, db *store.DB) *testEnv {
	t.Helper()
	e := &testEnv{db: db, logs: &syncBuffer{}}
	e.admin = addUser(t, db, AdminUser, testPassword, store.RoleAdmin)
	e.viewer = addUser(t, db, viewerUser, viewerPassword, store.RoleViewer)
	s := &Server{
		DB:         db,
		Logger:     slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		SessionKey: testSessionKey,
		Version:    "test",
	}
	e.ts = httptest.NewServer(s.Handler())
	t.Cleanup(e.ts.Close)
	return e
}

// seededEnv is newEnv over a seeded SQLite database.
func seededEnv(t *testing.T) *testEnv {
	t.Helper()
	db := openDB(t, sqliteDSN(t))
	seed(t, db)
	return newEnv(t, db)
}

// client returns a client with a cookie jar that does not follow redirects.
func (e *testEnv) client(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// login logs c in as the admin through the form and returns the session
// cookie.
func (e *testEnv) login(t *testing.T, c *http.Client) *http.Cookie {
	t.Helper()
	return e.loginAs(t, c, AdminUser, testPassword)
}

// loginAs logs c in as user through the form and returns the session cookie.
func (e *testEnv) loginAs(t *testing.T, c *http.Client, user, password string) *http.Cookie {
	t.Helper()
	resp := e.postForm(t, c, "/login", url.Values{"username": {user}, "password": {password}, "next": {"/"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: status %d, want 303", resp.StatusCode)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie {
			return ck
		}
	}
	t.Fatal("login set no session cookie")
	return nil
}

// do sends a request and returns the response with its body read.
func (e *testEnv) do(t *testing.T, c *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

func (e *testEnv) get(t *testing.T, c *http.Client, path string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", e.ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e.do(t, c, req)
}

func (e *testEnv) postForm(t *testing.T, c *http.Client, path string, form url.Values) *http.Response {
	t.Helper()
	req, err := http.NewRequest("POST", e.ts.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.ts.URL)
	resp, _ := e.do(t, c, req)
	return resp
}

var csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// csrfToken returns the CSRF token of c's session, from the overview's
// logout form.
func (e *testEnv) csrfToken(t *testing.T, c *http.Client) string {
	t.Helper()
	resp, body := e.get(t, c, "/")
	m := csrfInput.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("GET /: status %d and no csrf_token field:\n%s", resp.StatusCode, body)
	}
	return m[1]
}

// decodeError returns the "error" of an API error body.
func decodeError(t *testing.T, body string) string {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error == "" {
		t.Fatalf("not an API error body (%v): %s", err, body)
	}
	return e.Error
}
