package store_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/storetest"
)

var (
	ist = time.FixedZone("", 5*3600+30*60)
	pst = time.FixedZone("", -8*3600)
)

// open opens dsn and closes it when t ends.
func open(t testing.TB, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}

func repo(t testing.TB, db *store.DB, name string) store.Repository {
	t.Helper()
	r, err := db.UpsertRepository(context.Background(), store.Repository{Name: name, LocalPath: "/src/" + name, Excludes: true})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func sha(label string) string {
	s := fmt.Sprintf("%x", label)
	return (s + strings.Repeat("0", 40))[:40]
}

// commit returns a commit authored at t with n files.
func commit(label string, t time.Time, n int, parents ...string) store.Commit {
	c := store.Commit{
		SHA: sha(label), Parents: parents,
		AuthorName: "Alice Example", AuthorEmail: "Alice@Example.com", AuthorTime: t,
		CommitterName: "Bob", CommitterEmail: "bob@example.com", CommitterTime: t.Add(time.Minute),
		Subject: "change " + label, IsMerge: len(parents) > 1,
	}
	for i := range n {
		f := store.FileChange{Path: fmt.Sprintf("dir/%s/file%d.go", label, i), Additions: i + 1, Deletions: i}
		switch i % 3 {
		case 1:
			f.OldPath = "old/" + f.Path
		case 2:
			f.Binary, f.Excluded, f.Additions, f.Deletions = true, true, 0, 0
		}
		c.Files = append(c.Files, f)
		if !f.Excluded {
			c.Additions += f.Additions
			c.Deletions += f.Deletions
			c.FilesChanged++
		}
	}
	return c
}

// all returns every commit matching f.
func all(t testing.TB, db *store.DB, f store.CommitFilter) []store.CommitRow {
	t.Helper()
	var rows []store.CommitRow
	if err := db.ForEachCommit(context.Background(), f, func(c store.CommitRow) error {
		rows = append(rows, c)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return rows
}

func labels(rows []store.CommitRow) string {
	var s []string
	for _, r := range rows {
		s = append(s, r.Repo+":"+r.Subject)
	}
	return strings.Join(s, " ")
}

// snapshot is everything stored for a repository, to compare before/after.
type snapshot struct {
	Commits    []store.CommitRow
	Files      map[string][]store.FileChange
	Checkpoint store.Checkpoint
}

func snap(t testing.TB, db *store.DB, r store.Repository) snapshot {
	t.Helper()
	ctx := context.Background()
	s := snapshot{Commits: all(t, db, store.CommitFilter{Repo: r.Name}), Files: map[string][]store.FileChange{}}
	for _, c := range s.Commits {
		files, err := db.CommitFiles(ctx, r.ID, c.SHA)
		if err != nil {
			t.Fatal(err)
		}
		s.Files[c.SHA] = files
	}
	cp, err := db.Checkpoint(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	cp.UpdatedAt = time.Time{}
	s.Checkpoint = cp
	return s
}

func TestStore(t *testing.T) {
	base := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		run  func(t *testing.T, dsn string)
	}{
		{"migrations are idempotent", func(t *testing.T, dsn string) {
			ctx := context.Background()
			db := open(t, dsn)
			r := repo(t, db, "a")
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			db = open(t, dsn)
			if got, err := db.RepositoryByName(ctx, "a"); err != nil || got.ID != r.ID {
				t.Fatalf("after reopening: %+v, %v; want ID %d", got, err, r.ID)
			}
			if v, err := db.SchemaVersion(ctx); err != nil || v != store.LatestSchemaVersion() {
				t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, store.LatestSchemaVersion())
			}
		}},
		{"concurrent opens of a new database", func(t *testing.T, dsn string) {
			var wg sync.WaitGroup
			errs := make([]error, 4)
			for i := range errs {
				wg.Go(func() {
					db, err := store.Open(context.Background(), dsn)
					if err == nil {
						err = db.Close()
					}
					errs[i] = err
				})
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
		}},
		{"repositories", func(t *testing.T, dsn string) {
			ctx := context.Background()
			db := open(t, dsn)
			in := store.Repository{Name: "team/svc", URL: "https://git.example.com/team/svc.git", MirrorPath: "/data/mirrors/svc.git", Branch: "main", Excludes: true, Source: "ghe"}
			r, err := db.UpsertRepository(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			if r.ID == 0 || r.CreatedAt.IsZero() || !r.LastSyncedAt.IsZero() {
				t.Fatalf("new repository: %+v", r)
			}
			want := in
			want.ID, want.CreatedAt = r.ID, r.CreatedAt
			if r != want {
				t.Fatalf("UpsertRepository = %+v, want %+v", r, want)
			}
			in.URL, in.Branch, in.Excludes, in.Source = "https://other.example.com/svc.git", "", false, ""
			r2, err := db.UpsertRepository(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			want = in
			want.ID, want.CreatedAt = r.ID, r.CreatedAt
			if r2 != want {
				t.Fatalf("updated: %+v, want %+v", r2, want)
			}
			if got, err := db.RepositoryByName(ctx, "team/svc"); err != nil || got != want {
				t.Fatalf("RepositoryByName = %+v, %v; want %+v", got, err, want)
			}
			if _, err := db.RepositoryByName(ctx, "missing"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("RepositoryByName(missing) error = %v, want ErrNotFound", err)
			}
			repo(t, db, "alpha")
			repo(t, db, "zeta")
			rs, err := db.Repositories(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, r := range rs {
				names = append(names, r.Name)
			}
			if got := strings.Join(names, " "); got != "alpha team/svc zeta" {
				t.Fatalf("Repositories = %s", got)
			}
		}},
		{"SaveBatch is idempotent", func(t *testing.T, dsn string) {
			ctx := context.Background()
			db := open(t, dsn)
			r := repo(t, db, "a")
			batch := []store.Commit{
				commit("c1", base, 3),
				commit("c2", base.Add(time.Hour), 0, sha("c1")),
				commit("m", base.Add(2*time.Hour), 5, sha("c1"), sha("c2")),
			}
			cp := store.Checkpoint{RepositoryID: r.ID, Pending: map[string]string{"refs/heads/main": sha("m")}, Stored: 3}
			if err := db.SaveBatch(ctx, r.ID, batch, cp); err != nil {
				t.Fatal(err)
			}
			first := snap(t, db, r)
			if len(first.Commits) != 3 || len(first.Files[sha("c1")]) != 3 || len(first.Files[sha("m")]) != 5 || len(first.Files[sha("c2")]) != 0 {
				t.Fatalf("stored: %d commits, files %v", len(first.Commits), first.Files)
			}
			for i, c := range batch {
				got := first.Commits[i]
				want := readBack(c)
				if got.Repo != "a" || !reflect.DeepEqual(got.Commit, want) {
					t.Errorf("commit %d:\n got %+v\nwant %+v", i, got.Commit, want)
				}
				if !reflect.DeepEqual(first.Files[c.SHA], c.Files) && len(c.Files) > 0 {
					t.Errorf("files of %d:\n got %+v\nwant %+v", i, first.Files[c.SHA], c.Files)
				}
			}
			// Saved again, even with different content, nothing changes (only
			// changed work figures would be updated: TestWorkFigures).
			changed := append([]store.Commit(nil), batch...)
			changed[0].Subject = "rewritten"
			changed[0].Files = changed[0].Files[:1]
			for range 2 {
				if err := db.SaveBatch(ctx, r.ID, changed, cp); err != nil {
					t.Fatal(err)
				}
			}
			if again := snap(t, db, r); !reflect.DeepEqual(again, first) {
				t.Fatalf("re-saving changed the store:\n got %+v\nwant %+v", again, first)
			}
			if n, err := db.CountCommits(ctx, r.ID); err != nil || n != 3 {
				t.Fatalf("CountCommits = %d, %v", n, err)
			}
			// The same commit in another repository is another row.
			r2 := repo(t, db, "fork")
			if err := db.SaveBatch(ctx, r2.ID, batch[:1], store.Checkpoint{}); err != nil {
				t.Fatal(err)
			}
			if got := labels(all(t, db, store.CommitFilter{})); got != "a:change c1 fork:change c1 a:change c2 a:change m" {
				t.Fatalf("all commits: %s", got)
			}
		}},
		{"checkpoint round trip", func(t *testing.T, dsn string) {
			ctx := context.Background()
			db := open(t, dsn)
			r := repo(t, db, "a")
			cp, err := db.Checkpoint(ctx, r.ID)
			if err != nil || !reflect.DeepEqual(cp, store.Checkpoint{RepositoryID: r.ID}) {
				t.Fatalf("never synced: %+v, %v", cp, err)
			}
			tips := map[string]string{"refs/heads/main": sha("a"), "refs/tags/v1": sha("b")}
			pending := map[string]string{"refs/heads/main": sha("c"), "refs/heads/dev": sha("d")}
			before := time.Now().Add(-time.Second)
			if err := db.SaveBatch(ctx, r.ID, []store.Commit{commit("x", base, 1)}, store.Checkpoint{RepositoryID: r.ID, Tips: tips, Pending: pending, Stored: 42}); err != nil {
				t.Fatal(err)
			}
			cp, err = db.Checkpoint(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(cp.Tips, tips) || !maps.Equal(cp.Pending, pending) || cp.Pending == nil || cp.Stored != 42 || cp.RepositoryID != r.ID || cp.UpdatedAt.Before(before.Truncate(time.Second)) {
				t.Fatalf("Checkpoint = %+v", cp)
			}
			// An empty Pending map still marks a sync in progress.
			if err := db.SaveBatch(ctx, r.ID, nil, store.Checkpoint{Tips: tips, Pending: map[string]string{}, Stored: 43}); err != nil {
				t.Fatal(err)
			}
			if cp, err = db.Checkpoint(ctx, r.ID); err != nil || cp.Pending == nil || len(cp.Pending) != 0 || cp.Stored != 43 {
				t.Fatalf("Checkpoint = %+v, %v", cp, err)
			}
			if r, _ = db.RepositoryByName(ctx, "a"); !r.LastSyncedAt.IsZero() {
				t.Fatalf("LastSyncedAt set before CompleteSync: %v", r.LastSyncedAt)
			}
			if err := db.CompleteSync(ctx, r.ID, store.Checkpoint{RepositoryID: r.ID, Tips: pending, Pending: pending, Stored: 44}); err != nil {
				t.Fatal(err)
			}
			cp, err = db.Checkpoint(ctx, r.ID)
			if err != nil || !maps.Equal(cp.Tips, pending) || cp.Pending != nil || cp.Stored != 44 {
				t.Fatalf("after CompleteSync: %+v, %v", cp, err)
			}
			if r, _ = db.RepositoryByName(ctx, "a"); r.LastSyncedAt.Before(before.Truncate(time.Second)) {
				t.Fatalf("LastSyncedAt = %v", r.LastSyncedAt)
			}
			if err := db.CompleteSync(ctx, r.ID+100, store.Checkpoint{}); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("CompleteSync of a missing repository: %v", err)
			}
		}},
		{"a failing batch changes nothing", func(t *testing.T, dsn string) {
			ctx := context.Background()
			db := open(t, dsn)
			r := repo(t, db, "a")
			cp := store.Checkpoint{Pending: map[string]string{"refs/heads/main": sha("z")}, Stored: 1}
			if err := db.SaveBatch(ctx, r.ID, []store.Commit{commit("c1", base, 2)}, cp); err != nil {
				t.Fatal(err)
			}
			before := snap(t, db, r)
			bad := []store.Commit{commit("c2", base.Add(time.Hour), 2), commit("empty", base, 1)}
			bad[1].SHA = "" // violates CHECK (sha <> '') after c2 was written
			newCP := store.Checkpoint{Pending: map[string]string{"refs/heads/main": sha("y")}, Stored: 3}
			err := db.SaveBatch(ctx, r.ID, bad, newCP)
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("save batch for repository %d", r.ID)) {
				t.Fatalf("SaveBatch with an empty SHA: %v", err)
			}
			cancelled, cancel := context.WithCancel(ctx)
			cancel()
			if err := db.SaveBatch(cancelled, r.ID, bad[:1], newCP); !errors.Is(err, context.Canceled) {
				t.Fatalf("SaveBatch with a cancelled context: %v", err)
			}
			if err := db.SaveBatch(ctx, r.ID+100, bad[:1], newCP); err == nil {
				t.Fatal("SaveBatch for a missing repository succeeded")
			}
			if after := snap(t, db, r); !reflect.DeepEqual(after, before) {
				t.Fatalf("failed batches changed the store:\n got %+v\nwant %+v", after, before)
			}
			if have, err := db.HaveCommits(ctx, r.ID, []string{sha("c2")}); err != nil || len(have) != 0 {
				t.Fatalf("HaveCommits(c2) = %v, %v", have, err)
			}
		}},
		{"ForEachCommit order and filters", func(t *testing.T, dsn string) {
			ctx := context.Background()
			db := open(t, dsn)
			a, b := repo(t, db, "a"), repo(t, db, "b")
			day := func(d int) time.Time { return base.AddDate(0, 0, d) }
			// Saved out of order; c3 and c2 share an author time (SHA decides).
			if err := db.SaveBatch(ctx, a.ID, []store.Commit{
				commit("a4", day(4), 1), commit("a2", day(2), 1), commit("a1", day(1), 1),
				commit("a3", day(2).In(ist), 1),
			}, store.Checkpoint{}); err != nil {
				t.Fatal(err)
			}
			if err := db.SaveBatch(ctx, b.ID, []store.Commit{commit("b3", day(3).In(pst), 1), commit("b0", day(0), 1)}, store.Checkpoint{}); err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				f    store.CommitFilter
				want string
			}{
				{store.CommitFilter{}, "b:change b0 a:change a1 a:change a2 a:change a3 b:change b3 a:change a4"},
				{store.CommitFilter{Repo: "a"}, "a:change a1 a:change a2 a:change a3 a:change a4"},
				{store.CommitFilter{Repo: "missing"}, ""},
				{store.CommitFilter{Since: day(2)}, "a:change a2 a:change a3 b:change b3 a:change a4"},
				{store.CommitFilter{Until: day(2)}, "b:change b0 a:change a1"},
				{store.CommitFilter{Since: day(1), Until: day(3)}, "a:change a1 a:change a2 a:change a3"},
				{store.CommitFilter{Since: day(2).Add(-time.Nanosecond), Until: day(3).Add(time.Nanosecond)}, "a:change a2 a:change a3 b:change b3"},
				{store.CommitFilter{Since: day(2).Add(time.Nanosecond)}, "b:change b3 a:change a4"},
				{store.CommitFilter{Repo: "b", Since: day(1), Until: day(4)}, "b:change b3"},
			} {
				if got := labels(all(t, db, tc.f)); got != tc.want {
					t.Errorf("ForEachCommit(%+v):\n got %s\nwant %s", tc.f, got, tc.want)
				}
			}
			stop := errors.New("stop")
			n := 0
			err := db.ForEachCommit(ctx, store.CommitFilter{}, func(store.CommitRow) error {
				n++
				if n == 2 {
					return stop
				}
				return nil
			})
			if err != stop || n != 2 {
				t.Fatalf("ForEachCommit returned %v after %d calls, want stop after 2", err, n)
			}
		}},
		{"ForEachCommit callback may write", func(t *testing.T, dsn string) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			db := open(t, dsn)
			r := repo(t, db, "a")
			if err := db.SaveBatch(ctx, r.ID, []store.Commit{commit("c1", base, 1), commit("c2", base.Add(time.Hour), 1)}, store.Checkpoint{}); err != nil {
				t.Fatal(err)
			}
			err := db.ForEachCommit(ctx, store.CommitFilter{}, func(c store.CommitRow) error {
				if _, err := db.RepositoryByName(ctx, c.Repo); err != nil {
					return err
				}
				_, err := db.UpsertRepository(ctx, store.Repository{Name: "copy-" + c.Subject})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}},
		{"concurrent writers and readers", func(t *testing.T, dsn string) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			db := open(t, dsn)
			// A second handle, as a second process would have.
			other := open(t, dsn)
			var wg sync.WaitGroup
			errs := make(chan error, 16)
			for w := range 4 {
				h := db
				if w%2 == 1 {
					h = other
				}
				r := repo(t, h, fmt.Sprintf("r%d", w))
				wg.Go(func() {
					for i := range 10 {
						var batch []store.Commit
						for j := range 50 {
							batch = append(batch, commit(fmt.Sprintf("w%d-%d-%d", w, i, j), base.Add(time.Duration(j)*time.Second), 2))
						}
						if err := h.SaveBatch(ctx, r.ID, batch, store.Checkpoint{Stored: int64(i)}); err != nil {
							errs <- err
							return
						}
						if _, err := h.HaveCommits(ctx, r.ID, []string{batch[0].SHA}); err != nil {
							errs <- err
							return
						}
					}
				})
				wg.Go(func() {
					for range 10 {
						if err := h.ForEachCommit(ctx, store.CommitFilter{}, func(store.CommitRow) error { return nil }); err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if got := len(all(t, db, store.CommitFilter{})); got != 4*10*50 {
				t.Fatalf("%d commits stored, want %d", got, 4*10*50)
			}
		}},
		{"time offsets round trip", func(t *testing.T, dsn string) {
			ctx := context.Background()
			db := open(t, dsn)
			r := repo(t, db, "a")
			in := []store.Commit{
				commit("ist", time.Date(2024, 1, 2, 9, 30, 0, 0, ist), 0),
				commit("pst", time.Date(2024, 1, 2, 9, 30, 0, 0, pst), 0),
				commit("utc", time.Date(2024, 1, 3, 9, 30, 0, 0, time.UTC), 0),
			}
			in[0].CommitterTime = time.Date(2024, 1, 2, 20, 0, 0, 0, pst)
			if err := db.SaveBatch(ctx, r.ID, in, store.Checkpoint{}); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range all(t, db, store.CommitFilter{}) {
				got = append(got, c.AuthorTime.Format(time.RFC3339), c.CommitterTime.Format(time.RFC3339))
			}
			want := "2024-01-02T09:30:00+05:30 2024-01-02T20:00:00-08:00 2024-01-02T09:30:00-08:00 2024-01-02T09:31:00-08:00 2024-01-03T09:30:00Z 2024-01-03T09:31:00Z"
			if strings.Join(got, " ") != want {
				t.Fatalf("times:\n got %s\nwant %s", strings.Join(got, " "), want)
			}
		}},
		{"invalid UTF-8 and NUL are cleaned", func(t *testing.T, dsn string) {
			ctx := context.Background()
			db := open(t, dsn)
			r := repo(t, db, "a")
			c := commit("latin1", base, 1)
			c.AuthorName = "Ren\xe9 Dupont"
			c.AuthorEmail = "ren\xe9@EXAMPLE.com"
			c.CommitterName = "Ren\xe9 Dupont"
			c.CommitterEmail = "ren\xe9@example.com"
			c.Subject = "fix caf\xe9\x00 bug ✓"
			c.Files[0].Path = "docs/r\xe9sum\xe9.txt"
			if err := db.SaveBatch(ctx, r.ID, []store.Commit{c}, store.Checkpoint{Tips: map[string]string{"refs/heads/caf\xe9": c.SHA}}); err != nil {
				t.Fatal(err)
			}
			rows := all(t, db, store.CommitFilter{})
			if len(rows) != 1 {
				t.Fatalf("%d commits", len(rows))
			}
			got := rows[0]
			if got.AuthorName != `Ren\xe9 Dupont` || got.AuthorEmail != `ren\xe9@EXAMPLE.com` || got.CommitterName != `Ren\xe9 Dupont` || got.Subject != "fix caf\\xe9 bug ✓" {
				t.Fatalf("stored %q <%q>, %q", got.AuthorName, got.AuthorEmail, got.Subject)
			}
			files, err := db.CommitFiles(ctx, r.ID, c.SHA)
			if err != nil || len(files) != 1 || files[0].Path != `docs/r\xe9sum\xe9.txt` {
				t.Fatalf("files: %+v, %v", files, err)
			}
			cp, err := db.Checkpoint(ctx, r.ID)
			if err != nil || cp.Tips[`refs/heads/caf\xe9`] != c.SHA {
				t.Fatalf("checkpoint: %+v, %v", cp, err)
			}
		}},
		{"HaveCommits with many SHAs", func(t *testing.T, dsn string) {
			ctx := context.Background()
			db := open(t, dsn)
			r, other := repo(t, db, "a"), repo(t, db, "b")
			var shas []string
			var batch []store.Commit
			for i := range 1200 {
				c := commit(fmt.Sprintf("h%d", i), base.Add(time.Duration(i)*time.Minute), 0)
				shas = append(shas, c.SHA)
				if i%12 < 7 {
					batch = append(batch, c)
				}
			}
			if err := db.SaveBatch(ctx, r.ID, batch, store.Checkpoint{}); err != nil {
				t.Fatal(err)
			}
			have, err := db.HaveCommits(ctx, r.ID, shas)
			if err != nil {
				t.Fatal(err)
			}
			if len(have) != 700 {
				t.Fatalf("HaveCommits found %d, want 700", len(have))
			}
			for _, c := range batch {
				if !have[c.SHA] {
					t.Fatalf("HaveCommits misses %s", c.SHA)
				}
			}
			if have, err := db.HaveCommits(ctx, other.ID, shas); err != nil || len(have) != 0 {
				t.Fatalf("HaveCommits for another repository = %d, %v", len(have), err)
			}
			if have, err := db.HaveCommits(ctx, r.ID, nil); err != nil || len(have) != 0 {
				t.Fatalf("HaveCommits(nil) = %v, %v", have, err)
			}
		}},
		{"sources upsert by name", func(t *testing.T, dsn string) {
			ctx := context.Background()
			db := open(t, dsn)
			a, err := db.UpsertSource(ctx, store.Source{Name: "corp", Kind: "git", URL: "https://git.corp"})
			if err != nil {
				t.Fatal(err)
			}
			b, err := db.UpsertSource(ctx, store.Source{Name: "corp", Kind: "git", URL: "https://git2.corp"})
			if err != nil || b.ID != a.ID || b.URL != "https://git2.corp" {
				t.Fatalf("second upsert = %+v, %v; want the same row updated", b, err)
			}
			db.UpsertSource(ctx, store.Source{Name: "alpha", Kind: "git"})
			all, err := db.Sources(ctx)
			if err != nil || len(all) != 2 || all[0].Name != "alpha" || all[1].Name != "corp" {
				t.Fatalf("Sources = %+v, %v", all, err)
			}
			if _, err := db.UpsertSource(ctx, store.Source{}); err == nil {
				t.Fatal("a source without a name was stored")
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for engine, dsn := range storetest.DSNs(t) {
				t.Run(engine, func(t *testing.T) { tc.run(t, dsn) })
			}
		})
	}
}

func TestCleanText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"plain ascii", "plain ascii"},
		{"Zoë ✓ 日本", "Zoë ✓ 日本"},
		{"Ren\xe9", `Ren\xe9`},
		{"a\x00b", "ab"},
		{"\xff\xfe", `\xff\xfe`},
		{"truncated \xe6\x97", `truncated \xe6\x97`},
		{"\uFFFD stays", "\uFFFD stays"},
		{`\xe9 literal`, `\xe9 literal`},
	} {
		got := store.CleanText(tc.in)
		if got != tc.want {
			t.Errorf("CleanText(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if again := store.CleanText(got); again != got {
			t.Errorf("CleanText is not idempotent on %q: %q", got, again)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const password = "s3cr3t-Pa55"
	for _, dsn := range []string{
		"postgres://sluice:" + password + "@127.0.0.1:1/sluice?sslmode=disable&connect_timeout=5",
		"postgresql://sluice:" + password + "@127.0.0.1:1/sluice?sslmode=bogus",
		"postgres://sluice:" + password + "@[::1/sluice",
	} {
		_, err := store.Open(ctx, dsn)
		if err == nil {
			t.Fatalf("Open(%q) succeeded", dsn)
		}
		t.Log(err)
		if strings.Contains(err.Error(), password) {
			t.Errorf("error reveals the password: %v", err)
		}
		if !strings.Contains(err.Error(), "; check ") {
			t.Errorf("error does not say what to check: %v", err)
		}
	}
	if _, err := store.Open(ctx, ":memory:"); err == nil {
		t.Error("Open(:memory:) succeeded")
	}
}

// TestOpenKeyValueDSN: libpq key=value settings are refused, not taken for
// a SQLite file name (which would hold the password), and the error does
// not repeat them.
func TestOpenKeyValueDSN(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	const password = "kv-s3cr3t"
	for _, dsn := range []string{
		"host=127.0.0.1 port=5432 user=sluice password=" + password,
		"dbname=sluice sslmode=disable",
		"hostaddr = 10.0.0.1 user=" + password,
	} {
		db, err := store.Open(context.Background(), dsn)
		if err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded", dsn)
			continue
		}
		if !strings.Contains(err.Error(), "write it as a URL: postgres://USER@HOST:PORT/DBNAME") {
			t.Errorf("Open(%q): %v; want the advice to write a URL", dsn, err)
		}
		if strings.Contains(err.Error(), password) || strings.Contains(err.Error(), "sluice") {
			t.Errorf("error repeats the DSN: %v", err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Errorf("Open created %s in the working directory", entries[0].Name())
	}
	// A path that merely contains "=" is still a SQLite file.
	db, err := store.Open(context.Background(), filepath.Join(dir, "user=bob", "a=b.db"))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
}

func TestOpenSQLiteForms(t *testing.T) {
	dir := t.TempDir()
	for _, dsn := range []string{
		dir + "/plain.db",
		"sqlite:" + dir + "/prefixed.db",
		"file:" + dir + "/file.db",
		"sqlite://" + dir + "/url.db",
		dir + "/new/dir/nested.db",
	} {
		db, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatalf("Open(%q): %v", dsn, err)
		}
		if db.Engine() != "sqlite" {
			t.Errorf("Engine = %q", db.Engine())
		}
		db.Close()
	}
}

// BenchmarkSaveBatch saves batches of 500 new commits with 3 files each.
func BenchmarkSaveBatch(b *testing.B) {
	const batchSize = 500
	for engine, dsn := range storetest.DSNs(b) {
		n := 0 // b.Run calls fn more than once on the same database
		b.Run(engine, func(b *testing.B) {
			ctx := context.Background()
			db := open(b, dsn)
			r := repo(b, db, "bench")
			base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
			authors := []string{"alice", "bob", "carol", "dave", "erin"}
			batch := make([]store.Commit, batchSize)
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				for i := range batch {
					c := commit(fmt.Sprintf("b%08d", n), base.Add(time.Duration(n)*time.Minute), 3)
					c.AuthorName = authors[n%len(authors)]
					c.AuthorEmail = c.AuthorName + "@example.com"
					batch[i] = c
					n++
				}
				b.StartTimer()
				if err := db.SaveBatch(ctx, r.ID, batch, store.Checkpoint{Pending: map[string]string{"refs/heads/main": batch[0].SHA}, Stored: int64(n)}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batchSize)/b.Elapsed().Seconds(), "commits/s")
		})
	}
}

// readBack is c as reads return it: without files, with its person's key
// and its impact.
func readBack(c store.Commit) store.Commit {
	c.Files = nil
	c.Person = store.PersonKey(c.AuthorName, c.AuthorEmail)
	c.Impact = store.ImpactHundredths(c.HALOC, c.FilesChanged, c.Hunks, c.LegacyRefactor)
	return c
}
