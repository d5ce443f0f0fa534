package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/blameoracle"
	"github.com/sluicehq/sluice/internal/gitcmd"
	"github.com/sluicehq/sluice/internal/gittest"
	"github.com/sluicehq/sluice/internal/ingest"
	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/storetest"
)

func syncer(t *testing.T, db *store.DB) *ingest.Syncer {
	return &ingest.Syncer{DB: db, DataDir: t.TempDir(), BatchSize: 7}
}

// gitTruth is what git itself says about every commit of `rev-list --all`:
// the mailmap-resolved author email and numstat totals.
type truth struct {
	email           string
	add, del, files int
	merge           bool
}

func gitTruth(t *testing.T, dir string) map[string]truth {
	t.Helper()
	cmd := exec.Command("git", "-C", dir, "log", "--all", "--numstat", "--format=@%H %P%x00%aE")
	cmd.Env = gittest.Env()
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	all := map[string]truth{}
	var cur string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "@") {
			head, email, _ := strings.Cut(line[1:], "\x00")
			f := strings.Fields(head)
			cur = f[0]
			all[cur] = truth{email: email, merge: len(f) > 2}
			continue
		}
		f := strings.SplitN(line, "\t", 3)
		if len(f) != 3 {
			continue
		}
		v := all[cur]
		a, _ := strconv.Atoi(f[0])
		d, _ := strconv.Atoi(f[1])
		v.add, v.del = v.add+a, v.del+d
		if f[0] != "-" { // binary files never count as changed lines or files
			v.files++
		}
		all[cur] = v
	}
	revs := exec.Command("git", "-C", dir, "rev-list", "--all")
	out, err = revs.Output()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(strings.Fields(string(out))); n != len(all) {
		t.Fatalf("fixture: rev-list --all has %d commits, git log %d", n, len(all))
	}
	return all
}

func stored(t *testing.T, db *store.DB, repo string) map[string]store.CommitRow {
	t.Helper()
	rows := map[string]store.CommitRow{}
	err := db.ForEachCommit(context.Background(), store.CommitFilter{Repo: repo}, func(c store.CommitRow) error {
		if _, dup := rows[c.SHA]; dup {
			t.Errorf("commit %s listed twice", c.SHA)
		}
		rows[c.SHA] = c
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func compare(t *testing.T, db *store.DB, repo, dir string) {
	t.Helper()
	want := gitTruth(t, dir)
	got := stored(t, db, repo)
	if len(got) != len(want) {
		t.Errorf("stored %d commits, git rev-list --all has %d", len(got), len(want))
	}
	for sha, w := range want {
		g, ok := got[sha]
		if !ok {
			t.Errorf("commit %s not stored", sha)
			continue
		}
		if g.AuthorEmail != w.email || g.Additions != w.add || g.Deletions != w.del || g.FilesChanged != w.files || g.IsMerge != w.merge {
			t.Errorf("commit %s: stored %s +%d -%d %d files merge=%v; git says %s +%d -%d %d files merge=%v",
				sha, g.AuthorEmail, g.Additions, g.Deletions, g.FilesChanged, g.IsMerge, w.email, w.add, w.del, w.files, w.merge)
		}
	}
}

// fixture builds a repository with two branches, a merge, a tag, a
// mailmap, a rename and a binary file.
func fixture(t *testing.T) *gittest.Repo {
	r := gittest.New(t)
	grace := gittest.Person{Name: "Grace Hopper", Email: "grace@old.example.com"}
	r.Commit("root", gittest.Person{}, time.Time{}, map[string]string{"README.md": "hello\n", "src/a.go": "package a\n"})
	r.Commit("grace adds b", grace, time.Time{}, map[string]string{"src/b.go": "package a\n\nvar B = 1\n"})
	r.Git("checkout", "-q", "-b", "feature")
	r.Commit("feature work", gittest.Person{}, time.Time{}, map[string]string{"src/c.go": "package a\nvar C = 2\n", "logo.png": "\x89PNG\x00\x01\x02"})
	r.Git("checkout", "-q", "main")
	r.Commit("main work", grace, time.Time{}, map[string]string{"README.md": "hello\nworld\n"})
	r.Git("merge", "-q", "--no-edit", "feature")
	r.Git("mv", "src/b.go", "src/bee.go")
	r.Commit("rename", gittest.Person{}, time.Time{}, map[string]string{".mailmap": "Grace Hopper <grace@example.com> <grace@old.example.com>\n"})
	r.Git("tag", "-a", "v1", "-m", "release")
	r.Git("checkout", "-q", "-b", "unmerged")
	r.Commit("unmerged", grace, time.Time{}, map[string]string{"src/d.go": "x\ny\nz\n"})
	r.Git("checkout", "-q", "main")
	return r
}

func TestSyncMatchesGit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := fixture(t)
		s := syncer(t, db)
		res, err := s.Sync(context.Background(), ingest.Target{Location: r.Dir, Name: "fx", NoExcludes: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.Imported != 7 || res.Commits != 7 || res.Authors != 2 || res.UpToDate {
			t.Errorf("result = %+v, want 7 imported, 7 stored, 2 authors", res)
		}
		compare(t, db, "fx", r.Dir)
		got := stored(t, db, "fx")
		for _, c := range got {
			if strings.Contains(c.AuthorEmail, "old.example.com") {
				t.Errorf("commit %s: mailmap not applied: %s", c.SHA, c.AuthorEmail)
			}
		}
		// The local repository is read in place and never modified.
		if st := r.Git("status", "--porcelain"); st != "" {
			t.Errorf("work tree changed: %s", st)
		}
	})
}

func TestSyncIncremental(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := fixture(t)
		s := syncer(t, db)
		ctx := context.Background()
		target := ingest.Target{Location: r.Dir, NoExcludes: true}
		if _, err := s.Sync(ctx, target); err != nil {
			t.Fatal(err)
		}
		var events []ingest.Event
		s.Progress = func(e ingest.Event) { events = append(events, e) }
		res, err := s.Sync(ctx, target)
		if err != nil {
			t.Fatal(err)
		}
		if !res.UpToDate || res.Imported != 0 {
			t.Errorf("unchanged re-run: %+v, want up to date", res)
		}
		for _, e := range events {
			if e.Phase == ingest.PhaseImport {
				t.Errorf("unchanged re-run reached the import phase: %+v", e)
			}
		}
		// New commits on two branches, a deleted branch and a new tag.
		r.Commit("more", gittest.Person{}, time.Time{}, map[string]string{"src/e.go": "1\n2\n"})
		r.Git("checkout", "-q", "unmerged")
		r.Commit("more unmerged", gittest.Person{}, time.Time{}, map[string]string{"src/d.go": "x\n"})
		r.Git("checkout", "-q", "main")
		r.Git("branch", "-D", "feature")
		r.Git("tag", "v2")
		res, err = s.Sync(ctx, target)
		if err != nil {
			t.Fatal(err)
		}
		if res.Imported != 2 || res.Commits != 9 {
			t.Errorf("incremental: %+v, want 2 imported, 9 stored", res)
		}
		compare(t, db, res.Repo.Name, r.Dir)
	})
}

