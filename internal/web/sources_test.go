package web

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

// fakeSyncer is a Syncer that records requests and serves set states.
type fakeSyncer struct {
	mu     sync.Mutex
	known  map[string]bool
	states map[string]SyncState
	calls  []string
}

func (f *fakeSyncer) SyncNow(_ context.Context, repo string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.known[repo] {
		return fmt.Errorf("repository %q: %w", repo, store.ErrNotFound)
	}
	st := f.states[repo]
	if st.Running || st.Queued {
		return fmt.Errorf("%s is %w", repo, ErrAlreadySyncing)
	}
	st.Queued, st.QueuedAt = true, time.Now()
	f.states[repo] = st
	f.calls = append(f.calls, repo)
	return nil
}

// requested lists the repositories whose sync was queued.
func (f *fakeSyncer) requested() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fmt.Sprint(f.calls)
}

func (f *fakeSyncer) SyncStates() map[string]SyncState {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]SyncState{}
	for k, v := range f.states {
		out[k] = v
	}
	return out
}

// newEnvWith is newEnv with the Server's optional fields set by configure.
func newEnvWith(t *testing.T, db *store.DB, configure func(*Server)) *testEnv {
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
	if configure != nil {
		configure(s)
	}
	e.ts = httptest.NewServer(s.Handler())
	t.Cleanup(e.ts.Close)
	return e
}

// sourcesEnv is a seeded server with a configured source and a fake
// Syncer that knows acme/api, acme/web and broken/repo: the last failed
// before it was ever stored.
func sourcesEnv(t *testing.T) (*testEnv, *fakeSyncer) {
	t.Helper()
	db := openDB(t, sqliteDSN(t))
	seed(t, db)
	ctx := context.Background()
	if _, err := db.UpsertSource(ctx, store.Source{Name: "corp-git", Kind: "git", URL: "https://git.example.com"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpsertRepository(ctx, store.Repository{Name: "acme/api", URL: "https://git.example.com/acme/api.git", Source: "corp-git", Excludes: true}); err != nil {
		t.Fatal(err)
	}
	fs := &fakeSyncer{
		known: map[string]bool{"acme/api": true, "acme/web": true, "broken/repo": true},
		states: map[string]SyncState{
			"broken/repo": {Location: "https://git.example.com/broken/repo.git", Source: "corp-git",
				LastError: "authentication failed: the token of source corp-git was refused", LastErrorAt: time.Now(), Duration: 2 * time.Second},
			"acme/api": {LastSuccess: time.Now(), Duration: 1500 * time.Millisecond, Imported: 7},
		},
	}
	return newEnvWith(t, db, func(s *Server) { s.Syncer = fs }), fs
}

func TestAPISources(t *testing.T) {
	e, _ := sourcesEnv(t)
	c := e.client(t)
	req, _ := http.NewRequest("GET", e.ts.URL+"/api/v1/sources", nil)
	req.SetBasicAuth(viewerUser, viewerPassword) // viewers may read it
	resp, body := e.do(t, c, req)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/sources: %d %s", resp.StatusCode, body)
	}
	var v sourcesView
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	if !v.CanSync {
		t.Error("can_sync is false with a Syncer")
	}
	if len(v.Sources) != 1 || v.Sources[0].Name != "corp-git" || v.Sources[0].URL != "https://git.example.com" ||
		fmt.Sprint(v.Sources[0].Repositories) != "[acme/api broken/repo]" {
		t.Errorf("sources: %+v", v.Sources)
	}
	byName := map[string]repoSyncView{}
	for _, r := range v.Repositories {
		byName[r.Name] = r
	}
	if len(byName) != 3 {
		t.Fatalf("repositories %v, want acme/api, acme/web, broken/repo", v.Repositories)
	}
	api := byName["acme/api"]
	if api.State != "synced" || api.LastSuccess == nil || !api.Stored || api.CommitsStored == 0 || api.LastImported == nil || *api.LastImported != 7 {
		t.Errorf("acme/api: %+v", api)
	}
	if web := byName["acme/web"]; web.State != "never_synced" || web.LastSuccess != nil || web.Location != "/srv/git/acme-web" {
		t.Errorf("acme/web (never completed a sync): %+v", web)
	}
	broken := byName["broken/repo"]
	if broken.State != "failed" || broken.Stored || !strings.Contains(broken.LastError, "token of source corp-git was refused") || broken.LastErrorAt == nil {
		t.Errorf("broken/repo: %+v", broken)
	}
	if strings.Contains(body, "token\":") || strings.Contains(body, "password") {
		t.Errorf("the sources API shows credentials:\n%s", body)
	}

	// Without a login: 401.
	resp, _ = e.get(t, e.client(t), "/api/v1/sources")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous GET /api/v1/sources: %d, want 401", resp.StatusCode)
	}
}

