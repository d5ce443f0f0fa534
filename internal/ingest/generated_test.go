package ingest

import (
	"bufio"
	"bytes"
	"io"
	"math/rand/v2"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/exclude"
	"github.com/sluicehq/sluice/internal/gitlog"
	"github.com/sluicehq/sluice/internal/gittest"
)

// TestRebuildHead checks, on every modified, renamed or copied text file
// of a realistic history (CRLF, files without a final newline, edits at
// the top, large files), that the start rebuildHead derives from the old
// version's start and the patch is the new version's true start — from
// the old version's whole kept start, and from starts cut short at random
// lengths — and that it derives one in most cases rather than giving up.
func TestRebuildHead(t *testing.T) {
	r := gittest.New(t)
	r.ImportRealistic(gittest.RealisticOptions{Commits: 1200, Seed: 7})
	revs := r.Git("rev-list", "--all", "--no-merges", "--reverse")
	cmd := exec.Command("git", append([]string{"-C", r.Dir}, gitlog.DiffTreeArgs()...)...)
	cmd.Env = gittest.Env()
	cmd.Stdin = strings.NewReader(revs)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	type pair struct {
		old, new string
		f        gitlog.File
	}
	var pairs []pair
	need := map[string]bool{}
	rd := gitlog.NewReader(bytes.NewReader(out))
	for {
		c, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range c.Files {
			if f.Binary || f.Submodule || !strings.ContainsRune("MRC", rune(f.Status)) || strings.HasPrefix(f.NewMode, "120") {
				continue
			}
			pairs = append(pairs, pair{f.OldBlob, f.NewBlob, f})
			need[f.OldBlob], need[f.NewBlob] = true, true
		}
	}
	blobs := readBlobs(t, r.Dir, need)

	rng := rand.New(rand.NewPCG(7, 7))
	var tried, rebuilt, cut int
	for _, p := range pairs {
		old, cur := blobs[p.old], blobs[p.new]
		heads := []blobHead{{old[:min(len(old), gitlog.HeadSize)], len(old) <= gitlog.HeadSize}}
		if len(old) > exclude.HeaderSize+1 {
			// A start cut short, possibly inside a line.
			n := exclude.HeaderSize + rng.IntN(min(len(old), gitlog.HeadSize)-exclude.HeaderSize)
			heads = append(heads, blobHead{old[:n], false})
		}
		for _, h := range heads {
			tried++
			got, ok := rebuildHead(h, &p.f)
			if !ok {
				continue
			}
			rebuilt++
			if !h.whole {
				cut++
			}
			switch {
			case !bytes.HasPrefix(cur, got.data):
				t.Fatalf("%s %s→%s: rebuilt start differs from the blob's\ngot  %q\nwant %q", p.f.Path, p.old[:8], p.new[:8],
					got.data[:min(len(got.data), 300)], cur[:min(len(cur), 300)])
			case got.whole && len(got.data) != len(cur):
				t.Fatalf("%s %s→%s: rebuilt as the whole blob with %d bytes, the blob has %d", p.f.Path, p.old[:8], p.new[:8], len(got.data), len(cur))
			case !got.whole && len(got.data) < exclude.HeaderSize:
				t.Fatalf("%s %s→%s: rebuilt start of %d bytes, want at least %d", p.f.Path, p.old[:8], p.new[:8], len(got.data), exclude.HeaderSize)
			}
		}
	}
	t.Logf("%d pairs of starts: %d rebuilt (%d from cut starts)", tried, rebuilt, cut)
	if tried < 1000 || rebuilt*10 < tried*8 || cut < 100 {
		t.Errorf("rebuilt %d of %d starts (%d cut), want over 80 %% of at least 1000 and 100 cut", rebuilt, tried, cut)
	}
}

// readBlobs reads blobs through one `git cat-file --batch`.
func readBlobs(t *testing.T, dir string, ids map[string]bool) map[string][]byte {
	t.Helper()
	var in strings.Builder
	for id := range ids {
		in.WriteString(id + "\n")
	}
	cmd := exec.Command("git", "-C", dir, "cat-file", "--batch")
	cmd.Env = gittest.Env()
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	blobs := map[string][]byte{}
	br := bufio.NewReader(bytes.NewReader(out))
	for {
		line, err := br.ReadString('\n')
		if err == io.EOF {
			return blobs
		}
		f := strings.Fields(line)
		if err != nil || len(f) != 3 {
			t.Fatalf("cat-file answered %q (%v)", line, err)
		}
		size, _ := strconv.Atoi(f[2])
		data := make([]byte, size+1)
		if _, err := io.ReadFull(br, data); err != nil {
			t.Fatal(err)
		}
		blobs[f[0]] = data[:size]
	}
}