func TestSyncBranchAndOddRefs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := fixture(t)
		// A branch whose name is not valid UTF-8 must not make every
		// re-sync look like a change.
		r.Git("update-ref", "refs/heads/caf\xe9", "main")
		ctx := context.Background()
		s := syncer(t, db)
		res, err := s.Sync(ctx, ingest.Target{Location: r.Dir, Name: "only-feature", Branch: "feature"})
		if err != nil {
			t.Fatal(err)
		}
		// feature: root, grace adds b, feature work.
		if res.Commits != 3 {
			t.Errorf("--branch feature stored %d commits, want 3", res.Commits)
		}
		if _, err := s.Sync(ctx, ingest.Target{Location: r.Dir, Name: "nope", Branch: "nope"}); err == nil || !strings.Contains(err.Error(), "--branch") {
			t.Errorf("unknown branch: err = %v", err)
		}
		if _, err := db.RepositoryByName(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a failed sync recorded its repository: %v", err)
		}
		// A branch name is matched exactly: "feat" is not "feat/x".
		r.Git("update-ref", "refs/heads/feat/x", "main")
		if _, err := s.Sync(ctx, ingest.Target{Location: r.Dir, Name: "feat", Branch: "feat"}); err == nil {
			t.Error("--branch feat matched refs/heads/feat/x")
		}
		// A remote-tracking branch of a local clone is found by its name.
		r.Git("update-ref", "refs/remotes/origin/tracked", "unmerged")
		res, err = s.Sync(ctx, ingest.Target{Location: r.Dir, Name: "tracked", Branch: "tracked"})
		if want := r.Git("rev-list", "--count", "unmerged"); err != nil || strconv.FormatInt(res.Commits, 10) != want {
			t.Errorf("--branch tracked: %+v %v, want %s commits", res, err, want)
		}
		// A commit reachable only through a tag of a tag.
		r.Git("checkout", "-q", "--detach")
		r.Commit("only via nested tag", gittest.Person{}, time.Time{}, map[string]string{"nt.txt": "x\n"})
		r.Git("tag", "-a", "inner", "-m", "i")
		r.Git("-c", "advice.nestedTag=false", "tag", "-a", "outer", "-m", "o", "inner")
		r.Git("tag", "-d", "inner")
		r.Git("checkout", "-q", "main")
		if _, err := s.Sync(ctx, ingest.Target{Location: r.Dir, Name: "all"}); err != nil {
			t.Fatal(err)
		}
		if n := len(stored(t, db, "all")); n != 8 {
			t.Errorf("all refs: %d commits stored, want 8 (7 + the one behind a nested tag)", n)
		}
		// Work on a detached HEAD counts, as in git rev-list --all.
		r.Git("checkout", "-q", "--detach")
		r.Commit("detached", gittest.Person{}, time.Time{}, map[string]string{"d.txt": "d\n"})
		if res, err := s.Sync(ctx, ingest.Target{Location: r.Dir, Name: "all"}); err != nil || res.Imported != 1 {
			t.Errorf("detached HEAD: %+v %v, want 1 imported", res, err)
		}
		compare(t, db, "all", r.Dir)
		res, err = s.Sync(ctx, ingest.Target{Location: r.Dir, Name: "all"})
		if err != nil || !res.UpToDate {
			t.Errorf("re-sync with a non-UTF-8 branch name: %+v %v, want up to date", res, err)
		}
	})
}

