package provenance

import (
	"context"
	"testing"

	"github.com/sluicehq/sluice/internal/gitcmd"
	"github.com/sluicehq/sluice/internal/gitlog"
	"github.com/sluicehq/sluice/internal/gittest"
)

// BenchmarkReplay replays a realistic 5 000-commit history, next to the
// floor of any diff-based analysis, `git log --all -p -U0 -M --no-merges`,
// on the same repository (compare the ratio; bench/provenance.sh does the
// same for the whole program on 50 000 commits).
func BenchmarkReplay(b *testing.B) {
	r := gittest.New(b)
	r.ImportRealistic(gittest.RealisticOptions{Commits: 5000, Seed: 1})
	git := &gitcmd.Runner{Dir: r.Dir}
	tips := revs(b, r.Dir)
	b.Run("engine", func(b *testing.B) {
		for b.Loop() {
			e := New(git, Options{})
			if err := e.Replay(context.Background(), tips, nil, func(*gitlog.Commit, []Counts) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("git-log-floor", func(b *testing.B) {
		for b.Loop() {
			s, err := git.Stream(context.Background(), nil, "log", "--all", "-p", "-U0", "-M", "--no-merges")
			if err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 1<<20)
			for {
				if _, err := s.Read(buf); err != nil {
					break
				}
			}
			if err := s.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