func TestAPISyncRepo(t *testing.T) {
	e, fs := sourcesEnv(t)
	post := func(name string, auth func(*http.Request), c *http.Client) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", e.ts.URL+"/api/v1/repos/"+url.PathEscape(name)+"/sync", nil)
		auth(req)
		resp, body := e.do(t, c, req)
		return resp.StatusCode, body
	}
	admin := func(r *http.Request) { r.SetBasicAuth(AdminUser, testPassword) }
	viewer := func(r *http.Request) { r.SetBasicAuth(viewerUser, viewerPassword) }
	c := e.client(t)

	if st, body := post("acme/api", admin, c); st != http.StatusAccepted || !strings.Contains(body, `"status":"queued"`) {
		t.Errorf("first sync: %d %s, want 202 queued", st, body)
	}
	if st, body := post("acme/api", admin, c); st != http.StatusConflict || !strings.Contains(decodeError(t, body), "already syncing") {
		t.Errorf("second sync while queued: %d %s, want 409 already syncing", st, body)
	}
	if st, body := post("acme/web", viewer, c); st != http.StatusForbidden || !strings.Contains(decodeError(t, body), "admin") {
		t.Errorf("viewer: %d %s, want 403", st, body)
	}
	if st, body := post("no/such", admin, c); st != http.StatusNotFound || !strings.Contains(decodeError(t, body), `"no/such"`) {
		t.Errorf("unknown repository: %d %s, want 404 naming it", st, body)
	}
	if got := fs.requested(); got != "[acme/api]" {
		t.Errorf("syncs requested: %s, want only acme/api", got)
	}
	// The state shows in the API.
	var v sourcesView
	getJSON(t, e, loggedIn(t, e), "/api/v1/sources", &v)
	for _, r := range v.Repositories {
		if r.Name == "acme/api" && (r.State != "queued" || !r.Queued) {
			t.Errorf("acme/api after the request: %+v, want queued", r)
		}
	}

	// A session needs its CSRF token; with it an admin may sync.
	sc := e.client(t)
	e.login(t, sc)
	req, _ := http.NewRequest("POST", e.ts.URL+"/api/v1/repos/acme%2Fweb/sync", nil)
	req.Header.Set("Origin", e.ts.URL)
	if resp, body := e.do(t, sc, req); resp.StatusCode != http.StatusForbidden || !strings.Contains(decodeError(t, body), "CSRF") {
		t.Errorf("session without CSRF token: %d %s, want 403", resp.StatusCode, body)
	}
	req.Header.Set(csrfHeader, e.csrfToken(t, sc))
	if resp, body := e.do(t, sc, req); resp.StatusCode != http.StatusAccepted {
		t.Errorf("session with CSRF token: %d %s, want 202", resp.StatusCode, body)
	}
	// Without a Syncer: 503 that says why.
	plain := newEnvWith(t, openDB(t, sqliteDSN(t)), nil)
	req, _ = http.NewRequest("POST", plain.ts.URL+"/api/v1/repos/acme%2Fapi/sync", nil)
	admin(req)
	if resp, body := plain.do(t, plain.client(t), req); resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(decodeError(t, body), "sluice serve") {
		t.Errorf("no Syncer: %d %s, want 503", resp.StatusCode, body)
	}
}