func TestSyncExcludes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := gittest.New(t)
		gen := "// Code generated by stringer. DO NOT EDIT.\n\npackage main\n"
		sha := r.Commit("deps", gittest.Person{}, time.Time{}, map[string]string{
			"main.go": "package main\n", "go.sum": "a\nb\nc\n", "vendor/x/x.go": "1\n2\n", "app.min.js": "x\n",
			"kind_string.go": gen, "schema.ts": "/* @generated */\nexport {}\n",
		})
		// Editing and then deleting a generated file: judged on the
		// commit's version, and on the parent's for the deletion.
		edit := r.Commit("regen", gittest.Person{}, time.Time{}, map[string]string{"kind_string.go": gen + "var x = 1\n", "main.go": "package main\n\n"})
		r.Git("rm", "-q", "kind_string.go")
		del := r.Commit("drop generated", gittest.Person{}, time.Time{}, nil)
		ctx := context.Background()
		if _, err := syncer(t, db).Sync(ctx, ingest.Target{Location: r.Dir, Name: "on"}); err != nil {
			t.Fatal(err)
		}
		if _, err := syncer(t, db).Sync(ctx, ingest.Target{Location: r.Dir, Name: "off", NoExcludes: true}); err != nil {
			t.Fatal(err)
		}
		// A second name for one location is refused.
		on := stored(t, db, "on")[sha]
		if on.Additions != 1 || on.FilesChanged != 1 {
			t.Errorf("with excludes: +%d in %d files, want +1 in 1 (main.go only)", on.Additions, on.FilesChanged)
		}
		off := stored(t, db, "off")[sha]
		if off.Additions != 12 || off.FilesChanged != 6 {
			t.Errorf("--no-excludes: +%d in %d files, want +12 in 6", off.Additions, off.FilesChanged)
		}
		if c := stored(t, db, "on")[edit]; c.Additions != 1 || c.FilesChanged != 1 {
			t.Errorf("edit of a generated file: +%d in %d files, want +1 in 1 (main.go only)", c.Additions, c.FilesChanged)
		}
		if c := stored(t, db, "on")[del]; c.Deletions != 0 || c.FilesChanged != 0 {
			t.Errorf("deletion of a generated file: -%d in %d files, want nothing counted", c.Deletions, c.FilesChanged)
		}
		if c := stored(t, db, "off")[del]; c.Deletions != 4 {
			t.Errorf("--no-excludes deletion: -%d, want -4", c.Deletions)
		}
		files, err := db.CommitFiles(context.Background(), mustRepo(t, db, "on").ID, sha)
		if err != nil || len(files) != 6 {
			t.Fatalf("stored files: %v %v", files, err)
		}
		for _, f := range files {
			if f.Excluded != (f.Path != "main.go") {
				t.Errorf("file %s: excluded=%v", f.Path, f.Excluded)
			}
		}
	})
}

func mustRepo(t *testing.T, db *store.DB, name string) store.Repository {
	t.Helper()
	r, err := db.RepositoryByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSyncEmptyRepository(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := gittest.New(t)
		res, err := syncer(t, db).Sync(context.Background(), ingest.Target{Location: r.Dir})
		if err != nil {
			t.Fatalf("empty repository: %v", err)
		}
		if res.Commits != 0 || res.Imported != 0 {
			t.Errorf("empty repository: %+v", res)
		}
		// With --branch too: no commits yet is zero, not "branch not found".
		res, err = syncer(t, db).Sync(context.Background(), ingest.Target{Location: r.Dir, Name: "b", Branch: "main"})
		if err != nil || res.Commits != 0 {
			t.Errorf("empty repository with --branch: %+v %v", res, err)
		}
	})
}

