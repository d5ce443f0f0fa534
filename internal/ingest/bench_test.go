package ingest_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/sluicehq/sluice/internal/gittest"
	"github.com/sluicehq/sluice/internal/ingest"
	"github.com/sluicehq/sluice/internal/store"
)

// BenchmarkResyncUnchanged measures a sync of an unchanged 10 000-commit
// repository (the acceptance target: well under a second, no diff work),
// next to git's own walk of the same history for scale:
//
//	go test ./internal/ingest -run '^$' -bench ResyncUnchanged -count 6 | tee new.txt
//	benchstat new.txt
func BenchmarkResyncUnchanged(b *testing.B) {
	repo := gittest.New(b)
	repo.FastImport(gittest.Synthetic(10000))
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	s := &ingest.Syncer{DB: db, DataDir: b.TempDir()}
	target := ingest.Target{Location: repo.Dir, Name: "bench"}
	res, err := s.Sync(ctx, target)
	if err != nil || res.Imported != 10000 {
		b.Fatalf("initial sync: %+v %v", res, err)
	}
	b.Run("sluice-resync", func(b *testing.B) {
		var imported bool
		s.Progress = func(e ingest.Event) { imported = imported || e.Phase == ingest.PhaseImport }
		for i := 0; i < b.N; i++ {
			res, err := s.Sync(ctx, target)
			if err != nil || !res.UpToDate || imported {
				b.Fatalf("re-sync did work: %+v %v", res, err)
			}
		}
	})
	b.Run("git-rev-list-count", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := exec.Command("git", "-C", repo.Dir, "rev-list", "--count", "--all").Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("git-log-numstat", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := exec.Command("git", "-C", repo.Dir, "log", "--all", "--numstat", "--format=%H").Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkImport measures a first import of a 2 000-commit repository
// into SQLite, next to `git log --numstat` (the diff work git must do
// anyway) on the same repository.
func BenchmarkImport(b *testing.B) {
	repo := gittest.New(b)
	repo.FastImport(gittest.Synthetic(2000))
	ctx := context.Background()
	b.Run("sluice", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			db, err := store.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
			if err != nil {
				b.Fatal(err)
			}
			s := &ingest.Syncer{DB: db, DataDir: b.TempDir()}
			res, err := s.Sync(ctx, ingest.Target{Location: repo.Dir, Name: "bench"})
			db.Close()
			if err != nil || res.Imported != 2000 {
				b.Fatalf("import: %+v %v", res, err)
			}
		}
	})
	b.Run("git-log-numstat", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := exec.Command("git", "-C", repo.Dir, "log", "--all", "--numstat", "--format=%H").Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