// loggedIn is a client logged in as the admin.
func loggedIn(t *testing.T, e *testEnv) *http.Client {
	t.Helper()
	c := e.client(t)
	e.login(t, c)
	return c
}

func TestSourcesPage(t *testing.T) {
	e, fs := sourcesEnv(t)
	admin := loggedIn(t, e)
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(e.logs.String())
		}
	})
	body := getBody(t, e, admin, "/sources")
	for _, want := range []string{`<table id="sources">`, "corp-git", "https://git.example.com",
		"authentication failed: the token of source corp-git was refused", `<td class="state sync-failed">the last sync failed</td>`,
		`action="/sources/acme%2Fapi/sync"`, "Sync now", "never synced completely"} {
		if !strings.Contains(body, want) {
			t.Errorf("admin's sources page lacks %q\n%s", want, body)
		}
	}
	row := tableRow(t, strings.ReplaceAll(body, "<tr id=", "<tr><x id="), "repos-sync", "synced")
	if !strings.Contains(row[0], "acme/api") || !strings.Contains(row[5], "7 new commits") {
		t.Errorf("acme/api row: %q", row)
	}

	// Sync now: without the CSRF token nothing happens.
	resp := e.postForm(t, admin, "/sources/acme%2Fapi/sync", url.Values{})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("sync now without CSRF: %d, want 403", resp.StatusCode)
	}
	// With it: queued, back to the page, which says so.
	token := e.csrfToken(t, admin)
	resp = e.postForm(t, admin, "/sources/acme%2Fapi/sync", url.Values{csrfField: {token}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/sources") {
		t.Fatalf("sync now: %d to %q, want 303 to /sources", resp.StatusCode, resp.Header.Get("Location"))
	}
	body = getBody(t, e, admin, "/sources")
	queued := tableRow(t, strings.ReplaceAll(body, "<tr id=", "<tr><x id="), "repos-sync", "queued; it starts when the syncs before it finish")
	if !strings.Contains(body, "Sync of acme/api queued") || !strings.HasPrefix(queued[0], "acme/api<br>") ||
		!strings.Contains(body, `<td class="state sync-queued">queued; it starts when the syncs before it finish</td>`) ||
		!strings.Contains(body, `id="sources-refresh"`) {
		t.Errorf("after sync now the page does not show the queued sync:\n%s", body)
	}
	// Again while queued: the page says it is already syncing.
	e.postForm(t, admin, "/sources/acme%2Fapi/sync", url.Values{csrfField: {token}})
	if body := getBody(t, e, admin, "/sources"); !strings.Contains(body, "acme/api is already syncing or queued") {
		t.Error("a second sync now does not say it is already syncing")
	}
	if got := fs.requested(); got != "[acme/api]" {
		t.Errorf("syncs requested: %s", got)
	}

	// A viewer sees the state but no button, and cannot post.
	viewer := e.client(t)
	e.loginAs(t, viewer, viewerUser, viewerPassword)
	body = getBody(t, e, viewer, "/sources")
	if strings.Contains(body, "Sync now") || strings.Contains(body, "/sync\"") {
		t.Error("a viewer's sources page has a Sync now button")
	}
	if !strings.Contains(body, "token of source corp-git was refused") || !strings.Contains(body, "Admins can start a sync here") {
		t.Error("a viewer's sources page lacks the state")
	}
	resp = e.postForm(t, viewer, "/sources/acme%2Fweb/sync", url.Values{csrfField: {e.csrfToken(t, viewer)}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer's sync now: %d, want 403", resp.StatusCode)
	}
	if got := fs.requested(); got != "[acme/api]" {
		t.Errorf("syncs requested after the viewer's: %s", got)
	}
}

func TestSourcesPageEmpty(t *testing.T) {
	e := newEnvWith(t, openDB(t, sqliteDSN(t)), nil)
	body := getBody(t, e, loggedIn(t, e), "/sources")
	for _, want := range []string{`id="no-sources"`, `id="no-repos"`, "sluice analyze"} {
		if !strings.Contains(body, want) {
			t.Errorf("empty sources page lacks %q", want)
		}
	}
}