func TestSyncBadLocations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		plain := t.TempDir()
		file := filepath.Join(plain, "f")
		os.WriteFile(file, []byte("x"), 0o644)
		for _, c := range []struct{ loc, want string }{
			{plain, "is not a git repository"},
			{filepath.Join(plain, "missing"), "does not exist"},
			{file, "is not a directory"},
			{"https://user:secret@example.com/r.git", "credentials"},
		} {
			_, err := syncer(t, db).Sync(context.Background(), ingest.Target{Location: c.loc})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: err = %v, want it to say %q", c.loc, err, c.want)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("error leaks a credential: %v", err)
			}
		}
		if repos, _ := db.Repositories(context.Background()); len(repos) != 0 {
			t.Errorf("failed syncs stored repositories: %+v", repos)
		}
	})
}

// TestSyncSameRepositoryByOtherPaths: a subdirectory, a symlink and the
// .git directory of a repository are that repository, not new ones.
func TestSyncSameRepositoryByOtherPaths(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := fixture(t)
		link := filepath.Join(t.TempDir(), "link")
		if err := os.Symlink(r.Dir, link); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		s := syncer(t, db)
		first, err := s.Sync(ctx, ingest.Target{Location: r.Dir})
		if err != nil {
			t.Fatal(err)
		}
		for _, loc := range []string{filepath.Join(r.Dir, "src"), link, filepath.Join(r.Dir, ".git"), r.Dir + "/./"} {
			res, err := s.Sync(ctx, ingest.Target{Location: loc})
			if err != nil || res.Repo.ID != first.Repo.ID || !res.UpToDate {
				t.Errorf("%s: %+v %v; want the same, up-to-date repository", loc, res.Repo, err)
			}
		}
		if repos, _ := db.Repositories(ctx); len(repos) != 1 {
			t.Errorf("%d repositories stored, want 1", len(repos))
		}
	})
}

func TestSyncNameClash(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, b := gittest.New(t), gittest.New(t)
		ctx := context.Background()
		if _, err := syncer(t, db).Sync(ctx, ingest.Target{Location: a.Dir, Name: "svc"}); err != nil {
			t.Fatal(err)
		}
		_, err := syncer(t, db).Sync(ctx, ingest.Target{Location: b.Dir, Name: "svc"})
		if err == nil || !strings.Contains(err.Error(), "--name") {
			t.Errorf("second repository under the same name: err = %v", err)
		}
	})
}

// TestSyncMissingObject removes a blob from a repository: the sync must
// name the object, keep the commits imported before it, and fail.
func TestSyncMissingObject(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := gittest.New(t)
		for i := 0; i < 20; i++ {
			r.Commit("c", gittest.Person{}, time.Time{}, map[string]string{"f.txt": strings.Repeat("line\n", i+1)})
		}
		// The blob of f.txt at HEAD~5, as a loose object file.
		blob := r.Git("rev-parse", "HEAD~5:f.txt")
		if err := os.Remove(filepath.Join(r.Dir, ".git", "objects", blob[:2], blob[2:])); err != nil {
			t.Fatal(err)
		}
		s := syncer(t, db)
		s.BatchSize = 2
		_, err := s.Sync(context.Background(), ingest.Target{Location: r.Dir, Name: "broken"})
		var ge *gitcmd.Error
		if !errors.As(err, &ge) || ge.Kind != gitcmd.ErrMissingObject || !strings.Contains(err.Error(), blob) {
			t.Fatalf("err = %v, want a missing-object error naming %s", err, blob)
		}
		got := stored(t, db, "broken")
		if len(got) == 0 || len(got) >= 20 {
			t.Errorf("stored %d commits; want the ones before the damage kept", len(got))
		}
	})
}

func TestSyncNonUTF8AndHugeBinary(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := gittest.New(t)
		r.FastImport([]byte("commit refs/heads/main\nauthor Jos\xe9 <jose@example.com> 1700000000 +0530\n" +
			"committer Jos\xe9 <jose@example.com> 1700000000 +0530\ndata 8\ncaf\xe9 fix\n" +
			"M 100644 inline caf\xe9.txt\ndata 2\n1\n\n"))
		r.Git("checkout", "-q", "main")
		big := make([]byte, 24<<20)
		for i := range big {
			big[i] = byte(i * 7)
		}
		os.WriteFile(filepath.Join(r.Dir, "huge.bin"), big, 0o644)
		r.Commit("huge", gittest.Person{}, time.Time{}, nil)
		res, err := syncer(t, db).Sync(context.Background(), ingest.Target{Location: r.Dir, Name: "odd"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Commits != 2 {
			t.Fatalf("stored %d commits", res.Commits)
		}
		var names []string
		for _, c := range stored(t, db, "odd") {
			names = append(names, c.AuthorName)
			if c.Subject == "huge" && (c.Additions != 0 || c.FilesChanged != 0) {
				t.Errorf("binary file counted: %+v", c)
			}
		}
		sort.Strings(names)
		if names[1] != store.CleanText("Jos\xe9") || names[1] == "Jos\xe9" {
			t.Errorf("author names %q: want the Latin-1 byte escaped", names)
		}
	})
}

