package provenance

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/sluicehq/sluice/internal/gitcmd"
	"github.com/sluicehq/sluice/internal/gittest"
)

// TestScoreMatchesGit checks the in-process similarity score against the
// percentage git prints for every rename of a generated history (git
// prints score*100/MAX_SCORE rounded down).
func TestScoreMatchesGit(t *testing.T) {
	r := gittest.New(t)
	dir := os.Getenv("SCORE_REPO")
	if dir == "" {
		r.ImportRealistic(gittest.RealisticOptions{Commits: 3000, Seed: 3})
		dir = r.Dir
	}
	git := &gitcmd.Runner{Dir: dir}
	out, err := git.Output(context.Background(), "log", "--all", "--no-merges", "-M", "--raw", "--no-abbrev", "-z", "--format=%x01", "--diff-filter=R")
	if err != nil {
		t.Fatal(err)
	}
	b := &blobReader{git: git}
	defer b.close()
	checked := 0
	fields := bytes.Split(out, []byte{0})
	for i := 0; i < len(fields); i++ {
		f := string(bytes.TrimLeft(fields[i], "\x01\n"))
		if len(f) == 0 || f[0] != ':' {
			continue
		}
		m := bytes.Fields([]byte(f[1:]))
		i += 2
		if len(m) != 5 || m[4][0] != 'R' || string(m[0]) != "100644" || string(m[1]) != "100644" {
			continue
		}
		want, _ := strconv.Atoi(string(m[4][1:]))
		src, err := b.signature(context.Background(), string(m[2]))
		if err != nil {
			t.Fatal(err)
		}
		dst, err := b.signature(context.Background(), string(m[3]))
		if err != nil {
			t.Fatal(err)
		}
		if src == nil || dst == nil {
			continue
		}
		got := score(src, dst) * 100 / maxScore
		if string(m[2]) == string(m[3]) {
			got = 100
		}
		if got != want {
			t.Errorf("rename %s → %s: score %d%%, git %d%%", m[2][:10], m[3][:10], got, want)
		}
		checked++
	}
	if checked < 20 {
		t.Fatalf("only %d renames checked", checked)
	}
	t.Logf("%d renames: scores equal git's", checked)
}
