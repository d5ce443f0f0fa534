package web

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

// TestSyncStateAgrees puts a repository in every sync state, from what the
// store records and from what a Syncer knows, and checks that the
// repositories API and pages and the sources API and page say the same.
func TestSyncStateAgrees(t *testing.T) {
	db := openDB(t, sqliteDSN(t))
	ctx := context.Background()
	started := time.Date(2024, 5, 13, 8, 0, 0, 0, time.UTC)
	tips := map[string]string{"refs/heads/main": sha("tip")}
	// complete records a completed sync; cut a sync stopped midway.
	complete := func(r store.Repository) {
		if err := db.CompleteSync(ctx, r.ID, store.Checkpoint{RepositoryID: r.ID, Tips: tips}); err != nil {
			t.Fatal(err)
		}
	}
	cut := func(r store.Repository) {
		cp, err := db.Checkpoint(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		cp.Pending = map[string]string{"refs/heads/main": sha("later")}
		if err := db.SaveBatch(ctx, r.ID, nil, cp); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		store []func(store.Repository)
		live  *SyncState
		// What every page and API must say.
		state, text string
		interrupted bool
		// next is in the repository page's advice to sync, "" when it
		// gives none.
		next string
	}{
		{name: "store/never", state: "never_synced", text: "never synced completely",
			next: "on the server."},
		{name: "store/synced", store: []func(store.Repository){complete}, state: "synced", text: "synced"},
		{name: "store/first-cut", store: []func(store.Repository){cut}, state: "never_synced",
			text: "the first sync was interrupted; the next one continues it", interrupted: true,
			next: "either goes on from where the last sync stopped"},
		{name: "store/later-cut", store: []func(store.Repository){complete, cut}, state: "synced",
			text: "synced; a later sync was interrupted and the next one continues it", interrupted: true,
			next: "either goes on from where the last sync stopped"},
		// The Syncer's state comes first; an interrupted sync it runs now
		// is no longer interrupted.
		{name: "live/queued", store: []func(store.Repository){cut}, live: &SyncState{Queued: true, QueuedAt: started},
			state: "queued", text: "queued; it starts when the syncs before it finish", interrupted: true},
		{name: "live/running", store: []func(store.Repository){complete, cut}, live: &SyncState{Running: true, StartedAt: started},
			state: "running", text: "syncing since 2024-05-13 08:00 UTC"},
		{name: "live/failed", store: []func(store.Repository){complete},
			live:  &SyncState{LastError: "git fetch: authentication failed", LastErrorAt: started, Duration: time.Second},
			state: "failed", text: "the last sync failed", next: `<a href="/sources#repo-live-failed">Sources</a> shows why the last sync failed`},
		{name: "live/synced", live: &SyncState{LastSuccess: started, Duration: time.Second, Imported: 3},
			state: "synced", text: "synced"},
	}
	fs := &fakeSyncer{known: map[string]bool{}, states: map[string]SyncState{}}
	for _, tt := range tests {
		r, err := db.UpsertRepository(ctx, store.Repository{Name: tt.name, LocalPath: "/srv/git/" + tt.name})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range tt.store {
			f(r)
		}
		if tt.live != nil {
			fs.known[tt.name], fs.states[tt.name] = true, *tt.live
		}
	}
	e := newEnvWith(t, db, func(s *Server) { s.Syncer = fs })
	c := loggedIn(t, e)

	var repos reposView
	getJSON(t, e, c, "/api/v1/repos", &repos)
	var sources sourcesView
	getJSON(t, e, c, "/api/v1/sources", &sources)
	inRepos, inSources := map[string]syncState{}, map[string]syncState{}
	for _, r := range repos.Repos {
		inRepos[r.Name] = r.Sync.syncState
	}
	for _, r := range sources.Repositories {
		inSources[r.Name] = r.syncState
	}
	reposPage, sourcesPage := getBody(t, e, c, "/repos"), getBody(t, e, c, "/sources")
	// stateIn reads the state's CSS class and words out of a page, after
	// the repository's row (or on its own page).
	stateIn := func(body, after, end string) syncState {
		t.Helper()
		m := regexp.MustCompile(`(?s)` + regexp.QuoteMeta(after) + `.*?class="state sync-([a-z_]+)"[^>]*>([^<]*)</` + end + `>`).FindStringSubmatch(body)
		if m == nil {
			t.Errorf("no sync state after %q", after)
			return syncState{}
		}
		return syncState{State: m[1], StateText: m[2]}
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := syncState{State: tt.state, StateText: tt.text, Interrupted: tt.interrupted}
			var one repoView
			getJSON(t, e, c, "/api/v1"+repoPath(tt.name), &one)
			for where, got := range map[string]syncState{
				"GET /api/v1/repos":        inRepos[tt.name],
				"GET /api/v1/repos/{name}": one.Sync.syncState,
				"GET /api/v1/sources":      inSources[tt.name],
			} {
				if got != want {
					t.Errorf("%s: %+v, want %+v", where, got, want)
				}
			}
			want.Interrupted = false // not on the pages but in their words
			page := getBody(t, e, c, repoPath(tt.name))
			for where, got := range map[string]syncState{
				"/repos":        stateIn(reposPage, `<a href="`+repoPath(tt.name)+`">`+tt.name+`</a>`, "td"),
				"/repos/{name}": stateIn(page, `<h1 id="repo-name">`+tt.name+`</h1>`, "dd"),
				"/sources":      stateIn(sourcesPage, `<tr id="`+repoAnchor(tt.name)+`">`, "td"),
			} {
				if got != want {
					t.Errorf("%s: class sync-%s, words %q; want sync-%s, %q", where, got.State, got.StateText, want.State, want.StateText)
				}
			}
			// The repository's page says what to do when a sync is due.
			next := regexp.MustCompile(`(?s)<p class="note" id="sync-next">(.*?)</p>`).FindStringSubmatch(page)
			switch {
			case tt.next == "" && next != nil:
				t.Errorf("/repos/{name} suggests a sync while none is due: %q", next[1])
			case tt.next != "" && (next == nil || !strings.Contains(next[1], tt.next)):
				t.Errorf("/repos/{name}: sync note %q, want it to say %q", next, tt.next)
			}
		})
	}

	// Without a Syncer (same database, same users) the store's states are
	// all there is, in the same words: a sync running elsewhere reads as
	// interrupted.
	plain := &testEnv{db: db, logs: &syncBuffer{}}
	plain.ts = httptest.NewServer((&Server{DB: db, Logger: slog.New(slog.NewTextHandler(plain.logs, nil)),
		SessionKey: testSessionKey, Version: "test"}).Handler())
	t.Cleanup(plain.ts.Close)
	pc := loggedIn(t, plain)
	reposPage = getBody(t, plain, pc, "/repos")
	for _, tt := range append(tests[:4:4], tests[5]) {
		want := syncState{State: tt.state, StateText: tt.text, Interrupted: tt.interrupted}
		if tt.live != nil { // live/running: the store holds a completed and an interrupted sync
			want = syncState{State: "synced", StateText: "synced; a later sync was interrupted and the next one continues it", Interrupted: true}
		}
		var one repoView
		getJSON(t, plain, pc, "/api/v1"+repoPath(tt.name), &one)
		if one.Sync.syncState != want {
			t.Errorf("%s without a Syncer: %+v, want %+v", tt.name, one.Sync.syncState, want)
		}
		want.Interrupted = false
		if got := stateIn(reposPage, `<a href="`+repoPath(tt.name)+`">`+tt.name+`</a>`, "td"); got != want {
			t.Errorf("%s on /repos without a Syncer: class sync-%s, words %q; want sync-%s, %q", tt.name, got.State, got.StateText, want.State, want.StateText)
		}
	}
}