// TestSyncStoreFailure closes the database in the middle of an import: the
// sync must stop with the store's error (not hang, not blame git).
func TestSyncStoreFailure(t *testing.T) {
	r := gittest.New(t)
	r.FastImport(gittest.Synthetic(400))
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	s := &ingest.Syncer{DB: db, DataDir: t.TempDir(), BatchSize: 10}
	s.Progress = func(e ingest.Event) {
		if e.Phase == ingest.PhaseImport && e.Done > 0 {
			db.Close()
		}
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.Sync(context.Background(), ingest.Target{Location: r.Dir, Name: "x"})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "closed") {
			t.Errorf("err = %v, want the store's error", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("sync hung after a store failure")
	}
}

// TestSyncPrunesUnreachable: deleted branches, rewritten history and a
// narrower --branch leave the store, so it always equals what the refs
// reach — also when the old objects were garbage-collected.
func TestSyncPrunesUnreachable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := fixture(t)
		r.Commit("tip", gittest.Person{}, time.Time{}, map[string]string{"tip.txt": "t\n"})
		ctx := context.Background()
		s := syncer(t, db)
		target := ingest.Target{Location: r.Dir, Name: "fx", NoExcludes: true}
		if _, err := s.Sync(ctx, target); err != nil {
			t.Fatal(err)
		}
		// A deleted branch.
		r.Git("branch", "-D", "unmerged")
		res, err := s.Sync(ctx, target)
		if err != nil || res.Pruned != 1 {
			t.Errorf("deleted branch: %+v %v, want 1 pruned", res, err)
		}
		compare(t, db, "fx", r.Dir)
		// Rewritten history (a force-push), the old commits still on disk.
		r.Git("tag", "-d", "v1")
		r.Git("reset", "-q", "--hard", "HEAD~1")
		r.Commit("rewritten", gittest.Person{}, time.Time{}, map[string]string{"new.txt": "n\n"})
		if res, err = s.Sync(ctx, target); err != nil || res.Pruned != 1 || res.Imported != 1 {
			t.Errorf("rewrite: %+v %v, want 1 pruned, 1 imported", res, err)
		}
		compare(t, db, "fx", r.Dir)
		// Rewritten again, and the old objects garbage-collected: the
		// store is reconciled against everything the refs reach.
		r.Git("reset", "-q", "--hard", "HEAD~1")
		r.Commit("rewritten again", gittest.Person{}, time.Time{}, map[string]string{"new.txt": "m\n"})
		r.Git("branch", "-D", "feature")
		r.Git("reflog", "expire", "--expire=now", "--all")
		r.Git("gc", "-q", "--prune=now")
		if res, err = s.Sync(ctx, target); err != nil || res.Pruned != 1 || res.Imported != 1 {
			t.Errorf("rewrite after gc: %+v %v, want 1 pruned, 1 imported", res, err)
		}
		compare(t, db, "fx", r.Dir)
		// A narrower --branch keeps only what that branch reaches.
		r.Git("checkout", "-q", "-b", "short", "main~2")
		r.Git("checkout", "-q", "main")
		target.Branch = "short"
		if res, err = s.Sync(ctx, target); err != nil {
			t.Fatal(err)
		}
		if want := r.Git("rev-list", "--count", "short"); strconv.FormatInt(res.Commits, 10) != want {
			t.Errorf("--branch short: %d commits stored, git rev-list --count short = %s", res.Commits, want)
		}
	})
}

// TestSyncReimportsOnSettingsChange: switching excludes off, or a new
// .mailmap, recomputes the stored rows.
func TestSyncReimportsOnSettingsChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := gittest.New(t)
		sha := r.Commit("deps", gittest.Person{Name: "CI", Email: "ci@old.example.com"}, time.Time{},
			map[string]string{"main.go": "package main\n", "go.sum": "a\nb\n"})
		ctx := context.Background()
		s := syncer(t, db)
		if _, err := s.Sync(ctx, ingest.Target{Location: r.Dir, Name: "x"}); err != nil {
			t.Fatal(err)
		}
		res, err := s.Sync(ctx, ingest.Target{Location: r.Dir, Name: "x", NoExcludes: true})
		if err != nil || !res.Reimported || res.Imported != 1 {
			t.Fatalf("excludes off: %+v %v, want a re-import", res, err)
		}
		if c := stored(t, db, "x")[sha]; c.Additions != 3 {
			t.Errorf("after --no-excludes: +%d, want +3 (go.sum counted)", c.Additions)
		}
		if res, _ := s.Sync(ctx, ingest.Target{Location: r.Dir, Name: "x", NoExcludes: true}); !res.UpToDate || res.Reimported {
			t.Errorf("same settings again: %+v, want up to date", res)
		}
		// A .mailmap in the work tree (git reads it from there).
		r.Write(map[string]string{".mailmap": "CI Bot <ci@example.com> <ci@old.example.com>\n"})
		res, err = s.Sync(ctx, ingest.Target{Location: r.Dir, Name: "x", NoExcludes: true})
		if err != nil || !res.Reimported {
			t.Fatalf("new .mailmap: %+v %v, want a re-import", res, err)
		}
		if c := stored(t, db, "x")[sha]; c.AuthorEmail != "ci@example.com" {
			t.Errorf("after the .mailmap: author %s, want ci@example.com", c.AuthorEmail)
		}
	})
}

