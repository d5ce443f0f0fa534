package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

// TestKeepWarm: after a change to the data, KeepWarm recomputes the first
// views, so that visiting them computes nothing; a page shows a change
// made behind its cache's back (straight through the store) at once.
func TestKeepWarm(t *testing.T) {
	db := openDB(t, sqliteDSN(t))
	seed(t, db)
	ctx := context.Background()
	team, err := db.CreateTeam(ctx, "Platform", 0, store.SourceCLI)
	if err != nil {
		t.Fatal(err)
	}
	alice, err := db.FindPerson(ctx, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AddTeamMember(ctx, team, alice.ID, nil, nil, store.SourceCLI); err != nil {
		t.Fatal(err)
	}
	e := &testEnv{db: db, logs: &syncBuffer{}}
	e.admin = addUser(t, db, AdminUser, testPassword, store.RoleAdmin)
	s := &Server{DB: db, Logger: slog.New(slog.NewTextHandler(e.logs, nil)), SessionKey: testSessionKey}
	e.ts = httptest.NewServer(s.Handler())
	t.Cleanup(e.ts.Close)
	c := e.client(t)
	e.login(t, c)

	wctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.KeepWarm(wctx, 10*time.Millisecond)
	}()
	t.Cleanup(func() { stop(); <-done })
	// settled waits until warming has filled the cache for the current
	// data and stopped computing.
	settled := func() store.CacheStats {
		t.Helper()
		var last store.CacheStats
		for range 500 {
			time.Sleep(20 * time.Millisecond)
			st, _ := db.CacheStats()
			if st.Entries > 0 && st.Misses == last.Misses && st.Invalidations == last.Invalidations {
				return st
			}
			last = st
		}
		t.Fatalf("warming never settled: %+v", last)
		return last
	}
	before := settled()
	for _, path := range []string{"/", "/people", "/teams", "/repos", "/teams/Platform", "/api/v1/overview", "/api/v1/teams"} {
		resp, body := e.get(t, c, path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
		}
	}
	if after, _ := db.CacheStats(); after.Misses != before.Misses {
		t.Errorf("visiting warmed views computed %d answers; want none (before %+v, after %+v)", after.Misses-before.Misses, before, after)
	}

	// Exclude Alice behind the web's back: the cache empties, warming
	// starts again, and the people page no longer lists her.
	_, body := e.get(t, c, "/api/v1/people")
	if !strings.Contains(body, "alice@example.com") {
		t.Fatalf("people before excluding Alice lack her: %s", body)
	}
	yes := true
	if err := db.SetPersonFlags(ctx, alice.ID, &yes, nil); err != nil {
		t.Fatal(err)
	}
	_, body = e.get(t, c, "/api/v1/people")
	if strings.Contains(body, "alice@example.com") {
		t.Errorf("people after excluding Alice still list her: %s", body)
	}
	again := settled()
	if again.Invalidations <= before.Invalidations || again.Entries == 0 {
		t.Errorf("after a change: %+v; want the cache emptied and warmed again (before %+v)", again, before)
	}
}