// workRows is every stored commit's work-type figures.
func workRows(t *testing.T, db *store.DB, repo string) map[string][7]int {
	t.Helper()
	out := map[string][7]int{}
	for sha, c := range stored(t, db, repo) {
		o := 0
		if c.Outlier {
			o = 1
		}
		out[sha] = [7]int{c.Hunks, c.HALOC, c.NewWork, c.LegacyRefactor, c.HelpOthers, c.Rework, o}
	}
	return out
}

// TestWorkTypes checks the stored work types against git blame, and that
// syncing a growing repository step by step — new commits on old
// branches, a merge of an old branch, a branch started at an old commit —
// stores exactly what one full sync of the final repository stores.
func TestWorkTypes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ada := gittest.Person{Name: "Ada", Email: "ada@example.com"}
		grace := gittest.Person{Name: "Grace", Email: "grace@example.com"}
		day := func(n int) time.Time { return time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC).AddDate(0, 0, n) }
		lines := func(prefix string, n int) string {
			var b strings.Builder
			for i := 0; i < n; i++ {
				b.WriteString(prefix + strconv.Itoa(i) + "\n")
			}
			return b.String()
		}
		r := gittest.New(t)
		r.Commit("base", ada, day(0), map[string]string{"a.go": lines("a", 30), "b.go": lines("b", 20), "go.sum": lines("sum", 10)})
		r.Commit("grace edits", grace, day(1), map[string]string{"a.go": lines("a", 10) + lines("g", 5) + lines("a", 30)[40:], "go.sum": lines("sum2", 10)})
		r.Git("checkout", "-q", "-b", "feature")
		r.Commit("feature", grace, day(2), map[string]string{"b.go": lines("b", 5) + lines("f", 4)})
		r.Git("checkout", "-q", "main")
		r.Commit("ada reworks", ada, day(3), map[string]string{"a.go": lines("x", 3) + lines("a", 30)[12:]})

		logs := &strings.Builder{}
		inc := syncer(t, db)
		inc.Logger = slog.New(slog.NewTextHandler(logs, nil))
		target := ingest.Target{Location: r.Dir, Name: "w"}
		if _, err := inc.Sync(ctx, target); err != nil {
			t.Fatal(err)
		}
		// Grow: old branch moves on, is merged, main moves on much later.
		r.Git("checkout", "-q", "feature")
		r.Commit("feature 2", grace, day(4), map[string]string{"b.go": lines("b", 3) + lines("f", 4) + lines("h", 2)})
		r.Git("checkout", "-q", "main")
		r.GitEnv([]string{"GIT_AUTHOR_DATE=" + day(5).Format(time.RFC3339), "GIT_COMMITTER_DATE=" + day(5).Format(time.RFC3339)},
			"merge", "-q", "--no-ff", "--no-edit", "feature")
		r.Commit("legacy", grace, day(60), map[string]string{"a.go": lines("x", 3) + lines("a", 30)[20:]})
		if _, err := inc.Sync(ctx, target); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(logs.String(), "replaying the whole history") {
			t.Errorf("the second sync replayed the whole history:\n%s", logs)
		}
		// A branch started at an old commit: its parent's tree was not kept.
		r.Git("checkout", "-q", "-b", "hotfix", "main~2")
		r.Commit("hotfix", ada, day(61), map[string]string{"b.go": lines("z", 2)})
		if _, err := inc.Sync(ctx, target); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(logs.String(), "replaying the whole history") {
			t.Errorf("a commit on an old commit did not fall back to a full replay:\n%s", logs)
		}

		fullDB, err := store.Open(ctx, filepath.Join(t.TempDir(), "full.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer fullDB.Close()
		full := syncer(t, fullDB)
		if _, err := full.Sync(ctx, target); err != nil {
			t.Fatal(err)
		}
		got, want := workRows(t, inc.DB, "w"), workRows(t, full.DB, "w")
		if len(got) != len(want) || len(got) != 8 {
			t.Fatalf("incremental stored %d commits, full %d, want 8", len(got), len(want))
		}
		for sha, w := range want {
			if got[sha] != w {
				t.Errorf("%s: incremental %v, full %v", sha[:10], got[sha], w)
			}
		}
		// And both are what git blame says, go.sum excluded.
		o := &blameoracle.Oracle{Git: &gitcmd.Runner{Dir: r.Dir}, Excluded: func(p string) bool { return p == "go.sum" }}
		kinds := [4]int{}
		for sha, w := range want {
			c, err := o.Commit(ctx, sha)
			if errors.Is(err, blameoracle.ErrMerge) {
				if w != ([7]int{}) {
					t.Errorf("merge %s has figures %v", sha[:10], w)
				}
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if b := [7]int{c.Hunks, c.HALOC, c.NewWork, c.LegacyRefactor, c.HelpOthers, c.Rework, 0}; b != w {
				t.Errorf("%s: stored %v, blame %v", sha[:10], w, b)
			}
			kinds[0] += c.NewWork
			kinds[1] += c.LegacyRefactor
			kinds[2] += c.HelpOthers
			kinds[3] += c.Rework
		}
		for i, n := range kinds {
			if n == 0 {
				t.Errorf("the fixture has no work of kind %d: %v", i, kinds)
			}
		}
	})
}

// TestGeneratedLargeFile checks the verdict a large file's later versions
// inherit when their start is unchanged, and that a change at the start is
// judged anew.
func TestGeneratedLargeFile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := gittest.New(t)
		var body strings.Builder
		for i := 0; i < 400; i++ {
			fmt.Fprintf(&body, "var generatedValue%03d = %d // some text to make the line long\n", i, i)
		}
		header := "// Code generated by tool. DO NOT EDIT.\n\npackage big\n"
		lines := strings.SplitAfter(body.String(), "\n")
		edit := func(n int, s string) string {
			l := slices.Clone(lines)
			l[n] = s + "\n"
			lines = l
			return strings.Join(l, "")
		}
		ctx := context.Background()
		shas := []string{
			r.Commit("gen", gittest.Person{}, time.Time{}, map[string]string{"big.go": header + body.String()}),
			r.Commit("regen tail", gittest.Person{}, time.Time{}, map[string]string{"big.go": header + edit(350, "var tail = 1")}),
			r.Commit("hand-written now", gittest.Person{}, time.Time{}, map[string]string{"big.go": "package big\n" + edit(300, "var x = 2")}),
			r.Commit("edit tail", gittest.Person{}, time.Time{}, map[string]string{"big.go": "package big\n" + edit(360, "var y = 3")}),
			r.Commit("generated again", gittest.Person{}, time.Time{}, map[string]string{"big.go": header + edit(10, "var z = 4")}),
			r.Commit("edit tail again", gittest.Person{}, time.Time{}, map[string]string{"big.go": header + edit(370, "var w = 5")}),
		}
		want := []bool{true, true, false, false, true, true}
		if _, err := syncer(t, db).Sync(ctx, ingest.Target{Location: r.Dir, Name: "big"}); err != nil {
			t.Fatal(err)
		}
		for i, sha := range shas {
			files, err := db.CommitFiles(ctx, mustRepo(t, db, "big").ID, sha)
			if err != nil || len(files) != 1 {
				t.Fatalf("commit %d: %v %v", i, files, err)
			}
			if files[0].Excluded != want[i] {
				t.Errorf("commit %d: excluded = %v, want %v", i, files[0].Excluded, want[i])
			}
		}
	})
}

// TestProvenanceSnapshotDamaged checks that a damaged or foreign snapshot
// costs a full replay, with a warning, and never wrong figures.
func TestProvenanceSnapshotDamaged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := gittest.New(t)
		r.ImportRealistic(gittest.RealisticOptions{Commits: 300, Seed: 5})
		r.Git("checkout", "-q", "main") // the work tree's .mailmap, from the start
		logs := &strings.Builder{}
		s := syncer(t, db)
		s.Logger = slog.New(slog.NewTextHandler(logs, nil))
		target := ingest.Target{Location: r.Dir, Name: "d"}
		if _, err := s.Sync(ctx, target); err != nil {
			t.Fatal(err)
		}
		want := workRows(t, db, "d")
		snaps, _ := filepath.Glob(filepath.Join(s.DataDir, "provenance", "*.snap"))
		if len(snaps) != 1 {
			t.Fatalf("snapshots: %v", snaps)
		}
		if err := os.WriteFile(snaps[0], []byte("sluice provenance 2\ngarbage"), 0o600); err != nil {
			t.Fatal(err)
		}
		r.Write(map[string]string{"new.go": "package x\n"})
		sha := r.Commit("one more", gittest.Person{}, time.Time{}, nil)
		if _, err := s.Sync(ctx, target); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(logs.String(), "snapshot unreadable") {
			t.Errorf("no warning about the damaged snapshot:\n%s", logs.String())
		}
		got := workRows(t, db, "d")
		if len(got) != len(want)+1 {
			t.Fatalf("%d rows after the damaged snapshot, want %d", len(got), len(want)+1)
		}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s changed after a full replay: %v, was %v", k[:10], got[k], w)
			}
		}
		if got[sha][2] != 1 {
			t.Errorf("new commit: %v, want one line of new work", got[sha])
		}
	})
}

// TestWorkSettings checks that the window and the outlier threshold reach
// the stored figures, and that changing them re-imports.
func TestWorkSettings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ada := gittest.Person{Name: "Ada", Email: "ada@example.com"}
		day := func(n int) time.Time { return time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC).AddDate(0, 0, n) }
		r := gittest.New(t)
		r.Commit("base", ada, day(0), map[string]string{"a.go": "1\n2\n3\n4\n5\n6\n"})
		// Ten days later Ada rewrites three of her lines and adds one.
		edit := r.Commit("edit", ada, day(10), map[string]string{"a.go": "1\nx\ny\nz\n5\n6\nw\n"})
		s := syncer(t, db)
		target := ingest.Target{Location: r.Dir, Name: "ws"}
		s.Window, s.OutlierHALOC = 21*24*time.Hour, 3
		if _, err := s.Sync(ctx, target); err != nil {
			t.Fatal(err)
		}
		// Within 21 days: rework; HALOC 4 > 3: an outlier.
		if got := workRows(t, db, "ws")[edit]; got != [7]int{2, 4, 1, 0, 0, 3, 1} {
			t.Errorf("window 21d, outlier above 3: %v, want [hunks 2 haloc 4 new 1 legacy 0 help 0 rework 3 outlier 1]", got)
		}
		s.Window, s.OutlierHALOC = 7*24*time.Hour, 4
		res, err := s.Sync(ctx, target)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Reimported {
			t.Error("changing the window and the outlier threshold did not re-import")
		}
		// Older than 7 days: legacy refactor; HALOC 4 is not above 4.
		if got := workRows(t, db, "ws")[edit]; got != [7]int{2, 4, 1, 3, 0, 0, 0} {
			t.Errorf("window 7d, outlier above 4: %v, want [hunks 2 haloc 4 new 1 legacy 3 help 0 rework 0 outlier 0]", got)
		}
	})
}

// TestWorkPeople checks that rework versus help others compares persons:
// an alias joining two e-mails turns help into rework (re-importing), and
// GitHub's two noreply forms of one login are one person by default.
func TestWorkPeople(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ada := gittest.Person{Name: "Ada", Email: "ada@example.com"}
		ada2 := gittest.Person{Name: "Ada L", Email: "ada@home.example"}
		gh := gittest.Person{Name: "Bo", Email: "123+bo@users.noreply.github.com"}
		gh2 := gittest.Person{Name: "Bo", Email: "bo@users.noreply.github.com"}
		day := func(n int) time.Time { return time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC).AddDate(0, 0, n) }
		r := gittest.New(t)
		r.Commit("base", ada, day(0), map[string]string{"a.go": "1\n2\n3\n", "b.go": "1\n2\n3\n"})
		r.Commit("bo", gh, day(1), map[string]string{"b.go": "1\nb\n3\n"})
		edit := r.Commit("edit", ada2, day(2), map[string]string{"a.go": "1\nx\n3\n"})
		bo := r.Commit("bo again", gh2, day(3), map[string]string{"b.go": "1\nc\n3\n"})
		s := syncer(t, db)
		target := ingest.Target{Location: r.Dir, Name: "wp"}
		if _, err := s.Sync(ctx, target); err != nil {
			t.Fatal(err)
		}
		rows := workRows(t, db, "wp")
		if got := rows[edit]; got[4] != 1 || got[5] != 0 {
			t.Errorf("another e-mail without alias: help %d rework %d, want help 1", got[4], got[5])
		}
		if got := rows[bo]; got[5] != 1 {
			t.Errorf("GitHub noreply forms of one login: help %d rework %d, want rework 1", got[4], got[5])
		}
		s.People = map[string]string{"ada@home.example": "ada@example.com"}
		res, err := s.Sync(ctx, target)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Reimported {
			t.Error("a new alias did not re-import")
		}
		if got := workRows(t, db, "wp")[edit]; got[4] != 0 || got[5] != 1 {
			t.Errorf("with the alias: help %d rework %d, want rework 1", got[4], got[5])
		}
	})
}
